"""Pacing of sends per business number within this process.

The database hands out send slots `interval` apart to every process (see outbox.claim), but
threads sleeping until their slot wake up late and in bunches on a busy machine. So the last
step is local: one lock per number, and each request starts at least `interval` after the
previous one actually started. Slots are also a little wider than 1/rate (PACING_MARGIN), so the
jitter between our start and Meta's count cannot lift any one-second window over the limit.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict

PACING_MARGIN = 1.04


class LocalPacer:
    def __init__(self) -> None:
        self._locks: defaultdict[int, threading.Lock] = defaultdict(threading.Lock)
        self._last_start: dict[int, float] = {}
        self._guard = threading.Lock()

    def wait_turn(self, bot_id: int, slot: float, interval: float) -> None:
        """Block until this number may start a request; call right before sending."""
        with self._guard:
            lock = self._locks[bot_id]
        with lock:
            start = max(slot, self._last_start.get(bot_id, 0.0) + interval)
            delay = start - time.time()
            if delay > 0:
                time.sleep(delay)
            self._last_start[bot_id] = time.time()
