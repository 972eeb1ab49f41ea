"""Safety nets: nothing acknowledged may wait forever.

- chats whose inbox rows stayed pending too long are dispatched again (a wake-up lost between a
  commit and an enqueue, a job that died);
- each worker process writes a heartbeat; when one falls silent, a live process takes over its
  unfinished DBOS workflows (DBOS itself only recovers a process's work when that same process
  restarts). One process claims each dead executor, by a conditional update.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from dbos import DBOS
from sqlalchemy import and_, or_, select, update

from snakecakes.db.database import Database
from snakecakes.db.inserts import insert_new
from snakecakes.db.models import InboxMessage, WorkerHeartbeat
from snakecakes.db.types import utcnow

log = logging.getLogger(__name__)


def stale_chats(db: Database, grace: float, limit: int = 1000) -> list[tuple[int, str]]:
    cutoff = utcnow() - timedelta(seconds=grace)
    with db.read() as session:
        rows = session.execute(
            select(InboxMessage.bot_id, InboxMessage.customer_key)
            .where(InboxMessage.state == "pending", InboxMessage.received_at < cutoff)
            .distinct()
            .limit(limit)
        ).all()
    return [(int(b), str(c)) for b, c in rows]


class Heartbeats:
    def __init__(self, db: Database, executor_id: str, role: str, dead_after: float) -> None:
        self.db = db
        self.executor_id = executor_id
        self.role = role
        self.dead_after = timedelta(seconds=dead_after)

    def beat(self) -> None:
        now = utcnow()
        with self.db.transaction() as session:
            insert_new(session, WorkerHeartbeat, [{"executor_id": self.executor_id,
                       "role": self.role, "started_at": now, "last_seen_at": now}],
                       ("executor_id",))  # fmt: skip
            session.execute(
                update(WorkerHeartbeat)
                .where(WorkerHeartbeat.executor_id == self.executor_id)
                .values(last_seen_at=now, role=self.role)
            )

    def recover_dead(self) -> list[str]:
        """Claim silent executors and re-enqueue their pending workflows here."""
        now = utcnow()
        cutoff = now - self.dead_after
        with self.db.read() as session:
            dead = session.scalars(
                select(WorkerHeartbeat.executor_id).where(
                    WorkerHeartbeat.executor_id != self.executor_id,
                    WorkerHeartbeat.last_seen_at < cutoff,
                    or_(
                        WorkerHeartbeat.recovered_at.is_(None),
                        WorkerHeartbeat.recovered_at < WorkerHeartbeat.last_seen_at,
                    ),
                )
            ).all()
        recovered = []
        for executor_id in dead:
            with self.db.transaction() as session:
                claimed = session.execute(
                    update(WorkerHeartbeat)
                    .where(
                        WorkerHeartbeat.executor_id == executor_id,
                        WorkerHeartbeat.last_seen_at < cutoff,
                        or_(
                            WorkerHeartbeat.recovered_at.is_(None),
                            and_(WorkerHeartbeat.recovered_at < WorkerHeartbeat.last_seen_at),
                        ),
                    )
                    .values(recovered_at=now)
                )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                continue
            handles = DBOS._recover_pending_workflows([executor_id])
            log.warning("executor %s silent: recovered %d workflows", executor_id, len(handles))
            recovered.append(executor_id)
        return recovered
