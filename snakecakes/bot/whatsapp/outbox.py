"""The outbox: every message we send is a durable row first, and each attempt is recorded.

These are the database operations of the sender. The rules that keep "nothing lost, nothing
doubled" live here:
- a chat's messages go out in `id` order: only the oldest unfinished row of a chat (its head) is
  ever attempted;
- an attempt is recorded (`state='sending'`, `attempts` + 1) before the request, and every
  outcome is written only if the row is still in that attempt (`attempts` is the attempt's
  token), so a stale or overlapping attempt can never overwrite a newer one;
- a row found `sending` belongs to an attempt that may still be in flight, in this process or
  another: it is left alone until its lease ends (`attempt_started_at` + lease). Only then is it
  taken to be interrupted (Meta may have accepted it), and the retry is flagged
  `possible_duplicate` and logged, never silent;
- a known wamid is never sent again: `sent` rows are final.
"""

from __future__ import annotations

import functools
import logging
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    Connection,
    Float,
    Table,
    and_,
    bindparam,
    case,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from snakecakes.bot.whatsapp.pacing import Pace
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


# The sender's hot path runs these prebuilt Core statements on one connection: building and
# ORM-loading statements per message cost more CPU than the database did.
_T = cast(Table, OutboxMessage.__table__)
_B = cast(Table, Bot.__table__)
_P = cast(Table, SendPacing.__table__)
_HEAD = (
    select(
        _T.c.id,
        _T.c.state,
        _T.c.attempts,
        _T.c.recipient,
        _T.c.kind,
        _T.c.body,
        _T.c.created_at,
        _T.c.next_attempt_at,
        _T.c.wake_at,
        _T.c.attempt_started_at,
        _B.c.paused_reason,
        _B.c.phone_number_id,
        _B.c.access_token_enc,
        _B.c.settings,
    )
    .select_from(_T.join(_B, _B.c.id == _T.c.bot_id))
    .where(
        _T.c.bot_id == bindparam("bot"),
        _T.c.chat_key == bindparam("chat"),
        _T.c.state.in_(UNFINISHED),
    )
    .order_by(_T.c.id)
    .limit(1)
)
_HEAD_LOCKED = _HEAD.with_for_update(of=_T)
_FLOOR = bindparam("floor", type_=Float)
_SLOT = (
    update(_P)
    .where(_P.c.bot_id == bindparam("bot"))
    .values(
        next_slot=case((_P.c.next_slot > _FLOOR, _P.c.next_slot), else_=_FLOOR)
        + bindparam("step", type_=Float)
    )
    .returning(_P.c.next_slot)
)
_START = (
    update(_T)
    .where(_T.c.id == bindparam("oid"), _T.c.attempts == bindparam("prev"))
    .values(
        state="sending",
        attempts=bindparam("attempt_no"),
        attempt_started_at=bindparam("started", type_=_T.c.attempt_started_at.type),
        possible_duplicate=or_(_T.c.possible_duplicate, bindparam("dup", type_=Boolean)),
    )
)
_SENT = (
    update(_T)
    .where(
        _T.c.id == bindparam("oid"),
        _T.c.state == "sending",
        _T.c.attempts == bindparam("attempt_no"),
    )
    .values(
        state="sent",
        wamid=bindparam("wamid_v", type_=_T.c.wamid.type),
        sent_at=bindparam("sent_v", type_=_T.c.sent_at.type),
        last_error=None,
        wake_at=None,
    )
)
_WAKE = (
    update(_T)
    .where(_T.c.id == bindparam("oid"))
    .values(wake_at=bindparam("wake_v", type_=_T.c.wake_at.type))
)


@functools.lru_cache(maxsize=16)
def _pair_statement(burst: int) -> Any:
    return (
        select(_T.c.sent_at)
        .where(
            _T.c.bot_id == bindparam("bot"),
            _T.c.recipient == bindparam("to"),
            _T.c.sent_at >= bindparam("since", type_=_T.c.sent_at.type),
        )
        .order_by(_T.c.sent_at.desc())
        .limit(burst)
    )


def head_of_chat(conn: Connection, bot_id: int, chat_key: str, *, lock: bool = False) -> Any:
    """The chat's oldest unfinished row joined with its bot (a Row, or None); `lock` takes the
    row (PostgreSQL)."""
    stmt = _HEAD_LOCKED if lock else _HEAD
    return conn.execute(stmt, {"bot": bot_id, "chat": chat_key}).first()


def pair_due(
    conn: Connection, bot_id: int, recipient: str, burst: int, window: float, now: float
) -> float:
    """Earliest time the customer may get another message: at most `burst` in any `window`."""
    params = {"bot": bot_id, "to": recipient, "since": at(now - window)}
    recent = conn.execute(_pair_statement(burst), params).scalars().all()
    if len(recent) < burst:
        return now
    oldest = recent[-1]
    return (oldest.timestamp() if oldest else now) + window


def set_wake(conn: Connection, outbox_id: int, due: float) -> None:
    conn.execute(_WAKE, {"oid": outbox_id, "wake_v": at(due)})


def reserve_slot(conn: Connection, bot_id: int, pace: Pace, now: float) -> float:
    """The number's next send slot on the grid shared by every process (see pacing.py): one
    statement that also locks the row. The row is created by the first send of a number."""
    params = {"bot": bot_id, "floor": now - pace.catch_up, "step": pace.interval}
    result = conn.execute(_SLOT, params).first()
    if result is None:
        insert_new(conn, SendPacing, [{"bot_id": bot_id, "next_slot": 0.0}], ("bot_id",))
        result = conn.execute(_SLOT, params).one()
    return float(result[0]) - pace.interval


def start_attempt(
    conn: Connection, outbox_id: int, attempts: int, *, slot: float, interrupted: bool
) -> int | None:
    """Mark the row's attempt as started (at its planned start) and return its token; None if
    the row changed since it was read."""
    attempt = attempts + 1
    params = {
        "oid": outbox_id,
        "prev": attempts,
        "attempt_no": attempt,
        "started": at(slot),
        "dup": interrupted,
    }
    result = conn.execute(_START, params)
    return attempt if result.rowcount else None


def _in_attempt(outbox_id: int, attempt: int) -> Any:
    return and_(
        OutboxMessage.id == outbox_id,
        OutboxMessage.state == "sending",
        OutboxMessage.attempts == attempt,
    )


def mark_sent(conn: Connection, outbox_id: int, attempt: int, wamid: str) -> bool:
    """Record an accepted send; False if the row is no longer in that attempt."""
    params = {"oid": outbox_id, "attempt_no": attempt, "wamid_v": wamid, "sent_v": utcnow()}
    done = bool(conn.execute(_SENT, params).rowcount)
    if not done:
        log.warning("outbox %d: attempt %d was superseded; wamid %s", outbox_id, attempt, wamid)
    return done


def record_sent(db: Database, outbox_id: int, attempt: int, wamid: str) -> bool:
    with db.write_connection() as conn:
        return mark_sent(conn, outbox_id, attempt, wamid)


def record_retry(
    db: Database,
    outbox_id: int,
    attempt: int,
    *,
    due: float,
    error: str,
    code: int | None,
    maybe_sent: bool,
    count_attempt: bool = True,
    pause: tuple[int, str] | None = None,
) -> None:
    """Put the attempt's row back in the queue; with `pause` (bot id, reason), pause that bot in
    the same transaction, so no reader sees a paused bot with the row still `sending`."""
    values: dict[str, Any] = {
        "state": "queued",
        "next_attempt_at": at(due),
        "last_error": error[:2000],
        "error_code": code,
    }
    if maybe_sent:
        values["possible_duplicate"] = True
    with db.transaction() as session:
        stmt = update(OutboxMessage).where(_in_attempt(outbox_id, attempt)).values(**values)
        if not count_attempt:
            stmt = stmt.values(attempts=OutboxMessage.attempts - 1)
        session.execute(stmt)
        if pause is not None:
            _pause(session, *pause)


def record_failed(
    db: Database, outbox_id: int, attempt: int, *, error: str, code: int | None
) -> None:
    with db.transaction() as session:
        session.execute(
            update(OutboxMessage)
            .where(_in_attempt(outbox_id, attempt))
            .values(state="failed", last_error=error[:2000], error_code=code, wake_at=None)
        )


def replace_with_template(
    db: Database, outbox_id: int, attempt: int, body: dict[str, Any], name: str
) -> None:
    with db.transaction() as session:
        session.execute(
            update(OutboxMessage)
            .where(_in_attempt(outbox_id, attempt))
            .values(state="queued", body=body, used_template=name[:512], next_attempt_at=None)
        )


def pause_bot(db: Database, bot_id: int, reason: str) -> None:
    with db.transaction() as session:
        _pause(session, bot_id, reason)


def _pause(session: Session, bot_id: int, reason: str) -> None:
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
    net for a wake-up lost between a commit and an enqueue, or a drain that died. The caller
    leaves out chats that still have a drain in the queue."""
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
