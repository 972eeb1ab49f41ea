"""Knowledge through the whole bot: signed webhooks in, DBOS turns with the offline engine as a
running bot gets it (`OfflineEngine.from_settings`: questions answered from the documents),
replies out at the fake Graph API; on SQLite and PostgreSQL.

- a FAQ is answered with its source, an unrelated question is declined with the offer of a human;
- a follow-up is read with the previous question;
- bot B, with documents of its own, never answers from bot A's, and the other way round;
- 👍/👎 taps and the reason after 👎 are stored with the question, the answer and the sources.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import select

from snakecakes import knowledge
from snakecakes.bot.bots import add_bot
from snakecakes.bot.llms.offline import OfflineEngine
from snakecakes.crypto import SecretBox
from snakecakes.db.database import Database
from snakecakes.db.models import Bot as BotRow
from snakecakes.knowledge.models import KnowledgeAnswerRow
from snakecakes.shop.stock import stock_catalog
from snakecakes.simulator import payloads as p
from tests.bot.conftest import Bot
from tests.conftest import (
    OTHER_ACCESS_TOKEN,
    OTHER_APP_SECRET,
    OTHER_PHONE_ID,
    PHONE_ID,
    SECRET_KEY,
    make_settings,
)
from tests.support.waiting import eventually

CUSTOMER = "4915112349001"
OTHER_CUSTOMER = "4915112349002"
STAMPS = b"""---
title: Post office corner
url: https://other-shop.example/post
---
# Post office corner

## Stamps

We sell postage stamps and parcel labels at the till, Monday to Friday.
"""


def _start(bot_factory: Callable[..., Bot], db: Database) -> tuple[Bot, int, int]:
    bot = bot_factory(engine=OfflineEngine.from_settings(make_settings(db.url)))
    with db.read() as session:
        bot_a = session.scalars(select(BotRow.id).where(BotRow.phone_number_id == PHONE_ID)).one()
    bot_b = add_bot(
        db,
        SecretBox(SECRET_KEY),
        name="Post office corner",
        phone_number_id=OTHER_PHONE_ID,
        app_secret=OTHER_APP_SECRET,
        access_token=OTHER_ACCESS_TOKEN,
        verify_token="verify-token-of-bot-b",
    )
    stock_catalog(db, make_settings(db.url), bot_b)  # B sells too, so its engine reads questions
    with db.transaction() as session:
        knowledge.load_default_documents(session, bot_a)
        knowledge.add_document(session, bot_b, STAMPS, source="post.md")
    return bot, bot_a, bot_b


def _ask_b(bot: Bot, text: str) -> None:
    message = p.text(p.new_wamid(OTHER_CUSTOMER), OTHER_CUSTOMER, text)
    body = p.envelope(
        p.change(OTHER_PHONE_ID, messages=[message], contacts=[p.contact(OTHER_CUSTOMER, "B")])
    )
    raw, headers = p.signed(body, OTHER_APP_SECRET)
    assert (
        httpx.post(bot.url + "/webhook", content=raw, headers=headers, timeout=10).status_code
        == 200
    )


def _replies(bot: Bot, customer: str, count: int) -> list[str]:
    eventually(lambda: len(bot.replies_to(customer)) >= count, timeout=30)
    return bot.replies_to(customer)


def _answers(bot: Bot, customer: str, count: int) -> list[dict[str, Any]]:
    eventually(lambda: len(bot.sent_to(customer)) >= count, timeout=30)
    return bot.sent_to(customer)


def test_faq_answered_with_its_source_unrelated_declined_follow_up_understood(
    bot_factory: Callable[..., Bot], db: Database
) -> None:
    bot, _, _ = _start(bot_factory, db)
    bot.send(CUSTOMER, "Does the Sachertorte contain eggs?")
    first = _replies(bot, CUSTOMER, 1)[0]
    assert "Sachertorte: gluten, eggs, milk, soya." in first
    assert "_Source: Allergens and dietary information_" in first
    assert "https://snakecakes.example/allergens" in first

    bot.send(CUSTOMER, "What is the capital of Australia?")
    declined = _replies(bot, CUSTOMER, 2)[-1]
    assert "Source" not in declined and "*human*" in declined

    bot.send(CUSTOMER, "What time do you close on Saturday?")
    assert "Saturday: 09:00\N{EN DASH}18:00" in _replies(bot, CUSTOMER, 3)[-1]
    bot.send(CUSTOMER, "and on sunday?")
    follow = _replies(bot, CUSTOMER, 4)[-1]
    assert "Sunday: 10:00\N{EN DASH}16:00" in follow and "_Source: Opening hours_" in follow


def test_each_bot_answers_from_its_own_documents_only(
    bot_factory: Callable[..., Bot], db: Database
) -> None:
    bot, _, _ = _start(bot_factory, db)
    _ask_b(bot, "Do you sell postage stamps?")
    assert "_Source: Post office corner_" in _replies(bot, OTHER_CUSTOMER, 1)[0]
    _ask_b(bot, "How much is the delivery fee to Neukölln?")
    before = len(bot.sent_to(OTHER_CUSTOMER))
    eventually(lambda: len(bot.sent_to(OTHER_CUSTOMER)) > before, timeout=30)
    replies = bot.replies_to(OTHER_CUSTOMER)
    assert all("4.90" not in r and "Delivery zones" not in r for r in replies), replies

    bot.send(CUSTOMER, "Do you sell postage stamps?")
    eventually(lambda: bot.sent_to(CUSTOMER), timeout=30)
    bot.send(CUSTOMER, "How much is the delivery fee to Neukölln?")
    mine = _replies(bot, CUSTOMER, 2)
    assert all("Post office" not in r and "postage" not in r for r in mine), mine
    assert "delivery fee 4.90 \N{EURO SIGN}" in mine[-1], mine
    sent_by = {r.json["to"]: r.phone_number_id for r in bot.graph.sent_messages()}
    assert sent_by == {OTHER_CUSTOMER: OTHER_PHONE_ID, CUSTOMER: PHONE_ID}


def test_feedback_through_button_taps(bot_factory: Callable[..., Bot], db: Database) -> None:
    bot, bot_a, _ = _start(bot_factory, db)
    bot.send(CUSTOMER, "Can I freeze the cake?")
    sent = _answers(bot, CUSTOMER, 2)
    assert "_Source: Cake care and storage_" in sent[0]["text"]["body"]
    buttons = sent[1]["interactive"]["action"]["buttons"]
    up, down = (b["reply"]["id"] for b in buttons)
    assert up.startswith("fb:up:") and down.startswith("fb:down:")

    bot.tap(CUSTOMER, down, "\N{THUMBS DOWN SIGN} No")
    assert "what was missing" in _replies(bot, CUSTOMER, 2)[-1]
    bot.send(CUSTOMER, "It does not say how long it takes to thaw")
    assert "passed that on" in _replies(bot, CUSTOMER, 3)[-1]
    with db.read() as session:
        (row,) = session.scalars(select(KnowledgeAnswerRow)).all()
        counts = knowledge.feedback.counts_per_document(session, bot_a)
    assert (row.bot_id, row.customer_key, row.question) == (
        bot_a,
        CUSTOMER,
        "Can I freeze the cake?",
    )
    assert (row.vote, row.reason) == ("down", "It does not say how long it takes to thaw")
    assert "frozen" in row.answer and row.sources[0]["title"] == "Cake care and storage"
    assert [(c.title, c.answers, c.up, c.down) for c in counts] == [
        ("Cake care and storage", 1, 0, 1)
    ]

    bot.tap(CUSTOMER, up, "\N{THUMBS UP SIGN} Yes")  # a change of mind: the last tap counts
    _replies(bot, CUSTOMER, 4)
    with db.read() as session:
        assert session.scalars(select(KnowledgeAnswerRow.vote)).one() == "up"
