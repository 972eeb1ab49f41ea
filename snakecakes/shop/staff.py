"""What staff do to orders and chats, without Flask: the admin API (and later the admin UI)
calls these. A status change, its push job and the customer's WhatsApp notice are ONE commit."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from snakecakes.bot.chat import ChatRepository
from snakecakes.bot.prompts import PromptRegistry
from snakecakes.bot.whatsapp import messages, outbox
from snakecakes.db.database import Database
from snakecakes.shop import orders
from snakecakes.shop.order_models import OrderRow

NOTIFY = frozenset(orders.STATUSES) - {"new"}


def list_orders(
    db: Database,
    bot_id: int,
    *,
    status: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Orders by wanted date, then number; dates are the shop's local days."""
    query = select(OrderRow).where(OrderRow.bot_id == bot_id)
    if status:
        query = query.where(OrderRow.status.in_(status.split(",")))
    if date_from:
        query = query.where(OrderRow.wanted_date >= date_from.isoformat())
    if date_to:
        query = query.where(OrderRow.wanted_date <= date_to.isoformat())
    query = query.order_by(OrderRow.wanted_date, OrderRow.wanted_time, OrderRow.id)
    with db.read() as session:
        rows = session.scalars(query.limit(limit).offset(offset)).all()
        return [orders.as_json(row) for row in rows]


def get_order(db: Database, bot_id: int, number: str) -> dict[str, Any] | None:
    with db.read() as session:
        row = orders.find(session, bot_id, number)
        return orders.as_json(row) if row else None


def change_order_status(
    db: Database,
    prompts: PromptRegistry,
    *,
    bot_id: int,
    shop_name: str,
    number: str,
    status: str,
    actor: str,
    note: str | None = None,
) -> tuple[dict[str, Any], str]:
    """Move the order on; returns it and the customer's chat key (to wake its sender).
    OrderError when the move is not allowed."""
    with db.transaction() as session:
        before = orders.find(session, bot_id, number, for_update=True)
        was = before.version if before else 0
        order = orders.change_status(session, bot_id, number, status, actor=actor, note=note)
        if order.version != was and status in NOTIFY:
            text = prompts.render(
                "order_status",
                bot_id,
                shop_name=shop_name,
                number=order.number,
                status=status,
                method=order.fulfilment,
                note=note,
            )
            recipient = order.customer_phone or order.customer_key
            outbox.queue_message(
                session,
                bot_id=bot_id,
                chat_key=order.customer_key,
                recipient=recipient,
                body=messages.text(recipient, text),
            )
        return orders.as_json(order), order.customer_key


def set_handed_over(db: Database, bot_id: int, customer_key: str, value: bool) -> bool:
    """Staff take a chat over (the bot stays silent in it) or give it back."""
    with db.transaction() as session:
        return ChatRepository.set_handed_over(session, bot_id, customer_key, value)
