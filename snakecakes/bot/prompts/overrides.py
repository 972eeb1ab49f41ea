"""Per-bot wording of prompt templates, kept in the database (`prompt_overrides`).

Read on every render, so cached in memory for a few seconds: an edit in the admin API reaches
this process at once (it clears the cache) and other processes within the TTL.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from snakecakes.db.database import Database
from snakecakes.db.types import utcnow
from snakecakes.shop.order_models import PromptOverride


class DatabaseOverrides:
    def __init__(self, db: Database, ttl: float = 5.0) -> None:
        self.db = db
        self.ttl = ttl
        self._lock = threading.Lock()
        self._cache: dict[int, tuple[float, dict[str, str]]] = {}

    def __call__(self, bot_id: int, name: str) -> str | None:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(bot_id)
        if cached is None or now - cached[0] > self.ttl:
            with self.db.read() as session:
                rows = session.execute(
                    select(PromptOverride.name, PromptOverride.source).where(
                        PromptOverride.bot_id == bot_id
                    )
                ).tuples()
                found = {name: source for name, source in rows}
            cached = (now, found)
            with self._lock:
                self._cache[bot_id] = cached
        return cached[1].get(name)

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()


def set_override(session: Session, bot_id: int, name: str, source: str) -> None:
    row = session.get(PromptOverride, (bot_id, name))
    if row is None:
        session.add(PromptOverride(bot_id=bot_id, name=name, source=source, updated_at=utcnow()))
    else:
        row.source, row.updated_at = source, utcnow()


def remove_override(session: Session, bot_id: int, name: str) -> bool:
    result = session.execute(
        delete(PromptOverride).where(PromptOverride.bot_id == bot_id, PromptOverride.name == name)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
