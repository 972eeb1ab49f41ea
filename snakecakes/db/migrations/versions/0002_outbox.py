"""outbox, send pacing, bot pause

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 03:29:56.139105
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import snakecakes.db.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("bot_id", sa.Integer(), nullable=False),
        sa.Column("chat_key", sa.String(length=128), nullable=False),
        sa.Column("recipient", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column(
            "body",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", snakecakes.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("wake_at", snakecakes.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("wamid", sa.String(length=255), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("possible_duplicate", sa.Boolean(), nullable=False),
        sa.Column("used_template", sa.String(length=512), nullable=True),
        sa.Column("delivery", sa.String(length=16), nullable=True),
        sa.Column("delivery_at", snakecakes.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", snakecakes.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "attempt_started_at", snakecakes.db.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("sent_at", snakecakes.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["bot_id"], ["bots.id"], name=op.f("fk_outbox_bot_id_bots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_chat_state", ["bot_id", "chat_key", "state", "id"], unique=False
        )
        batch_op.create_index(
            "ix_outbox_recipient_sent", ["bot_id", "recipient", "sent_at"], unique=False
        )
        batch_op.create_index("ix_outbox_state_next", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index("ix_outbox_wamid", ["wamid"], unique=False)

    op.create_table(
        "send_pacing",
        sa.Column("bot_id", sa.Integer(), nullable=False),
        sa.Column("next_slot", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["bot_id"], ["bots.id"], name=op.f("fk_send_pacing_bot_id_bots")),
        sa.PrimaryKeyConstraint("bot_id", name=op.f("pk_send_pacing")),
    )
    with op.batch_alter_table("bots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused_reason", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("paused_at", snakecakes.db.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("bots", schema=None) as batch_op:
        batch_op.drop_column("paused_at")
        batch_op.drop_column("paused_reason")

    op.drop_table("send_pacing")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_wamid")
        batch_op.drop_index("ix_outbox_state_next")
        batch_op.drop_index("ix_outbox_recipient_sent")
        batch_op.drop_index("ix_outbox_chat_state")

    op.drop_table("outbox")
