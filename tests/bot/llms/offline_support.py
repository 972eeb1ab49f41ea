"""A conversation with the offline engine without a database or server: each message is one
turn over the shipped catalog, the session state carried over, replies readable as texts and
interactive bodies, and taps on what the engine sent (ids as WhatsApp returns them)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

from snakecakes.bot.chat import ChatView, HistoryItem, SessionView
from snakecakes.bot.llms.base import EngineReply, Inbound, TurnContext
from snakecakes.bot.llms.offline import OfflineEngine
from snakecakes.bot.ordering.shelf import OrderInfo, Shelf
from snakecakes.bot.prompts import PromptRegistry
from snakecakes.bot.whatsapp.parse import parse_message
from snakecakes.db.types import utcnow
from snakecakes.shop.cart import new_cart
from snakecakes.shop.catalog import Catalog, load_default_catalog
from snakecakes.shop.schedule import slots_on
from snakecakes.simulator import payloads as p

CUSTOMER = "4915112345678"
CATALOG = load_default_catalog()


@dataclass
class StubShelf:
    catalog_: Catalog | None = CATALOG
    orders: list[OrderInfo] = field(default_factory=list)
    db: Any = None  # a Database, for the knowledge hook

    def catalog(self, bot_id: int) -> Catalog | None:
        return self.catalog_

    def orders_of(self, bot_id: int, customer_key: str, limit: int = 5) -> list[OrderInfo]:
        return self.orders[:limit]


def bodies_text(body: dict[str, Any]) -> str:
    if body["type"] == "text":
        return str(body["text"]["body"])
    return str(body["interactive"]["body"]["text"])


def options_of(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(id, title) of every button or list row of an interactive body."""
    if body.get("type") != "interactive":
        return []
    action = body["interactive"].get("action", {})
    if "buttons" in action:
        return [(b["reply"]["id"], b["reply"]["title"]) for b in action["buttons"]]
    return [(r["id"], r["title"]) for s in action.get("sections", []) for r in s["rows"]]


@dataclass
class Chat:
    engine: OfflineEngine = field(default_factory=OfflineEngine)
    shelf: StubShelf = field(default_factory=StubShelf)
    now: datetime = field(default_factory=utcnow)
    name: str | None = "Anna"
    state: dict[str, Any] = field(default_factory=dict)
    session_id: int = 7
    bot_id: int = 1
    history: list[HistoryItem] = field(default_factory=list)
    replies: list[EngineReply] = field(default_factory=list)

    def ctx(self) -> TurnContext:
        self.now += timedelta(seconds=5)
        return TurnContext(
            bot_id=self.bot_id,
            bot_name="Snake Cakes",
            chat=ChatView(1, 1, CUSTOMER, CUSTOMER, None, self.name, False),
            session=SessionView(self.session_id, self.state, 0, self.now, False),
            history=list(self.history),
            now=self.now,
            prompts=PromptRegistry(),
            shop=cast(Shelf, self.shelf),
        )

    def _turn(self, message: dict[str, Any], said: str) -> EngineReply:
        ctx = self.ctx()
        item = Inbound(1, message["id"], parse_message(message), time.time())
        reply = self.engine.respond(ctx, [item])
        self.state = ctx.session.state
        self.history.append(HistoryItem("user", said, None, self.now))
        for text in reply.history_text:
            self.history.append(HistoryItem("assistant", text, None, self.now))
        self.replies.append(reply)
        return reply

    def say(self, text: str) -> EngineReply:
        return self._turn(p.text(p.new_wamid(CUSTOMER), CUSTOMER, text), text)

    def tap(self, title_part: str) -> EngineReply:
        """Tap the option whose title contains `title_part` in the last reply that has one."""
        for reply in reversed(self.replies):
            for body in reversed(reply.bodies):
                for reply_id, title in options_of(body):
                    if title_part.casefold() in title.casefold():
                        row = "sections" in body["interactive"]["action"]
                        make = p.list_reply if row else p.button_reply
                        message = make(p.new_wamid(CUSTOMER), CUSTOMER, reply_id, title)
                        return self._turn(message, f"[tapped] {title}")
        raise AssertionError(f"no option {title_part!r} in {self.options()}")

    def share_location(self, latitude: float, longitude: float) -> EngineReply:
        self.state["shared_location"] = {"latitude": latitude, "longitude": longitude}
        message = p.location(p.new_wamid(CUSTOMER), CUSTOMER, latitude, longitude)
        return self._turn(message, "[location]")

    def texts(self, reply: EngineReply | None = None) -> list[str]:
        reply = reply or self.replies[-1]
        return [bodies_text(b) for b in reply.bodies]

    def text(self) -> str:
        return "\n".join(self.texts())

    def options(self) -> list[str]:
        return [title for b in self.replies[-1].bodies for _, title in options_of(b)]

    @property
    def cart(self) -> dict[str, Any]:
        return {**new_cart(), **(self.state.get("cart") or {})}


def local_today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(CATALOG.shop.tz).date()


def open_day(product_slug: str, min_ahead: int, now: datetime | None = None) -> date:
    """The first day at least `min_ahead` days ahead (the shop's days) on which it is open."""
    now = now or utcnow()
    assert CATALOG.product(product_slug) is not None
    day = local_today(now) + timedelta(days=min_ahead)
    while not slots_on(CATALOG.shop, day, now):
        day += timedelta(days=1)
    return day


def weekday_ahead(min_ahead: int, now: datetime | None = None) -> date:
    """An open day `min_ahead` to 7 days ahead: what a bare weekday name ("saturday") means."""
    now = now or utcnow()
    for ahead in range(max(min_ahead, 1), 8):
        day = local_today(now) + timedelta(days=ahead)
        if slots_on(CATALOG.shop, day, now):
            return day
    raise AssertionError("no open weekday in the coming week")
