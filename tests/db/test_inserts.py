"""The webhook's insert-or-skip statements: the same SQL on both databases, compiled once."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, UniqueConstraint, create_engine
from sqlalchemy.dialects import postgresql, sqlite

from snakecakes.db.inserts import insert_new, insert_new_statement

_meta = MetaData()
_things = Table(
    "things",
    _meta,
    Column("id", Integer, primary_key=True),
    Column("bot_id", Integer, nullable=False),
    Column("wamid", String(64), nullable=False),
    UniqueConstraint("bot_id", "wamid"),
)


class _Thing:
    __table__ = _things


def test_statement_renders_on_conflict_do_nothing_on_both_dialects() -> None:
    stmt = insert_new_statement(_things, ("bot_id", "wamid"), ("id",))
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        sql = str(stmt.compile(dialect=dialect))
        assert "ON CONFLICT (bot_id, wamid) DO NOTHING" in sql
        assert "RETURNING" in sql


def test_statement_is_shared_and_has_a_cache_key() -> None:
    a = insert_new_statement(_things, ("bot_id", "wamid"), ("id",))
    assert a is insert_new_statement(_things, ("bot_id", "wamid"), ("id",))
    other = insert_new_statement(_things, ("wamid",), ("id",))
    assert a._generate_cache_key() is not None
    assert a._generate_cache_key() != other._generate_cache_key()


def test_second_execution_uses_the_compiled_cache() -> None:
    engine = create_engine("sqlite://")
    _meta.create_all(engine)
    cache: dict[object, object] = {}
    with engine.begin() as conn:
        conn = conn.execution_options(compiled_cache=cache)
        rows = [{"bot_id": 1, "wamid": "a"}, {"bot_id": 1, "wamid": "b"}]
        assert len(insert_new(conn, _Thing, rows, ("bot_id", "wamid"), ("id",))) == 2
        size = len(cache)
        again = [{"bot_id": 1, "wamid": "b"}, {"bot_id": 1, "wamid": "c"}]
        assert len(insert_new(conn, _Thing, again, ("bot_id", "wamid"), ("id",))) == 1
        assert len(cache) == size == 1
    engine.dispose()
