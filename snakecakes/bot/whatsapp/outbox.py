"""The outbox: every message we send is a durable row first, and each attempt is recorded.

These are the database operations of the sender, each one short transaction. The rules that
keep "nothing lost, nothing doubled" live here:
- a chat's messages go out in `id` order: only the oldest unfinished row of a chat (its head) is
  ever attempted;
- an attempt is recorded (`state='sending'`) before the request; finding a row still `sending`
  means the previous attempt was interrupted and Meta may have accepted it, so the retry is
  flagged `possible_duplicate` and logged, never silent;
- a known wamid is never sent again: `sent` rows are final.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from snakecakes.crypto import SecretBox
from snakecakes.db.database import Database
from snakecakes.db.inserts import insert_new
from snakecakes.db.models import Bot, OutboxMessage, SendPacing
from snakecakes.db.types import utcnow

log = logging.getLogger(__name__)

UNFINISHED = ("queued", "sending")


def ts(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment is not None else None


def at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def queue_message(
    session: Session, *, bot_id: int, chat_key: str, recipient: str, body: dict[str, Any]
) -> int:
    """Add a message to a chat's outbox, inside the caller's transaction."""
    row = OutboxMessage(
        bot_id=bot_id,
        chat_key=chat_key,
        recipient=recipient,
        kind=str(body.get("type", "unknown"))[:32],
        body=body,
        state="queued",
        attempts=0,
        possible_duplicate=False,
    )
    session.add(row)
    session.flush()
    return row.id


@dataclass(frozen=True, slots=True)
class Head:
    """What the sender needs to decide about a chat's oldest unfinished message."""

    id: int
    recipient: str
    next_attempt_at: float | None
    wake_at: float | None
    paused_reason: str | None


def head_of_chat(session: Session, bot_id: int, chat_key: str) -> Head | None:
    query = (
        select(OutboxMessage, Bot.paused_reason)
        .join(Bot, Bot.id == OutboxMessage.bot_id)
        .where(
            OutboxMessage.bot_id == bot_id,
            OutboxMessage.chat_key == chat_key,
            OutboxMessage.state.in_(UNFINISHED),
        )
        .order_by(OutboxMessage.id)
        .limit(1)
    )
    found = session.execute(query).first()
    if found is None:
        return None
    row, paused = found
    return Head(row.id, row.recipient, ts(row.next_attempt_at), ts(row.wake_at), paused)


def pair_due(
    session: Session, bot_id: int, recipient: str, burst: int, window: float, now: float
) -> float:
    """Earliest time the customer may get another message: at most `burst` in any `window`."""
    recent = session.scalars(
        select(OutboxMessage.sent_at)
        .where(
            OutboxMessage.bot_id == bot_id,
            OutboxMessage.recipient == recipient,
            OutboxMessage.sent_at >= at(now - window),
        )
        .order_by(OutboxMessage.sent_at.desc())
        .limit(burst)
    ).all()
    if len(recent) < burst:
        return now
    oldest = recent[-1]
    return (oldest.timestamp() if oldest else now) + window


def set_wake(db: Database, outbox_id: int, due: float) -> None:
    with db.transaction() as session:
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id == outbox_id).values(wake_at=at(due))
        )


@dataclass(frozen=True, slots=True)
class Claim:
    """An attempt in progress: the body to send and the credentials to send it with."""

    id: int
    bot_id: int
    chat_key: str
    recipient: str
    kind: str
    body: dict[str, Any]
    attempts: int
    created_at: float
    phone_number_id: str
    access_token: str
    window_templates: dict[str, Any]
    interrupted: bool
    slot: float


def claim(db: Database, outbox_id: int, box: SecretBox, send_interval: float) -> Claim | None:
    """Mark an attempt as started and take the number's next send slot, in one transaction."""
    with db.transaction() as session:
        row = session.get(OutboxMessage, outbox_id, with_for_update=not db.is_sqlite)
        if row is None or row.state not in UNFINISHED:
            return None
        bot = session.get(Bot, row.bot_id)
        assert bot is not None
        interrupted = row.state == "sending"
        if interrupted:
            row.possible_duplicate = True
            log.warning(
                "outbox %d: previous attempt was interrupted; resending, possible duplicate",
                row.id,
            )
        row.state = "sending"
        row.attempts += 1
        row.attempt_started_at = utcnow()
        slot = _reserve_slot(session, row.bot_id, send_interval)
        return Claim(
            id=row.id,
            bot_id=row.bot_id,
            chat_key=row.chat_key,
            recipient=row.recipient,
            kind=row.kind,
            body=dict(row.body),
            attempts=row.attempts,
            created_at=row.created_at.timestamp(),
            phone_number_id=bot.phone_number_id,
            access_token=box.decrypt(bot.access_token_enc),
            window_templates=dict((bot.settings or {}).get("window_templates") or {}),
            interrupted=interrupted,
            slot=slot,
        )


def _reserve_slot(session: Session, bot_id: int, interval: float) -> float:
    """The number's next free send time, shared by every process: slots `interval` apart."""
    insert_new(session, SendPacing, [{"bot_id": bot_id, "next_slot": 0.0}], ("bot_id",))
    pacing = session.get(SendPacing, bot_id, with_for_update=True, populate_existing=True)
    assert pacing is not None
    now = utcnow().timestamp()
    slot = max(now, pacing.next_slot)
    pacing.next_slot = slot + interval
    return slot


def record_sent(db: Database, outbox_id: int, wamid: str) -> None:
    with db.transaction() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == outbox_id)
            .values(state="sent", wamid=wamid, sent_at=utcnow(), last_error=None, wake_at=None)
        )


def record_retry(
    db: Database,
    outbox_id: int,
    *,
    due: float,
    error: str,
    code: int | None,
    maybe_sent: bool,
    count_attempt: bool = True,
) -> None:
    values: dict[str, Any] = {
        "state": "queued",
        "next_attempt_at": at(due),
        "last_error": error[:2000],
        "error_code": code,
    }
    if maybe_sent:
        values["possible_duplicate"] = True
    with db.transaction() as session:
        stmt = update(OutboxMessage).where(OutboxMessage.id == outbox_id).values(**values)
        if not count_attempt:
            stmt = stmt.values(attempts=OutboxMessage.attempts - 1)
        session.execute(stmt)


def record_failed(db: Database, outbox_id: int, *, error: str, code: int | None) -> None:
    with db.transaction() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == outbox_id)
            .values(state="failed", last_error=error[:2000], error_code=code, wake_at=None)
        )


def replace_with_template(db: Database, outbox_id: int, body: dict[str, Any], name: str) -> None:
    with db.transaction() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == outbox_id)
            .values(state="queued", body=body, used_template=name[:512], next_attempt_at=None)
        )


def pause_bot(db: Database, bot_id: int, reason: str) -> None:
    with db.transaction() as session:
        session.execute(
            update(Bot)
            .where(Bot.id == bot_id, Bot.paused_reason.is_(None))
            .values(paused_reason=reason[:500], paused_at=utcnow())
        )


def resume_bot(db: Database, bot_id: int) -> list[str]:
    """Clear a pause; return the chats with messages waiting, so the caller can wake them."""
    with db.transaction() as session:
        session.execute(
            update(Bot).where(Bot.id == bot_id).values(paused_reason=None, paused_at=None)
        )
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.bot_id == bot_id, OutboxMessage.state.in_(UNFINISHED))
            .values(wake_at=None)
        )
        return list(
            session.scalars(
                select(OutboxMessage.chat_key)
                .where(OutboxMessage.bot_id == bot_id, OutboxMessage.state.in_(UNFINISHED))
                .distinct()
            )
        )


def overdue_chats(db: Database, grace: float) -> list[tuple[int, str]]:
    """Chats with a message that should have been attempted a while ago and was not: the safety
    net for a wake-up lost between a commit and an enqueue, or a drain that died."""
    cutoff = at(utcnow().timestamp() - grace)
    with db.read() as session:
        rows = session.execute(
            select(OutboxMessage.bot_id, OutboxMessage.chat_key)
            .where(
                OutboxMessage.state.in_(UNFINISHED),
                OutboxMessage.created_at < cutoff,
                or_(
                    and_(OutboxMessage.wake_at.is_(None), OutboxMessage.next_attempt_at.is_(None)),
                    OutboxMessage.next_attempt_at < cutoff,
                    OutboxMessage.wake_at < cutoff,
                ),
                or_(
                    OutboxMessage.attempt_started_at.is_(None),
                    OutboxMessage.attempt_started_at < cutoff,
                ),
            )
            .distinct()
            .limit(1000)
        ).all()
    return [(int(b), str(c)) for b, c in rows]
