"""The offline engine takes ten whole orders end to end, on SQLite and PostgreSQL: signed
webhooks in (typed words, button and list taps, a shared location), the real routing, turns and
order desk, replies at the fake Graph API; each conversation ends with exactly one order row
with the total the server computed, pushed once, signed, to the shop's system, which refuses
its first 3 attempts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from snakecakes.bot.llms.offline import OfflineEngine
from snakecakes.db.models import InboxMessage, OutboxMessage
from snakecakes.shop.order_models import AnalyticsEvent, OrderRow
from snakecakes.simulator import payloads as p
from snakecakes.simulator.fake_orders import FakeOrderReceiver
from tests.bot.conftest import Bot
from tests.bot.llms.offline_support import local_today, open_day, weekday_ahead
from tests.conftest import ORDERS_SECRET
from tests.support.waiting import eventually

CUSTOMER = "4915112345678"


class Talk:
    """One customer talking to the bot; every step waits until the turn's replies are out."""

    def __init__(self, bot: Bot, name: str = "Anna") -> None:
        self.bot, self.name = bot, name
        self.last: list[dict[str, Any]] = []

    def _settle(self, wamid: str, before: int) -> list[dict[str, Any]]:
        def done() -> bool:
            with self.bot.db.read() as s:
                state = s.scalar(select(InboxMessage.state).where(InboxMessage.wamid == wamid))
                queued = s.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.recipient == CUSTOMER)
                )
            return state not in (None, "pending") and len(self.bot.sent_to(CUSTOMER)) >= (
                queued or 0
            )

        eventually(done, timeout=30)
        self.last = self.bot.sent_to(CUSTOMER)[before:]
        assert self.last, "the bot did not answer"
        return self.last

    def say(self, text: str) -> list[dict[str, Any]]:
        before = len(self.bot.sent_to(CUSTOMER))
        [wamid] = self.bot.send(CUSTOMER, text, name=self.name)
        return self._settle(wamid, before)

    def tap(self, title: str) -> list[dict[str, Any]]:
        """Tap the newest button or list row whose title contains `title`."""
        for body in reversed(self.bot.sent_to(CUSTOMER)):
            for reply_id, shown, row in _options(body):
                if title.casefold() in shown.casefold():
                    before = len(self.bot.sent_to(CUSTOMER))
                    make = p.list_reply if row else p.button_reply
                    message = make(p.new_wamid(CUSTOMER), CUSTOMER, reply_id, shown)
                    wamid = self.bot.post(CUSTOMER, message, self.name)
                    return self._settle(wamid, before)
        raise AssertionError(f"nothing to tap called {title!r}")

    def share_location(self, latitude: float, longitude: float) -> list[dict[str, Any]]:
        before = len(self.bot.sent_to(CUSTOMER))
        message = p.location(p.new_wamid(CUSTOMER), CUSTOMER, latitude, longitude)
        wamid = self.bot.post(CUSTOMER, message, self.name)
        return self._settle(wamid, before)

    @property
    def text(self) -> str:
        return "\n".join(_text(b) for b in self.last)

    @property
    def options(self) -> list[str]:
        return [shown for b in self.last for _, shown, _ in _options(b)]


def _text(body: dict[str, Any]) -> str:
    if body["type"] == "text":
        return str(body["text"]["body"])
    if body["type"] == "interactive":
        return str(body["interactive"].get("body", {}).get("text", ""))
    return ""


def _options(body: dict[str, Any]) -> list[tuple[str, str, bool]]:
    action = body.get("interactive", {}).get("action", {}) if body["type"] == "interactive" else {}
    if "buttons" in action:
        return [(b["reply"]["id"], b["reply"]["title"], False) for b in action["buttons"]]
    rows = [r for s in action.get("sections", []) for r in s["rows"]]
    return [(r["id"], r["title"], True) for r in rows]


@pytest.fixture
def shop(bot_factory: Callable[..., Bot], order_receiver: FakeOrderReceiver) -> Bot:
    return bot_factory(
        engine=OfflineEngine.from_settings(None),  # questions go to the (empty) documents
        ORDERS_WEBHOOK_URL=order_receiver.url,
        ORDERS_WEBHOOK_SECRET=ORDERS_SECRET,
        SNAKECAKES_ORDER_PUSH_MAX_BACKOFF_SECONDS=0.2,
    )


def the_order(bot: Bot) -> OrderRow:
    with bot.db.read() as session:
        [order] = session.scalars(select(OrderRow)).all()
        session.expunge(order)
        return order


def placed(talk: Talk, receiver: FakeOrderReceiver, cents: int, versions: int = 1) -> OrderRow:
    """Exactly one order, with this total, confirmed to the customer and pushed once a version."""
    order = the_order(talk.bot)
    assert order.total_cents == cents
    confirmations = [t for t in talk.bot.replies_to(CUSTOMER) if "is placed" in t]
    assert len(confirmations) == 1 and str(order.number) in confirmations[0]
    assert f"€{cents / 100:.2f}" in confirmations[0]
    wanted = [f"{order.number}:{v}" for v in range(1, versions + 1)]
    eventually(lambda: receiver.events() == wanted, timeout=30)
    assert len(receiver.received) == 3 + versions  # 3 refusals, then each version once
    assert all(push.signature_ok for push in receiver.received)
    assert receiver.accepted[0].body["total"] == f"{cents / 100:.2f}"
    return order


def day_words(day: date) -> str:
    return f"{day:%A}"


def test_typed_only_with_a_typo_servings_and_an_inscription(
    shop: Bot, order_receiver: FakeOrderReceiver
) -> None:
    talk = Talk(shop)
    talk.say("Hi")
    assert "Welcome to Snake Cakes" in talk.text and "Celebration cakes" in talk.options
    talk.say("I'd like a red velvett cake for 12 people")
    assert "Red Velvet Cake 24 cm" in talk.text  # 12 people: the 14-16 size
    talk.say("write 'Happy 40th Tom!' on it")
    assert "Happy 40th Tom!" in talk.text
    day = weekday_ahead(2)
    talk.say(f"{day_words(day)} at 3pm")
    assert "15:00" in talk.text and "Pickup" in talk.options
    talk.say("I'll pick it up")
    talk.say("My name is Tom Berger")
    assert "Confirm order" in talk.options and "€66.00" in talk.text
    talk.say("yes")
    order = placed(talk, order_receiver, 6600)
    assert order.customer_name == "Tom Berger" and order.fulfilment == "pickup"
    assert (order.wanted_date, order.wanted_time) == (day.isoformat(), "15:00")
    assert order.data["items"][0]["inscription"] == "Happy 40th Tom!"


def test_tapped_only(shop: Bot, order_receiver: FakeOrderReceiver) -> None:
    talk = Talk(shop)
    talk.say("hello")
    talk.tap("Celebration cakes")
    talk.tap("Chocolate Fudge")
    assert talk.options == ["18 cm", "24 cm"]
    talk.tap("18 cm")
    talk.tap("Milk chocolate")
    talk.tap("Salted caramel")
    assert "Added to your cart" in talk.text
    talk.tap("No inscription")
    assert any(o.startswith("Add ") for o in talk.options)  # the extras, beside the days
    talk.tap("No, thanks")
    day = open_day("chocolate-fudge-cake", 2)
    talk.tap(f"{day:%A} {day.day} {day:%b}")
    talk.tap("14:00")
    talk.tap("Pickup")
    talk.tap("Use Anna")
    assert "€45.00" in talk.text
    talk.tap("Confirm order")
    order = placed(talk, order_receiver, 4500)
    assert order.customer_name == "Anna"
    assert order.data["items"][0]["flavour"] == "Milk chocolate"


def test_mixed_taps_and_words_with_a_typed_delivery_address(
    shop: Bot, order_receiver: FakeOrderReceiver
) -> None:
    talk = Talk(shop)
    talk.say("menu")
    talk.tap("Cheesecakes")
    talk.tap("New York Cheesecake")
    talk.say("26cm please, salted caramel")
    assert "New York Cheesecake 26 cm" in talk.text
    talk.say("no inscription")
    day = open_day("new-york-cheesecake", 2)
    talk.tap(f"{day:%A} {day.day} {day:%b}")
    talk.say("2pm")
    talk.tap("Delivery")
    talk.say("Oranienstraße 25, 10999 Berlin")
    assert "€4.90" in talk.text  # the Kreuzberg zone's fee
    talk.tap("Use Anna")
    talk.tap("Confirm order")
    order = placed(talk, order_receiver, 5400 + 490)
    assert order.fulfilment == "delivery"
    assert order.data["delivery_zone"] == "kiez"


def test_corrections(shop: Bot, order_receiver: FakeOrderReceiver) -> None:
    talk = Talk(shop)
    talk.say("sammy snake cake, medium, vanilla, with strawberry jam")
    talk.say("no inscription")
    first = weekday_ahead(3)
    second = open_day("sammy-snake-cake", (first - local_today()).days + 1)
    talk.say(f"{day_words(first)} 2pm")
    talk.say("actually make it chocolate")
    assert "Chocolate" in talk.text
    talk.say("and a box of 6 vegan cupcakes")
    talk.tap("Chocolate")
    assert "Vegan Cupcake Box" in talk.text
    talk.say("remove the cupcakes")
    assert "Removed" in talk.text
    talk.say(f"change the date to {second:%d/%m}")
    talk.say("pickup")
    talk.say("Anna Schmidt")
    talk.tap("Confirm order")
    order = placed(talk, order_receiver, 6900)
    assert [i["flavour"] for i in order.data["items"]] == ["Chocolate"]
    assert (order.wanted_date, order.wanted_time) == (second.isoformat(), "14:00")


def test_delivery_to_a_shared_location(shop: Bot, order_receiver: FakeOrderReceiver) -> None:
    talk = Talk(shop)
    day = open_day("black-forest-torte", 2)
    talk.say(f"A black forest torte 24cm for {day:%d/%m} at 3pm please, delivered")
    talk.say("no inscription")
    assert "Location" in talk.text
    talk.share_location(52.5000, 13.4200)  # about 1 km from the shop: Kreuzberg zone
    assert "the location you shared" in talk.text and "Use Anna" in talk.options
    talk.say("Anna")
    talk.tap("Confirm order")
    order = placed(talk, order_receiver, 5600 + 490)
    assert order.fulfilment == "delivery" and order.data["delivery_zone"] == "kiez"


def test_a_refused_date_then_a_suggested_slot(shop: Bot, order_receiver: FakeOrderReceiver) -> None:
    talk = Talk(shop)
    talk.say("Vegan carrot cake, 18cm, tomorrow at 11am")
    assert "closed" in talk.text or "notice" in talk.text  # 3 days' notice, or closed
    suggestion = talk.options[0]
    talk.tap(suggestion)
    assert "Noted for" in talk.text
    talk.say("no inscription")
    talk.say("pick up")
    talk.say("Jo Miller")
    talk.tap("Confirm order")
    order = placed(talk, order_receiver, 4400)
    assert order.wanted_time == "11:00"


def test_an_accepted_upsell_with_its_card_message(
    shop: Bot, order_receiver: FakeOrderReceiver
) -> None:
    talk = Talk(shop)
    day = open_day("sachertorte", 2)
    talk.say(f"Sachertorte 18 cm on {day:%d/%m} at 12:00, pickup, no inscription")
    talk.tap("Add Greeting card")
    assert "What should the card say?" in talk.text
    talk.say("Happy birthday, Oma! Love, Mia")
    assert "Greeting card" in talk.text
    talk.say("Mia Weber")
    talk.tap("Confirm order")
    order = placed(talk, order_receiver, 3600 + 300)
    assert order.data["addons"][0]["text"] == "Happy birthday, Oma! Love, Mia"
    with shop.db.read() as session:
        kinds = session.scalars(select(AnalyticsEvent.kind)).all()
    assert {"upsell_offered", "upsell_accepted"} <= set(kinds)


def test_cancel_after_ordering(shop: Bot, order_receiver: FakeOrderReceiver) -> None:
    talk = Talk(shop)
    day = open_day("frankfurter-kranz", 2)
    talk.say(f"Frankfurter Kranz for {day:%d/%m} at 10am")
    talk.tap("No inscription")
    talk.tap("Pickup")
    talk.tap("Use Anna")
    talk.tap("Confirm order")
    number = the_order(shop).number
    talk.say("please cancel my order")
    assert str(number) in talk.text and "Yes, cancel it" in talk.options
    talk.tap("Yes, cancel it")
    assert "is cancelled" in talk.text
    order = placed(talk, order_receiver, 4600, versions=2)
    assert order.status == "cancelled"


def test_a_cheesecake_typo_several_fit_and_a_day_month_date(
    shop: Bot, order_receiver: FakeOrderReceiver
) -> None:
    talk = Talk(shop)
    talk.say("do you have cheescake?")
    assert "Berlin Quark Cheesecake" in talk.options
    talk.tap("Berlin Quark")
    talk.tap("With rum raisins")
    talk.say("nothing written please")
    day = open_day("berliner-kaesekuchen", 1)
    talk.say(f"{day:%d/%m} 3pm")
    talk.say("pickup")
    talk.say("I'm Lena")
    talk.say("ok")
    order = placed(talk, order_receiver, 3400 + 150)
    assert order.data["items"][0]["flavour"] == "With rum raisins"
    assert order.wanted_time == "15:00"


def test_everything_in_one_message_with_quantity_and_allergies(
    shop: Bot, order_receiver: FakeOrderReceiver
) -> None:
    talk = Talk(shop)
    day = open_day("sachertorte", 2)
    talk.say(
        f"Hello! 2 Sachertorte 24 cm for {day:%d/%m} at 11am, I'll pick them up. "
        "My name is Ben Weber. I'm allergic to nuts."
    )
    assert "2 x Sachertorte 24 cm" in talk.text and "nuts" in talk.text
    talk.say("no")
    assert "Confirm order" in talk.options and "€108.00" in talk.text
    talk.say("yes please")
    order = placed(talk, order_receiver, 10800)
    assert "allergic to nuts" in order.data["allergies"]
    assert order.customer_name == "Ben Weber"
    talk.say("my orders")
    assert str(order.number) in talk.text
