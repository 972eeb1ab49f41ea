"""Alembic environment: runs against the connection or URL that snakecakes.db.migrate hands it."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from snakecakes.db.database import normalise_url
from snakecakes.db.migrate import include_name
from snakecakes.db.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(normalise_url(config.get_main_option("sqlalchemy.url") or ""))
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `snakecakes db upgrade`")
run_migrations_online()
