"""Webhook acknowledgement benchmark: signed webhooks at a fixed rate against `snakecakes serve`.

Starts the real server as a subprocess on 127.0.0.1 (a fresh SQLite file by default, or a
throw-away PostgreSQL database), sends Meta-shaped signed bodies open-loop at ``--rate`` for
``--duration`` seconds (single messages, batches, redeliveries), prints ack latency percentiles
counted from each request's scheduled send time, and checks that the inbox holds exactly the
distinct messages sent. ``--find-max`` steps the rate up until p99 passes 250 ms or errors appear.

    .venv/bin/python benchmarks/webhook_ack.py --rate 300 --duration 20
    .venv/bin/python benchmarks/webhook_ack.py --find-max
    .venv/bin/python benchmarks/webhook_ack.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import probes
from bench_server import Server, count_rows, server
from webhook_load import build_plan, distinct_messages, run_load, summarize

from snakecakes.simulator import payloads as p

P99_LIMIT_MS = 250.0


def phase(
    srv: Server, args: argparse.Namespace, rate: float, duration: float, rng: random.Random
) -> dict[str, Any]:
    count = max(1, round(rate * duration))
    plan = build_plan(
        count,
        srv.app_secret,
        p.PHONE_NUMBER_ID,
        batch_share=args.batch_share,
        batch_size=args.batch_size,
        batch_statuses=args.batch_statuses,
        redelivery_share=args.redelivery_share,
        rng=rng,
    )
    inbox0, statuses0 = count_rows(srv.database_url)
    buckets0 = probes.ack_buckets(srv.url)
    is_pg = not srv.database_url.startswith("sqlite")
    backends = probes.pg_backend_pids(srv.database_url) if is_pg else []
    worker = [srv.worker_pid] if srv.worker_pid else []
    before: list[Any] = []

    def readings() -> list[Any]:
        cpu, own = probes.process_cpu(srv.pid), time.process_time()
        pg, wk = probes.processes_cpu(backends), probes.processes_cpu(worker)
        rq = probes.runqueue_wait(srv.pid)
        return [time.monotonic(), cpu, own, *probes.machine_cpu(), pg, sum(wk.values()), rq]

    load = run_load(
        srv.url,
        plan,
        rate,
        procs=args.gen_procs,
        threads=args.gen_threads,
        timeout=10,
        grace=10,
        on_start=lambda: before.extend(readings()),
    )
    (t0, cpu0, own0, busy0, steal0, pg0, wk0, rq0) = before
    (t1, cpu1, own1, busy1, steal1, pg1, wk1, rq1) = readings()
    span = max(t1 - t0, 1e-9)  # CPU shares are over this span: from the start to the last answer
    pg_cpu = sum(pg1[pid] - pg0[pid] for pid in pg1 if pid in pg0)
    view = probes.view_time_summary(buckets0, probes.ack_buckets(srv.url))
    inbox1, statuses1 = count_rows(srv.database_url)
    r = summarize(load)
    answered = [s[0] for s in load.samples]
    sent = distinct_messages(plan, answered)  # the requests actually sent
    acked = distinct_messages(plan, (s[0] for s in load.samples if s[4] == 200))  # must be stored
    stored = inbox1 - inbox0
    ours = (cpu1 - cpu0) + load.cpu_seconds + pg_cpu + (own1 - own0) + (wk1 - wk0)
    others = (busy1 - busy0) - ours
    return {
        "db": "postgresql" if is_pg else "sqlite",
        "server": ("serve --web-only" + " (no worker)" * args.no_worker)
        if args.web_only
        else "serve",
        "target_rate": rate,
        "duration_s": duration,
        "requests": count,
        "batches": plan.batches,
        "redeliveries": plan.redeliveries,
        **r,
        **view,
        "server_cpu_pct": round(100 * (cpu1 - cpu0) / span, 1),
        "server_cpu_ms_per_request": round(1000 * (cpu1 - cpu0) / max(1, r["answered"]), 2),
        # the server's threads were runnable but had no CPU: time lost to the machine's load
        "server_runqueue_wait_pct": round(100 * (rq1 - rq0) / span, 1),
        "worker_cpu_pct": round(100 * (wk1 - wk0) / span, 1) if worker else None,
        "generator_cpu_pct": round(100 * load.cpu_seconds / span, 1),
        "fake_graph_cpu_pct": round(100 * (own1 - own0) / span, 1),  # this process: the fake
        "postgres_cpu_pct": round(100 * pg_cpu / span, 1) if is_pg else None,
        "other_cpu_pct": round(100 * others / span, 1),  # other processes on the machine
        "steal_cpu_pct": round(100 * (steal1 - steal0) / span, 1),
        "messages_sent": sent,
        "messages_acked": acked,
        "messages_stored": stored,
        "statuses_planned": plan.statuses,
        "statuses_stored": statuses1 - statuses0,
        "lost": max(0, acked - stored),
    }


def ok(r: dict[str, Any]) -> bool:
    return not r["non_200"] and not r["unsent"] and r["messages_stored"] == r["messages_sent"]


def show(r: dict[str, Any]) -> None:
    errs = ", ".join(f"{k}: {v}" for k, v in sorted(r["non_200"].items())) or "none"
    if r["transport_errors"]:
        errs += f" ({r['transport_errors']})"
    cpu = [f"server {r['server_cpu_pct']} ({r['server_cpu_ms_per_request']} ms/request)"]
    for key, name in (
        ("worker_cpu_pct", "worker"),
        ("generator_cpu_pct", "generator"),
        ("fake_graph_cpu_pct", "fake Graph API"),
        ("postgres_cpu_pct", "PostgreSQL backends"),
        ("other_cpu_pct", "other processes"),
        ("steal_cpu_pct", "steal"),
    ):
        if r[key] is not None:
            cpu.append(f"{name} {r[key]}")
    lines = [
        f"[{r['server']}, {r['db']}] {r['target_rate']:g} req/s for {r['duration_s']:g} s: "
        f"{r['answered']}/{r['requests']} answered ({r['batches']} batches, "
        f"{r['redeliveries']} redeliveries), achieved {r['achieved_rate']} req/s",
        f"ack latency from schedule: p50 {r['p50_ms']} ms  p95 {r['p95_ms']} ms  "
        f"p99 {r['p99_ms']} ms  max {r['max_ms']} ms",
        f"p99 service time {r['service_p99_ms']} ms, p99 generator lag "
        f"{r['generator_lag_p99_ms']} ms; in-app ack time: {r['view_under_25ms_pct']}% under "
        f"25 ms, p99 <= {r['view_p99_le_ms']} ms",
        f"server threads waiting for a CPU: {r['server_runqueue_wait_pct']}% of the time "
        "(summed over threads)",
        "CPU (% of one core): " + ", ".join(cpu),
        f"non-200: {errs}; unsent: {r['unsent']}",
        f"inbox: {r['messages_stored']} stored / {r['messages_sent']} distinct sent "
        f"({r['messages_acked']} acknowledged); statuses {r['statuses_stored']} / "
        f"{r['statuses_planned']} planned",
    ]
    print("\n  ".join(lines), flush=True)
    if r["lost"]:
        print(f"  LOST: {r['lost']}")
    elif r["messages_stored"] == r["messages_sent"]:
        print("  OK: stored == sent")
    else:  # a timed-out request may or may not have been stored; none acknowledged was lost
        print("  stored != sent, but every acknowledged message is stored (see non-200 answers)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rate", type=float, default=300, help="requests/s (default 300)")
    ap.add_argument("--duration", type=float, default=20, help="seconds (default 20)")
    ap.add_argument("--warmup", type=float, default=2, help="seconds at --rate, not counted")
    ap.add_argument("--batch-share", type=float, default=0.10, help="share of batch bodies")
    ap.add_argument("--batch-size", type=int, default=20, help="messages per batch (default 20)")
    ap.add_argument(
        "--batch-statuses", type=int, default=10, help="statuses per batch (default 10)"
    )
    ap.add_argument("--redelivery-share", type=float, default=0.05, help="re-sent earlier bodies")
    ap.add_argument("--threads", type=int, default=None, help="server threads (default: settings)")
    ap.add_argument(
        "--web-only",
        action="store_true",
        help="serve --web-only: no workers in the server (default: serve with its workers, "
        "which answer through a fake Graph API run by this script)",
    )
    ap.add_argument(
        "--no-worker",
        action="store_true",
        help="with --web-only: start no worker (the web process alone; jobs stay queued)",
    )
    ap.add_argument(
        "--database-url", help="postgresql://user@host:port/<admin db> (default SQLite)"
    )
    ap.add_argument(
        "--server-env",
        action="append",
        default=[],
        type=lambda kv: tuple(kv.split("=", 1)),
        metavar="NAME=VALUE",
        help="extra setting for the server, e.g. SNAKECAKES_QUEUE_POLL_SECONDS=1 (repeatable)",
    )
    ap.add_argument("--server-log", type=Path, help="keep the server's output in this file")
    ap.add_argument("--gen-procs", type=int, default=1, help="generator processes (default 1)")
    ap.add_argument("--gen-threads", type=int, default=48, help="clients per generator process")
    ap.add_argument("--find-max", action="store_true", help="step the rate up until p99 > 250 ms")
    ap.add_argument("--step", type=float, default=200, help="--find-max rate step (default 200)")
    ap.add_argument("--step-duration", type=float, default=8, help="--find-max seconds per step")
    ap.add_argument("--max-rate", type=float, default=3000, help="--find-max upper bound")
    ap.add_argument("--cooldown", type=float, default=3, help="--find-max pause between steps")
    ap.add_argument("--seed", type=int, default=1, help="mix of bodies (wamids stay unique)")
    ap.add_argument("--json", action="store_true", help="print one JSON summary line at the end")
    args = ap.parse_args(argv)
    if not 0 <= args.batch_share + args.redelivery_share <= 1 or args.rate <= 0:
        ap.error("shares must be within 0..1 together, and the rate positive")
    if args.no_worker and not args.web_only:
        ap.error("--no-worker needs --web-only")
    if any(len(kv) != 2 for kv in args.server_env):
        ap.error("--server-env takes NAME=VALUE")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rng = random.Random(args.seed)
    with (
        tempfile.TemporaryDirectory(prefix="snakecakes-bench-") as tmp,
        server(
            args.database_url,
            Path(tmp),
            threads=args.threads,
            web_only=args.web_only,
            extra_env=dict(args.server_env),
            log_path=args.server_log,
            worker=not args.no_worker,
        ) as srv,
    ):
        if args.warmup > 0:
            phase(srv, args, args.rate, args.warmup, rng)
        if not args.find_max:
            result = phase(srv, args, args.rate, args.duration, rng)
            show(result)
            if args.json:
                print(json.dumps(result, sort_keys=True))
            return 0 if ok(result) else 1
        best, steps = find_max(srv, args, rng)
        print(f"highest rate with p99 under {P99_LIMIT_MS:g} ms and no errors: {best} req/s")
        if args.json:
            print(json.dumps({"max_rate": best, "steps": steps}, sort_keys=True))
        return 0


def find_max(
    srv: Server, args: argparse.Namespace, rng: random.Random
) -> tuple[float | None, list[dict[str, Any]]]:
    """Step up from --rate while steps pass; halve down if the first fails; then bisect twice."""
    steps: list[dict[str, Any]] = []

    def passes(rate: float) -> bool:
        if steps:
            time.sleep(args.cooldown)  # let the server drain what the last step left behind
        r = phase(srv, args, rate, args.step_duration, rng)
        steps.append(r)
        show(r)
        return ok(r) and r["p99_ms"] <= P99_LIMIT_MS

    best: float | None = None
    fail: float | None = None
    rate = args.rate
    while rate <= args.max_rate and fail is None:
        if passes(rate):
            best, rate = rate, rate + args.step
        else:
            fail = rate
    for _ in range(3):  # the first step failed: look below it
        if best is not None or fail is None or fail / 2 < 10:
            break
        if passes(fail / 2):
            best = fail / 2
        else:
            fail = fail / 2
    for _ in range(2):  # narrow the gap between the last pass and the first failure
        if best is None or fail is None or fail - best <= 20:
            break
        mid = round((best + fail) / 20) * 10
        if passes(mid):
            best = mid
        else:
            fail = mid
    return best, steps


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # the context managers have stopped the server and its database
        print("interrupted", file=sys.stderr)
        sys.exit(130)
