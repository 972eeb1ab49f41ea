"""The offline engine turn by turn, without a server: each test is a short conversation at a
fixed moment (Wednesday 2 December 2026, 10:00 in Berlin), so dates are exact."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from snakecakes.bot.bot import make_engine
from snakecakes.bot.llms.base import EngineReply, TurnContext
from snakecakes.bot.llms.offline import OfflineEngine
from snakecakes.bot.llms.offline_questions import answer_from_documents
from snakecakes.bot.ordering.actions import CancelOrder, PlaceOrder
from snakecakes.bot.ordering.shelf import OrderInfo
from snakecakes.bot.prompts import PromptRegistry
from snakecakes.config import load_settings
from snakecakes.db.database import Database
from snakecakes.knowledge import load_default_documents
from tests.bot.llms.offline_support import Chat, StubShelf, options_of
from tests.knowledge.conftest import add_bot

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # Wednesday, 10:00 in Berlin


def chat(**kwargs: Any) -> Chat:
    return Chat(**{"now": NOW, **kwargs})


def kinds(c: Chat) -> list[str]:
    return [type(a).__name__ for a in c.replies[-1].actions]


def test_auto_without_a_key_and_offline_pick_the_offline_engine() -> None:
    assert make_engine(load_settings()).name == "offline"
    assert make_engine(load_settings(SNAKECAKES_ENGINE="offline")).name == "offline"
    assert make_engine(load_settings(SNAKECAKES_ENGINE="echo")).name == "echo"


def test_a_greeting_says_what_it_can_do_and_offers_the_menu() -> None:
    c = chat()
    c.say("Hallo!")
    assert "Welcome to Snake Cakes" in c.text() and "human" in c.text()
    assert c.options() == [
        "Celebration cakes",
        "Tortes and classics",
        "Cheesecakes",
        "Cupcake boxes",
        "Vegan and gluten-free",
    ]
    c.tap("Tortes")
    assert c.options() == [
        "Black Forest Torte",
        "Sachertorte",
        "Hazelnut Praline Torte",
        "Frankfurter Kranz",
    ]


def test_every_list_and_button_keeps_within_whatsapps_limits() -> None:
    c = chat()
    c.say("menu")
    for category in ("Celebration", "Tortes", "Cheesecakes", "Cupcake", "Vegan"):
        c.tap(category)
        for body in c.replies[-1].bodies:
            action = body["interactive"]["action"]
            if "buttons" in action:  # a short choice: reply buttons
                assert all(len(b["reply"]["title"]) <= 20 for b in action["buttons"])
                continue
            rows = [r for s in action["sections"] for r in s["rows"]]
            assert 1 <= len(rows) <= 10
            assert all(len(r["title"]) <= 24 and len(r.get("description", "")) <= 72 for r in rows)
            assert len(action["button"]) <= 20
    c.say("vegan cupcakes")
    c.tap("Box of 6")
    assert len(c.options()) == 3 and all(len(t) <= 20 for t in c.options())  # buttons
    c.say("two tier naked cake")
    assert c.options() == ["15 cm + 20 cm tiers", "20 cm + 25 cm tiers"]


@pytest.mark.parametrize(
    ("said", "day", "at"),
    [
        ("saturday at 2pm", "2026-12-05", "14:00"),
        ("next friday 3pm", "2026-12-11", "15:00"),
        ("on 12/12 at 11", "2026-12-12", "11:00"),
        ("Samstag um 14 Uhr", "2026-12-05", "14:00"),
    ],
)
def test_dates_in_words(said: str, day: str, at: str) -> None:
    c = chat()
    c.say("Sachertorte 18cm")
    c.say(said)
    assert c.cart["wanted"] == {"date": day, "time": at}


def test_a_day_then_its_time_from_the_lists() -> None:
    c = chat()
    c.say("a cheesecake for 10 people")
    c.tap("New York")
    assert c.cart["items"] == [] and c.options()[0] == "Classic vanilla"
    c.tap("Classic vanilla")
    assert c.cart["items"][0]["size"] == "20cm"  # 10 people: the 10-12 size
    c.say("tomorrow")
    assert "At what time on Thursday 3 December 2026" in c.text()
    c.tap("16:00")
    assert c.cart["wanted"] == {"date": "2026-12-03", "time": "16:00"}


def test_a_closed_day_and_too_short_notice_are_refused_with_slots_to_tap() -> None:
    c = chat()
    c.say("Sammy snake cake, large, lemon, vanilla buttercream")
    c.say("25/12 at 2pm")
    assert "closed" in c.text() and c.cart["wanted"] is None
    c.say("tomorrow 2pm")
    assert "3 days' notice" in c.text() and c.cart["wanted"] is None
    assert c.options() == ["Sat 5 Dec 14:00", "Sun 6 Dec 14:00", "Tue 8 Dec 14:00"]
    c.tap("Sat 5 Dec")
    assert c.cart["wanted"] == {"date": "2026-12-05", "time": "14:00"}


def test_a_date_given_before_the_cake_is_complete_waits_for_it() -> None:
    c = chat()
    c.say("red velvet for saturday at 3pm")
    assert "Noted for Saturday 5 December 2026 at 15:00" in c.text()
    assert c.options() == ["18 cm", "24 cm"]
    c.say("the small one")
    assert c.cart["wanted"] == {"date": "2026-12-05", "time": "15:00"}


def test_corrections_change_the_right_thing() -> None:
    c = chat()
    c.say("chocolate fudge cake 24 cm dark chocolate with raspberry jam")
    assert c.cart["items"][0]["filling"] == "raspberry"
    c.say("actually make it salted caramel")
    assert c.cart["items"][0]["filling"] == "salted-caramel"
    c.say("make it 2")
    assert c.cart["items"][0]["quantity"] == 2
    c.say("the smaller one please")
    assert c.cart["items"][0]["size"] == "18cm"
    c.say("and a classic cupcake box of 12, chocolate")
    assert [i["product"] for i in c.cart["items"]] == ["chocolate-fudge-cake", "cupcake-box"]
    c.say("remove the cupcakes")
    assert [i["product"] for i in c.cart["items"]] == ["chocolate-fudge-cake"]
    c.say("actually I'd rather have the Sachertorte instead")
    assert c.cart["items"] == [] and c.options() == ["18 cm", "24 cm"]
    c.tap("24 cm")
    assert [i["product"] for i in c.cart["items"]] == ["sachertorte"]


def test_a_name_that_fits_several_cakes_is_asked_about() -> None:
    c = chat()
    c.say("2 cupcakes please")
    assert c.options() == ["Classic Cupcake Box", "Vegan Cupcake Box"]
    c.say("the vegan one")
    c.say("box of 12")
    c.say("chocolate")
    assert c.cart["items"][0]["product"] == "vegan-cupcake-box"
    assert c.cart["items"][0]["quantity"] == 2
    assert "inscription" not in c.text().casefold()  # cupcakes carry none


def test_delivery_by_address_and_out_of_zone() -> None:
    c = chat()
    c.say("sachertorte 24 cm, saturday 2pm, no inscription")
    c.say("delivery please")
    assert "street, house number and postcode" in c.text()
    c.say("Hauptstraße 1, 80331 München")
    assert "we only deliver within" in c.text()
    c.say("Kastanienallee 12, 10435 Berlin")
    assert c.cart["fulfilment"]["address"] == "Kastanienallee 12, 10435 Berlin"
    assert "Under which name" in c.text()


def test_a_shared_location_sets_the_delivery() -> None:
    c = chat()
    c.say("sachertorte 24 cm, saturday 2pm, no inscription, delivery")
    c.share_location(52.5000, 13.4200)
    assert c.cart["fulfilment"]["method"] == "delivery"
    assert "the location you shared" in c.text()


def test_the_summary_then_a_typed_yes_places_the_order() -> None:
    c = chat()
    c.say("Sachertorte 18cm for saturday 2pm, pickup, no inscription, name: Ben")
    assert "Confirm order" in c.options()
    c.say("yes")
    assert kinds(c) == ["PlaceOrder"]
    action = c.replies[-1].actions[0]
    assert isinstance(action, PlaceOrder) and action.cart["customer"] == {"name": "Ben"}
    c.say("thanks!")
    assert c.text() == "You're welcome! 😊"


def test_a_no_to_the_summary_asks_what_to_change() -> None:
    c = chat()
    c.say("Sachertorte 18cm for saturday 2pm, pickup, no inscription, name: Ben")
    c.say("no")
    assert "What would you like to change" in c.text() and kinds(c) == []


def test_cancel_empties_the_cart_or_cancels_an_order_after_asking() -> None:
    c = chat()
    c.say("sachertorte 18cm")
    c.say("cancel")
    assert "emptied your cart" in c.text() and c.cart["items"] == []
    order = OrderInfo("SC-1007", "new", 3600, "EUR", "2026-12-05", "14:00", NOW)
    c.shelf.orders = [order]
    c.say("I want to cancel my order")
    assert "SC-1007" in c.text() and c.options() == ["Yes, cancel it", "No, keep it"]
    c.say("yes")
    assert kinds(c) == ["CancelOrder"]
    c.say("cancel SC-1007")
    action = c.replies[-1].actions[0]
    assert isinstance(action, CancelOrder) and action.number == "SC-1007"
    c.say("my orders")
    assert "SC-1007" in c.text()


def test_human_start_over_menu_and_the_fallback() -> None:
    c = chat()
    c.say("sachertorte 18cm")
    c.say("I want to start over")
    assert "start over" in c.text() and c.cart["items"] == []
    c.say("blorp")
    assert "I didn't quite understand" in c.text() and "*menu*" in c.text()
    c.say("what cakes do you have?")
    assert "Celebration cakes" in c.options()
    c.say("can I talk to a real person")
    assert c.replies[-1].hand_over is True and "RecordEvent" in kinds(c)


def test_knowledge_questions_go_to_the_hook() -> None:
    asked: list[str] = []

    def questions(ctx: TurnContext, reply: EngineReply, question: str) -> bool:
        asked.append(question)
        if "nut" not in question:
            return False
        reply.say_as_is(ctx, "Our Sachertorte has no nuts. (Source: allergens.md)")
        return True

    c = chat(engine=OfflineEngine(questions=questions))
    c.say("is the sachertorte nut-free?")
    assert "has no nuts" in c.text() and c.cart["items"] == [] and c.options() == []
    c.say("can I order a sachertorte 18 cm?")
    c.say("do you have red velvet?")
    assert asked == ["is the sachertorte nut-free?"]  # an order, a cake: the order flow
    assert c.cart["items"][0]["product"] == "sachertorte"
    c.say("do you deliver on sundays?")
    assert asked[-1] == "do you deliver on sundays?"


def test_the_running_bot_answers_from_the_shop_documents() -> None:
    engine = make_engine(load_settings())
    assert isinstance(engine, OfflineEngine) and engine.questions is answer_from_documents
    c = chat(engine=engine)  # no database behind this shelf: the order flow answers
    c.say("is it nut-free?")
    assert "I can't answer that one here" in c.text() and c.options() == []
    c.say("is the Black Forest Torte vegan?")
    assert "Allergens: cereals containing gluten, eggs, milk, soya." in c.text()
    assert "contains alcohol" in c.text() and c.cart["items"] == []


def test_a_tap_from_an_earlier_session_is_stale() -> None:
    c = chat()
    c.say("menu")
    c.session_id = 8
    c.tap("Cheesecakes")
    assert c.text().startswith("That button belongs to an earlier step")


def test_allergies_are_noted_for_the_bakers() -> None:
    c = chat()
    c.say("sachertorte 18cm. My daughter is allergic to peanuts")
    assert "allergic to peanuts" in c.cart["allergies"]


def test_without_a_catalog_it_only_helps() -> None:
    c = chat(shelf=StubShelf(catalog_=None))
    c.say("hello")
    assert c.text() == PromptRegistry().render("help", shop_name="Snake Cakes")
    assert options_of(c.replies[-1].bodies[0]) == []


def test_a_second_cake_named_while_the_first_is_chosen_waits_its_turn() -> None:
    c = chat()
    c.say("chocolate fudge cake 24cm")
    assert c.options() == ["Dark chocolate", "Milk chocolate", "Chocolate orange"]
    c.say("and a box of 6 classic cupcakes, vanilla")
    assert [i["product"] for i in c.cart["items"]] == ["cupcake-box"]
    assert c.options() == ["Dark chocolate", "Milk chocolate", "Chocolate orange"]  # back to it
    c.tap("Milk chocolate")
    c.tap("Raspberry jam")
    assert [i["product"] for i in c.cart["items"]] == ["cupcake-box", "chocolate-fudge-cake"]


def test_a_correction_is_not_taken_for_the_inscription() -> None:
    c = chat()
    c.say("chocolate fudge cake 24 cm dark chocolate with raspberry jam")
    assert "write something on the Chocolate Fudge" in c.text()
    c.say("actually make it salted caramel")
    [line] = c.cart["items"]
    assert line["filling"] == "salted-caramel" and line["inscription"] is None
    c.say("For Mia: Happy 7th Birthday!")  # the next question is still open in the chat
    assert c.cart["items"][0]["inscription"] is None  # not asked any more: not an inscription
    c.say('inscription: "Happy 7th Birthday Mia!"')
    assert c.cart["items"][0]["inscription"] == "Happy 7th Birthday Mia!"


def test_generic_wishes_and_removals_get_a_clear_answer() -> None:
    c = chat()
    c.say("I'd like to order a cake")
    assert "Which cake would you like?" in c.text() and "Cheesecakes" in c.options()
    c.say("remove the cupcakes")
    assert c.text().startswith("Your cart is empty.")
    c.say("sachertorte 18 cm")
    c.say("remove the candles")
    assert c.text().startswith("I can't find that in your cart.")
    assert len(c.cart["items"]) == 1


def test_shortened_titles_keep_the_whole_name_in_the_row() -> None:
    c = chat()
    c.say("cheesecakes")
    rows = c.replies[-1].bodies[0]["interactive"]["action"]["sections"][0]["rows"]
    long = next(r for r in rows if r["id"].endswith("raspberry-white-chocolate-cheesecake"))
    assert long["title"].endswith("…") and len(long["title"]) <= 24
    assert long["description"].startswith("Raspberry and White Chocolate Cheesecake")


def test_questions_answered_from_the_shipped_documents_and_orders_still_taken(
    sqlite_db: Database,
) -> None:
    bot_id = add_bot(sqlite_db, "555", default=True)
    with sqlite_db.transaction() as session:
        load_default_documents(session, bot_id)
    shelf = StubShelf(db=sqlite_db)
    c = chat(engine=OfflineEngine(questions=answer_from_documents), shelf=shelf, bot_id=bot_id)
    c.say("Do you deliver on Sundays?")
    assert "Source" in c.text() and "RecordAnswer" in kinds(c)
    c.say("do you have cheescake?")
    assert "Berlin Quark Cheesecake" in c.options()
    c.say("sachertorte 18 cm for saturday 2pm, pickup")
    assert c.cart["items"][0]["product"] == "sachertorte"
    assert c.cart["wanted"] == {"date": "2026-12-05", "time": "14:00"}


def test_extras_by_name_and_a_typed_answer_to_the_suggestion() -> None:
    c = chat()
    c.say("sachertorte 18cm for saturday 2pm, no inscription")
    assert "Add Greeting card" in c.options()  # the suggestion, with the next question
    c.say("no thanks")
    assert "No problem" in c.text() and c.cart["addons"] == []
    c.say("add a greeting card")
    assert c.text() == "What should the card say?" and c.options() == []
    c.say("Alles Gute, Oma!")
    assert c.cart["addons"][0]["text"] == "Alles Gute, Oma!"
    assert "pick it up" in c.text()
    c.say("yes")  # nothing to say yes to: the open question again
    assert c.options() == ["Pickup", "Delivery"]


ODD = [
    "", "👍", "x" * 4096, "0", "-1", "999 cakes", "red velvet 99cm", "for 0 people",
    "for 1000 people", "31/02", "32/13 at 25:99", "yesterday", "in 200 days", "at 3am",
    "Hauptstr. 1, 99999 Nowhere", "https://maps.google.com/?q=48.1,11.5", "my name is " + "A" * 200,
    "inscription: " + "B" * 100, "cancel SC-99999", "remove everything", "make it 11",
    "sammy large lemon vanilla buttercream x10", "2 dozen cupcakes", "yes", "no", "cart",
]  # fmt: skip


@pytest.mark.parametrize("seed", range(20))
def test_no_message_or_tap_breaks_a_turn(seed: int) -> None:
    rng = random.Random(seed)
    c = chat(now=NOW + timedelta(days=rng.randint(0, 400)))
    for _ in range(12):
        if c.replies and c.options() and rng.random() < 0.4:
            c.tap(rng.choice(c.options()))
        else:
            c.say(rng.choice(ODD))
        assert c.replies[-1].bodies or c.replies[-1].actions  # always an answer


def test_change_requests_ask_that_question_again() -> None:
    c = chat()
    c.say("Sachertorte 18cm for saturday 2pm, pickup, no inscription, name: Ben")
    c.say("I'd like to change the date")
    assert c.options()[0] == "Friday 4 Dec"
    c.tap("Sunday")  # another day, the same time
    assert c.cart["wanted"] == {"date": "2026-12-06", "time": "14:00"}
    assert "Confirm order" in c.options()
    c.say("change the size")
    c.tap("24 cm")
    assert c.cart["items"][0]["size"] == "24cm" and "Confirm order" in c.options()
    c.say("different name")
    c.say("Ben Weber")
    assert c.cart["customer"] == {"name": "Ben Weber"}


def test_after_a_typed_yes_the_next_cake_is_a_new_order_asked_in_full() -> None:
    c = chat()
    c.say("Sachertorte 18cm for saturday 2pm, pickup, no inscription, name: Ben")
    c.say("yes")
    assert kinds(c) == ["PlaceOrder"]
    c.say("red velvet 18 cm")
    assert "write something on the Red Velvet Cake" in c.text()  # asked again, a new order
    assert c.cart["wanted"] is None and c.cart["customer"] is None
