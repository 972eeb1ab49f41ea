"""The sender: drains each chat's outbox, oldest first, through a DBOS queue partitioned by chat.

One durable workflow per chat wake-up (`deliver_chat`) sends the chat's messages one by one; the
queue's partition (one running workflow per chat) keeps a chat in order without holding up any
other chat. Pacing:
- per business number, a shared slot allocator in the database (`send_pacing`), so that every
  process together stays under SNAKECAKES_SEND_RATE, retries included;
- per customer, a sliding window over the outbox (at most PAIR_BURST in PAIR_WINDOW_SECONDS).
Waits of more than a second end the workflow and enqueue a delayed one, so a paced or backing-off
chat holds no worker thread; shorter waits are durable `DBOS.sleep`s.
"""

from __future__ import annotations

import logging
import random
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
from snakecakes.bot.whatsapp.pacing import PACING_MARGIN, LocalPacer
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


@dataclass
class SenderContext:
    db: Database
    box: SecretBox
    graph: GraphClient
    settings: Settings
    pacer: LocalPacer = field(default_factory=LocalPacer)


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


@durable.retrying_step("snakecakes.send_due")
def send_due(bot_id: int, chat_key: str) -> dict[str, Any]:
    """Send the chat's messages that are due, oldest first, until one must wait or none is left.

    One step for several messages keeps DBOS's bookkeeping off the per-message cost; running it
    again after a crash is safe because every message's progress is in the outbox.
    """
    ctx = _context()
    sent = 0
    for _ in range(MESSAGES_PER_STEP):
        decision = _decide(ctx, bot_id, chat_key)
        if isinstance(decision, dict):
            return {**decision, "sent": sent}
        sent += _attempt(ctx, decision)["op"] == "sent"
    return {"op": "wait", "seconds": 0.0, "owner": False, "sent": sent}


def _decide(ctx: SenderContext, bot_id: int, chat_key: str) -> dict[str, Any] | int:
    """The id of the chat's head when it is due now; else why and how long to wait."""
    settings = ctx.settings
    with ctx.db.read() as session:  # one drain per chat at a time: a read decides safely
        head = outbox.head_of_chat(session, bot_id, chat_key)
        if head is None:
            return {"op": "empty"}
        now = time.time()
        if head.paused_reason:
            due = now + PAUSE_POLL
        else:
            pair = outbox.pair_due(
                session,
                bot_id,
                head.recipient,
                settings.pair_burst,
                settings.pair_window_seconds,
                now,
            )
            due = max(now, head.next_attempt_at or 0.0, pair)
    wait = due - now
    if wait > SHORT_WAIT:
        # exactly one drain schedules each wake-up: the one that finds none scheduled in time
        scheduled = head.wake_at is not None and now < head.wake_at <= due + 0.001
        if not scheduled:
            outbox.set_wake(ctx.db, head.id, due)
        return {"op": "wait", "seconds": wait, "owner": not scheduled}
    if wait > MIN_WAIT:
        return {"op": "wait", "seconds": wait, "owner": False}
    return head.id


def _attempt(ctx: SenderContext, outbox_id: int) -> dict[str, Any]:
    interval = PACING_MARGIN / ctx.settings.send_rate
    claim = outbox.claim(ctx.db, outbox_id, ctx.box, interval)
    if claim is None:
        return {"op": "skipped"}
    ctx.pacer.wait_turn(claim.bot_id, claim.slot, interval)
    number = ctx.graph.for_number(claim.phone_number_id, claim.access_token)
    try:
        result = number.send(claim.body)
    except WhatsAppError as err:
        return _failed_attempt(ctx, claim, err)
    outbox.record_sent(ctx.db, claim.id, result.wamid)
    metrics.OUTBOX_SENDS.labels("sent", "").inc()
    if claim.interrupted:
        metrics.OUTBOX_POSSIBLE_DUPLICATES.inc()
    return {"op": "sent"}


def _failed_attempt(ctx: SenderContext, claim: outbox.Claim, err: WhatsAppError) -> dict[str, Any]:
    db, settings = ctx.db, ctx.settings
    code = err.code
    reason = describe(err)
    metrics.OUTBOX_SENDS.labels("error", str(code or err.http_status or "transport")).inc()
    now = time.time()
    if isinstance(err, TokenExpiredError) or code in PAUSE_CODES:
        why = f"{TOKEN_PAUSE} (190)" if code == 190 else PAUSE_CODES.get(code or 0, reason)
        outbox.pause_bot(db, claim.bot_id, f"{why}: {reason}")
        outbox.record_retry(
            db, claim.id, due=now, error=reason, code=code, maybe_sent=False, count_attempt=False
        )
        metrics.SENDING_PAUSED.labels(str(claim.bot_id)).set(1)
        log.error("bot %d: sending paused, %s", claim.bot_id, why)
        return {"op": "paused"}
    if isinstance(err, OutsideWindowError):
        body = window_template(claim)
        if body is not None:
            outbox.replace_with_template(db, claim.id, body, body["template"]["name"])
            log.info("outbox %d: outside the 24-hour window, sending template instead", claim.id)
            return {"op": "template"}
        outbox.record_failed(
            db,
            claim.id,
            error=f"outside the 24-hour window and no template for {claim.kind}: " f"{reason}",
            code=code,
        )
        return {"op": "failed"}
    if err.retryable:
        due = now + backoff(claim.attempts, err, settings)
        if due - claim.created_at > settings.send_max_age_seconds:
            outbox.record_failed(
                db, claim.id, error=f"gave up after {claim.attempts} attempts: {reason}", code=code
            )
            log.warning("outbox %d: gave up after %d attempts", claim.id, claim.attempts)
            return {"op": "failed"}
        maybe_sent = isinstance(err, TransportError) and err.maybe_sent
        outbox.record_retry(db, claim.id, due=due, error=reason, code=code, maybe_sent=maybe_sent)
        log.info("outbox %d: transient error %s, retry in %.1fs", claim.id, code, due - now)
        return {"op": "retry"}
    outbox.record_failed(db, claim.id, error=reason, code=code)
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


def window_template(claim: outbox.Claim) -> dict[str, Any] | None:
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
        chats = outbox.overdue_chats(self.context.db, self.context.settings.sweep_grace_seconds)
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
