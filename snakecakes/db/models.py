"""The schema. Every table that holds business data carries `bot_id`, so several bots (business
numbers) share one deployment without seeing each other's data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from snakecakes.db.types import BigId, JSONType, UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Bot(Base):
    """A business number. Secrets are stored encrypted (see snakecakes.crypto)."""

    __tablename__ = "bots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    phone_number_id: Mapped[str] = mapped_column(String(64), unique=True)
    display_phone_number: Mapped[str | None] = mapped_column(String(32))
    waba_id: Mapped[str | None] = mapped_column(String(64))
    app_secret_enc: Mapped[str] = mapped_column(Text)
    access_token_enc: Mapped[str] = mapped_column(Text)
    verify_token_enc: Mapped[str] = mapped_column(Text)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Sending stops for the whole number on some errors (190: token expired; 131048, 368: spam or
    # policy blocks) until an operator acts; replacing the token clears a token pause.
    paused_reason: Mapped[str | None] = mapped_column(Text)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class InboxMessage(Base):
    """A customer message exactly as Meta sent it, stored before we answer 200.

    Unique per (bot, wamid): a redelivery is a no-op. `customer_key` is the wa_id, or the
    business-scoped user id for users known only by it. Order within a chat is the WhatsApp
    timestamp, then arrival (`id`).
    """

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("bot_id", "wamid"),
        Index("ix_inbox_chat_pending", "bot_id", "customer_key", "state", "id"),
        Index("ix_inbox_state_received", "state", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bot_id: Mapped[int] = mapped_column(ForeignKey("bots.id"), index=False)
    wamid: Mapped[str] = mapped_column(String(255))
    customer_key: Mapped[str] = mapped_column(String(128))
    wa_id: Mapped[str | None] = mapped_column(String(32))
    user_id: Mapped[str | None] = mapped_column(String(128))
    contact_name: Mapped[str | None] = mapped_column(String(256))
    type: Mapped[str] = mapped_column(String(32))
    wa_timestamp: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MessageStatus(Base):
    """A delivery status webhook (sent, delivered, read, failed, played) for one of our wamids."""

    __tablename__ = "message_statuses"
    __table_args__ = (
        UniqueConstraint("bot_id", "wamid", "status"),
        Index("ix_message_statuses_applied", "applied", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bot_id: Mapped[int] = mapped_column(ForeignKey("bots.id"))
    wamid: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    wa_timestamp: Mapped[int] = mapped_column(BigInteger)
    recipient_id: Mapped[str | None] = mapped_column(String(128))
    errors: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    applied: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookEvent(Base):
    """Everything else Meta tells us: template and quality updates, account updates, value-level
    errors, and items we could not parse (kept, so that nothing acknowledged is ever lost)."""

    __tablename__ = "webhook_events"
    __table_args__ = (Index("ix_webhook_events_bot_field", "bot_id", "field", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bot_id: Mapped[int] = mapped_column(ForeignKey("bots.id"))
    field: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxMessage(Base):
    """One message we will send: written durably before any attempt, updated as it goes.

    `state` is our side (queued, sending, sent, failed); `delivery` is WhatsApp's side from status
    webhooks (sent, failed, delivered, read, played), which only ever moves forward.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_chat_state", "bot_id", "chat_key", "state", "id"),
        Index("ix_outbox_state_next", "state", "next_attempt_at"),
        Index("ix_outbox_wamid", "wamid"),
        Index("ix_outbox_recipient_sent", "bot_id", "recipient", "sent_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bot_id: Mapped[int] = mapped_column(ForeignKey("bots.id"))
    chat_key: Mapped[str] = mapped_column(String(128))
    recipient: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    body: Mapped[dict[str, Any]] = mapped_column(JSONType)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When a drain of this chat is already scheduled to wake (so others need not schedule one).
    wake_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    wamid: Mapped[str | None] = mapped_column(String(255))
    last_error: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[int | None] = mapped_column(Integer)
    possible_duplicate: Mapped[bool] = mapped_column(Boolean, default=False)
    used_template: Mapped[str | None] = mapped_column(String(512))
    delivery: Mapped[str | None] = mapped_column(String(16))
    delivery_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempt_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SendPacing(Base):
    """The next free send slot of a business number, shared by every process that sends for it."""

    __tablename__ = "send_pacing"

    bot_id: Mapped[int] = mapped_column(ForeignKey("bots.id"), primary_key=True)
    next_slot: Mapped[float] = mapped_column(Float, default=0.0)


class Chat(Base):
    """One conversation partner of one bot: the customer's profile and the current session."""

    __tablename__ = "chats"
    __table_args__ = (UniqueConstraint("bot_id", "customer_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bot_id: Mapped[int] = mapped_column(ForeignKey("bots.id"))
    customer_key: Mapped[str] = mapped_column(String(128))
    wa_id: Mapped[str | None] = mapped_column(String(32))
    user_id: Mapped[str | None] = mapped_column(String(128))
    profile_name: Mapped[str | None] = mapped_column(String(256))
    handed_over: Mapped[bool] = mapped_column(Boolean, default=False)
    current_session_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ChatSession(Base):
    """A stretch of conversation; a new one starts after an idle time or on "start over"."""

    __tablename__ = "chat_sessions"
    __table_args__ = (Index("ix_chat_sessions_chat", "chat_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bot_id: Mapped[int] = mapped_column(ForeignKey("bots.id"))
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id"))
    state: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(32))


class ChatEntry(Base):
    """One line of history: what the customer said, what the bot answered, tool calls."""

    __tablename__ = "chat_history"
    __table_args__ = (Index("ix_chat_history_session", "session_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bot_id: Mapped[int] = mapped_column(ForeignKey("bots.id"))
    session_id: Mapped[int] = mapped_column(ForeignKey("chat_sessions.id"))
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    tool_calls: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    wamids: Mapped[list[str] | None] = mapped_column(JSONType)
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WorkerHeartbeat(Base):
    """Each process that runs workers says it is alive; a silent one's work is recovered."""

    __tablename__ = "worker_heartbeats"

    executor_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recovered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


from snakecakes.knowledge import models as _knowledge  # noqa: E402,F401  (documents, feedback)
from snakecakes.shop import models as _shop_models  # noqa: E402,F401  (registers the shop tables)
from snakecakes.shop import order_models as _orders  # noqa: E402,F401  (orders, prompts)
