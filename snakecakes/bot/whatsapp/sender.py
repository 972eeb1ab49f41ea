"""The sender: drains each chat's outbox, oldest first, through a DBOS queue partitioned by chat.

One durable workflow per chat wake-up (`deliver_chat`) sends the chat's messages one by one; the
queue's partition (one running workflow per chat) keeps a chat in order without holding up any
other chat. Pacing:
- per business number, a catch-up schedule shared through the database (`send_pacing`) and a
  hard ceiling on request starts in this process (pacing.py), retries included;
- per customer, a sliding window over the outbox (at most PAIR_BURST in PAIR_WINDOW_SECONDS).
Waits of more than a second end the workflow and enqueue a delayed one, so a paced or backing-off
chat holds no worker thread; shorter waits are durable `DBOS.sleep`s.

Per message there is one transaction before the request: it records the previous message's
wamid, reads the chat's head and claims it. An accepted send whose wamid could not be recorded
yet (the database hiccuped, the step is being retried) is remembered in this process and recorded
by the next look at the chat, never sent again; a row left `sending` by someone else is not
touched until its lease has run out (see outbox.py).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from dbos import DBOS, SetEnqueueOptions

from snakecakes import metrics
from snakecakes.bot import durable
from snakecakes.bot.bots import TOKEN_PAUSE
from snakecakes.bot.whatsapp import messages, outbox
from snakecakes.bot.whatsapp.client import GraphClient
from snakecakes.bot.whatsapp.errors import (
    OutsideWindowError,
    PairRateLimitError,
    TokenExpiredError,
    TransportError,
    WhatsAppError,
)
from snakecakes.bot.whatsapp.pacing import LocalPacer, Pace
from snakecakes.config import Settings
from snakecakes.crypto import SecretBox
from snakecakes.db.database import Database

log = logging.getLogger(__name__)

MIN_WAIT = 0.02  # shorter waits are not worth a durable sleep
SHORT_WAIT = 1.0  # seconds a workflow sleeps in place; longer waits are re-enqueued with a delay
PAUSE_POLL = 30.0  # a paused number is re-checked this often (resume_bot wakes chats at once)
PAUSE_CODES = {131048: "spam rate limit", 368: "temporarily blocked for policy violations"}
STEPS_PER_WORKFLOW = 100  # then continue in a fresh workflow, keeping replay short
MESSAGES_PER_STEP = 50
LEASE_GRACE = 5.0  # a `sending` row is someone's until its planned start + timeout + this
ACTIVE_DRAIN = ["ENQUEUED", "PENDING", "DELAYED"]


@dataclass
class SenderContext:
    db: Database
    box: SecretBox
    graph: GraphClient
    settings: Settings
    pacer: LocalPacer = field(default_factory=LocalPacer)
    # accepted sends whose wamid is not recorded yet: outbox id -> (attempt, wamid)
    unrecorded: dict[int, tuple[int, str]] = field(default_factory=dict)
    _tokens: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def pace(self) -> Pace:
        return Pace.for_rate(self.settings.send_rate)

    @property
    def lease(self) -> float:
        return self.settings.graph_timeout_seconds + LEASE_GRACE

    def token(self, encrypted: str) -> str:
        """The decrypted access token, cached by its ciphertext (a new token is a new entry)."""
        token = self._tokens.get(encrypted)
        if token is None:
            token = self.box.decrypt(encrypted)
            with self._lock:
                if len(self._tokens) > 64:
                    self._tokens.clear()
                self._tokens[encrypted] = token
        return token


_ctx: SenderContext | None = None


def _context() -> SenderContext:
    if _ctx is None:
        raise RuntimeError("sender used before Sender.install()")
    return _ctx


def partition_key(bot_id: int, chat_key: str) -> str:
    return f"{bot_id}:{chat_key}"


def enqueue_drain(bot_id: int, chat_key: str, delay: float | None = None) -> None:
    options = SetEnqueueOptions(
        queue_partition_key=partition_key(bot_id, chat_key),
        delay_seconds=delay if delay and delay > 0 else None,
    )
    with options:
        DBOS.enqueue_workflow(durable.OUTBOX_QUEUE, deliver_chat, bot_id, chat_key)


@DBOS.workflow(name="snakecakes.deliver_chat")
def deliver_chat(bot_id: int, chat_key: str) -> int:
    sent = 0
    for _ in range(STEPS_PER_WORKFLOW):
        step = send_due(bot_id, chat_key)
        sent += step["sent"]
        if step["op"] == "empty":
            return sent
        if step["seconds"] <= SHORT_WAIT:
            DBOS.sleep(step["seconds"])
            continue
        if step["owner"]:
            enqueue_drain(bot_id, chat_key, step["seconds"])
        return sent
    enqueue_drain(bot_id, chat_key)
    return sent


@dataclass(frozen=True, slots=True)
class Claim:
    """An attempt in progress: the body to send and the credentials to send it with."""

    id: int
    attempt: int  # the row's `attempts` for this attempt: every outcome is written under it
    bot_id: int
    chat_key: str
    recipient: str
    kind: str
    body: dict[str, Any]
    created_at: float
    phone_number_id: str
    access_token: str
    window_templates: dict[str, Any]
    interrupted: bool
    slot: float
    planned: float  # attempt_started_at: the lease of the attempt runs from here


@dataclass(frozen=True, slots=True)
class Sent:
    id: int
    attempt: int
    wamid: str


@durable.retrying_step("snakecakes.send_due")
def send_due(bot_id: int, chat_key: str) -> dict[str, Any]:
    """Send the chat's messages that are due, oldest first, until one must wait or none is left.

    One step for several messages keeps DBOS's bookkeeping off the per-message cost; running it
    again after a crash or a database error is safe because every message's progress is in the
    outbox, and an accepted send not yet recorded is in `SenderContext.unrecorded`.
    """
    ctx = _context()
    sent = 0
    done: Sent | None = None
    for _ in range(MESSAGES_PER_STEP):
        step = _next(ctx, bot_id, chat_key, done)
        done = None
        if not isinstance(step, Claim):
            return {**step, "sent": sent}
        done = _attempt(ctx, step)
        sent += done is not None
    if done is not None:
        outbox.record_sent(ctx.db, done.id, done.attempt, done.wamid)
        ctx.unrecorded.pop(done.id, None)
    return {"op": "wait", "seconds": 0.0, "owner": False, "sent": sent}


def _next(
    ctx: SenderContext, bot_id: int, chat_key: str, done: Sent | None
) -> Claim | dict[str, Any]:
    """One transaction: record the last accepted send, then claim the chat's head if it is due,
    else say why and how long to wait."""
    settings = ctx.settings
    recorded: list[int] = [done.id] if done is not None else []
    result: Claim | dict[str, Any]
    with ctx.db.write_connection() as conn:
        if done is not None:
            outbox.mark_sent(conn, done.id, done.attempt, done.wamid)
        while True:
            row = outbox.head_of_chat(conn, bot_id, chat_key, lock=not ctx.db.is_sqlite)
            if row is None:
                result = {"op": "empty"}
                break
            now = time.time()
            busy_until = 0.0
            known = ctx.unrecorded.get(row.id)
            if known is not None and row.state == "sending" and known[0] == row.attempts:
                # our own send, accepted before a database error: record it, do not resend
                outbox.mark_sent(conn, row.id, known[0], known[1])
                recorded.append(row.id)
                continue
            if known is not None:  # an older attempt's: nothing left to record
                recorded.append(row.id)
            if row.state == "sending":
                busy_until = (outbox.ts(row.attempt_started_at) or 0.0) + ctx.lease
            if row.paused_reason:
                due = now + PAUSE_POLL
            elif busy_until > now:  # someone's attempt may still be in flight: not ours to send
                due = busy_until
            else:
                pair = outbox.pair_due(
                    conn,
                    bot_id,
                    row.recipient,
                    settings.pair_burst,
                    settings.pair_window_seconds,
                    now,
                )
                due = max(now, outbox.ts(row.next_attempt_at) or 0.0, pair)
            wait = due - now
            if wait > SHORT_WAIT:
                # exactly one drain schedules each wake-up: the one that finds none scheduled
                wake_at = outbox.ts(row.wake_at)
                scheduled = wake_at is not None and now < wake_at <= due + 0.001
                if not scheduled:
                    outbox.set_wake(conn, row.id, due)
                result = {"op": "wait", "seconds": wait, "owner": not scheduled}
                break
            if wait > MIN_WAIT:
                result = {"op": "wait", "seconds": wait, "owner": False}
                break
            slot = outbox.reserve_slot(conn, bot_id, ctx.pace, now)
            interrupted = row.state == "sending"
            planned = max(slot, now)  # the lease runs from here
            attempt = outbox.start_attempt(
                conn, row.id, row.attempts, slot=planned, interrupted=interrupted
            )
            if attempt is None:  # changed under us (cannot happen while we hold the row)
                result = {"op": "wait", "seconds": SHORT_WAIT, "owner": False}
                break
            bot_settings = row.settings or {}
            result = Claim(
                id=row.id,
                attempt=attempt,
                bot_id=bot_id,
                chat_key=chat_key,
                recipient=row.recipient,
                kind=row.kind,
                body=dict(row.body),
                created_at=row.created_at.timestamp(),
                phone_number_id=row.phone_number_id,
                access_token=row.access_token_enc,
                window_templates=dict(bot_settings.get("window_templates") or {}),
                interrupted=interrupted,
                slot=slot,
                planned=planned,
            )
            break
    for outbox_id in recorded:
        ctx.unrecorded.pop(outbox_id, None)
    if isinstance(result, Claim) and result.interrupted:
        log.warning(
            "outbox %d: previous attempt was interrupted; resending, possible duplicate",
            result.id,
        )
    return result


def _attempt(ctx: SenderContext, claim: Claim) -> Sent | None:
    ticket = ctx.pacer.wait_turn(claim.bot_id, claim.slot, ctx.pace)
    if ticket.started > claim.planned + LEASE_GRACE / 2:
        # so late that the lease could run out during the request: give the slot back
        ctx.pacer.settle(ticket)
        outbox.record_retry(ctx.db, claim.id, claim.attempt, due=ticket.started,
                            error="paced too late", code=None, maybe_sent=False,
                            count_attempt=False)  # fmt: skip
        return None
    token = ctx.token(claim.access_token)
    number = ctx.graph.for_number(claim.phone_number_id, token)
    try:
        result = number.send(claim.body)
    except WhatsAppError as err:
        ctx.pacer.settle(ticket)
        _failed_attempt(ctx, claim, err)
        return None
    finally:
        ctx.pacer.settle(ticket)
    ctx.unrecorded[claim.id] = (claim.attempt, result.wamid)
    metrics.OUTBOX_SENDS.labels("sent", "").inc()
    if claim.interrupted:
        metrics.OUTBOX_POSSIBLE_DUPLICATES.inc()
    return Sent(claim.id, claim.attempt, result.wamid)


def _failed_attempt(ctx: SenderContext, claim: Claim, err: WhatsAppError) -> dict[str, Any]:
    db, settings = ctx.db, ctx.settings
    code = err.code
    reason = describe(err)
    metrics.OUTBOX_SENDS.labels("error", str(code or err.http_status or "transport")).inc()
    now = time.time()
    if isinstance(err, TokenExpiredError) or code in PAUSE_CODES:
        why = f"{TOKEN_PAUSE} (190)" if code == 190 else PAUSE_CODES.get(code or 0, reason)
        outbox.record_retry(
            db,
            claim.id,
            claim.attempt,
            due=now,
            error=reason,
            code=code,
            maybe_sent=False,
            count_attempt=False,
            pause=(claim.bot_id, f"{why}: {reason}"),
        )
        metrics.SENDING_PAUSED.labels(str(claim.bot_id)).set(1)
        log.error("bot %d: sending paused, %s", claim.bot_id, why)
        return {"op": "paused"}
    if isinstance(err, OutsideWindowError):
        body = window_template(claim)
        if body is not None:
            outbox.replace_with_template(
                db, claim.id, claim.attempt, body, body["template"]["name"]
            )
            log.info("outbox %d: outside the 24-hour window, sending template instead", claim.id)
            return {"op": "template"}
        outbox.record_failed(
            db,
            claim.id,
            claim.attempt,
            error=f"outside the 24-hour window and no template for {claim.kind}: " f"{reason}",
            code=code,
        )
        return {"op": "failed"}
    if err.retryable:
        due = now + backoff(claim.attempt, err, settings)
        if due - claim.created_at > settings.send_max_age_seconds:
            outbox.record_failed(
                db,
                claim.id,
                claim.attempt,
                error=f"gave up after {claim.attempt} attempts: {reason}",
                code=code,
            )
            log.warning("outbox %d: gave up after %d attempts", claim.id, claim.attempt)
            return {"op": "failed"}
        maybe_sent = isinstance(err, TransportError) and err.maybe_sent
        outbox.record_retry(
            db, claim.id, claim.attempt, due=due, error=reason, code=code, maybe_sent=maybe_sent
        )
        log.info("outbox %d: transient error %s, retry in %.1fs", claim.id, code, due - now)
        return {"op": "retry"}
    outbox.record_failed(db, claim.id, claim.attempt, error=reason, code=code)
    log.warning("outbox %d: permanent error %s, not retried", claim.id, code)
    return {"op": "failed"}


def describe(err: WhatsAppError) -> str:
    parts = [str(err.code) if err.code is not None else type(err).__name__, str(err)]
    return ": ".join(p for p in parts if p)


def backoff(attempts: int, err: WhatsAppError, settings: Settings) -> float:
    """Exponential with jitter; pair-rate errors wait 4^n seconds, as Meta advises."""
    if isinstance(err, PairRateLimitError):
        base = 4.0**attempts
    else:
        base = settings.send_backoff_seconds * 2.0 ** (attempts - 1)
    base = min(base, settings.send_backoff_max_seconds)
    return base / 2 + random.uniform(0, base / 2)


def window_template(claim: Claim) -> dict[str, Any] | None:
    """The configured template for this kind of message, with the text as its parameter."""
    conf = claim.window_templates.get(claim.kind)
    if not conf or claim.kind == "template":
        return None
    components = []
    if conf.get("text_parameter", True) and claim.kind == "text":
        text = str(claim.body.get("text", {}).get("body", ""))[:1000] or "-"
        components.append(messages.body_parameters(text))
    return messages.template(
        claim.recipient, conf["name"], conf.get("language", "en"), components=components
    )


def active_drains() -> set[str]:
    """Partition keys of the chats with a drain enqueued, delayed or running."""
    workflows = DBOS.list_queued_workflows(
        queue_name=durable.OUTBOX_QUEUE,
        status=ACTIVE_DRAIN,
        name="snakecakes.deliver_chat",
        load_input=False,
        load_output=False,
    )
    return {w.queue_partition_key for w in workflows if w.queue_partition_key}


class Sender:
    """The sender's face to the rest of the bot: install before DBOS launches, then wake chats."""

    def __init__(
        self, db: Database, box: SecretBox, graph: GraphClient, settings: Settings
    ) -> None:
        self.context = SenderContext(db, box, graph, settings)

    def install(self) -> None:
        global _ctx
        _ctx = self.context

    def wake(self, bot_id: int, chat_key: str) -> None:
        enqueue_drain(bot_id, chat_key)

    def sweep(self) -> int:
        """Wake chats whose messages are overdue and that have no drain in the queue (a backlog
        that is merely waiting for its turn is not re-woken)."""
        chats = outbox.overdue_chats(self.context.db, self.context.settings.sweep_grace_seconds)
        if chats:
            active = active_drains()
            chats = [(b, c) for b, c in chats if partition_key(b, c) not in active]
        for bot_id, chat_key in chats:
            enqueue_drain(bot_id, chat_key)
        if chats:
            log.warning("outbox sweep re-woke %d chats", len(chats))
        return len(chats)

    def resume(self, bot_id: int) -> int:
        chats = outbox.resume_bot(self.context.db, bot_id)
        metrics.SENDING_PAUSED.labels(str(bot_id)).set(0)
        for chat_key in chats:
            enqueue_drain(bot_id, chat_key)
        log.info("bot %d: sending resumed, %d chats woken", bot_id, len(chats))
        return len(chats)
