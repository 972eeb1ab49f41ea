"""The server side of benchmarks/webhook_ack.py: a throw-away database and `snakecakes serve`."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
from sqlalchemy import create_engine, make_url, text

from snakecakes.db.database import normalise_url
from snakecakes.simulator import payloads as p
from snakecakes.simulator.fake_graph import FakeGraphAPI

ENV_PREFIXES = ("WHATSAPP_", "OPENAI_", "SNAKECAKES_", "DATABASE_URL", "ADMIN_API", "DBOS_")


@dataclass
class Server:
    url: str
    pid: int
    database_url: str
    app_secret: str
    worker_pid: int | None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def database(url: str | None, tmp: Path) -> Iterator[str]:
    """A fresh SQLite file, or a `snakecakes_bench_*` database created through ``url``'s one."""
    if url is None or url.startswith("sqlite"):
        yield url or f"sqlite:///{tmp / 'bench.db'}"
        return
    admin_url = make_url(normalise_url(url))
    name = f"snakecakes_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def server(
    database_url: str | None,
    tmp: Path,
    *,
    threads: int | None,
    web_only: bool,
    extra_env: dict[str, str],
    log_path: Path | None = None,
    worker: bool = True,
) -> Iterator[Server]:
    """`snakecakes serve` (with ``web_only``: `serve --web-only` plus one `snakecakes worker`,
    or no worker at all with ``worker=False``: the web process alone, jobs left queued).

    The workers answer every message through the fake Graph API, run in this process without
    schema validation or status webhooks, so the only webhook traffic is the generator's.
    Everything started here is stopped by its PID, in reverse order, also on errors and Ctrl-C.
    """
    log_path = log_path or tmp / "server.log"
    with contextlib.ExitStack() as stack:
        db_url = stack.enter_context(database(database_url, tmp))
        graph = FakeGraphAPI(validate=False, auto_status=False).start()
        stack.callback(graph.stop)
        app_secret = secrets.token_hex(16)
        env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIXES)}
        env |= {
            "DATABASE_URL": db_url,
            "SNAKECAKES_SECRET_KEY": secrets.token_urlsafe(32),
            "WHATSAPP_PHONE_NUMBER_ID": p.PHONE_NUMBER_ID,
            "WHATSAPP_ACCESS_TOKEN": "bench-access-token",
            "WHATSAPP_APP_SECRET": app_secret,
            "WHATSAPP_VERIFY_TOKEN": "bench-verify-token",
            "WHATSAPP_API_BASE_URL": graph.url,
            **extra_env,
        }
        log = stack.enter_context(log_path.open("wb"))
        cli = [sys.executable, "-m", "snakecakes.cli"]
        if not db_url.startswith("sqlite") or (web_only and not worker):
            # serve only auto-upgrades SQLite; `db upgrade` also makes DBOS's tables
            upgrade = [*cli, "db", "upgrade"]
            subprocess.run(upgrade, env=env, cwd=tmp, stdout=log, stderr=log, check=True)
        worker_pid = None
        if web_only and worker:  # the worker creates DBOS's tables, the web role writes to them
            proc = stack.enter_context(_process([*cli, "worker"], env, tmp, log))
            _wait_for(lambda: b" running" in log_path.read_bytes(), proc, log_path, "worker")
            worker_pid = proc.pid
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        cmd = [*cli, "serve", "--host", "127.0.0.1", "--port", str(port)]
        cmd += (["--threads", str(threads)] if threads else []) + (["--web-only"] * web_only)
        proc = stack.enter_context(_process(cmd, env, tmp, log))
        _wait_for(lambda: _healthy(url), proc, log_path, "server")
        yield Server(url, proc.pid, db_url, app_secret, worker_pid)


@contextlib.contextmanager
def _process(
    cmd: list[str], env: dict[str, str], cwd: Path, log: IO[bytes]
) -> Iterator[subprocess.Popen[bytes]]:
    """A child in its own session (Ctrl-C reaches only us), stopped by PID: TERM, then KILL."""
    proc = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        if proc.returncode not in (0, -signal.SIGTERM):
            print(
                f"note: `snakecakes {cmd[3]}` exited with status {proc.returncode}", file=sys.stderr
            )


def _healthy(url: str) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(url + "/healthz", timeout=1).status_code == 200
    return False


def _wait_for(
    ready: Callable[[], bool], proc: subprocess.Popen[bytes], log: Path, name: str
) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{name} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        if ready():
            return
        time.sleep(0.1)
    raise SystemExit(f"{name} not ready within 60 s (see {log})")


def count_rows(db_url: str) -> tuple[int, int]:
    """Inbox and status rows, by direct SQL (a fresh engine each time, nothing kept open)."""
    engine = create_engine(normalise_url(db_url))
    try:
        with engine.connect() as conn:
            inbox = conn.execute(text("SELECT count(*) FROM inbox")).scalar_one()
            statuses = conn.execute(text("SELECT count(*) FROM message_statuses")).scalar_one()
    finally:
        engine.dispose()
    return int(inbox), int(statuses)
