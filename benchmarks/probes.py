"""Measurements around a benchmark phase: CPU from /proc, the server's own ack histogram."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from snakecakes.db.database import normalise_url

TICK = os.sysconf("SC_CLK_TCK")
_BUCKET = re.compile(r'^snakecakes_webhook_ack_seconds_bucket\{le="([^"]+)"\} (\S+)$', re.M)


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def runqueue_wait(pid: int) -> float:
    """Seconds the threads of a process spent runnable but waiting for a CPU (all threads)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError, ProcessLookupError, IndexError):
            total += int((task / "schedstat").read_text().split()[1])
    return total / 1e9


def machine_cpu() -> tuple[float, float]:
    """Busy and steal CPU seconds of the whole machine, summed over its cores."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = values[:8]
    return (user + nice + system + irq + softirq) / TICK, steal / TICK


def ack_buckets(url: str) -> dict[float, float]:
    """Cumulative counts of the server's `snakecakes_webhook_ack_seconds` histogram (view time)."""
    text = httpx.get(url + "/metrics", timeout=10).text
    return {float(le): float(n) for le, n in _BUCKET.findall(text)}


def view_time_summary(before: dict[float, float], after: dict[float, float]) -> dict[str, object]:
    """Share of acks whose in-app time stayed under 25 ms, and the bucket bound holding 99%."""
    delta = {le: after.get(le, 0.0) - before.get(le, 0.0) for le in after}
    total = delta.get(float("inf"), 0.0)
    if not total:
        return {"view_under_25ms_pct": None, "view_p99_le_ms": None}
    bound = next((le for le in sorted(delta) if delta[le] >= 0.99 * total), float("inf"))
    return {
        "view_under_25ms_pct": round(100 * delta.get(0.025, 0.0) / total, 2),
        "view_p99_le_ms": None if bound == float("inf") else round(bound * 1000, 1),
    }


def pg_backend_pids(engine_url: str) -> list[int]:
    """PostgreSQL backends connected to the benchmark database (their CPU is ours too)."""
    engine = create_engine(normalise_url(engine_url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            return [int(pid) for (pid,) in rows]
    finally:
        engine.dispose()


def processes_cpu(pids: list[int]) -> dict[int, float]:
    """CPU seconds per process, leaving out those that are gone."""
    out: dict[int, float] = {}
    for pid in pids:
        try:
            out[pid] = process_cpu(pid)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return out
