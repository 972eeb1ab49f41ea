"""What a turn may read of the shop: each bot's catalog (cached), and a customer's orders.

Engines never write; reading is fine. The catalog is cached per process for a short time, so a
reloaded catalog file reaches every worker within SNAKECAKES_CATALOG_CACHE_SECONDS.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from snakecakes.db.database import Database
from snakecakes.shop import orders
from snakecakes.shop.about import prompt_variables
from snakecakes.shop.catalog import Catalog, read_catalog


@dataclass(frozen=True, slots=True)
class OrderInfo:
    number: str
    status: str
    total_cents: int
    currency: str
    wanted_date: str
    wanted_time: str
    created_at: datetime


class Shelf:
    def __init__(self, db: Database, ttl: float = 30.0) -> None:
        self.db = db
        self.ttl = ttl
        self._lock = threading.Lock()
        self._catalogs: dict[int, tuple[float, Catalog | None]] = {}
        self._variables: dict[int, tuple[Catalog, dict[str, Any]]] = {}

    def catalog(self, bot_id: int) -> Catalog | None:
        """The bot's catalog, or None when it has none loaded."""
        now = time.monotonic()
        with self._lock:
            cached = self._catalogs.get(bot_id)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        with self.db.read() as session:
            try:
                found: Catalog | None = read_catalog(session, bot_id)
            except LookupError:
                found = None
        with self._lock:
            self._catalogs[bot_id] = (now, found)
        return found

    def prompt_variables(self, bot_id: int) -> dict[str, Any]:
        """What every prompt template may mention about the shop (hours, menu summary, ...)."""
        catalog = self.catalog(bot_id)
        if catalog is None:
            return {}
        with self._lock:
            cached = self._variables.get(bot_id)
        if cached is None or cached[0] is not catalog:
            cached = (catalog, prompt_variables(catalog))
            with self._lock:
                self._variables[bot_id] = cached
        return cached[1]

    def forget(self, bot_id: int | None = None) -> None:
        with self._lock:
            if bot_id is None:
                self._catalogs.clear()
            else:
                self._catalogs.pop(bot_id, None)

    def orders_of(self, bot_id: int, customer_key: str, limit: int = 5) -> list[OrderInfo]:
        with self.db.read() as session:
            rows = orders.of_customer(session, bot_id, customer_key, limit)
            return [
                OrderInfo(
                    str(r.number),
                    r.status,
                    r.total_cents,
                    r.currency,
                    r.wanted_date,
                    r.wanted_time,
                    r.created_at,
                )
                for r in rows
            ]
