"""Pacing of sends per business number: a catch-up schedule under a hard ceiling.

Two layers:
- the database hands out send slots on a fixed grid, `interval` apart, to every process
  (`outbox.reserve_slot`). The grid does not restart from "now" when senders are late: it may
  lag real time by up to `catch_up` seconds, so a late wake-up is made up for by the next sends
  instead of being lost for good. The grid is a little slower than the limit (GRID_MARGIN), which
  is the room to catch up in;
- in this process, `LocalPacer.wait_turn` admits each request start: at its slot or later, never
  closer than `min_gap` to the previous start, and never while `rate` earlier requests may still
  be counted within the last second at Meta. A request counts from its admission until its answer
  came back (it reached Meta in between), at most `settle` seconds, so the jitter between our
  start and Meta's count cannot lift a one-second window over the limit while answers take less
  than `settle` (a stalled receiver stamps a backlog of requests at once: stalls of 100-200 ms
  were seen on a loaded machine); slow answers cost throughput: rate / (1 + answer time), at
  least rate / (1 + `settle`).
No lock is held while sleeping: a thread reads the earliest admissible time under the lock,
sleeps outside it, and checks again.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

GRID_MARGIN = 1.025  # the grid's interval is this much longer than 1/rate: room to catch up
WINDOW = 1.0  # seconds in which at most `rate` requests may reach Meta
MIN_GAP = 0.8  # of an interval: the closest two starts may come while catching up
CATCH_UP = 0.25  # seconds the schedule may lag real time before lateness is given up
SETTLE = 0.25  # a request counts in the window until its answer, at most this long after start


@dataclass(frozen=True, slots=True)
class Pace:
    interval: float
    min_gap: float
    cap: int
    window: float
    catch_up: float
    settle: float

    @classmethod
    def for_rate(cls, rate: float) -> Pace:
        interval = GRID_MARGIN / rate
        return cls(
            interval=interval,
            min_gap=MIN_GAP * interval,
            cap=max(1, math.floor(rate)),
            window=WINDOW,
            catch_up=CATCH_UP,
            settle=SETTLE,
        )


class Ticket:
    """One admitted request: counted in the window from `started` until `settled`."""

    __slots__ = ("settled", "started")

    def __init__(self, started: float, settled: float) -> None:
        self.started = started
        self.settled = settled


class LocalPacer:
    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._locks: defaultdict[int, threading.Lock] = defaultdict(threading.Lock)
        self._recent: defaultdict[int, list[Ticket]] = defaultdict(list)
        self._guard = threading.Lock()

    def wait_turn(self, bot_id: int, slot: float, pace: Pace) -> Ticket:
        """Block until this number may start a request; call right before sending, and
        `settle` the ticket when the answer is in."""
        with self._guard:
            lock = self._locks[bot_id]
            recent = self._recent[bot_id]
        ready = slot
        while True:
            delay = ready - self._clock()
            if delay > 0:
                self._sleep(delay)
            with lock:
                now = self._clock()
                recent[:] = [t for t in recent if t.settled > now - pace.window]
                ready = max(slot, now)
                if recent:
                    ready = max(ready, max(t.started for t in recent) + pace.min_gap)
                if len(recent) >= pace.cap:
                    settled = sorted(t.settled for t in recent)
                    ready = max(ready, settled[len(recent) - pace.cap] + pace.window)
                if ready <= now:
                    ticket = Ticket(now, now + pace.settle)
                    recent.append(ticket)
                    return ticket

    def settle(self, ticket: Ticket) -> None:
        """The request's answer is in: it reached Meta by now."""
        ticket.settled = min(ticket.settled, max(self._clock(), ticket.started))
