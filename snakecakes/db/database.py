"""One place that knows how we talk to SQLite and PostgreSQL.

SQLite is the embedded default, so it gets the settings that make it a safe multi-threaded store:
WAL (readers never block the writer), `synchronous=NORMAL` (a commit survives a killed process;
only a power cut can lose the last commits), a busy timeout, and `BEGIN IMMEDIATE` for write
transactions so that two threads never deadlock upgrading a read lock to a write lock.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

DB_UNAVAILABLE = (OperationalError, DBAPIError)
"""Exceptions that mean "the database cannot take this now": answer 503, Meta redelivers."""


def normalise_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here (SQLAlchemy's default would be psycopg2)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class Database:
    def __init__(self, url: str, *, pool_size: int = 10, busy_timeout_ms: int = 5000) -> None:
        self.url = normalise_url(url)
        parsed = make_url(self.url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"future": True, "hide_parameters": True}
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": busy_timeout_ms / 1000}
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = pool_size
        else:
            kwargs["connect_args"] = {"connect_timeout": 3}
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = pool_size
            kwargs["pool_pre_ping"] = True
            kwargs["pool_recycle"] = 1800
        self.engine: Engine = create_engine(self.url, **kwargs)
        self._write_engine: Engine
        if self.is_sqlite:
            _configure_sqlite(self.engine, busy_timeout_ms)
            self._write_engine = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        else:
            self._write_engine = self.engine
        self._write_lock: threading.RLock | nullcontext[None] = (
            threading.RLock() if self.is_sqlite else nullcontext()
        )
        self._writer: Connection | None = None  # SQLite: the webhook's own, under _write_lock
        self._sessions = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(bind=self._write_engine, expire_on_commit=False)

    def __repr__(self) -> str:
        return f"Database({make_url(self.url).render_as_string(hide_password=True)!r})"

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write transaction: committed on success, rolled back whole on any error.

        SQLite has one writer at a time; its busy handler waits by sleeping in growing steps,
        which wastes most of the time when many threads write. Writers of this process queue
        on a lock instead, and the busy timeout only arbitrates between processes.
        """
        with self._write_lock, self._write_sessions() as session, session.begin():
            yield session

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A Core write transaction, for the hot webhook path: no ORM session to set up.

        On SQLite the webhook keeps one connection (writes are serialised by the lock anyway):
        no pool checkout and reset per webhook. Its `BEGIN IMMEDIATE` waits for another
        process's write transaction in steps of at most 4 ms instead of SQLite's busy handler
        (sleeps of up to 100 ms), up to the same busy timeout.
        """
        if not self.is_sqlite:
            with self._write_engine.begin() as conn:
                yield conn
            return
        with self._write_lock:
            writer = self._writer
            if writer is None or writer.closed or writer.invalidated:
                writer = self._writer = self._write_engine.connect().execution_options(
                    sqlite_begin_poll=True
                )
            with writer.begin():
                yield writer

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        with self._write_lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
        self.engine.dispose()


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        mode = options.get("sqlite_begin", "DEFERRED")
        if mode == "IMMEDIATE" and options.get("sqlite_begin_poll"):
            _begin_immediate_polling(conn, busy_timeout_ms)
        else:
            conn.exec_driver_sql(f"BEGIN {mode}")


def _begin_immediate_polling(conn: Connection, busy_timeout_ms: int) -> None:
    """`BEGIN IMMEDIATE`, retried every 0.5-4 ms while another process holds the write lock.

    SQLite's own busy handler sleeps 1, 2, 5, 10 ... 100 ms between tries, so a webhook that
    meets a worker's short transaction in another process often waited tens of milliseconds
    after the lock was free. Only the BEGIN polls: once it holds the write lock, WAL mode lets
    the inserts and the commit through without waiting (the busy timeout still guards them).
    """
    raw = conn.connection.driver_connection
    assert raw is not None
    deadline = time.monotonic() + busy_timeout_ms / 1000
    delay = 0.0005
    raw.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:  # on the driver: a full SQLAlchemy execution was a tenth of the webhook's CPU
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.Error as exc:  # wrapped as SQLAlchemy would: DB_UNAVAILABLE, 503
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise DBAPIError.instance("BEGIN IMMEDIATE", None, exc, sqlite3.Error) from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.004)
    finally:
        raw.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
