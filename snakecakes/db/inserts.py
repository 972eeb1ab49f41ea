"""`INSERT ... ON CONFLICT DO NOTHING` for both databases: the heart of webhook deduplication."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Column, Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


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
    table = cast(Table, model.__table__)
    conn = session if isinstance(session, Connection) else session.connection()
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = module.insert(table).on_conflict_do_nothing(index_elements=list(conflict_columns))
    if not returning:
        conn.execute(stmt, list(rows))
        return []
    cols: list[Column[Any]] = [table.c[name] for name in returning]
    result = conn.execute(stmt.returning(*cols), list(rows))
    return [tuple(row) for row in result]
