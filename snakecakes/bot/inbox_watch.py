"""Worker processes find new inbox rows themselves, so a web process only stores and answers.

Enqueuing a DBOS job costs about 2 ms of CPU (statement building, its own insert and commit);
in a web process that is as much as the whole acknowledgement, and it shares the web threads'
GIL. So with `serve --web-only` the web side enqueues nothing: the inbox row it committed is
the job. Each worker polls for chats with pending rows every SNAKECAKES_INBOX_POLL_SECONDS and
enqueues a job for a chat whose newest pending row it has not dispatched yet.

The job's workflow id names that newest row, so when several workers see the same rows DBOS
keeps one job (an existing id is returned, not run again). A chat that is mid-turn and gets a
new message gets a second job with a new id; the queue partitioned by chat runs it after the
first, and it finds whatever is left. The periodic stale-row sweep stays the safety net.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import func, select

from snakecakes import metrics
from snakecakes.db.database import Database
from snakecakes.db.models import InboxMessage

log = logging.getLogger(__name__)

Chat = tuple[int, str]


class InboxWatch:
    def __init__(
        self, db: Database, enqueue: Callable[[int, str, str], None], limit: int = 5000
    ) -> None:
        self.db = db
        self.enqueue = enqueue
        self.limit = limit
        self._dispatched: dict[Chat, int] = {}

    def poll(self) -> int:
        """Enqueue a job for each chat with a pending row newer than its last job; the count."""
        with self.db.read() as session:
            rows = session.execute(
                select(InboxMessage.bot_id, InboxMessage.customer_key, func.max(InboxMessage.id))
                .where(InboxMessage.state == "pending")
                .group_by(InboxMessage.bot_id, InboxMessage.customer_key)
                .limit(self.limit)
            ).all()
        pending = {(int(b), str(c)): int(newest) for b, c, newest in rows}
        started = 0
        done: dict[Chat, int] = {}
        for chat, newest in pending.items():
            if self._dispatched.get(chat) != newest:
                try:
                    self.enqueue(chat[0], chat[1], f"turns-{chat[0]}-{chat[1]}-{newest}")
                except Exception:
                    metrics.DISPATCH_ERRORS.inc()
                    log.exception("could not enqueue chat %s; the next poll will", chat[1])
                    break  # the rest are retried by the next poll (ids make repeats harmless)
                started += 1
            done[chat] = newest
        self._dispatched = done  # chats with nothing pending are forgotten
        return started
