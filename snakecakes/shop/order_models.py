"""The order tables, and the small per-bot tables the shop's conversation writes beside them.

An order is written in the same transaction as the turn that confirmed it (see
snakecakes.shop.actions), keyed by (bot, session, cart version): the same confirmation can never
make a second order, whatever is retried. Every change of an order is an `order_events` row with
a version that only grows; that row is also the durable job of pushing the change to the shop's
internal system (ORDERS_WEBHOOK_URL), so a change and its push are committed together.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from snakecakes.db.models import Base
from snakecakes.db.types import BigId, JSONType, UTCDateTime, utcnow


class OrderRow(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("bot_id", "number"),
        UniqueConstraint("bot_id", "session_id", "cart_version"),
        Index("ix_orders_bot_status", "bot_id", "status"),
        Index("ix_orders_bot_wanted", "bot_id", "wanted_date"),
        Index("ix_orders_bot_customer", "bot_id", "customer_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bot_id: Mapped[int] = mapped_column(ForeignKey("bots.id"))
    number: Mapped[str | None] = mapped_column(String(32))
    customer_key: Mapped[str] = mapped_column(String(128))
    customer_phone: Mapped[str | None] = mapped_column(String(32))
    customer_name: Mapped[str] = mapped_column(String(120))
    session_id: Mapped[int] = mapped_column(BigId)
    cart_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32))
    fulfilment: Mapped[str] = mapped_column(String(16))
    wanted_date: Mapped[str] = mapped_column(String(10))  # the shop's local day, YYYY-MM-DD
    wanted_time: Mapped[str] = mapped_column(String(5))  # local HH:MM
    wanted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    total_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    # the priced lines, address, notes and allergies as confirmed: the order never changes when
    # the catalog does
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OrderEventRow(Base):
    """One change of an order (created, a new status), and its push to the internal system."""

    __tablename__ = "order_events"
    __table_args__ = (
        UniqueConstraint("order_id", "version"),
        Index("ix_order_events_push", "push_state", "push_next_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bot_id: Mapped[int] = mapped_column(ForeignKey("bots.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))  # customer | staff:<who> | bot
    note: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)  # the order as pushed
    push_state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | done
    push_attempts: Mapped[int] = mapped_column(Integer, default=0)
    push_next_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    push_error: Mapped[str | None] = mapped_column(Text)
    pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PromptOverride(Base):
    """A bot's own wording of a prompt template (Jinja2 source); wins over the file."""

    __tablename__ = "prompt_overrides"

    bot_id: Mapped[int] = mapped_column(ForeignKey("bots.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AnalyticsEvent(Base):
    """Facts for the admin side: upsell offered and accepted, tokens a turn used, handovers."""

    __tablename__ = "analytics_events"
    __table_args__ = (Index("ix_analytics_events_bot_kind", "bot_id", "kind", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bot_id: Mapped[int] = mapped_column(ForeignKey("bots.id"))
    kind: Mapped[str] = mapped_column(String(32))
    customer_key: Mapped[str | None] = mapped_column(String(128))
    session_id: Mapped[int | None] = mapped_column(BigId)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
