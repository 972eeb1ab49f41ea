"""Turn benchmark: a signed webhook in -> the reply's send request at the fake Graph API.

Starts the bot on 127.0.0.1 with the echo engine at zero delay and no burst wait
(SNAKECAKES_ENGINE=echo, SNAKECAKES_ECHO_DELAY_SECONDS=0, SNAKECAKES_BURST_DELAY_SECONDS=0,
sending pacing lifted: SNAKECAKES_SEND_RATE=1000, SNAKECAKES_PAIR_BURST=100000), and a fake Graph
API in a process of its own that streams the arrival time of every send request back to us.
"Added latency" of a turn = arrival of its reply's send request at the fake - the moment its
webhook POST was sent (both time.monotonic(), one clock for every process on Linux). Each
webhook carries one text message with a unique reference that the echo reply repeats, so each
webhook maps to exactly one reply.

- default, open loop: ``--rate`` turns/s for ``--duration`` s, each turn a chat of its own
  (webhook_load.run_load: turn i is due at t0 + i/rate whatever happened before), after a
  ``--warmup`` phase that is not counted; reports p50/p95/p99/max added latency and answered vs
  sent (must be equal).
- ``--max``: a closed loop of ``--concurrency`` customers, each writing again as soon as its
  previous reply arrived (so each webhook maps to one reply), for ``--duration`` s after
  ``--warmup`` s; reports sustained turns/s (replies arriving in the window / window).
- embedded `snakecakes serve` on a fresh SQLite file (default), or with ``--database-url
  postgresql://.../test`` a scratch database `snakecakes_bench_<random>` (created through that
  database, `snakecakes db upgrade`, dropped at the end), where ``--workers N`` runs
  `serve --web-only` plus N `snakecakes worker` processes with distinct SNAKECAKES_EXECUTOR_ID.
- what it reports besides latency: the per-stage split of the open loop's turns (webhook ->
  inbox row -> turn committed -> send claimed -> at the fake, from our own tables' timestamps),
  CPU of every process involved (the bot's per answered turn, and what it burns idle), the load
  average, and after the run the outbox/inbox rows by state, sends flagged as possible
  duplicates, and WARNING/ERROR lines of the bot's logs.
- ``--fsyncs``: fsync/fdatasync calls per turn, machine-wide per thread (`perf stat`), by process.
- ``--profile DIR``: py-spy records every bot process during the measured phase (raw collapsed
  stacks in DIR) and the output summarises them: DBOS vs our DB work vs HTTP vs the engine, and
  by activity (webhook intake, turn workflow, send workflow, queue polling...).
- ``--experiment NAME``: a what-if patch of the bot processes through a sitecustomize.py on their
  PYTHONPATH (see EXPERIMENTS), to measure a proposed change before making it.

A reply that answers two messages at once ("You said: A | B") counts for the first reference
only; that only happens when a customer writes again before its reply, which neither load does
(unless a webhook failed, which is reported).

    .venv/bin/python benchmarks/turns.py                          # 50 turns/s, 20 s, SQLite
    .venv/bin/python benchmarks/turns.py --max                    # sustained turns/s
    .venv/bin/python benchmarks/turns.py --database-url postgresql://postgres@127.0.0.1:5432/test \\
        --workers 2 [--max]

Exit status 1 when a turn is lost or answered twice, or a target (``--p99-target`` ms at the
open-loop rate, ``--max-target`` turns/s) is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import os
import random
import re
import secrets
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import probes
import sender_support as sup
import turns_support as ts
from webhook_load import Plan, percentile, run_load

from snakecakes.simulator import payloads as p

TAG = re.compile(r"ref(\d{8})")
DEFAULT_ENV = {
    "SNAKECAKES_ENGINE": "echo",
    "SNAKECAKES_ECHO_DELAY_SECONDS": "0",
    "SNAKECAKES_BURST_DELAY_SECONDS": "0",
    "SNAKECAKES_SEND_RATE": "1000",
    "SNAKECAKES_PAIR_BURST": "100000",
}


# What-if experiments: a sitecustomize.py put on the bot's PYTHONPATH, changing one thing
EXPERIMENTS = {
    "dbos-sqlite-sync-normal": (
        "PRAGMA synchronous=NORMAL on every SQLite connection (DBOS's system database runs at\n"
        "SQLite's default FULL: an fsync per commit; ours already runs at NORMAL)",
        """from sqlalchemy import event
from sqlalchemy.engine import Engine


@event.listens_for(Engine, "connect")
def _synchronous_normal(dbapi_conn, _record):
    if type(dbapi_conn).__module__.startswith("sqlite3"):
        dbapi_conn.execute("PRAGMA synchronous=NORMAL")
""",
    ),
}


def message_text(idx: int) -> str:
    return f"Ich hätte gern eine Torte, Bestellung ref{idx:08d}"


# -- replies --------------------------------------------------------------------------------------


class Replies:
    """Reply arrivals at the fake, by turn; waiters for the closed loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.first: dict[int, ts.Arrival] = {}
        self.extra: Counter[int] = Counter()  # a turn answered more than once
        self.rejected: list[ts.Arrival] = []  # send requests the fake did not accept
        self.untagged = 0
        self.repeats: list[tuple[int, ts.Arrival]] = []
        self._waiters: dict[int, threading.Event] = {}

    def expect(self, idx: int) -> threading.Event:
        event = threading.Event()
        with self._lock:
            if idx in self.first:
                event.set()
            else:
                self._waiters[idx] = event
        return event

    def on_arrival(self, arrival: ts.Arrival) -> None:
        m = TAG.search(arrival.text or "")
        with self._lock:
            if arrival.status != 200:
                self.rejected.append(arrival)
                return
            if m is None:
                self.untagged += 1
                return
            idx = int(m.group(1))
            if idx in self.first:
                self.extra[idx] += 1
                self.repeats.append((idx, arrival))
                return
            self.first[idx] = arrival
            event = self._waiters.pop(idx, None)
        if event is not None:
            event.set()

    def answered(self, indices: list[int]) -> int:
        with self._lock:
            return sum(1 for i in indices if i in self.first)

    def at(self, idx: int) -> float | None:
        with self._lock:
            a = self.first.get(idx)
        return a.at if a else None


# -- CPU and load readings ------------------------------------------------------------------------


@dataclass
class Readings:
    """CPU seconds of the processes involved, between :meth:`start` and :meth:`stop`."""

    pids: dict[str, int]
    pg_url: str | None
    t: list[float] = field(default_factory=list)
    cpu: list[dict[str, float]] = field(default_factory=list)
    busy: list[float] = field(default_factory=list)
    load: list[tuple[float, float, float]] = field(default_factory=list)
    backends: list[int] = field(default_factory=list)

    def _read(self) -> None:
        self.t.append(time.monotonic())
        named = {name: probes.process_cpu(pid) for name, pid in self.pids.items()}
        pg = probes.processes_cpu(self.backends)
        aux = probes.processes_cpu(postgres_server_pids()) if self.pg_url else {}
        self.cpu.append(
            named
            | {f"pg-{pid}": v for pid, v in pg.items()}
            | {f"pgaux-{p}": v for p, v in aux.items()}
        )
        self.busy.append(probes.machine_cpu()[0])
        self.load.append(os.getloadavg())

    def start(self) -> None:
        if self.pg_url:
            self.backends = probes.pg_backend_pids(self.pg_url)
        self._read()

    def stop(self, generator_cpu: float) -> dict[str, Any]:
        if self.pg_url:  # backends that connected meanwhile count from zero
            self.backends = sorted(set(self.backends) | set(probes.pg_backend_pids(self.pg_url)))
        self._read()
        span = max(self.t[1] - self.t[0], 1e-9)
        before, after = self.cpu
        delta = {
            k: after[k] - before.get(k, 0.0) for k in after if k in before or k.startswith("pg-")
        }
        pg = sum(v for k, v in delta.items() if k.startswith("pg-"))
        aux = sum(v for k, v in delta.items() if k.startswith("pgaux-"))
        ours = {k: v for k, v in delta.items() if not k.startswith(("pg-", "pgaux-"))}
        busy = self.busy[1] - self.busy[0]
        other = busy - sum(delta.values()) - generator_cpu
        pct = {f"{k}_cpu_pct": round(100 * v / span, 1) for k, v in ours.items()}
        bot_s = sum(v for k, v in ours.items() if k != "fake") + pg  # the bot and its database
        return {
            **pct,
            "bot_cpu_s": round(bot_s, 3),
            "cpu_span_s": round(span, 3),
            "postgres_cpu_pct": round(100 * pg / span, 1) if self.pg_url else None,
            # the server's own processes (WAL writer, checkpointer...), shared with anyone else
            "postgres_server_cpu_pct": round(100 * aux / span, 1) if self.pg_url else None,
            "generator_cpu_pct": round(100 * generator_cpu / span, 1),
            "other_cpu_pct": round(100 * other / span, 1),
            "machine_busy_pct_of_2_cores": round(100 * busy / span / (os.cpu_count() or 1), 1),
            "loadavg_1m_start": self.load[0][0],
            "loadavg_1m_end": self.load[1][0],
        }


def postgres_server_pids() -> list[int]:
    """The PostgreSQL server's own processes (not backends): walwriter, checkpointer..."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if re.match(
            rb"postgres: [^:]+: (checkpointer|background writer|walwriter|autovacuum|logical)", cmd
        ):
            pids.append(int(proc.name))
    return pids


@contextlib.contextmanager
def instruments(
    bot: ts.BotProcesses, args: argparse.Namespace, label: str, readings: Readings
) -> Iterator[None]:
    """For the block: py-spy on every bot process (--profile), fsync counts (--fsyncs)."""
    with contextlib.ExitStack() as stack:
        if args.fsyncs:

            def groups() -> dict[str, set[int]]:
                out = {name: ts.threads_of(pid) for name, pid in bot.pids.items()}
                if args.pg_url:
                    now = probes.pg_backend_pids(args.pg_url)
                    out["postgres backends"] = set(readings.backends) | set(now)
                    out["postgres server (shared)"] = set(postgres_server_pids())
                return out

            args.fsync_counts = stack.enter_context(ts.counting_fsyncs(groups, args.tmp))
        if args.profile:
            out = Path(args.profile)
            out.mkdir(parents=True, exist_ok=True)
            spies = []
            for role, pid in bot.pids.items():
                path = out / f"{label}-{role}.txt"
                spy = sup.start_profiler(pid, str(path), args.profile_mode)
                stack.callback(sup.stop_profiler, spy)
                spies.append((role, path))
            args.profiles = spies
        yield


# -- the two load shapes --------------------------------------------------------------------------


def chat_of(idx: int) -> str:
    """The customer (wa_id) of open-loop turn ``idx``: a chat of its own."""
    return f"4916{idx % 10**8:08d}"


def signed_turn(idx: int, wa_id: str, secret: str) -> tuple[bytes, dict[str, str]]:
    msg = p.text(p.new_wamid(wa_id), wa_id, message_text(idx))
    return p.signed(p.envelope(p.change(p.PHONE_NUMBER_ID, messages=[msg])), secret)


def open_loop(
    bot: ts.BotProcesses,
    replies: Replies,
    args: argparse.Namespace,
    first: int,
    duration: float,
    *,
    measured: bool,
) -> dict[str, Any]:
    """``args.rate`` turns/s for ``duration`` s, one new chat per turn (indices from ``first``)."""
    count = max(1, round(args.rate * duration))
    bodies, headers = [], []
    for n in range(count):
        body, head = signed_turn(first + n, chat_of(first + n), bot.app_secret)
        bodies.append(body)
        headers.append(head)
    plan = Plan(bodies, headers, list(range(count)), [1] * count, count, 0, 0, 0)
    readings = Readings(bot.pids | {"fake": args.fake_pid}, args.pg_url)
    with contextlib.ExitStack() as stack:

        def on_start() -> None:  # after the generator forked: start probes (and py-spy) now
            readings.start()
            if measured:
                stack.enter_context(instruments(bot, args, "open", readings))

        load = run_load(
            bot.url, plan, args.rate, procs=1, threads=args.gen_threads, timeout=10, grace=5,
            on_start=on_start,
        )  # fmt: skip
        acked = [first + s[0] for s in load.samples if s[4] == 200]
        last_sent = max((s[2] for s in load.samples), default=time.monotonic())
        wait_for(lambda: replies.answered(acked) >= len(acked), last_sent + args.drain_timeout)
        cpu = readings.stop(load.cpu_seconds)
    sent_at = {first + s[0]: s[2] for s in load.samples}
    due_at = {first + s[0]: s[1] for s in load.samples}
    lat, from_due = [], []
    for idx in acked:
        at = replies.at(idx)
        if at is not None:
            lat.append((at - sent_at[idx]) * 1000)
            from_due.append((at - due_at[idx]) * 1000)
    acks_ms = sorted((s[3] - s[2]) * 1000 for s in load.samples)
    to_unix = time.time() - time.monotonic()  # one clock for both: Unix time is in our tables
    by_chat = {
        chat_of(idx): (sent_at[idx] + to_unix, at + to_unix)
        for idx in acked
        if (at := replies.at(idx)) is not None
    }
    stages = ts.stage_times(bot.database_url, by_chat) if measured else {}
    return {
        "shape": f"open loop {args.rate:g}/s",
        "planned": count,
        "sent": len(load.samples),
        "acked": len(acked),
        "non_200": len(load.samples) - len(acked),
        "non_200_codes": dict(Counter(s[4] for s in load.samples if s[4] != 200)),
        "unsent": load.unsent,
        "answered": len(lat),
        "duplicates": sum(replies.extra[i] for i in acked),
        **latency_summary(lat),
        "p99_from_due_ms": round(percentile(sorted(from_due), 99), 1) if from_due else None,
        "ack_p99_ms": round(percentile(acks_ms, 99), 1) if acks_ms else None,
        "stages_ms": {name: latency_summary(ms) for name, ms in stages.items()},
        **cpu,
    }


def closed_loop(
    bot: ts.BotProcesses, replies: Replies, args: argparse.Namespace, first: int
) -> dict[str, Any]:
    """``args.concurrency`` customers, each writing again as soon as its reply arrived."""
    counter = itertools.count(first)
    t_start = time.monotonic()
    measure_from = t_start + args.warmup
    stop_at = measure_from + args.duration
    turns: list[tuple[int, float, float | None, int]] = []  # idx, sent, reply at, HTTP status
    lock = threading.Lock()
    cpu0 = time.process_time()

    def customer(k: int) -> None:
        wa_id = f"4917{k:08d}"
        conn = http.client.HTTPConnection("127.0.0.1", int(bot.url.rsplit(":", 1)[1]), timeout=10)
        try:
            while time.monotonic() < stop_at:
                idx = next(counter)
                body, head = signed_turn(idx, wa_id, bot.app_secret)
                event = replies.expect(idx)
                sent = time.monotonic()
                try:
                    conn.request("POST", "/webhook", body=body, headers=head)
                    resp = conn.getresponse()
                    resp.read()
                    status = resp.status
                except (OSError, http.client.HTTPException):
                    conn.close()  # reconnects on the next request
                    status = 0
                if status == 200:
                    event.wait(timeout=args.drain_timeout)
                else:
                    time.sleep(0.1)
                with lock:
                    turns.append((idx, sent, replies.at(idx), status))
        finally:
            conn.close()

    threads = [
        threading.Thread(target=customer, args=(k,), daemon=True) for k in range(args.concurrency)
    ]
    for t in threads:
        t.start()
    readings = Readings(bot.pids | {"fake": args.fake_pid}, args.pg_url)
    time.sleep(max(0.0, measure_from - time.monotonic()))
    readings.start()
    with instruments(bot, args, "max", readings):
        time.sleep(max(0.0, stop_at - time.monotonic()))
    cpu = readings.stop(time.process_time() - cpu0)  # the generator: this process
    for t in threads:
        t.join(timeout=args.drain_timeout + 15)
    in_window = [r for r in turns if r[2] is not None and measure_from <= r[2] < stop_at]
    sent_in_window = [r for r in turns if measure_from <= r[1] < stop_at]
    acked = [r for r in turns if r[3] == 200]
    lat = [(r[2] - r[1]) * 1000 for r in sent_in_window if r[2] is not None]
    return {
        "shape": f"closed loop, {args.concurrency} customers",
        "sent": len(turns),
        "acked": len(acked),
        "non_200": len(turns) - len(acked),
        "non_200_codes": dict(Counter(r[3] for r in turns if r[3] != 200)),
        "unsent": 0,
        "answered": sum(1 for r in acked if r[2] is not None),
        "duplicates": sum(replies.extra[r[0]] for r in acked),
        "window_s": args.duration,
        "answered_in_window": len(in_window),
        "turns_per_s": round(len(in_window) / args.duration, 1),
        **latency_summary(lat),
        **cpu,
    }


def latency_summary(ms: list[float]) -> dict[str, Any]:
    ms = sorted(ms)
    out: dict[str, Any] = {
        f"p{q}_ms": round(percentile(ms, q), 1) if ms else None for q in (50, 95, 99)
    }
    out["max_ms"] = round(ms[-1], 1) if ms else None
    return out


def wait_for(done: Callable[[], bool], deadline: float) -> bool:
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# -- the run --------------------------------------------------------------------------------------


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    token = "bench-" + secrets.token_urlsafe(16)
    app_secret = secrets.token_hex(16)
    replies = Replies()
    env = DEFAULT_ENV | dict(item.split("=", 1) for item in args.env)
    if args.experiment:
        site = tmp / "experiment"
        site.mkdir(exist_ok=True)
        (site / "sitecustomize.py").write_text(EXPERIMENTS[args.experiment][1])
        env["PYTHONPATH"] = str(site)
    fake = ts.StreamingFakeGraph(
        tmp, tokens={ts.PHONE_ID: token}, validate=args.validate, on_arrival=replies.on_arrival
    )
    with fake:
        args.fake_pid = fake.pid
        with ts.bot_processes(
            args.database_url, args.workers, graph_url=fake.url, token=token,
            app_secret=app_secret, tmp=tmp, env=env,
        ) as bot:  # fmt: skip
            args.pg_url = None if bot.database_url.startswith("sqlite") else bot.database_url
            first = random.Random(args.seed).randrange(10**6) * 10  # distinct chats per run
            idle = Readings(bot.pids, args.pg_url)  # what the bot burns with nothing to do
            idle.start()
            time.sleep(args.idle_probe)
            idle_cpu = idle.stop(0.0)["bot_cpu_s"] / max(args.idle_probe, 1e-9)
            if args.max:
                result = closed_loop(bot, replies, args, first)
            else:
                if args.warmup > 0:
                    open_loop(bot, replies, args, first, args.warmup, measured=False)
                first += max(1, round(args.rate * args.warmup))
                result = open_loop(bot, replies, args, first, args.duration, measured=True)
            roles = bot.pids
            result |= ts.database_checks(bot.database_url)
        result |= ts.log_problems(tmp)
        turns = max(1, result.get("answered_in_window", result["answered"]))
        span = result["cpu_span_s"]
        result["idle_burn_pct_of_core"] = round(100 * idle_cpu, 1)
        result["bot_cpu_ms_per_turn"] = round(1000 * result["bot_cpu_s"] / turns, 2)
        result["bot_cpu_ms_per_turn_above_idle"] = round(
            1000 * max(0.0, result["bot_cpu_s"] - idle_cpu * span) / turns, 2
        )
        result["rejected_sends"] = len(replies.rejected)
        result["duplicate_examples"] = [
            {
                "turn": idx,
                "to": again.to,
                "first_text": replies.first[idx].text,
                "again_text": again.text,
                "seconds_apart": round(again.at - replies.first[idx].at, 3),
            }
            for idx, again in replies.repeats[:5]
        ]
        if args.fsyncs:
            result["fsyncs_per_turn"] = fsyncs_per_turn(args.fsync_counts, result)
        result["untagged_sends"] = replies.untagged
    mode = f"postgresql, web-only + {args.workers} workers" if args.workers else "embedded serve"
    if args.database_url and not args.workers:
        mode = "postgresql, embedded serve"
    elif not args.database_url:
        mode += ", sqlite"
    result |= {
        "date": time.strftime("%Y-%m-%d"),
        "mode": mode,
        "processes": list(roles),
        "duration_s": args.duration,
        "env": {
            k: v
            for k, v in env.items()
            if k != "PYTHONPATH" and (k not in DEFAULT_ENV or v != DEFAULT_ENV[k])
        },
        "experiment": args.experiment,
    }
    return result


def fsyncs_per_turn(counts: dict[str, int], r: dict[str, Any]) -> dict[str, float]:
    """fsync + fdatasync calls per answered turn of the measured phase, by process group."""
    turns = max(1, r.get("answered_in_window", r["answered"]))
    return {name: round(n / turns, 2) for name, n in sorted(counts.items())}


def checks(r: dict[str, Any], args: argparse.Namespace) -> dict[str, bool]:
    out = {
        "answered == sent (each acknowledged webhook got its reply in time)": r["answered"]
        == r["sent"],
        "no turn answered twice or flagged a possible duplicate, no send rejected": not (
            r["duplicates"] or r["outbox_possible_duplicates"] or r["rejected_sends"]
        ),
    }
    if args.max:
        out[f"sustained >= {args.max_target:g} turns/s"] = r["turns_per_s"] >= args.max_target
    else:
        p99 = r["p99_ms"]
        out[f"p99 added latency < {args.p99_target:g} ms"] = (
            p99 is not None and p99 < args.p99_target
        )
    return out


def report(r: dict[str, Any], results: dict[str, bool], args: argparse.Namespace) -> None:
    print(f"turns benchmark {r['date']}: {r['mode']} ({', '.join(r['processes'])}), {r['shape']}")
    if r["env"]:
        print(f"  settings: {r['env']}")
    if r["experiment"]:
        print(f"  EXPERIMENT {r['experiment']}: {EXPERIMENTS[r['experiment']][0]}")
    print(
        f"  sent {r['sent']}, acknowledged {r['acked']}, answered {r['answered']}, "
        f"duplicates {r['duplicates']}, non-200 {r['non_200']}, unsent {r['unsent']}, "
        f"rejected sends {r['rejected_sends']}"
    )
    if r.get("non_200_codes"):
        print(f"  non-200 answers by status (0: no HTTP answer): {r['non_200_codes']}")
    print(
        f"  outbox {r['outbox_states']}, flagged possible duplicates "
        f"{r['outbox_possible_duplicates']}; inbox {r['inbox_states']}, with failed attempts "
        f"{r['inbox_failed_attempts']}"
    )
    if r["log_problems"]:
        print(f"  WARNING/ERROR log lines: {r['log_problems']}")
        for kind, n in r["log_problem_kinds"]:
            print(f"    {n} x {kind}")
    for dup in r["duplicate_examples"]:
        print(f"  answered twice: {dup}")
    if args.max:
        print(
            f"  sustained: {r['turns_per_s']} turns/s ({r['answered_in_window']} replies in "
            f"{r['window_s']:g} s)"
        )
    print(
        f"  added latency (webhook POST sent -> reply at fake): p50 {r['p50_ms']} ms  "
        f"p95 {r['p95_ms']} ms  p99 {r['p99_ms']} ms  max {r['max_ms']} ms"
    )
    for name, st in r.get("stages_ms", {}).items():
        print(
            f"    {name:<64} p50 {st['p50_ms']}  p95 {st['p95_ms']}  p99 {st['p99_ms']}  "
            f"max {st['max_ms']} ms"
        )
    if not args.max:
        print(
            f"  p99 from scheduled time {r['p99_from_due_ms']} ms; "
            f"webhook ack p99 {r['ack_p99_ms']} ms"
        )
    cpu = {
        k[: -len("_cpu_pct")]: v for k, v in r.items() if k.endswith("_cpu_pct") and v is not None
    }
    print(f"  CPU (% of one core): {cpu}")
    print(
        f"  bot CPU (bot processes + PostgreSQL backends) per answered turn: "
        f"{r['bot_cpu_ms_per_turn']} ms, {r['bot_cpu_ms_per_turn_above_idle']} ms above its "
        f"idle burn of {r['idle_burn_pct_of_core']}% of a core"
    )
    print(
        f"  machine busy {r['machine_busy_pct_of_2_cores']}% of 2 cores; load average (1 min) "
        f"{r['loadavg_1m_start']:.2f} at start, {r['loadavg_1m_end']:.2f} at end"
    )
    if "fsyncs_per_turn" in r:
        print(f"  fsync+fdatasync calls per turn: {r['fsyncs_per_turn']}")
    for name, ok in results.items():
        print(f"  [{'ok' if ok else 'MISS'}] {name}")
    for role, path in getattr(args, "profiles", []):
        s = ts.summarise_profile(path)
        print(f"  profile {role} ({s['samples']} samples, {path}):")
        for title in ("layers", "activities", "activity x layer", "leaves"):
            print(f"    by {title}:")
            for name, pct in s[title]:
                print(f"      {pct:5.1f}%  {name}")
        r.setdefault("profiles", {})[role] = s


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rate", type=float, default=50, help="open loop: turns/s (default 50)")
    ap.add_argument("--duration", type=float, default=20, help="measured seconds (default 20)")
    ap.add_argument("--warmup", type=float, default=3, help="seconds before, not counted")
    ap.add_argument("--max", action="store_true", help="closed loop: sustained turns/s")
    ap.add_argument("--concurrency", type=int, default=64, help="--max: customers (default 64)")
    ap.add_argument("--database-url", help="postgresql://.../test (default: SQLite)")
    ap.add_argument("--workers", type=int, default=0, help="worker processes (PostgreSQL only)")
    ap.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra setting for the bot, e.g. SNAKECAKES_QUEUE_POLL_SECONDS=0.02",
    )
    ap.add_argument(
        "--experiment",
        choices=EXPERIMENTS,
        help="what-if: patch the bot processes (see EXPERIMENTS); not a supported setting",
    )
    ap.add_argument("--validate", action="store_true", help="the fake checks send bodies")
    ap.add_argument("--gen-threads", type=int, default=32, help="open loop: client threads")
    ap.add_argument("--drain-timeout", type=float, default=30, help="seconds to wait for replies")
    ap.add_argument("--p99-target", type=float, default=150.0)
    ap.add_argument("--max-target", type=float, default=200.0)
    ap.add_argument("--profile", metavar="DIR", help="py-spy every bot process (raw stacks)")
    ap.add_argument(
        "--profile-mode",
        choices=sup.PROFILE_MODES,
        default="active",
        help="active (default): running threads; gil: the GIL holder; idle: all",
    )
    ap.add_argument("--fsyncs", action="store_true", help="count fsync calls per turn (perf stat)")
    ap.add_argument(
        "--idle-probe", type=float, default=3, help="seconds of idle CPU reading before the load"
    )
    ap.add_argument("--workdir", help="keep logs and SQLite files here (default: a temp dir)")
    ap.add_argument("--seed", type=int, default=None, help="chat numbers (default: random)")
    ap.add_argument("--json", action="store_true", help="print a JSON summary line too")
    args = ap.parse_args(argv)
    if args.workers and not (args.database_url or "").startswith("postgres"):
        ap.error("--workers needs --database-url postgresql://...")
    if args.rate <= 0 or args.duration <= 0 or args.concurrency < 1 or args.workers < 0:
        ap.error("--rate, --duration and --concurrency must be positive")
    if any("=" not in item for item in args.env):
        ap.error("--env takes NAME=VALUE")
    return args


def _on_sigterm(signum: int, _frame: object) -> None:
    """SIGTERM unwinds like Ctrl-C, so that every process we started is stopped by its PID and
    the scratch database dropped; forked generator processes just end."""
    if os.getpid() != MAIN_PID:
        os._exit(128 + signum)
    raise KeyboardInterrupt


MAIN_PID = os.getpid()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    with contextlib.ExitStack() as stack:
        if args.workdir:
            tmp = Path(args.workdir).resolve()
            tmp.mkdir(parents=True, exist_ok=True)
        else:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sc-bench-turns-")))
        args.tmp = tmp
        try:
            result = run(args, tmp)
        except BaseException:
            for log in sorted(tmp.glob("*.log")):
                print(f"--- {log.name}\n{log.read_text(errors='replace')[-2000:]}", file=sys.stderr)
            raise
        results = checks(result, args)
        report(result, results, args)
    if args.json:
        print(json.dumps(result | {"checks": results}, default=str))
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # the context managers have stopped every process by its PID
        print("interrupted", file=sys.stderr)
        sys.exit(130)
