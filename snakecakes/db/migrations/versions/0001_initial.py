"""initial schema: bots, inbox, statuses, webhook events

Revision ID: 0001
Revises:
Create Date: 2026-11-22 03:16:18.993052
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import snakecakes.db.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("phone_number_id", sa.String(length=64), nullable=False),
        sa.Column("display_phone_number", sa.String(length=32), nullable=True),
        sa.Column("waba_id", sa.String(length=64), nullable=True),
        sa.Column("app_secret_enc", sa.Text(), nullable=False),
        sa.Column("access_token_enc", sa.Text(), nullable=False),
        sa.Column("verify_token_enc", sa.Text(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "settings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", snakecakes.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", snakecakes.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bots")),
        sa.UniqueConstraint("phone_number_id", name=op.f("uq_bots_phone_number_id")),
    )
    op.create_table(
        "inbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("bot_id", sa.Integer(), nullable=False),
        sa.Column("wamid", sa.String(length=255), nullable=False),
        sa.Column("customer_key", sa.String(length=128), nullable=False),
        sa.Column("wa_id", sa.String(length=32), nullable=True),
        sa.Column("user_id", sa.String(length=128), nullable=True),
        sa.Column("contact_name", sa.String(length=256), nullable=True),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("wa_timestamp", sa.BigInteger(), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("received_at", snakecakes.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("processed_at", snakecakes.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["bot_id"], ["bots.id"], name=op.f("fk_inbox_bot_id_bots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox")),
        sa.UniqueConstraint("bot_id", "wamid", name=op.f("uq_inbox_bot_id_wamid")),
    )
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inbox_chat_pending", ["bot_id", "customer_key", "state", "id"], unique=False
        )
        batch_op.create_index("ix_inbox_state_received", ["state", "received_at"], unique=False)

    op.create_table(
        "message_statuses",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("bot_id", sa.Integer(), nullable=False),
        sa.Column("wamid", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("wa_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("recipient_id", sa.String(length=128), nullable=True),
        sa.Column(
            "errors",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("received_at", snakecakes.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bot_id"], ["bots.id"], name=op.f("fk_message_statuses_bot_id_bots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_statuses")),
        sa.UniqueConstraint(
            "bot_id", "wamid", "status", name=op.f("uq_message_statuses_bot_id_wamid_status")
        ),
    )
    with op.batch_alter_table("message_statuses", schema=None) as batch_op:
        batch_op.create_index("ix_message_statuses_applied", ["applied", "id"], unique=False)

    op.create_table(
        "webhook_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("bot_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("received_at", snakecakes.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bot_id"], ["bots.id"], name=op.f("fk_webhook_events_bot_id_bots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
    )
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_events_bot_field", ["bot_id", "field", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_events_bot_field")

    op.drop_table("webhook_events")
    with op.batch_alter_table("message_statuses", schema=None) as batch_op:
        batch_op.drop_index("ix_message_statuses_applied")

    op.drop_table("message_statuses")
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_state_received")
        batch_op.drop_index("ix_inbox_chat_pending")

    op.drop_table("inbox")
    op.drop_table("bots")
