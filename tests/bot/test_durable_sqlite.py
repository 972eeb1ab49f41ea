"""DBOS's own SQLite file runs at synchronous=NORMAL, like ours; other SQLite files are left as
SQLite opens them."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

import snakecakes.bot.durable  # noqa: F401  (installs the connect listener)


def _synchronous(path: Path) -> int:
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql("PRAGMA synchronous").scalar_one())
    finally:
        engine.dispose()


def test_only_the_dbos_file_is_relaxed(tmp_path: Path) -> None:
    assert _synchronous(tmp_path / "snakecakes-dbos.db") == 1  # NORMAL
    assert _synchronous(tmp_path / "other.db") == 2  # FULL, SQLite's default
