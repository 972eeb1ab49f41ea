"""knowledge documents, chunks, full text, answers and feedback

Full text differs per database and is not in the models (see snakecakes.knowledge.models):
SQLite gets an external-content FTS5 table kept in step with knowledge_chunks by triggers;
PostgreSQL a GIN index over to_tsvector('simple', search_text) (already normalised text, so the
'simple' configuration: no second stemming). Careful on SQLite: a later batch migration that
recreates knowledge_chunks drops its triggers; re-create them (FTS_TRIGGERS) after it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 07:01:14.011925
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import snakecakes.db.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "knowledge_answers",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("bot_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=32), nullable=False),
        sa.Column("customer_key", sa.String(length=128), nullable=True),
        sa.Column(
            "session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column(
            "sources",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("vote", sa.String(length=8), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", snakecakes.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("voted_at", snakecakes.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["bot_id"], ["bots.id"], name=op.f("fk_knowledge_answers_bot_id_bots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_answers")),
        sa.UniqueConstraint("bot_id", "ref", name=op.f("uq_knowledge_answers_bot_id_ref")),
    )
    op.create_table(
        "knowledge_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bot_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=1000), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.Column("created_at", snakecakes.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", snakecakes.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bot_id"], ["bots.id"], name=op.f("fk_knowledge_documents_bot_id_bots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_documents")),
        sa.UniqueConstraint("bot_id", "source", name=op.f("uq_knowledge_documents_bot_id_source")),
    )
    op.create_table(
        "knowledge_answer_sources",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("bot_id", sa.Integer(), nullable=False),
        sa.Column(
            "answer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["knowledge_answers.id"],
            name=op.f("fk_knowledge_answer_sources_answer_id_knowledge_answers"),
        ),
        sa.ForeignKeyConstraint(
            ["bot_id"], ["bots.id"], name=op.f("fk_knowledge_answer_sources_bot_id_bots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_answer_sources")),
        sa.UniqueConstraint(
            "answer_id",
            "document_id",
            name=op.f("uq_knowledge_answer_sources_answer_id_document_id"),
        ),
    )
    with op.batch_alter_table("knowledge_answer_sources", schema=None) as batch_op:
        batch_op.create_index(
            "ix_knowledge_answer_sources_bot_document", ["bot_id", "document_id"], unique=False
        )

    op.create_table(
        "knowledge_chunks",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("bot_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("heading", sa.String(length=500), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bot_id"], ["bots.id"], name=op.f("fk_knowledge_chunks_bot_id_bots")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["knowledge_documents.id"],
            name=op.f("fk_knowledge_chunks_document_id_knowledge_documents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_chunks")),
    )
    with op.batch_alter_table("knowledge_chunks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_knowledge_chunks_bot_document", ["bot_id", "document_id"], unique=False
        )

    _create_full_text()


def downgrade() -> None:
    _drop_full_text()
    with op.batch_alter_table("knowledge_chunks", schema=None) as batch_op:
        batch_op.drop_index("ix_knowledge_chunks_bot_document")

    op.drop_table("knowledge_chunks")
    with op.batch_alter_table("knowledge_answer_sources", schema=None) as batch_op:
        batch_op.drop_index("ix_knowledge_answer_sources_bot_document")

    op.drop_table("knowledge_answer_sources")
    op.drop_table("knowledge_documents")
    op.drop_table("knowledge_answers")


FTS_TABLE = """
CREATE VIRTUAL TABLE knowledge_fts USING fts5(
    search_text, content='knowledge_chunks', content_rowid='id', tokenize='unicode61'
)
"""
FTS_TRIGGERS = (
    """CREATE TRIGGER knowledge_chunks_fts_insert AFTER INSERT ON knowledge_chunks BEGIN
        INSERT INTO knowledge_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    """CREATE TRIGGER knowledge_chunks_fts_delete AFTER DELETE ON knowledge_chunks BEGIN
        INSERT INTO knowledge_fts(knowledge_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    END""",
    """CREATE TRIGGER knowledge_chunks_fts_update AFTER UPDATE ON knowledge_chunks BEGIN
        INSERT INTO knowledge_fts(knowledge_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
        INSERT INTO knowledge_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
)
PG_INDEX = (
    "CREATE INDEX knowledge_fts_gin ON knowledge_chunks "
    "USING gin (to_tsvector('simple'::regconfig, search_text))"
)


def _create_full_text() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(FTS_TABLE)
        for trigger in FTS_TRIGGERS:
            op.execute(trigger)
        op.execute("INSERT INTO knowledge_fts(knowledge_fts) VALUES ('rebuild')")
    else:
        op.execute(PG_INDEX)


def _drop_full_text() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS knowledge_chunks_fts_{name}")
        op.execute("DROP TABLE IF EXISTS knowledge_fts")
    else:
        op.execute("DROP INDEX IF EXISTS knowledge_fts_gin")
