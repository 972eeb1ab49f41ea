"""Outbound sender benchmark: a backlog of outbox rows drained by `snakecakes serve` into the fake
Graph API, both in processes of their own, on 127.0.0.1.

Queues ``--messages`` text messages to ``--customers`` customers (round-robin) as outbox rows,
then wakes each chat the way the bot does after queueing (one `snakecakes.deliver_chat`
workflow per chat on DBOS's `outbox` queue, partitioned by chat; enqueued here with a
`DBOSClient`, the cross-process form of `Sender.wake`), with the production sweep settings
(10 s / 30 s grace). ``--wake sweep`` instead leaves the pick-up to the outbox sweep
(SNAKECAKES_SWEEP_SECONDS=0.5, GRACE 0.2: up to about 0.7 s of pick-up delay, and re-wakes of
still-queued chats every sweep). Rates are measured at the fake, from the first to the last
accepted send, so pick-up delay does not count. Checks: achieved rate >= 95% of
SNAKECAKES_SEND_RATE, busiest 1-second window <= the limit, outbox rows `sent` == queued ==
accepted by the fake, no message accepted twice. Exit status 1 when a check fails. CPU comes
from /proc: the bot's and the fake's processes, and "other processes" = the whole machine's busy
time minus those two (on PostgreSQL that includes the database server).

    .venv/bin/python benchmarks/sender.py --messages 5000 --customers 500 --rate 60
    .venv/bin/python benchmarks/sender.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sender_support as sup
from sqlalchemy import select, text

from snakecakes import __version__
from snakecakes.bot import durable
from snakecakes.bot.whatsapp import messages, outbox
from snakecakes.config import Settings
from snakecakes.db.database import Database
from snakecakes.db.models import Bot

PHONE_ID = "106540352242922"
RATE_TARGET = 0.95


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--messages", type=int, default=5000)
    p.add_argument("--customers", type=int, default=500)
    p.add_argument("--rate", type=float, default=60.0, help="SNAKECAKES_SEND_RATE")
    p.add_argument("--pair-burst", type=int, default=20, help="SNAKECAKES_PAIR_BURST")
    p.add_argument("--database-url", help="postgresql://.../test: a scratch DB is made through it")
    p.add_argument("--wake", choices=("client", "sweep"), default="client")
    p.add_argument("--no-validate", action="store_true", help="fake skips schema validation")
    p.add_argument("--timeout", type=float, help="seconds to wait for all sent (default: 2x+60)")
    p.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                   help="extra setting for serve, e.g. SNAKECAKES_WORKER_THREADS=16")  # fmt: skip
    p.add_argument("--profile", metavar="PATH", help="py-spy record (raw) the bot while sending")
    p.add_argument("--profile-mode", choices=sup.PROFILE_MODES, default="gil",
                   help="gil: the GIL holder (CPU); idle: every thread, waits too")  # fmt: skip
    p.add_argument("--workdir", help="keep logs and SQLite files here (default: a temp dir)")
    p.add_argument("--save-sends", metavar="PATH", help="write the fake's records (JSON) here")
    p.add_argument("--json", action="store_true", help="print a JSON summary line too")
    args = p.parse_args(argv)
    if not 0 < args.customers <= args.messages <= 100_000:
        p.error("need 0 < --customers <= --messages <= 100000")
    return args


def queue_backlog(db: Database, count: int, customers: int) -> tuple[int, list[str]]:
    """The outbox rows, in one transaction; returns the bot's id and the chats."""
    chats = [f"4917{i:09d}" for i in range(customers)]
    with db.transaction() as session:
        bot_id = session.scalars(select(Bot.id).where(Bot.phone_number_id == PHONE_ID)).one()
        for i in range(count):
            to = chats[i % customers]
            body = messages.text(to, f"bench message {i}")
            outbox.queue_message(session, bot_id=bot_id, chat_key=to, recipient=to, body=body)
    return bot_id, chats


def wake_chats(db_url: str, bot_id: int, chats: list[str]) -> None:
    """What `Sender.wake` does, from outside the process: one drain workflow per chat."""
    from dbos import DBOSClient, EnqueueOptions

    sys_url = durable.system_database_url(Settings.model_construct(database_url=db_url))
    client = DBOSClient(system_database_url=sys_url)
    try:
        for chat in chats:
            options: EnqueueOptions = {
                "workflow_name": "snakecakes.deliver_chat",
                "queue_name": durable.OUTBOX_QUEUE,
                "queue_partition_key": f"{bot_id}:{chat}",
                "app_version": __version__,
                "application_name": durable.APP_NAME,
            }
            client.enqueue(options, bot_id, chat)
    finally:
        client.destroy()


def outbox_states(db: Database) -> dict[str, int]:
    with db.read() as session:
        rows = session.execute(text("SELECT state, count(*) FROM outbox GROUP BY state")).all()
    return {str(state): int(n) for state, n in rows}


def wait_all_final(db: Database, count: int, timeout: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    next_note = time.monotonic() + 15
    while True:
        states = outbox_states(db)
        if states.get("sent", 0) + states.get("failed", 0) >= count:
            return states
        if time.monotonic() > deadline:
            print(f"timed out after {timeout:.0f}s: {states}", file=sys.stderr)
            return states
        if time.monotonic() > next_note:
            print(f"  ... {states}", file=sys.stderr)
            next_note += 15
        time.sleep(0.25)


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    token = "bench-" + secrets.token_urlsafe(16)
    fake_cm = sup.FakeGraphProcess.running(
        tmp, tokens={PHONE_ID: token}, validate=not args.no_validate
    )
    with sup.scratch_database(args.database_url, tmp) as db_url, fake_cm as fake:
        sweep = ("0.5", "0.2") if args.wake == "sweep" else ("10", "30")  # sweep: the defaults
        env = sup.clean_env(
            DATABASE_URL=db_url,
            SNAKECAKES_SECRET_KEY=secrets.token_urlsafe(32),
            WHATSAPP_PHONE_NUMBER_ID=PHONE_ID,
            WHATSAPP_ACCESS_TOKEN=token,
            WHATSAPP_APP_SECRET=secrets.token_hex(16),
            WHATSAPP_VERIFY_TOKEN=secrets.token_hex(8),
            WHATSAPP_API_BASE_URL=fake.url,
            SNAKECAKES_SEND_RATE=str(args.rate),
            SNAKECAKES_PAIR_BURST=str(args.pair_burst),
            SNAKECAKES_SWEEP_SECONDS=sweep[0],
            SNAKECAKES_SWEEP_GRACE_SECONDS=sweep[1],
            SNAKECAKES_EXECUTOR_ID="bench-sender",
            SNAKECAKES_LOG_LEVEL="INFO",
        )
        env |= dict(item.split("=", 1) for item in args.env)
        db = Database(db_url, pool_size=2)
        try:
            with sup.bot_server(env, tmp) as bot:
                return measure(args, db, db_url, fake, bot.pid)
        finally:
            db.dispose()


def measure(
    args: argparse.Namespace, db: Database, db_url: str, fake: sup.FakeGraphProcess, pid: int
) -> dict[str, Any]:
    load_start = os.getloadavg()[0]
    t_queue = time.monotonic()
    bot_id, chats = queue_backlog(db, args.messages, args.customers)
    queue_s = time.monotonic() - t_queue
    profiler = sup.start_profiler(pid, args.profile, args.profile_mode) if args.profile else None
    try:
        cpu0, fake_cpu0, busy0 = (
            sup.process_cpu(pid), sup.process_cpu(fake.proc.pid), sup.machine_busy(),
        )  # fmt: skip
        t0 = time.monotonic()
        if args.wake == "client":
            wake_chats(db_url, bot_id, chats)
        wake_s = time.monotonic() - t0
        timeout = args.timeout or 2 * args.messages / args.rate + 60
        states = wait_all_final(db, args.messages, timeout)
        wall = time.monotonic() - t0
        cpu, fake_cpu = sup.process_cpu(pid) - cpu0, sup.process_cpu(fake.proc.pid) - fake_cpu0
        busy = sup.machine_busy() - busy0
    finally:
        if profiler is not None:
            sup.stop_profiler(profiler)
    records = fake.requests()
    if args.save_sends:
        Path(args.save_sends).write_text(json.dumps({"t0": t0, "records": records}))
    figures = sup.analyse(records, args.messages, args.rate)
    with db.read() as session:
        row_wamids = set(session.scalars(text("SELECT wamid FROM outbox WHERE state = 'sent'")))
        flagged = session.scalar(text("SELECT count(*) FROM outbox WHERE possible_duplicate"))
    wamids = figures.pop("wamids")
    first = figures.pop("first_send_at")
    sent = states.get("sent", 0)
    return {
        "date": time.strftime("%Y-%m-%d"),
        "time_utc": time.strftime("%H:%M", time.gmtime()),
        "load_1m": [round(load_start, 2), round(os.getloadavg()[0], 2)],
        "database": "sqlite" if db_url.startswith("sqlite") else "postgresql",
        "wake": args.wake,
        "messages": args.messages,
        "customers": args.customers,
        "limit": args.rate,
        **figures,
        "sent_rows": sent,
        "other_rows": {k: v for k, v in states.items() if k != "sent"},
        "row_wamids_match": row_wamids == wamids,
        "flagged_possible_duplicate": int(flagged or 0),
        "queue_s": round(queue_s, 2),
        "wake_s": round(wake_s, 2),
        "pickup_s": round(first - t0, 2) if first is not None else None,
        "wall_s": round(wall, 2),
        "bot_cpu_s": round(cpu, 2),
        "bot_cpu_ms_per_msg": round(1000 * cpu / max(sent, 1), 2),
        "bot_cpu_pct_of_core": round(100 * cpu / wall, 1),
        "fake_cpu_s": round(fake_cpu, 2),
        "machine_busy_pct": round(100 * busy / wall / (os.cpu_count() or 1), 1),
        "others_cpu_pct_of_core": round(100 * (busy - cpu - fake_cpu) / wall, 1),
    }


def checks(s: dict[str, Any]) -> dict[str, bool]:
    return {
        f"rate >= {RATE_TARGET:.0%} of limit": s["rate"] >= RATE_TARGET * s["limit"],
        "rate <= limit": s["rate"] <= s["limit"],
        "peak 1-s window <= limit": s["peak_1s"] <= s["limit"],
        "sent rows == queued == accepted": s["sent_rows"] == s["messages"] == s["accepted"],
        "no duplicates, none missing": s["duplicates"] == 0 and s["missing"] == 0,
        "outbox wamids == accepted wamids": s["row_wamids_match"],
    }


def report(s: dict[str, Any], results: dict[str, bool]) -> None:
    print(
        f"sender benchmark {s['date']} {s['time_utc']} UTC: {s['messages']} messages to "
        f"{s['customers']} customers, "
        f"{s['database']}, wake={s['wake']}"
    )
    cpu = f"{s['bot_cpu_ms_per_msg']} ms/msg, {s['bot_cpu_pct_of_core']}% of a core"
    rows = [
        ("achieved rate at the fake (first->last)", f"{s['rate']:.2f}/s over {s['send_span_s']}s"),
        ("configured limit", f"{s['limit']:g}/s"),
        ("percent of limit", f"{s['pct_of_limit']}%"),
        ("rate over the middle 80% of sends", f"{s['rate_mid80']:.2f}/s"),
        ("peak 1-second window at the fake", str(s["peak_1s"])),
        (
            "gap between sends p1 / p50 / p90 / p99",
            f"{s['gap_p1_ms']} / {s['gap_p50_ms']} / " f"{s['gap_p90_ms']} / {s['gap_p99_ms']} ms",
        ),
        ("bot CPU", f"{s['bot_cpu_s']}s ({cpu})"),
        ("fake Graph API CPU", f"{s['fake_cpu_s']}s"),
        (
            "machine busy (all cores) / other processes",
            f"{s['machine_busy_pct']}% / " f"{s['others_cpu_pct_of_core']}% of a core",
        ),
        (
            "rows sent / queued / accepted at fake",
            f"{s['sent_rows']} / {s['messages']} / " f"{s['accepted']}",
        ),
        (
            "duplicates / missing / rejected",
            f"{s['duplicates']} / {s['missing']} / " f"{s['rejected']}",
        ),
        (
            "other outbox states / flagged duplicate",
            f"{s['other_rows']} / " f"{s['flagged_possible_duplicate']}",
        ),
        (
            "queue / wake / pick-up (wake->1st send)",
            f"{s['queue_s']}s / {s['wake_s']}s / " f"{s['pickup_s']}s",
        ),
        ("wall time (wake -> all sent)", f"{s['wall_s']}s"),
        ("load average 1 min (start -> end)", f"{s['load_1m'][0]} -> {s['load_1m'][1]}"),
    ]
    for name, value in rows:
        print(f"  {name:<42} {value}")
    for name, ok in results.items():
        print(f"  [{'ok' if ok else 'MISS'}] {name}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with contextlib.ExitStack() as stack:
        if args.workdir:
            tmp = Path(args.workdir).resolve()
            tmp.mkdir(parents=True, exist_ok=True)
        else:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sc-bench-sender-")))
        try:
            summary = run(args, tmp)
        except BaseException:
            log = tmp / "server.log"
            if log.exists():
                print(log.read_text()[-3000:], file=sys.stderr)
            raise
    results = checks(summary)
    report(summary, results)
    if args.json:
        print(json.dumps(summary | {"checks": results}))
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
