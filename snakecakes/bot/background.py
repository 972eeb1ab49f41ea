"""One daemon thread for the small periodic jobs of a process (sweeps, statuses, heartbeats)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

MIN_GAP = 0.2  # a task woken by pokes runs at most this often: a burst of pokes is one run


@dataclass
class _Task:
    name: str
    run: Callable[[], object]
    every: float
    on_poke: bool
    next_at: float = 0.0
    last_run: float = 0.0


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
                if poked and task.on_poke:  # soon, but not more often than MIN_GAP
                    task.next_at = min(task.next_at, task.last_run + MIN_GAP)
                if now >= task.next_at:
                    task.last_run = now
                    task.next_at = now + task.every
                    try:
                        task.run()
                    except Exception:
                        log.exception(
                            "background task %s failed; next try in %ss", task.name, task.every
                        )
