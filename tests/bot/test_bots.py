"""Bots: the default bot from settings, secrets encrypted at rest, lookups that survive blips."""

from __future__ import annotations

from sqlalchemy import select

from snakecakes.bot.bots import BotDirectory, add_bot, ensure_default_bot
from snakecakes.crypto import SecretBox
from snakecakes.db.database import Database
from snakecakes.db.models import Bot
from tests.conftest import (
    ACCESS_TOKEN,
    APP_SECRET,
    PHONE_ID,
    SECRET_KEY,
    VERIFY_TOKEN,
    make_settings,
)


def test_default_bot_created_then_refreshed(db: Database) -> None:
    box = SecretBox(SECRET_KEY)
    first = ensure_default_bot(db, make_settings(db.url), box)
    again = ensure_default_bot(
        db, make_settings(db.url, WHATSAPP_ACCESS_TOKEN="EAAG-rotated-token-1234"), box
    )
    assert first == again
    directory = BotDirectory(db, box)
    directory.refresh()
    bot = directory.get(PHONE_ID)
    assert bot is not None and bot.is_default
    assert bot.access_token == "EAAG-rotated-token-1234"


def test_secrets_are_encrypted_at_rest(db: Database) -> None:
    ensure_default_bot(db, make_settings(db.url), SecretBox(SECRET_KEY))
    with db.read() as s:
        row = s.scalars(select(Bot)).one()
    stored = row.access_token_enc + row.app_secret_enc + row.verify_token_enc
    for secret in (ACCESS_TOKEN, APP_SECRET, VERIFY_TOKEN):
        assert secret not in stored
    assert SecretBox(SECRET_KEY).decrypt(row.app_secret_enc) == APP_SECRET


def test_wrong_key_skips_the_bot_instead_of_crashing(db: Database) -> None:
    box = SecretBox(SECRET_KEY)
    add_bot(db, box, name="b", phone_number_id="42", app_secret="s" * 8, access_token="t" * 8,
            verify_token="v" * 8)  # fmt: skip
    directory = BotDirectory(db, SecretBox("another-key-entirely-123"))
    directory.refresh()
    assert directory.all() == []


def test_no_default_bot_without_settings(db: Database) -> None:
    settings = make_settings(
        db.url,
        WHATSAPP_PHONE_NUMBER_ID=None,
        WHATSAPP_ACCESS_TOKEN=None,
        WHATSAPP_APP_SECRET=None,
        WHATSAPP_VERIFY_TOKEN=None,
    )
    assert ensure_default_bot(db, settings, SecretBox(SECRET_KEY)) is None


def test_a_new_token_at_start_ends_a_token_pause(db: Database) -> None:
    from snakecakes.bot.whatsapp.outbox import pause_bot

    box = SecretBox(SECRET_KEY)
    bot_id = ensure_default_bot(db, make_settings(db.url), box)
    assert bot_id is not None
    pause_bot(db, bot_id, "access token rejected (190): expired")
    ensure_default_bot(db, make_settings(db.url), box)  # same token: still paused
    with db.read() as s:
        assert s.get(Bot, bot_id).paused_reason  # type: ignore[union-attr]
    ensure_default_bot(db, make_settings(db.url, WHATSAPP_ACCESS_TOKEN="EAAG-new-token-5678"), box)
    with db.read() as s:
        assert s.get(Bot, bot_id).paused_reason is None  # type: ignore[union-attr]
