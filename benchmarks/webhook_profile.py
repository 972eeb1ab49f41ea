"""CPU cost of the webhook path in one thread, robust to a shared machine.

Builds the real Flask app (`create_app`) on a fresh SQLite file (or PostgreSQL) with the default
bot, then calls its WSGI entry directly, one request after another, with the same mix of bodies
as benchmarks/webhook_ack.py (single messages, batches with statuses, redeliveries). It reports
CPU seconds per request from ``time.thread_time()`` (CPU of this thread only: waiting for a core
on a busy machine does not count), so figures from a loaded machine compare with each other.
Waitress is left out: its share is in webhook_ack.py's server CPU per request.

    .venv/bin/python benchmarks/webhook_profile.py --requests 3000
    .venv/bin/python benchmarks/webhook_profile.py --requests 2000 --profile 30
    .venv/bin/python benchmarks/webhook_profile.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_server import database
from webhook_load import build_plan

from snakecakes.simulator import payloads as p


def build_app(db_url: str, app_secret: str) -> Any:
    from snakecakes.app import build_services, create_app
    from snakecakes.bot.bots import ensure_default_bot
    from snakecakes.config import load_settings
    from snakecakes.crypto import SecretBox
    from snakecakes.db import migrate
    from snakecakes.db.database import Database
    from snakecakes.logs import configure_logging

    settings = load_settings(
        database_url=db_url,
        secret_key=secrets.token_urlsafe(32),
        whatsapp_phone_number_id=p.PHONE_NUMBER_ID,
        whatsapp_access_token="bench-access-token",
        whatsapp_app_secret=app_secret,
        whatsapp_verify_token="bench-verify-token",
    )
    configure_logging(settings.log_level, settings.log_format)  # as `serve` does: INFO, text
    assert settings.secret_key is not None
    db = Database(settings.database_url, pool_size=settings.db_pool_size)
    migrate.upgrade(db)
    ensure_default_bot(db, settings, SecretBox(settings.secret_key.get_secret_value()))
    services = build_services(settings, db)
    services.bots.refresh()
    return create_app(services), db


def environ(body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """What waitress hands a WSGI app for a POST /webhook (the headers Meta and httpx send)."""
    env: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/webhook",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8080",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
        "HTTP_HOST": "127.0.0.1:8080",
        "HTTP_USER_AGENT": "python-httpx/0.28.1",
        "HTTP_ACCEPT": "*/*",
        "HTTP_ACCEPT_ENCODING": "gzip, deflate",
        "HTTP_CONNECTION": "keep-alive",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in headers.items():
        key = "HTTP_" + name.upper().replace("-", "_")
        if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
            env[key] = value
    return env


def drive(app: Any, requests: Iterable[tuple[bytes, dict[str, str]]]) -> list[float]:
    """Thread CPU seconds of each request, answer body read to the end (as waitress does)."""
    costs: list[float] = []
    statuses: list[str] = []

    def start_response(status: str, _headers: Any, _exc: Any = None) -> Callable[[bytes], None]:
        statuses.append(status)
        return lambda _data: None

    for body, headers in requests:
        env = environ(body, headers)
        t0 = time.thread_time()
        out = app(env, start_response)
        for _chunk in out:
            pass
        if hasattr(out, "close"):
            out.close()
        costs.append(time.thread_time() - t0)
        if not statuses[-1].startswith("200"):
            raise SystemExit(f"request answered {statuses[-1]}")
    return costs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--requests", type=int, default=3000, help="timed requests (default 3000)")
    ap.add_argument("--warmup", type=int, default=300, help="untimed requests first")
    ap.add_argument("--batch-share", type=float, default=0.10)
    ap.add_argument("--batch-size", type=int, default=20)
    ap.add_argument("--batch-statuses", type=int, default=10)
    ap.add_argument("--redelivery-share", type=float, default=0.05)
    ap.add_argument("--database-url", help="postgresql://user@host:port/<admin db>")
    ap.add_argument("--profile", type=int, metavar="N", help="cProfile: print the top N by tottime")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    app_secret = secrets.token_hex(16)
    plan = build_plan(
        args.warmup + args.requests,
        app_secret,
        p.PHONE_NUMBER_ID,
        batch_share=args.batch_share,
        batch_size=args.batch_size,
        batch_statuses=args.batch_statuses,
        redelivery_share=args.redelivery_share,
        rng=rng,
    )
    reqs = list(zip(plan.bodies, plan.headers, strict=True))
    with (
        tempfile.TemporaryDirectory(prefix="snakecakes-prof-") as tmp,
        database(args.database_url, Path(tmp)) as db_url,
    ):
        app, db = build_app(db_url, app_secret)
        try:
            drive(app, reqs[: args.warmup])
            # thread CPU time, not wall time: waiting for a core on a busy machine is not cost
            prof = cProfile.Profile(time.thread_time) if args.profile else None
            if prof:
                prof.enable()
            costs = drive(app, reqs[args.warmup :])
            if prof:
                prof.disable()
        finally:
            db.dispose()
    timed = range(args.warmup, len(reqs))
    single = [c for c, i in zip(costs, timed, strict=True) if plan.counts[i] == 1]
    batch = [c for c, i in zip(costs, timed, strict=True) if plan.counts[i] > 1]
    ms = 1000.0
    print(
        f"{len(costs)} requests ({len(batch)} batches of {args.batch_size}, "
        f"{args.redelivery_share:.0%} redeliveries), "
        f"{'PostgreSQL' if args.database_url else 'SQLite'}"
        f"{' under cProfile' if args.profile else ''}"
    )
    print(
        f"CPU per request (thread time): mean {ms * statistics.fmean(costs):.3f} ms, "
        f"single message median {ms * statistics.median(single):.3f} ms, "
        f"batch median {ms * statistics.median(batch) if batch else 0:.3f} ms"
    )
    if args.profile:
        assert prof is not None
        stats = pstats.Stats(prof)
        stats.sort_stats("tottime").print_stats(args.profile)
        stats.sort_stats("cumulative").print_stats(args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
