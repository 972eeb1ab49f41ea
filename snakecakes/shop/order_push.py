"""Every order change, pushed to the shop's internal system (ORDERS_WEBHOOK_URL) until accepted.

The job is the `order_events` row itself, committed with the change; a DBOS workflow per bot
(queue partitioned by bot, one at a time) pushes that bot's due events, and a sweep re-wakes
bots whose events wait too long. Each POST carries the event's id (`X-Snakecakes-Event`,
`<order number>:<version>`) so the receiver can recognise the one case that repeats a push: a
crash after the receiver accepted and before we recorded it. The versions of one order go out in
order; a failing order does not hold up the others.

The body is signed: `X-Snakecakes-Signature: sha256=<hex HMAC-SHA256 of the raw body>`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from dbos import DBOS, SetEnqueueOptions
from sqlalchemy import select

from snakecakes import metrics
from snakecakes.bot import durable
from snakecakes.config import Settings
from snakecakes.db.database import Database
from snakecakes.db.types import utcnow
from snakecakes.shop.order_models import OrderEventRow, OrderRow

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Snakecakes-Signature"
EVENT_HEADER = "X-Snakecakes-Event"
SHORT_WAIT = 2.0  # waits up to this are slept in the workflow; longer ones re-enqueue with delay
STEPS_PER_WORKFLOW = 50
EVENTS_PER_STEP = 50


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def backoff(attempts: int, cap: float) -> float:
    """1, 2, 4 ... seconds, capped, with jitter so that many failed pushes do not march in step."""
    base = min(cap, 2.0 ** max(0, attempts - 1))
    return float(base * random.uniform(0.8, 1.2))


@dataclass
class PushContext:
    db: Database
    settings: Settings
    client: httpx.Client


_ctx: PushContext | None = None


class OrderPusher:
    """Installed before DBOS launches (the workflow finds its context here), then woken."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.context = PushContext(
            db, settings, httpx.Client(timeout=settings.order_push_timeout_seconds)
        )

    @property
    def enabled(self) -> bool:
        return bool(self.context.settings.orders_webhook_url)

    def install(self) -> None:
        global _ctx
        _ctx = self.context

    def wake(self, bot_id: int) -> None:
        if self.enabled:
            enqueue_push(bot_id)

    def sweep(self) -> int:
        """Wake bots whose pending events are overdue (a lost wake-up, a dead worker)."""
        if not self.enabled:
            return 0
        grace = timedelta(seconds=self.context.settings.sweep_grace_seconds)
        with self.context.db.read() as session:
            bots = session.scalars(
                select(OrderEventRow.bot_id)
                .where(
                    OrderEventRow.push_state == "pending",
                    OrderEventRow.push_next_at < utcnow() - grace,
                )
                .distinct()
            ).all()
        for bot_id in bots:
            enqueue_push(bot_id)
        return len(bots)

    def close(self) -> None:
        self.context.client.close()


def enabled() -> bool:
    """Is an order push target configured in this process (workflows ask before enqueueing)?"""
    return _ctx is not None and bool(_ctx.settings.orders_webhook_url)


def enqueue_push(bot_id: int, delay: float | None = None) -> None:
    options = SetEnqueueOptions(
        queue_partition_key=f"orders:{bot_id}",
        delay_seconds=delay if delay and delay > 0 else None,
    )
    with options:
        DBOS.enqueue_workflow(durable.ORDER_PUSH_QUEUE, push_orders, bot_id)


@DBOS.workflow(name="snakecakes.push_orders")
def push_orders(bot_id: int) -> int:
    pushed = 0
    for _ in range(STEPS_PER_WORKFLOW):
        step = push_due(bot_id)
        pushed += step["pushed"]
        if step["wait"] is None:
            return pushed
        if step["wait"] <= SHORT_WAIT:
            DBOS.sleep(max(0.05, step["wait"]))
            continue
        enqueue_push(bot_id, step["wait"])
        return pushed
    enqueue_push(bot_id)
    return pushed


@durable.retrying_step("snakecakes.push_due")
def push_due(bot_id: int) -> dict[str, Any]:
    """Push this bot's due events; say how long until the next one is due (None: none left)."""
    if _ctx is None:
        raise RuntimeError("order push used before OrderPusher.install()")
    ctx = _ctx
    pushed = 0
    for _ in range(EVENTS_PER_STEP):
        due, wait = _next_due(ctx.db, bot_id)
        if due is None:
            return {"pushed": pushed, "wait": wait}
        pushed += _push(ctx, due)
    return {"pushed": pushed, "wait": 0.0}


def _next_due(db: Database, bot_id: int) -> tuple[int | None, float | None]:
    """The oldest due event among the first pending version of each order."""
    now = utcnow()
    with db.read() as session:
        rows = session.execute(
            select(OrderEventRow.id, OrderEventRow.order_id, OrderEventRow.push_next_at)
            .where(OrderEventRow.bot_id == bot_id, OrderEventRow.push_state == "pending")
            .order_by(OrderEventRow.order_id, OrderEventRow.version)
        ).all()
    heads: dict[int, tuple[int, datetime]] = {}
    for event_id, order_id, next_at in rows:
        heads.setdefault(order_id, (event_id, next_at))
    if not heads:
        return None, None
    event_id, next_at = min(heads.values(), key=lambda head: (head[1], head[0]))
    if next_at <= now:
        return event_id, None
    return None, (next_at - now).total_seconds()


def _push(ctx: PushContext, event_id: int) -> int:
    settings = ctx.settings
    with ctx.db.read() as session:
        event = session.get(OrderEventRow, event_id)
        if event is None or event.push_state != "pending":
            return 0
        number = session.scalar(select(OrderRow.number).where(OrderRow.id == event.order_id))
        body = encode(event.payload)
        attempts = event.push_attempts + 1
    headers = {
        "Content-Type": "application/json",
        EVENT_HEADER: f"{number}:{event.version}",
        "X-Snakecakes-Attempt": str(attempts),
    }
    if settings.orders_webhook_secret is not None:
        headers[SIGNATURE_HEADER] = sign(body, settings.orders_webhook_secret.get_secret_value())
    error: str | None = None
    try:
        response = ctx.client.post(str(settings.orders_webhook_url), content=body, headers=headers)
        if not response.is_success:
            error = f"HTTP {response.status_code}: {response.text[:200]}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    with ctx.db.transaction() as session:
        event = session.get(OrderEventRow, event_id)
        assert event is not None
        event.push_attempts = attempts
        if error is None:
            event.push_state, event.pushed_at, event.push_error = "done", utcnow(), None
        else:
            delay = backoff(attempts, settings.order_push_max_backoff_seconds)
            event.push_next_at = utcnow() + timedelta(seconds=delay)
            event.push_error = error
    metrics.ORDER_PUSHES.labels("accepted" if error is None else "failed").inc()
    if error is None:
        log.info("order %s version %d pushed (attempt %d)", number, event.version, attempts)
        return 1
    log.warning("order %s version %d push failed (attempt %d): %s", number, event.version,
                attempts, error)  # fmt: skip
    return 0
