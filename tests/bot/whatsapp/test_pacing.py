"""The per-number pacer: a catch-up schedule (a late start does not push back every later one)
under a hard ceiling (never two starts closer than the minimum gap, never more than the limit in
any window), and the database slot grid that every process shares."""

from __future__ import annotations

import itertools
import threading
import time

from snakecakes.bot.whatsapp import outbox
from snakecakes.bot.whatsapp.pacing import LocalPacer, Pace
from snakecakes.db.database import Database
from snakecakes.db.models import Bot
from snakecakes.simulator.fake_graph_faults import peak_count


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


def test_pace_for_60_per_second() -> None:
    pace = Pace.for_rate(60)
    assert pace.cap == 60 and pace.window == 1.0
    assert 0.95 * 60 < 1 / pace.interval < 60  # the grid leaves room to catch up
    assert pace.min_gap < pace.interval


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_a_late_start_is_caught_up_within_the_ceiling() -> None:
    pace = Pace.for_rate(60)
    clock = FakeClock()
    pacer = LocalPacer(clock.time, clock.sleep)
    t0 = clock.now
    starts = []
    for k in range(300):
        if k in (10, 100):
            clock.now += 0.12  # this sender woke up late (GIL, a busy machine)
        ticket = pacer.wait_turn(1, t0 + k * pace.interval, pace)
        clock.now += 0.003  # the request and its answer
        pacer.settle(ticket)
        starts.append(ticket.started)
    late = [s - (t0 + k * pace.interval) for k, s in enumerate(starts)]
    assert late[10] >= 0.1 and late[100] >= 0.1
    # catching up: the lag shrinks send by send instead of holding every later send back (a
    # chain from the previous actual start would keep all later sends >= 240 ms late)
    assert min(late[11:60]) < 0.005
    assert late[-1] < 0.06  # the ceiling lets it gain about 20 ms per second on average
    assert min(gaps(starts)) >= pace.min_gap - 1e-9
    assert peak_count(starts, 1.0) <= 60
    answers = [s + 0.003 for s in starts]  # what Meta counts lies between start and answer
    assert peak_count(answers, 1.0) <= 60


def test_slots_in_the_past_start_no_faster_than_the_ceiling() -> None:
    pace = Pace.for_rate(20)
    pacer = LocalPacer()
    past = time.time() - 5
    starts: list[float] = []
    lock = threading.Lock()

    def send(k: int) -> None:
        ticket = pacer.wait_turn(7, past + k * pace.interval, pace)
        time.sleep(0.002)  # the request
        pacer.settle(ticket)
        with lock:
            starts.append(ticket.started)

    threads = [threading.Thread(target=send, args=(k,)) for k in range(45)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    starts.sort()
    assert len(starts) == 45
    assert min(gaps(starts)) >= pace.min_gap - 1e-6
    assert peak_count(starts, 1.0) <= 20


def test_a_request_counts_in_the_window_until_its_answer() -> None:
    pace = Pace.for_rate(5)
    pacer = LocalPacer()
    past = time.time() - 10
    first = pacer.wait_turn(3, past, pace)
    pacer.settle(first)  # answered at once
    slow = [pacer.wait_turn(3, past, pace) for _ in range(4)]  # no answer (yet)
    sixth = pacer.wait_turn(3, past, pace)
    assert first.settled - first.started < 0.01
    assert sixth.started >= first.settled + pace.window - 1e-6
    assert sixth.started < first.started + 0.01 + pace.window + 0.05
    pacer.settle(sixth)
    seventh = pacer.wait_turn(3, past, pace)  # waits for the slow one's settle bound
    assert seventh.started >= slow[0].started + pace.settle + pace.window - 1e-6


def test_the_database_grid_catches_up_but_never_hands_out_old_time(db: Database) -> None:
    pace = Pace.for_rate(50)
    with db.transaction() as s:
        s.add(Bot(name="pacing", phone_number_id="1", app_secret_enc="x", access_token_enc="x",
                  verify_token_enc="x"))  # fmt: skip
    with db.read() as s:
        bot_id = s.query(Bot.id).scalar()
    now = 1_000_000.0
    with db.write_connection() as c:  # the row is created by the first slot
        first = outbox.reserve_slot(c, bot_id, pace, now)
    with db.write_connection() as c:
        second = outbox.reserve_slot(c, bot_id, pace, now)
    assert abs(first - (now - pace.catch_up)) < 1e-6  # an idle grid restarts a little in the past
    assert abs(second - first - pace.interval) < 1e-6  # then slots follow on the grid
    later = now + 10  # the grid lags far behind: lateness beyond catch_up is given up
    with db.write_connection() as c:
        third = outbox.reserve_slot(c, bot_id, pace, later)
    assert abs(third - (later - pace.catch_up)) < 1e-6
