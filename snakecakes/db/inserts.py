"""`INSERT ... ON CONFLICT DO NOTHING` for both databases: the heart of webhook deduplication.

The statements are built once and SQLAlchemy's compiled cache keeps their SQL. The dialect
``insert()`` constructs cannot be cached (``inherit_cache = False`` in SQLAlchemy 2.0), so every
execution compiled its SQL again: 15% of the webhook path's CPU. Here the insert is a plain
cacheable ``Insert`` whose post-values clause is an ``ON CONFLICT (cols) DO NOTHING`` with a cache
key (its target columns). PostgreSQL's clause class carries every attribute both compilers read,
so one statement renders the same SQL on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Column, Connection, Table
from sqlalchemy.dialects.postgresql.dml import OnConflictDoNothing
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.visitors import InternalTraversal


class _DoNothing(OnConflictDoNothing):
    """``ON CONFLICT (columns) DO NOTHING`` with a cache key: the target column names."""

    _traverse_internals = [("inferred_target_elements", InternalTraversal.dp_string_list)]
    inherit_cache = False  # the key is exactly the traversal above


class _InsertNew(Insert):
    inherit_cache = True


_statements: dict[tuple[str, tuple[str, ...], tuple[str, ...]], Insert] = {}
_lock = threading.Lock()


def insert_new_statement(
    table: Table, conflict_columns: Sequence[str], returning: Sequence[str] = ()
) -> Insert:
    """The (shared, immutable) insert-or-skip statement for ``table``."""
    key = (table.fullname, tuple(conflict_columns), tuple(returning))
    stmt = _statements.get(key)
    if stmt is None:
        with _lock:
            stmt = _InsertNew(table)
            stmt._post_values_clause = _DoNothing(index_elements=list(conflict_columns))
            if returning:
                cols: list[Column[Any]] = [table.c[name] for name in returning]
                stmt = stmt.returning(*cols)  # generative: still an _InsertNew
            _statements[key] = stmt
    return stmt


def insert_new(
    session: Session | Connection,
    model: type[Any],
    rows: Sequence[dict[str, Any]],
    conflict_columns: Sequence[str],
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """Insert rows, skipping those that already exist; return `returning` columns of new rows."""
    if not rows:
        return []
    conn = session if isinstance(session, Connection) else session.connection()
    stmt = insert_new_statement(cast(Table, model.__table__), conflict_columns, returning)
    if not returning:
        conn.execute(stmt, list(rows))
        return []
    result = conn.execute(stmt, list(rows))
    return [tuple(row) for row in result]
