"""Helpers for the OpenAI engine tests: a turn context over the shipped catalog without a
database, turn messages, and a wanted date the shop can serve."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from snakecakes.bot.chat import ChatView, HistoryItem, SessionView
from snakecakes.bot.llms.base import Inbound, TurnContext
from snakecakes.bot.ordering.shelf import OrderInfo, Shelf
from snakecakes.bot.prompts import PromptRegistry
from snakecakes.bot.whatsapp.parse import parse_message
from snakecakes.db.types import utcnow
from snakecakes.shop.catalog import Catalog, load_default_catalog
from snakecakes.shop.schedule import next_slots
from snakecakes.simulator import payloads as p

CUSTOMER = "4915112345678"
CATALOG = load_default_catalog()


@dataclass
class StubShelf:
    """What a turn may read of the shop, without a database."""

    catalog_: Catalog | None = CATALOG
    orders: list[OrderInfo] = field(default_factory=list)

    def catalog(self, bot_id: int) -> Catalog | None:
        return self.catalog_

    def orders_of(self, bot_id: int, customer_key: str, limit: int = 5) -> list[OrderInfo]:
        return self.orders[:limit]


def make_ctx(
    *,
    history: list[HistoryItem] | None = None,
    state: dict[str, Any] | None = None,
    shelf: StubShelf | None = None,
    now: datetime | None = None,
) -> TurnContext:
    now = now or utcnow()
    return TurnContext(
        bot_id=1,
        bot_name="Snake Cakes",
        chat=ChatView(1, 1, CUSTOMER, CUSTOMER, None, "Anna", False),
        session=SessionView(7, dict(state or {}), 0, now, False),
        history=history or [],
        now=now,
        prompts=PromptRegistry(),
        shop=cast(Shelf, shelf or StubShelf()),
    )


def said(*texts: str) -> list[Inbound]:
    """This turn's customer messages."""
    items = []
    for number, text in enumerate(texts, 1):
        wamid = p.new_wamid(CUSTOMER)
        items.append(
            Inbound(number, wamid, parse_message(p.text(wamid, CUSTOMER, text)), time.time())
        )
    return items


def later(ctx: TurnContext, seconds: float = 5.0) -> TurnContext:
    """The same chat a moment later (the next turn), its state carried over."""
    session = SessionView(ctx.session.id, ctx.session.state, ctx.session.version, ctx.now, False)
    return make_ctx(state=session.state, now=ctx.now + timedelta(seconds=seconds))


def wanted_slot(product: str = "chocolate-fudge-cake", days: int = 7) -> tuple[str, str]:
    """A date and time (YYYY-MM-DD, HH:MM) the shop can serve for this product."""
    found = CATALOG.product(product)
    assert found is not None
    now = utcnow()
    start = now.date() + timedelta(days=days)
    (slot, *_) = next_slots(
        CATALOG, [found], now, start=start, near=datetime.min.time().replace(hour=14)
    )
    return slot.date().isoformat(), f"{slot:%H:%M}"
