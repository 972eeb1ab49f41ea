"""Durable execution with DBOS Transact: one place that starts, configures and stops it.

Facts about DBOS 3.4 that shape this module (measured; see docs/durable.md):
- `executor_id` must be unique and stable per process: a restarted process recovers the pending
  workflows of its own id, and two live processes with one id run the same work twice;
- `application_version` is fixed to our release, not DBOS's hash of the code, so a code change
  does not strand work that is in flight;
- queue pick-up latency is one polling interval, so we poll often (SNAKECAKES_QUEUE_POLL_SECONDS);
- on SQLite DBOS keeps its tables in a file of its own beside ours (its reset helpers would wipe
  every table of a shared file); on PostgreSQL it uses schema `dbos` of our database.
"""

from __future__ import annotations

import logging
import socket
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from dbos import DBOS, DBOSConfig
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from snakecakes import __version__
from snakecakes.config import Settings
from snakecakes.db.database import DB_UNAVAILABLE, normalise_url

F = TypeVar("F", bound=Callable[..., Any])

log = logging.getLogger(__name__)

APP_NAME = "snakecakes"
OUTBOX_QUEUE = "outbox"
TURNS_QUEUE = "turns"
ORDER_PUSH_QUEUE = "order_push"


def system_database_url(settings: Settings) -> str:
    if settings.dbos_database_url:
        return settings.dbos_database_url
    url = make_url(normalise_url(settings.database_url))
    if url.get_backend_name() != "sqlite":
        return settings.database_url
    path = Path(url.database or "var/snakecakes.db")
    return f"sqlite:///{path.with_name(path.stem + '-dbos' + (path.suffix or '.db'))}"


def default_executor_id(role: str) -> str:
    return f"{socket.gethostname()}-{role}"


def _config(settings: Settings, *, role: str) -> DBOSConfig:
    dbos_log = logging.getLogger("dbos")
    if not dbos_log.handlers:  # DBOS then leaves logging to us instead of adding its own handler
        dbos_log.addHandler(logging.NullHandler())
    url = system_database_url(settings)
    if url.startswith("sqlite"):
        _prepare_sqlite(url)
    return {
        "name": APP_NAME,
        "system_database_url": url,
        "application_version": __version__,
        "executor_id": settings.executor_id or default_executor_id(role),
        "log_level": "WARNING",
        "max_executor_threads": settings.worker_threads * 2 + 8,
        "notification_listener_polling_interval_sec": 0.05,
        # DBOS's default of 20 connections per process, on top of ours, fills PostgreSQL's 100
        # with a handful of processes
        "sys_db_pool_size": 8,
    }


def launch(settings: Settings, *, role: str, reset: bool = False) -> None:
    """Start DBOS in this process and register our queues (after launch, as DBOS requires)."""
    config = _config(settings, role=role)
    DBOS(config=config)
    if reset:
        DBOS.reset_system_database(truncate=True)
    DBOS.launch()
    # partitioned by chat (turns, outbox) or bot (order pushes): one job per partition at a time
    for queue in (TURNS_QUEUE, OUTBOX_QUEUE, ORDER_PUSH_QUEUE):
        DBOS.register_queue(
            queue,
            worker_concurrency=settings.worker_threads,
            partition_concurrency=1,
            polling_interval_sec=settings.queue_poll_seconds,
            on_conflict="always_update",
        )
    log.info("durable execution started as %s", config["executor_id"])


def _database_hiccup(exc: BaseException) -> bool:
    return isinstance(exc, DB_UNAVAILABLE)


def retrying_step(name: str) -> Callable[[F], F]:
    """A DBOS step that is run again when the database hiccups (SQLite busy, a dropped
    PostgreSQL connection); our steps are safe to repeat, their progress is in our tables."""
    return DBOS.step(  # type: ignore[return-value]
        name=name,
        retries_allowed=True,
        max_attempts=5,
        interval_seconds=0.5,
        backoff_rate=2.0,
        should_retry=_database_hiccup,
    )


def prepare_schema(settings: Settings) -> None:
    """Create or migrate DBOS's own tables, so that a web-only process can enqueue before any
    worker has started. DBOS migrates at launch; nothing else runs (no queue registered)."""
    launch_config = _config(settings, role="migrate")
    DBOS(config=launch_config)
    try:
        DBOS.launch()
    finally:
        DBOS.destroy(workflow_completion_timeout_sec=0)


def shutdown(timeout: int = 5) -> None:
    """Stop DBOS; running workflows get `timeout` seconds, then are recovered on next start."""
    DBOS.destroy(workflow_completion_timeout_sec=timeout)


@event.listens_for(Engine, "connect")
def _dbos_sqlite_sync_normal(dbapi_conn: Any, _record: Any) -> None:
    """DBOS opens its SQLite file at SQLite's default synchronous=FULL: 7-9 fsyncs per turn,
    which a busy disk turns into seconds (docs/benchmarks.md, Turns). NORMAL in WAL mode, as our
    own database runs: a killed process loses nothing, a power cut may lose the last commits
    (after which a turn re-runs idempotently). Only DBOS's file (`-dbos.db`) is touched here."""
    if isinstance(dbapi_conn, sqlite3.Connection):
        row = dbapi_conn.execute("PRAGMA database_list").fetchone()
        if row and str(row[2]).endswith("-dbos.db"):
            dbapi_conn.execute("PRAGMA synchronous=NORMAL")


def _prepare_sqlite(url: str) -> None:
    """WAL for DBOS's own file too: about 1.5 times the queue throughput of its default."""
    path = make_url(url).database
    if not path:
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
