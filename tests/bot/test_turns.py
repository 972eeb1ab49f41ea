"""Turns through the real path: signed webhook, DBOS job per chat, engine, outbox, fake Graph."""

from __future__ import annotations

from collections.abc import Callable

from tests.bot.conftest import Bot
from tests.support.waiting import eventually


def test_a_message_gets_an_answer(bot_factory: Callable[..., Bot]) -> None:
    bot = bot_factory()
    bot.send("4915100000001", "Hallo, habt ihr Torten?")
    assert eventually(lambda: bot.replies_to("4915100000001")) == [
        "You said: Hallo, habt ihr Torten?"
    ]
