"""The webhook's SQLite write connection: kept, and its BEGIN waits for another process's lock."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from snakecakes.db.database import DB_UNAVAILABLE, Database


def _db(tmp_path: Path, busy_timeout_ms: int) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'w.db'}", busy_timeout_ms=busy_timeout_ms)
    with db.write_connection() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    return db


def _hold_lock(path: Path, seconds: float, held: threading.Event) -> None:
    other = sqlite3.connect(path, isolation_level=None)  # "another process"
    other.execute("BEGIN IMMEDIATE")
    held.set()
    time.sleep(seconds)
    other.execute("COMMIT")
    other.close()


def test_connection_is_kept_and_begin_waits_for_the_lock(tmp_path: Path) -> None:
    db = _db(tmp_path, busy_timeout_ms=5000)
    with db.write_connection() as first:
        pass
    held = threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(tmp_path / "w.db", 0.2, held))
    holder.start()
    held.wait(5)
    started = time.monotonic()
    with db.write_connection() as conn:
        assert conn is first
        conn.execute(text("INSERT INTO t VALUES (1)"))
        # the busy timeout is back for the statements of the transaction
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    assert time.monotonic() - started >= 0.1
    holder.join()
    with db.read() as s:
        assert s.execute(text("SELECT count(*) FROM t")).scalar() == 1
    db.dispose()


def test_lock_held_past_the_busy_timeout_is_db_unavailable(tmp_path: Path) -> None:
    db = _db(tmp_path, busy_timeout_ms=150)
    held = threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(tmp_path / "w.db", 0.6, held))
    holder.start()
    held.wait(5)
    with pytest.raises(DB_UNAVAILABLE), db.write_connection() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
    holder.join()
    with db.write_connection() as conn:  # usable again once the lock is gone
        conn.execute(text("INSERT INTO t VALUES (2)"))
    with db.read() as s:
        assert s.execute(text("SELECT x FROM t")).scalars().all() == [2]
    db.dispose()
