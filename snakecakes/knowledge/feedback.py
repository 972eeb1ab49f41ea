"""👍 / 👎 after a knowledge answer: the buttons, the rows, and the counts per document.

Engines never write during a turn, so an answer is recorded by an action (`RecordAnswer`) that
the turn applies in its one commit, next to the answer's outbox rows; a tap later records the
vote (`RecordVote`), and after 👎 the customer's next message may give the reason
(`RecordReason`; the routing side is in feedback_routes). `ref` ties the three together and is
carried on the button ids (`fb:up:<session>:<ref>`), so nothing needs to live in session state
but "a reason may come next".
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from snakecakes.bot.whatsapp import messages
from snakecakes.db.types import utcnow
from snakecakes.knowledge.answers import KnowledgeAnswer
from snakecakes.knowledge.models import KnowledgeAnswerRow, KnowledgeAnswerSource

if TYPE_CHECKING:
    from snakecakes.bot.llms.base import EngineReply, TurnContext
    from snakecakes.bot.ordering.actions import Reply, Scope

log = logging.getLogger(__name__)

NAMESPACE = "fb"
VOTES = ("up", "down")
REASON_STATE = "knowledge_feedback_reason"  # session state: the ref a reason would be for
BUTTON_BODY = "Did this answer help?"


def new_ref() -> str:
    return secrets.token_hex(6)


def feedback_buttons(recipient: str, session_id: int, answer_ref: str) -> dict[str, Any]:
    """The reply-buttons message sent after a knowledge answer."""
    from snakecakes.bot.routing.buttons import make_id

    return messages.buttons(
        recipient,
        BUTTON_BODY,
        [
            (make_id(NAMESPACE, "up", session_id, answer_ref), "\N{THUMBS UP SIGN} Yes"),
            (make_id(NAMESPACE, "down", session_id, answer_ref), "\N{THUMBS DOWN SIGN} No"),
        ],
    )


def offer_feedback(ctx: TurnContext, reply: EngineReply, answer: KnowledgeAnswer) -> str:
    """For engines: record the answer in the turn's commit and send the 👍/👎 buttons after it
    (call after the answer itself was added to `reply`). Returns the ref."""
    ref = new_ref()
    reply.actions.append(RecordAnswer(ref, answer.question, answer.text, answer.sources))
    reply.send(feedback_buttons(ctx.recipient, ctx.session.id, ref), f"[buttons] {BUTTON_BODY}")
    return ref


@dataclass(frozen=True)
class RecordAnswer:
    ref: str
    question: str
    answer: str
    sources: tuple[Any, ...]  # knowledge.Source
    changes_orders: bool = False

    def apply(self, session: Session, scope: Scope) -> list[Reply]:
        record_answer(
            session,
            scope.bot_id,
            self.ref,
            question=self.question,
            answer=self.answer,
            sources=self.sources,
            customer_key=scope.chat_key,
            session_id=scope.session_id,
        )
        return []


@dataclass(frozen=True)
class RecordVote:
    ref: str
    vote: str
    changes_orders: bool = False

    def apply(self, session: Session, scope: Scope) -> list[Reply]:
        if not record_vote(session, scope.bot_id, self.ref, self.vote, scope.chat_key):
            log.info("feedback for unknown answer %s ignored", self.ref)
        return []


@dataclass(frozen=True)
class RecordReason:
    ref: str
    reason: str
    changes_orders: bool = False

    def apply(self, session: Session, scope: Scope) -> list[Reply]:
        record_reason(session, scope.bot_id, self.ref, self.reason, scope.chat_key)
        return []


def record_answer(
    session: Session,
    bot_id: int,
    ref: str,
    *,
    question: str,
    answer: str,
    sources: tuple[Any, ...] | list[Any],
    customer_key: str | None = None,
    session_id: int | None = None,
) -> KnowledgeAnswerRow:
    row = KnowledgeAnswerRow(
        bot_id=bot_id,
        ref=ref,
        customer_key=customer_key,
        session_id=session_id,
        question=question,
        answer=answer,
        sources=[{"document_id": s.document_id, "title": s.title, "url": s.url} for s in sources],
    )
    session.add(row)
    session.flush()
    seen: set[int] = set()
    for source in sources:
        if source.document_id not in seen:
            seen.add(source.document_id)
            session.add(
                KnowledgeAnswerSource(
                    bot_id=bot_id,
                    answer_id=row.id,
                    document_id=source.document_id,
                    title=source.title[:300],
                )
            )
    return row


def _answer(
    session: Session, bot_id: int, ref: str, customer_key: str | None
) -> KnowledgeAnswerRow | None:
    row = session.scalars(
        select(KnowledgeAnswerRow).where(
            KnowledgeAnswerRow.bot_id == bot_id, KnowledgeAnswerRow.ref == ref
        )
    ).one_or_none()
    if row is None or (customer_key is not None and row.customer_key not in (None, customer_key)):
        return None  # another customer's answer: a forged or forwarded button id
    return row


def record_vote(
    session: Session, bot_id: int, ref: str, vote: str, customer_key: str | None = None
) -> bool:
    """The latest tap counts (a customer may change their mind); False for an unknown ref."""
    if vote not in VOTES:
        raise ValueError(f"vote must be one of {VOTES}")
    row = _answer(session, bot_id, ref, customer_key)
    if row is None:
        return False
    row.vote = vote
    row.voted_at = utcnow()
    return True


def record_reason(
    session: Session, bot_id: int, ref: str, reason: str, customer_key: str | None = None
) -> bool:
    row = _answer(session, bot_id, ref, customer_key)
    if row is None:
        return False
    row.reason = reason.strip()[:2000]
    return True


@dataclass(frozen=True)
class DocumentFeedback:
    document_id: int
    title: str
    answers: int
    up: int
    down: int


def counts_per_document(session: Session, bot_id: int) -> list[DocumentFeedback]:
    """For the admin side: per cited document, answers given and 👍/👎 received, most
    disliked first."""
    link, answer = KnowledgeAnswerSource, KnowledgeAnswerRow
    up = func.sum(case((answer.vote == "up", 1), else_=0))
    down = func.sum(case((answer.vote == "down", 1), else_=0))
    rows = session.execute(
        select(link.document_id, func.max(link.title), func.count(answer.id), up, down)
        .join(answer, answer.id == link.answer_id)
        .where(link.bot_id == bot_id, answer.bot_id == bot_id)
        .group_by(link.document_id)
        .order_by(down.desc(), link.document_id)
    ).all()
    return [
        DocumentFeedback(int(d), str(t), int(n), int(u or 0), int(x or 0)) for d, t, n, u, x in rows
    ]


def answers_with_feedback(
    session: Session, bot_id: int, limit: int = 50
) -> list[KnowledgeAnswerRow]:
    """The latest answers that got a vote, with their reasons, newest first."""
    return list(
        session.scalars(
            select(KnowledgeAnswerRow)
            .where(KnowledgeAnswerRow.bot_id == bot_id, KnowledgeAnswerRow.vote.is_not(None))
            .order_by(KnowledgeAnswerRow.voted_at.desc(), KnowledgeAnswerRow.id.desc())
            .limit(limit)
        )
    )
