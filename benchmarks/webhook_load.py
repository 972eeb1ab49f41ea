"""The load generator behind benchmarks/webhook_ack.py: pre-signed bodies, sent open-loop.

Open loop: request ``i`` is due at ``t0 + i / rate`` whatever happened to the earlier ones, and its
latency is counted from that due time, not from the moment a generator thread got round to sending
it. A generator (or server) that falls behind therefore shows up as latency instead of silently
lowering the rate ("coordinated omission"). Every body is built and signed before the clock starts,
so the timed phase only does HTTP.
"""

from __future__ import annotations

import multiprocessing as mp
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx

from snakecakes.simulator import payloads as p

Sample = tuple[int, float, float, float, int]  # index, due, sent, answered (monotonic s), status
TRANSPORT_ERROR = 0  # status recorded when no HTTP answer came back


@dataclass
class Plan:
    bodies: list[bytes]
    headers: list[dict[str, str]]
    origin: list[int]  # index of the first delivery of each body (itself, unless a redelivery)
    counts: list[int]  # inbound messages in each body
    messages: int  # distinct inbound messages in first deliveries: what the inbox must hold
    statuses: int
    batches: int
    redeliveries: int


@dataclass
class LoadResult:
    t0: float
    samples: list[Sample]
    errors: dict[str, int]
    cpu_seconds: float  # generator CPU time (all its processes) during the timed phase
    unsent: int


def build_plan(
    count: int,
    secret: str,
    phone_number_id: str,
    *,
    batch_share: float,
    batch_size: int,
    batch_statuses: int,
    redelivery_share: float,
    rng: random.Random,
) -> Plan:
    """``count`` signed bodies; redeliveries repeat an earlier body byte for byte."""
    customers = [f"49151{rng.randrange(10**7):07d}" for _ in range(500)]
    bodies: list[bytes] = []
    headers: list[dict[str, str]] = []
    firsts: list[int] = []
    plan = Plan(bodies, headers, [], [], 0, 0, 0, 0)
    for i in range(count):
        roll = rng.random()
        if firsts and roll < redelivery_share:
            j = rng.choice(firsts)
            bodies.append(bodies[j])
            headers.append(headers[j])
            plan.origin.append(j)
            plan.counts.append(plan.counts[j])
            plan.redeliveries += 1
            continue
        if roll < redelivery_share + batch_share and batch_size > 1:
            senders = [rng.choice(customers) for _ in range(batch_size)]
            msgs = [p.text(p.new_wamid(s), s, f"Torte {i}/{n}") for n, s in enumerate(senders)]
            sts = [p.status(p.new_wamid(s), "delivered", s) for s in senders[:batch_statuses]]
            changes = [p.change(phone_number_id, messages=msgs)]
            if sts:  # about wamids we never sent: the worst case for applying statuses
                changes.append(p.change(phone_number_id, statuses=sts))
            plan.batches += 1
            plan.statuses += len(sts)
        else:
            sender = rng.choice(customers)
            msgs = [p.text(p.new_wamid(sender), sender, f"Ich hätte gern eine Torte ({i})")]
            changes = [p.change(phone_number_id, messages=msgs)]
        raw, head = p.signed(p.envelope(*changes), secret)
        bodies.append(raw)
        headers.append(head)
        firsts.append(i)
        plan.origin.append(i)
        plan.counts.append(len(msgs))
        plan.messages += len(msgs)
    return plan


def run_load(
    url: str,
    plan: Plan,
    rate: float,
    *,
    procs: int,
    threads: int,
    timeout: float,
    grace: float,
    on_start: Callable[[], None] = lambda: None,
) -> LoadResult:
    """Send ``plan`` at ``rate``/s from ``procs`` processes of ``threads`` keep-alive clients each.

    Process ``k`` sends requests ``k, k + procs, ...``; all share one ``t0`` on the system-wide
    monotonic clock. Requests not started by ``t0 + duration + grace`` are abandoned (``unsent``).
    """
    ctx = mp.get_context("spawn")  # not fork: this process runs threads (the fake Graph API)
    start = ctx.Value("d", 0.0)
    go = ctx.Event()
    ready: Any = ctx.Queue()
    out: Any = ctx.Queue()
    workers = [
        ctx.Process(
            target=_worker,
            args=(k, procs, url, plan, rate, threads, timeout, grace, start, go, ready, out),
            daemon=True,
        )
        for k in range(procs)
    ]
    try:
        for w in workers:
            w.start()
        for _ in workers:
            ready.get(timeout=60)
        on_start()  # when every client is connected: CPU readings start here
        start.value = time.monotonic() + 0.2
        go.set()
        deadline = len(plan.bodies) / rate + grace + timeout + 30
        parts = [out.get(timeout=deadline) for _ in workers]
        for w in workers:
            w.join(timeout=10)
    finally:
        for w in workers:
            if w.is_alive() and w.pid is not None:
                w.terminate()
                w.join(timeout=5)
    result = LoadResult(start.value, [], {}, 0.0, 0)
    for samples, errors, cpu, unsent in parts:
        result.samples.extend(samples)
        result.cpu_seconds += cpu
        result.unsent += unsent
        for name, n in errors.items():
            result.errors[name] = result.errors.get(name, 0) + n
    return result


def _worker(
    k: int,
    procs: int,
    url: str,
    plan: Plan,
    rate: float,
    threads: int,
    timeout: float,
    grace: float,
    start: Any,
    go: Any,
    ready: Any,
    out: Any,
) -> None:
    indices = iter(range(k, len(plan.bodies), procs))
    lock = threading.Lock()
    samples: list[Sample] = []
    errors: dict[str, int] = {}
    unsent = [0]
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [httpx.Client(base_url=url, timeout=timeout, limits=limits) for _ in range(threads)]
    for client in clients:
        client.get("/healthz").raise_for_status()  # open every keep-alive connection up front
    ready.put(k)
    go.wait()
    t0 = start.value
    stop_at = t0 + len(plan.bodies) / rate + grace

    def loop(client: httpx.Client) -> None:
        while True:
            with lock:
                i = next(indices, None)
            if i is None:
                return
            due = t0 + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            sent = time.monotonic()
            if sent > stop_at:
                with lock:
                    unsent[0] += 1
                continue
            try:
                status = client.post("/webhook", content=plan.bodies[i], headers=plan.headers[i])
                code = status.status_code
            except httpx.HTTPError as exc:
                code = TRANSPORT_ERROR
                with lock:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            samples.append((i, due, sent, time.monotonic(), code))

    cpu0 = time.process_time()
    pool = [threading.Thread(target=loop, args=(c,), daemon=True) for c in clients]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    cpu = time.process_time() - cpu0
    for client in clients:
        client.close()
    out.put((samples, errors, cpu, unsent[0]))


def distinct_messages(plan: Plan, indices: Iterable[int]) -> int:
    """Distinct inbound messages carried by the requests ``indices`` (redeliveries count once)."""
    return sum(plan.counts[j] for j in {plan.origin[i] for i in indices})


def percentile(sorted_ms: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_ms:
        return float("nan")
    return sorted_ms[min(len(sorted_ms) - 1, max(0, round(q / 100 * len(sorted_ms)) - 1))]


def summarize(load: LoadResult) -> dict[str, Any]:
    """Latency from the due time (what Meta would see), plus its two parts, and the answers."""
    samples = load.samples
    lat = sorted((end - due) * 1000 for _, due, _, end, _ in samples)
    service = sorted((end - sent) * 1000 for _, _, sent, end, _ in samples)
    lag = sorted((sent - due) * 1000 for _, due, sent, _, _ in samples)
    wall = max((end for *_, end, _ in samples), default=load.t0) - load.t0
    non200: dict[str, int] = {}
    for *_, code in samples:
        if code != 200:
            key = "transport" if code == TRANSPORT_ERROR else str(code)
            non200[key] = non200.get(key, 0) + 1
    return {
        "answered": len(samples),
        "unsent": load.unsent,
        "wall_s": round(wall, 3),
        "achieved_rate": round(len(samples) / wall, 1) if wall > 0 else 0.0,
        **{f"p{q}_ms": round(percentile(lat, q), 2) for q in (50, 95, 99)},
        "max_ms": round(lat[-1], 2) if lat else None,
        "service_p99_ms": round(percentile(service, 99), 2),
        "generator_lag_p99_ms": round(percentile(lag, 99), 2),
        "non_200": non200,
        "transport_errors": load.errors,
    }
