"""Orders: created from a confirmed cart, moved through their states by staff or the customer.

Every function works inside the caller's transaction. A change bumps the order's version and
writes an `order_events` row: the history of the order and, at once, the durable job of pushing
that version to the shop's internal system (snakecakes.shop.order_push). The prices in an order
are computed here from the catalog (snakecakes.shop.pricing), never taken from anyone's words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from snakecakes import metrics
from snakecakes.db.inserts import insert_new
from snakecakes.db.types import utcnow
from snakecakes.shop.catalog import Catalog
from snakecakes.shop.order_models import OrderEventRow, OrderRow
from snakecakes.shop.pricing import Quote, price_cart
from snakecakes.shop.schedule import localize

# The life of an order; staff move it forward, the customer may cancel early on.
STATUSES = (
    "new",
    "confirmed",
    "in_progress",
    "ready",
    "out_for_delivery",
    "picked_up",
    "done",
    "cancelled",
)
# Staff may skip steps forward (a quiet day goes from new to ready); never backwards, except a
# delivery that comes back to the shop. Handing over is the fulfilment's own: picked up for
# pickups, out for delivery for deliveries.
RANK = {"new": 0, "confirmed": 1, "in_progress": 2, "ready": 3, "out_for_delivery": 4,
        "picked_up": 5, "done": 6}  # fmt: skip
FINAL = frozenset({"done", "cancelled"})


def allowed(current: str, wanted: str, fulfilment: str) -> bool:
    if current in FINAL or wanted == current:
        return False
    if wanted == "cancelled":
        return current not in ("picked_up",)
    if wanted == "ready" and current == "out_for_delivery":
        return True
    if wanted == "out_for_delivery" and fulfilment != "delivery":
        return False
    if wanted == "picked_up" and fulfilment != "pickup":
        return False
    return RANK[wanted] > RANK[current]


CUSTOMER_CANCELLABLE = frozenset({"new", "confirmed"})
CENTS = Decimal(100)


class OrderError(ValueError):
    """A change an order refuses; the message can be shown to staff or to the customer."""


@dataclass(frozen=True, slots=True)
class Placed:
    order_id: int
    number: str
    created: bool  # False: this confirmation had already made this order


def _cents(amount: Decimal) -> int:
    return int((amount * CENTS).to_integral_value())


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _lines(quote: Quote) -> dict[str, Any]:
    return {
        "items": [
            {
                "product": line.product,
                "name": line.name,
                "size": line.size,
                "servings": line.servings,
                "flavour": line.flavour,
                "filling": line.filling,
                "quantity": line.quantity,
                "unit_price": _money(line.unit_price),
                "total": _money(line.total),
                "inscription": line.inscription,
                "allergens": list(line.allergens),
            }
            for line in quote.items
        ],
        "addons": [
            {
                "addon": line.addon,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price": _money(line.unit_price),
                "total": _money(line.total),
                "text": line.text,
            }
            for line in quote.addons
        ],
        "subtotal": _money(quote.subtotal),
        "delivery_fee": _money(quote.delivery_fee),
        "delivery_zone": quote.delivery_zone.key if quote.delivery_zone else None,
        "total": _money(quote.total),
        "allergens": list(quote.allergens),
    }


def place_order(
    session: Session,
    *,
    bot_id: int,
    catalog: Catalog,
    cart: dict[str, Any],
    customer_key: str,
    customer_phone: str | None,
    session_id: int,
    prefix: str,
) -> Placed:
    """The order of this confirmed cart, once: a repeat of the same (session, cart version)
    returns the order that exists."""
    quote = price_cart(catalog, cart)
    wanted, fulfilment = cart["wanted"], cart["fulfilment"]
    day, at = date.fromisoformat(wanted["date"]), time.fromisoformat(wanted["time"])
    wanted_at = localize(catalog.shop, day, at) or datetime.combine(day, at, tzinfo=catalog.shop.tz)
    now = utcnow()
    values = {
        "bot_id": bot_id,
        "number": None,
        "customer_key": customer_key,
        "customer_phone": customer_phone,
        "customer_name": cart["customer"]["name"],
        "session_id": session_id,
        "cart_version": int(cart["version"]),
        "status": "new",
        "fulfilment": fulfilment["method"],
        "wanted_date": wanted["date"],
        "wanted_time": wanted["time"],
        "wanted_at": wanted_at,
        "total_cents": _cents(quote.total),
        "currency": quote.currency,
        "data": {
            **_lines(quote),
            "address": fulfilment.get("address"),
            "location": fulfilment.get("location"),
            "notes": cart.get("notes") or "",
            "allergies": cart.get("allergies") or "",
        },
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    inserted = insert_new(
        session, OrderRow, [values], ("bot_id", "session_id", "cart_version"), returning=("id",)
    )
    order = session.scalars(
        select(OrderRow).where(
            OrderRow.bot_id == bot_id,
            OrderRow.session_id == session_id,
            OrderRow.cart_version == int(cart["version"]),
        )
    ).one()
    if not inserted:
        return Placed(order.id, str(order.number), created=False)
    order.number = f"{prefix}{order.id + 1000}"
    session.flush()
    _event(session, order, actor="customer", note=None)
    return Placed(order.id, order.number, created=True)


def change_status(
    session: Session, bot_id: int, number: str, status: str, *, actor: str, note: str | None = None
) -> OrderRow:
    """Move an order to `status` (OrderError when the move is not allowed)."""
    if status not in STATUSES:
        raise OrderError(f"unknown status {status!r}; one of {', '.join(STATUSES)}")
    order = find(session, bot_id, number, for_update=True)
    if order is None:
        raise OrderError(f"no order {number}")
    if status == order.status:
        return order
    if not allowed(order.status, status, order.fulfilment):
        raise OrderError(f"order {number} is {order.status}; it cannot become {status}")
    order.status = status
    order.version += 1
    order.updated_at = utcnow()
    session.flush()
    _event(session, order, actor=actor, note=note)
    return order


def customer_may_cancel(order: OrderRow, cancel_window_hours: int, now: datetime) -> str | None:
    """None when the customer may cancel; else why not, in words for them."""
    if order.status not in CUSTOMER_CANCELLABLE:
        return f"Order {order.number} is already {order.status.replace('_', ' ')}."
    if now > order.created_at + timedelta(hours=cancel_window_hours):
        return (
            f"Order {order.number} can no longer be cancelled here (the window is "
            f"{cancel_window_hours} hours); please ask for a human."
        )
    return None


def find(
    session: Session, bot_id: int, number: str, *, for_update: bool = False
) -> OrderRow | None:
    query = select(OrderRow).where(OrderRow.bot_id == bot_id, OrderRow.number == number.upper())
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def of_customer(session: Session, bot_id: int, customer_key: str, limit: int = 5) -> list[OrderRow]:
    return list(
        session.scalars(
            select(OrderRow)
            .where(OrderRow.bot_id == bot_id, OrderRow.customer_key == customer_key)
            .order_by(OrderRow.id.desc())
            .limit(limit)
        )
    )


def as_json(order: OrderRow, phone_number_id: str | None = None) -> dict[str, Any]:
    """The order as the internal system and the admin API see it."""
    return {
        "number": order.number,
        "bot": phone_number_id,
        "status": order.status,
        "version": order.version,
        "customer": {"name": order.customer_name, "phone": order.customer_phone},
        "fulfilment": {
            "method": order.fulfilment,
            "address": order.data.get("address"),
            "location": order.data.get("location"),
            "zone": order.data.get("delivery_zone"),
        },
        "wanted": {
            "date": order.wanted_date,
            "time": order.wanted_time,
            "at": order.wanted_at.isoformat(),
        },
        "items": order.data.get("items", []),
        "addons": order.data.get("addons", []),
        "subtotal": order.data.get("subtotal"),
        "delivery_fee": order.data.get("delivery_fee"),
        "total": f"{Decimal(order.total_cents) / CENTS:.2f}",
        "currency": order.currency,
        "allergens": order.data.get("allergens", []),
        "notes": order.data.get("notes", ""),
        "allergies": order.data.get("allergies", ""),
        "created_at": order.created_at.isoformat(),
        "updated_at": order.updated_at.isoformat(),
    }


def _event(session: Session, order: OrderRow, *, actor: str, note: str | None) -> None:
    metrics.ORDERS.labels(order.status).inc()
    payload = {"event": "order.created" if order.version == 1 else "order.updated"}
    payload |= as_json(order)
    session.add(
        OrderEventRow(
            bot_id=order.bot_id,
            order_id=order.id,
            version=order.version,
            status=order.status,
            actor=actor,
            note=note,
            payload=payload,
            push_state="pending",
            push_next_at=utcnow(),
        )
    )
    session.flush()
