"""Wiring between the webhook intake and the workers that answer, and the workers' lifecycle.

The intake commits updates first and only then tells the dispatcher, so a lost notification can
never lose a message: the database is the truth, and periodic sweeps pick up whatever a lost
wake-up left behind. The dispatcher therefore only pokes in-memory events; the webhook path never
waits for a queue or a thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from snakecakes.bot import durable
from snakecakes.bot.whatsapp.client import GraphClient
from snakecakes.bot.whatsapp.delivery import apply_statuses
from snakecakes.bot.whatsapp.sender import Sender
from snakecakes.config import Settings
from snakecakes.crypto import SecretBox
from snakecakes.db.database import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StoredUpdates:
    """What one webhook POST newly stored (redeliveries are not in here)."""

    chats: frozenset[tuple[int, str]]  # (bot_id, customer_key) with new inbox rows
    status_bots: frozenset[int]  # bots with new delivery statuses

    def __bool__(self) -> bool:
        return bool(self.chats or self.status_bots)


class Dispatcher(Protocol):
    def notify(self, stored: StoredUpdates) -> None:
        """Called after the commit; must be quick and must not raise for the webhook's sake."""


class NullDispatcher:
    """Used when no workers run in this process: updates wait, safely stored."""

    def notify(self, stored: StoredUpdates) -> None:
        log.debug("stored %d chats, %d status bots", len(stored.chats), len(stored.status_bots))


@dataclass
class _Task:
    name: str
    run: Callable[[], object]
    every: float
    on_poke: bool
    next_at: float = 0.0


@dataclass
class BackgroundLoop:
    """One daemon thread running small periodic tasks, sooner when poked."""

    tasks: list[_Task] = field(default_factory=list)
    _poked: threading.Event = field(default_factory=threading.Event)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def add(self, name: str, run: Callable[[], object], every: float, on_poke: bool) -> None:
        self.tasks.append(_Task(name, run, every, on_poke))

    def poke(self) -> None:
        self._poked.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="snakecakes-bg", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._poked.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            now = time.monotonic()
            wait = min((t.next_at for t in self.tasks), default=now + 1.0) - now
            poked = self._poked.wait(timeout=max(0.0, wait))
            self._poked.clear()
            if self._stopping.is_set():
                return
            now = time.monotonic()
            for task in self.tasks:
                if now >= task.next_at or (poked and task.on_poke):
                    task.next_at = now + task.every
                    try:
                        task.run()
                    except Exception:
                        log.exception("background task %s failed; next try in %ss", task.name,
                                      task.every)  # fmt: skip


class BackgroundDispatcher:
    """Pokes the background loop when delivery statuses arrive."""

    def __init__(self, loop: BackgroundLoop) -> None:
        self.loop = loop

    def notify(self, stored: StoredUpdates) -> None:
        if stored.status_bots:
            self.loop.poke()


class Runtime:
    """The workers of one process: the durable sender and the background tasks."""

    def __init__(self, settings: Settings, db: Database, box: SecretBox, *, role: str) -> None:
        self.settings = settings
        self.role = role
        self.graph = GraphClient(
            settings.whatsapp_api_base_url,
            settings.whatsapp_api_version,
            read_timeout=settings.graph_timeout_seconds,
        )
        self.sender = Sender(db, box, self.graph, settings)
        self.background = BackgroundLoop()
        self.background.add("delivery statuses", lambda: apply_statuses(db), 2.0, True)
        self.background.add("outbox sweep", self.sender.sweep, settings.sweep_seconds, False)
        self.dispatcher = BackgroundDispatcher(self.background)

    def start(self, *, reset: bool = False) -> None:
        self.sender.install()  # before launch: DBOS recovers pending workflows at once
        durable.launch(self.settings, role=self.role, reset=reset)
        self.background.start()

    def stop(self) -> None:
        self.background.stop()
        durable.shutdown()
        self.graph.close()
