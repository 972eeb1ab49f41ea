"""The order spine end to end, engine aside: signed webhooks in, the order desk driven by a tiny
command engine, the Confirm tap, ONE order row, the confirmation with its number at the fake
Graph API, the push to the shop's system (signed, retried past 3 refusals, once), a staff change
through the admin API reaching the customer on WhatsApp, and the customer cancelling."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import func, select

from snakecakes.bot.llms.base import EngineReply, Inbound, TurnContext
from snakecakes.bot.ordering.desk import OrderDesk
from snakecakes.db.models import InboxMessage
from snakecakes.shop.catalog import DEFAULT_CATALOG, load_default_catalog
from snakecakes.shop.order_models import AnalyticsEvent, OrderEventRow, OrderRow
from snakecakes.shop.profile import WEEKDAYS
from snakecakes.shop.schedule import next_slots
from snakecakes.simulator.fake_orders import FakeOrderReceiver
from tests.bot.conftest import Bot
from tests.conftest import ORDERS_SECRET
from tests.support.waiting import eventually

CUSTOMER = "4915112345678"
ADMIN = {"Authorization": "Bearer admin-token-for-tests"}


class DeskCommands:
    """Each message is a desk call: `add <product> size=<key>`, `date <day> <time>`,
    `pickup`, `name <name>`, `checkout`, `upsell`, `yes` (place_order), `cancel <number>`."""

    name = "desk-commands"

    def respond(self, ctx: TurnContext, items: Sequence[Inbound]) -> EngineReply:
        reply = EngineReply()
        desk = OrderDesk(ctx, reply)
        for item in items:
            verb, _, rest = (item.text or "").partition(" ")
            words = rest.split()
            if verb == "add":
                options = dict(w.split("=", 1) for w in words[1:])
                outcome = desk.add_item(words[0], **options)
            elif verb == "date":
                outcome = desk.set_date(words[0], words[1])
            elif verb == "pickup":
                outcome = desk.set_fulfilment("pickup")
            elif verb == "name":
                outcome = desk.set_customer(rest)
            elif verb == "checkout":
                outcome = desk.show_checkout()
            elif verb == "upsell":
                outcome = desk.offer_upsell()
            elif verb == "yes":
                outcome = desk.place_order()
            elif verb == "cancel":
                outcome = desk.cancel_order(rest or None)
            else:
                outcome = desk.view_cart()
            if not outcome.data.get("sent"):
                reply.say_as_is(ctx, outcome.message)
        return reply


def _slot() -> datetime:
    catalog = load_default_catalog()
    product = catalog.product("new-york-cheesecake")
    assert product is not None
    return next_slots(catalog, [product], datetime.now(UTC), count=1)[0]


def _count(bot: Bot, model: Any) -> int:
    with bot.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _last_body(bot: Bot, kind: str) -> dict[str, Any]:
    return [b for b in bot.sent_to(CUSTOMER) if b.get("type") == kind][-1]


def _say(bot: Bot, text: str) -> None:
    before = len(bot.sent_to(CUSTOMER))
    bot.send(CUSTOMER, text, name="Anna")
    eventually(lambda: len(bot.sent_to(CUSTOMER)) > before, timeout=20)


def _fill_cart(bot: Bot) -> None:
    slot = _slot()
    _say(bot, "add new-york-cheesecake size=20cm flavour=salted-caramel")
    _say(bot, f"date {slot:%Y-%m-%d} {slot:%H:%M}")
    _say(bot, "pickup")
    _say(bot, "name Anna Schmidt")


@pytest.fixture
def shop_bot(bot_factory: Callable[..., Bot], order_receiver: FakeOrderReceiver) -> Bot:
    return bot_factory(
        engine=DeskCommands(),
        ORDERS_WEBHOOK_URL=order_receiver.url,
        ORDERS_WEBHOOK_SECRET=ORDERS_SECRET,
    )


def test_confirm_tap_makes_one_order_pushed_once_past_refusals(
    shop_bot: Bot, order_receiver: FakeOrderReceiver
) -> None:
    bot = shop_bot
    _fill_cart(bot)
    _say(bot, "checkout")
    buttons = _last_body(bot, "interactive")["interactive"]["action"]["buttons"]
    confirm = next(b["reply"] for b in buttons if b["reply"]["id"].startswith("order:confirm"))
    assert "€38.00" in _last_body(bot, "interactive")["interactive"]["body"]["text"]

    before = len(bot.sent_to(CUSTOMER))
    bot.tap(CUSTOMER, confirm["id"], confirm["title"])
    bot.tap(CUSTOMER, confirm["id"], confirm["title"])  # a double tap: still one order
    eventually(lambda: len(bot.sent_to(CUSTOMER)) >= before + 2, timeout=20)
    texts = [b["text"]["body"] for b in bot.sent_to(CUSTOMER)[before:] if b["type"] == "text"]
    placed = [t for t in texts if "is placed" in t]
    assert len(placed) == 1 and "€38.00" in placed[0]
    with bot.db.read() as session:
        order = session.scalars(select(OrderRow)).one()
        assert order.total_cents == 3800 and order.status == "new"
        assert order.number is not None and order.number in placed[0]
        assert order.data["items"][0]["flavour"] == "Salted caramel"
    assert any("earlier step" in t for t in texts)  # the second tap: a clear answer

    eventually(lambda: order_receiver.events() == [f"{order.number}:1"], timeout=30)
    assert len(order_receiver.received) == 4  # 3 refused, then accepted
    assert all(p.signature_ok for p in order_receiver.received)
    assert order_receiver.accepted[0].body["total"] == "38.00"
    assert order_receiver.accepted[0].body["event"] == "order.created"

    # staff moves it on through the admin API: the customer hears, the system gets version 2
    r = httpx.patch(
        f"{bot.url}/api/orders/{order.number}",
        json={"status": "ready", "note": "See you soon!"},
        headers=ADMIN,
        timeout=10,
    )
    assert r.status_code == 200 and r.json()["status"] == "ready"
    eventually(lambda: any("is ready" in t for t in bot.replies_to(CUSTOMER)), timeout=20)
    eventually(lambda: len(order_receiver.events()) == 2, timeout=30)
    assert order_receiver.events()[1] == f"{order.number}:2"
    assert _count(bot, OrderRow) == 1

    listed = httpx.get(f"{bot.url}/api/orders?status=ready", headers=ADMIN, timeout=10).json()
    assert [o["number"] for o in listed["orders"]] == [order.number]
    refused = httpx.patch(
        f"{bot.url}/api/orders/{order.number}", json={"status": "new"}, headers=ADMIN, timeout=10
    )
    assert refused.status_code == 409


def test_typed_yes_needs_a_summary_seen_first_and_customer_can_cancel(
    shop_bot: Bot, order_receiver: FakeOrderReceiver
) -> None:
    bot = shop_bot
    _fill_cart(bot)
    _say(bot, "yes")  # no summary seen yet: no order
    assert "must first see the summary" in bot.replies_to(CUSTOMER)[-1]
    assert _count(bot, OrderRow) == 0
    _say(bot, "upsell")
    upsell = _last_body(bot, "interactive")["interactive"]["action"]["buttons"]
    assert upsell[0]["reply"]["id"].startswith("upsell:add:")
    before = len(bot.sent_to(CUSTOMER))
    bot.tap(CUSTOMER, upsell[0]["reply"]["id"], upsell[0]["reply"]["title"])
    eventually(lambda: len(bot.sent_to(CUSTOMER)) > before, timeout=20)
    _say(bot, "checkout")
    _say(bot, "yes")
    eventually(lambda: any("is placed" in t for t in bot.replies_to(CUSTOMER)), timeout=20)
    with bot.db.read() as session:
        order = session.scalars(select(OrderRow)).one()
        kinds = session.scalars(select(AnalyticsEvent.kind)).all()
    assert {"upsell_offered", "upsell_accepted"} <= set(kinds)
    assert len(order.data["addons"]) == 1

    bot.send(CUSTOMER, f"cancel {order.number}")
    eventually(lambda: "is cancelled" in bot.replies_to(CUSTOMER)[-1], timeout=20)
    with bot.db.read() as session:
        assert session.scalars(select(OrderRow.status)).one() == "cancelled"
        versions = session.scalars(select(OrderEventRow.version)).all()
    assert sorted(versions) == [1, 2]
    eventually(lambda: len(order_receiver.events()) == 2, timeout=30)


def test_human_handover_silences_the_bot_until_staff_release(shop_bot: Bot) -> None:
    bot = shop_bot
    _say(bot, "human")
    assert "will answer you here" in bot.replies_to(CUSTOMER)[-1]
    bot.send(CUSTOMER, "hello? anyone?")
    done = select(func.count()).select_from(InboxMessage).where(InboxMessage.state == "done")

    def answered() -> bool:
        with bot.db.read() as session:
            return session.scalar(done) == 2

    eventually(answered)
    assert len(bot.sent_to(CUSTOMER)) == 1  # stored, and silence
    r = httpx.post(f"{bot.url}/api/chats/{CUSTOMER}/release", headers=ADMIN, timeout=10)
    assert r.status_code == 200 and r.json()["handed_over"] is False
    _say(bot, "cart")
    assert "Your cart" in bot.replies_to(CUSTOMER)[-1]


def test_a_new_conversation_while_closed_hears_it_first(
    bot_factory: Callable[..., Bot], tmp_path: Any
) -> None:
    data = yaml.safe_load(DEFAULT_CATALOG.read_text())
    data["shop"]["opening_hours"] = {day: [] for day in WEEKDAYS}  # closed for renovation
    path = tmp_path / "closed.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    bot = bot_factory(
        engine=DeskCommands(),
        SNAKECAKES_OUT_OF_HOURS_NOTICE=True,
        SNAKECAKES_CATALOG_PATH=str(path),
    )
    bot.send(CUSTOMER, "cart")
    eventually(lambda: len(bot.replies_to(CUSTOMER)) == 2)
    first, second = bot.replies_to(CUSTOMER)
    assert "is closed right now" in first and "Your cart" in second
    _say(bot, "cart")  # the same session: said once
    assert len(bot.replies_to(CUSTOMER)) == 3
