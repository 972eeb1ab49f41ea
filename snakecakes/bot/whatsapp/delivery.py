"""Delivery tracking: status webhooks move outbox rows forward, never back.

Statuses come in any order (`read` without `delivered`, `delivered` after `read`) and sometimes
before we have recorded the wamid of our own send; an unmatched status waits for a while, then
is set aside as an orphan (a message sent by other software on the same number, or the lost
answer of an interrupted attempt).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from snakecakes import metrics
from snakecakes.bot.whatsapp.errors import error_from_status
from snakecakes.db.database import Database
from snakecakes.db.models import MessageStatus, OutboxMessage
from snakecakes.db.types import utcnow

log = logging.getLogger(__name__)

RANK = {"sent": 1, "failed": 2, "delivered": 3, "read": 4, "played": 5}


def apply_statuses(db: Database, *, orphan_after: float = 120.0, batch: int = 500) -> int:
    """Apply pending statuses that match one of our messages, in arrival order; set aside the
    unmatched ones once they are older than `orphan_after`. Return how many were applied.

    The match is made in SQL, so statuses waiting for their wamid are not reloaded every time.
    """
    applied = 0
    with db.transaction() as session:
        found = session.execute(
            select(MessageStatus, OutboxMessage)
            .join(
                OutboxMessage,
                (OutboxMessage.bot_id == MessageStatus.bot_id)
                & (OutboxMessage.wamid == MessageStatus.wamid),
            )
            .where(MessageStatus.applied.is_(False))
            .order_by(MessageStatus.id)
            .limit(batch)
        ).all()
        for status, row in found:
            code = ""
            if status.status == "failed":
                err = error_from_status(status.errors or [])
                code = str(err.code or "")
                row.last_error = f"delivery failed: {err.code}: {err}"[:2000]
                row.error_code = err.code
            if RANK.get(status.status, 0) > RANK.get(row.delivery or "", 0):
                row.delivery = status.status
                row.delivery_at = datetime.fromtimestamp(status.wa_timestamp, UTC)
            status.applied = True
            applied += 1
            metrics.DELIVERY_STATUSES.labels(status.status, code).inc()
        orphan_before = utcnow() - timedelta(seconds=orphan_after)
        session.execute(
            update(MessageStatus)
            .where(MessageStatus.applied.is_(False), MessageStatus.received_at < orphan_before)
            .values(applied=True)
        )
    return applied
