"""Schema migrations (Alembic) driven from code: `snakecakes db upgrade`, and `serve` on SQLite."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from snakecakes.db.database import Database

MIGRATIONS = Path(__file__).parent / "migrations"
# Made by migrations only, because the models cannot express them: full-text tables and indexes
# that differ per database (see snakecakes.knowledge.models). Autogenerate must leave them alone.
UNMODELLED_PREFIXES = ("knowledge_fts",)


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's `include_name` hook, for env.py and the models-versus-migrations test."""
    return not (name or "").startswith(UNMODELLED_PREFIXES)


def alembic_config(db: Database) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    cfg = alembic_config(db)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def head_revision(db: Database) -> str | None:
    return ScriptDirectory.from_config(alembic_config(db)).get_current_head()


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_current(db: Database) -> bool:
    return current_revision(db) == head_revision(db)
