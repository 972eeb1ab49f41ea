"""A bot's wording from the database wins over the template file, for that bot only, and an
edit shows after the cache is cleared (the admin API does) or its few seconds have passed."""

from __future__ import annotations

from snakecakes.bot.bots import prepare_default_bot
from snakecakes.bot.prompts import PromptRegistry
from snakecakes.bot.prompts.overrides import DatabaseOverrides, remove_override, set_override
from snakecakes.crypto import SecretBox
from snakecakes.db.database import Database
from tests.conftest import SECRET_KEY, make_settings


def test_database_override_wins_for_its_bot_only(db: Database) -> None:
    bot_id = prepare_default_bot(db, make_settings(db.url), SecretBox(SECRET_KEY))
    assert bot_id is not None
    overrides = DatabaseOverrides(db, ttl=60)
    prompts = PromptRegistry(overrides)
    from_file = prompts.render("greeting", bot_id, shop_name="Snake Cakes", name=None)
    assert from_file.startswith("Hello! Welcome to Snake Cakes")

    with db.transaction() as session:
        set_override(session, bot_id, "greeting", "Moin{% if name %} {{ name }}{% endif %}!")
    cached = prompts.render("greeting", bot_id, shop_name="S", name="Jo")
    assert cached.startswith("Hello Jo!")  # still cached: the file's wording
    overrides.forget()
    assert prompts.render("greeting", bot_id, shop_name="S", name="Jo") == "Moin Jo!"
    assert prompts.render("greeting", bot_id + 1, shop_name="S", name=None).startswith("Hello!")
    assert prompts.render("help", bot_id, shop_name="S").startswith("Here is what I can do")

    with db.transaction() as session:
        assert remove_override(session, bot_id, "greeting")
    overrides.forget()
    assert prompts.render("greeting", bot_id, shop_name="S", name=None).startswith("Hello!")
