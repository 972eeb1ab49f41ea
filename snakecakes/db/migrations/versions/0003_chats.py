"""chats, sessions, history, worker heartbeats

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 03:59:28.204261
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import snakecakes.db.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worker_heartbeats",
        sa.Column("executor_id", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("started_at", snakecakes.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", snakecakes.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recovered_at", snakecakes.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("executor_id", name=op.f("pk_worker_heartbeats")),
    )
    op.create_table(
        "chats",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("bot_id", sa.Integer(), nullable=False),
        sa.Column("customer_key", sa.String(length=128), nullable=False),
        sa.Column("wa_id", sa.String(length=32), nullable=True),
        sa.Column("user_id", sa.String(length=128), nullable=True),
        sa.Column("profile_name", sa.String(length=256), nullable=True),
        sa.Column("handed_over", sa.Boolean(), nullable=False),
        sa.Column("current_session_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", snakecakes.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_message_at", snakecakes.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["bot_id"], ["bots.id"], name=op.f("fk_chats_bot_id_bots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chats")),
        sa.UniqueConstraint("bot_id", "customer_key", name=op.f("uq_chats_bot_id_customer_key")),
    )
    op.create_table(
        "chat_sessions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("bot_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "state",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("started_at", snakecakes.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "last_activity_at", snakecakes.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("ended_at", snakecakes.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["bot_id"], ["bots.id"], name=op.f("fk_chat_sessions_bot_id_bots")),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_chat_sessions_chat_id_chats")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_sessions")),
    )
    with op.batch_alter_table("chat_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_chat_sessions_chat", ["chat_id", "id"], unique=False)

    op.create_table(
        "chat_history",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("bot_id", sa.Integer(), nullable=False),
        sa.Column(
            "session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "tool_calls",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "wamids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "meta",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("created_at", snakecakes.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["bot_id"], ["bots.id"], name=op.f("fk_chat_history_bot_id_bots")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["chat_sessions.id"],
            name=op.f("fk_chat_history_session_id_chat_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_history")),
    )
    with op.batch_alter_table("chat_history", schema=None) as batch_op:
        batch_op.create_index("ix_chat_history_session", ["session_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("chat_history", schema=None) as batch_op:
        batch_op.drop_index("ix_chat_history_session")

    op.drop_table("chat_history")
    with op.batch_alter_table("chat_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_chat_sessions_chat")

    op.drop_table("chat_sessions")
    op.drop_table("chats")
    op.drop_table("worker_heartbeats")
