"""👍/👎 after knowledge answers: stored with the question, the answer and the sources, through
real turns (webhook intake, routing, the turn's one commit), and counted per document."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from snakecakes import knowledge
from snakecakes.bot.llms.base import EngineReply, Inbound, TurnContext
from snakecakes.bot.ordering.actions import Scope
from snakecakes.bot.routing import buttons
from snakecakes.db.database import Database
from snakecakes.knowledge import feedback
from snakecakes.knowledge.models import KnowledgeAnswerRow
from snakecakes.simulator import payloads as p
from snakecakes.simulator.fake_graph import FakeGraphAPI
from tests.bot.test_routing import CUSTOMER, Shop, shops
from tests.knowledge.conftest import add_bot

OTHER_CUSTOMER = "4915112340002"


@dataclass
class DocumentsEngine:
    """The smallest engine that answers from the documents the way both engines are meant to:
    the answer, then the feedback buttons (the real engines are tested in their own modules)."""

    db: Database
    name: str = "documents"

    def respond(self, ctx: TurnContext, items: Sequence[Inbound]) -> EngineReply:
        reply = EngineReply()
        with self.db.read() as session:
            answer = knowledge.find_answer(session, ctx.bot_id, items[-1].text or "")
        if answer is None:
            reply.say_as_is(ctx, "I don't know that one.")
        else:
            reply.say_as_is(ctx, answer.text)
            feedback.offer_feedback(ctx, reply, answer)
        return reply


@pytest.fixture
def shop(db: Database, graph_api: FakeGraphAPI) -> Iterator[Shop]:
    with shops(db, graph_api) as make:
        made = make(engine=DocumentsEngine(db))
        with db.transaction() as session:
            knowledge.load_default_documents(session, made.bot_id)
        yield made


def _ask(shop: Shop, text: str, customer: str = CUSTOMER) -> list[dict[str, Any]]:
    shop.receive(p.text(p.new_wamid(customer), customer, text))
    return shop.answer(customer)


def _tap(shop: Shop, button_id: str, customer: str = CUSTOMER) -> list[str]:
    shop.receive(p.button_reply(p.new_wamid(customer), customer, button_id, "tap"))
    return [b["text"]["body"] for b in shop.answer(customer) if b["type"] == "text"]


def _ids(bodies: list[dict[str, Any]]) -> list[str]:
    (body,) = [b for b in bodies if b["type"] == "interactive"]
    return [b["reply"]["id"] for b in body["interactive"]["action"]["buttons"]]


def _answers(db: Database) -> list[KnowledgeAnswerRow]:
    with db.read() as session:
        return list(session.scalars(select(KnowledgeAnswerRow).order_by(KnowledgeAnswerRow.id)))


def test_feedback_buttons_are_namespaced_reply_buttons() -> None:
    body = knowledge.feedback_buttons("4915112340001", 42, "abc123")
    assert body["type"] == "interactive" and body["to"] == "4915112340001"
    ids = [b["reply"]["id"] for b in body["interactive"]["action"]["buttons"]]
    parsed = [buttons.parse_id(i) for i in ids]
    assert [(t.namespace, t.action, t.session_id, t.args) for t in parsed if t] == [
        ("fb", "up", 42, ("abc123",)),
        ("fb", "down", 42, ("abc123",)),
    ]


def test_thumbs_up_and_down_with_a_reason_are_stored_through_taps(shop: Shop) -> None:
    bodies = _ask(shop, "Can I freeze the cake?")
    assert "_Source: Cake care and storage_" in bodies[0]["text"]["body"]
    up, down = _ids(bodies)
    assert _answers(shop.db)[0].vote is None  # the answer is recorded by the turn's commit

    assert _tap(shop, up) == [feedback_routes_thanks()]
    assert _answers(shop.db)[0].vote == "up"
    replies = _tap(shop, down)  # a change of mind: the last tap counts
    assert "what was missing" in replies[0]
    assert [b["text"]["body"] for b in _ask(shop, "It didn't say how long to thaw it")] == [
        "Thank you, I've passed that on to the team."
    ]
    (row,) = _answers(shop.db)
    assert (row.question, row.vote, row.reason) == (
        "Can I freeze the cake?",
        "down",
        "It didn't say how long to thaw it",
    )
    assert "Most of our cakes can be frozen" in row.answer
    assert [s["title"] for s in row.sources] == ["Cake care and storage"]
    assert row.customer_key == CUSTOMER

    # after the reason, a question goes to the engine again
    assert "Opening hours" in _ask(shop, "when are you open on sunday")[0]["text"]["body"]
    with shop.db.read() as session:
        counts = feedback.counts_per_document(session, shop.bot_id)
    assert [(c.title, c.answers, c.up, c.down) for c in counts] == [
        ("Cake care and storage", 1, 0, 1),  # most disliked first
        ("Opening hours", 1, 0, 0),
    ]


def test_a_question_after_thumbs_down_is_answered_not_taken_as_reason(shop: Shop) -> None:
    _, down = _ids(_ask(shop, "do you deliver to 10437?"))
    _tap(shop, down)
    bodies = _ask(shop, "how much is delivery to 10997?")
    assert "Delivery zones" in bodies[0]["text"]["body"]
    assert _answers(shop.db)[0].reason is None


def test_a_vote_on_another_customers_answer_is_ignored(db: Database) -> None:
    bot = add_bot(db, "333")
    source = knowledge.Source("FAQ", None, 7)
    with db.transaction() as session:
        feedback.RecordAnswer("r1", "q?", "a.", (source, source)).apply(
            session, Scope(bot, CUSTOMER, CUSTOMER, 1)
        )
    with db.transaction() as session:
        feedback.RecordVote("r1", "down").apply(session, Scope(bot, OTHER_CUSTOMER, "x", 2))
        assert not feedback.record_vote(session, bot, "nope", "up")
        with pytest.raises(ValueError):
            feedback.record_vote(session, bot, "r1", "meh")
    with db.transaction() as session:
        feedback.RecordVote("r1", "up").apply(session, Scope(bot, CUSTOMER, CUSTOMER, 1))
        feedback.RecordReason("r1", "  great  ").apply(session, Scope(bot, CUSTOMER, CUSTOMER, 1))
    (row,) = _answers(db)
    assert (row.vote, row.reason) == ("up", "great")
    with db.read() as session:
        (counts,) = feedback.counts_per_document(session, bot)
        assert (counts.document_id, counts.answers, counts.up, counts.down) == (7, 1, 1, 0)
        assert [r.ref for r in feedback.answers_with_feedback(session, bot)] == ["r1"]


def feedback_routes_thanks() -> str:
    from snakecakes.knowledge.feedback_routes import THANKS

    return THANKS
