"""The schema comes from migrations, on both databases, and carries bot_id everywhere."""

from __future__ import annotations

from sqlalchemy import inspect

from snakecakes.db import migrate
from snakecakes.db.database import Database
from snakecakes.db.models import Base


def test_migrated_to_head_and_matches_models(db: Database) -> None:
    assert migrate.is_current(db)
    tables = set(inspect(db.engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables


INFRASTRUCTURE = {"bots", "worker_heartbeats"}  # the bots themselves; processes, not shops


def test_every_business_table_carries_bot_id(db: Database) -> None:
    insp = inspect(db.engine)
    for table in Base.metadata.sorted_tables:
        if table.name in INFRASTRUCTURE:
            continue
        columns = {c["name"] for c in insp.get_columns(table.name)}
        assert "bot_id" in columns, table.name


def test_upgrade_from_empty_is_idempotent(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert migrate.current_revision(db) is None
    assert not migrate.is_current(db)
    migrate.upgrade(db)
    migrate.upgrade(db)
    assert migrate.current_revision(db) == migrate.head_revision(db)
    db.dispose()


def test_no_model_change_without_a_migration(db: Database) -> None:
    """Autogenerate against the migrated schema finds nothing: models and migrations agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": migrate.include_name})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []
