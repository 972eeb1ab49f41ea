"""Tool calls are untrusted input: bad arguments come back to the model as errors, never as a
crash and never with an effect on the cart, prices or orders."""

from __future__ import annotations

import json
from typing import Any

import pytest

from snakecakes.bot.llms import openai_tools
from snakecakes.bot.llms.base import EngineReply, TurnContext
from snakecakes.bot.llms.openai_tools import order_numbers_in, run_tool, scrub_order_numbers
from snakecakes.bot.ordering.desk import OrderDesk
from tests.bot.llms.openai_support import later, make_ctx, wanted_slot


def _desk(ctx: TurnContext | None = None) -> tuple[OrderDesk, EngineReply, TurnContext]:
    ctx = ctx or make_ctx()
    reply = EngineReply()
    return OrderDesk(ctx, reply), reply, ctx


def call(desk: OrderDesk, name: str, arguments: Any = None) -> dict[str, Any]:
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments or {})
    return run_tool(desk, name, raw)


def _walk(schema: Any) -> list[str]:
    """Every property name anywhere in a schema."""
    if isinstance(schema, dict):
        names = list(schema.get("properties", {}))
        return names + [n for v in schema.values() for n in _walk(v)]
    if isinstance(schema, list):
        return [n for v in schema for n in _walk(v)]
    return []


def test_the_schemas_are_closed_and_take_no_price_or_phone() -> None:
    schemas = openai_tools.schemas()
    names = [s["function"]["name"] for s in schemas]
    assert len(names) == len(set(names)) >= 15
    for schema in schemas:
        parameters = schema["function"]["parameters"]
        assert parameters["type"] == "object"
        assert parameters.get("additionalProperties") is False, schema["function"]["name"]
        assert '"title"' not in json.dumps(parameters)
    every = {n for s in schemas for n in _walk(s)}
    assert not {n for n in every if "price" in n or "phone" in n or "total" in n}
    assert {"add_to_cart", "place_order", "show_order_summary", "hand_over_to_human"} <= set(names)


def test_a_good_call_changes_the_cart() -> None:
    desk, _, ctx = _desk()
    result = call(
        desk,
        "add_to_cart",
        {
            "product": "Chocolate Fudge Cake",
            "size": "18cm",
            "flavour": "dark chocolate",
            "filling": "chocolate ganache",
        },
    )
    assert result["ok"] and result["item_id"] == 1, result
    assert ctx.session.state["cart"]["items"][0]["quantity"] == 1
    cart = call(desk, "view_cart")
    assert cart["ok"] and cart["total"] == "€42.00"  # the shop's price, from the catalog


@pytest.mark.parametrize(
    ("name", "arguments", "words"),
    [
        ("add_to_cart", {"product": "sachertorte", "quantity": -2}, "quantity"),
        ("add_to_cart", {"product": "sachertorte", "quantity": 0}, "quantity"),
        ("add_to_cart", {"product": "sachertorte", "quantity": 2.5}, "quantity"),
        ("add_to_cart", {"product": "sachertorte", "price": 0}, "no such field"),
        ("add_to_cart", {"product": "sachertorte", "unit_price": "1.00"}, "no such field"),
        ("add_to_cart", {"product": "sachertorte", "discount": "100%"}, "no such field"),
        ("add_to_cart", {}, "product"),
        ("add_to_cart", {"product": "x" * 500}, "product"),
        ("add_extra", {"extra": "candles", "quantity": -1}, "quantity"),
        ("set_date_time", {"date": "next saturday", "time": "14:00"}, "date"),
        ("set_pickup_or_delivery", {"method": "teleport"}, "method"),
        ("place_order", {"phone": "+4917099999999"}, "no such field"),
        ("place_order", {"customer_phone": "4917099999999"}, "no such field"),
        ("change_cart_item", {"item_id": -1, "quantity": 2}, "item_id"),
    ],
)
def test_bad_arguments_are_an_error_result_with_no_effect(
    name: str, arguments: dict[str, Any], words: str
) -> None:
    desk, reply, ctx = _desk()
    result = call(desk, name, arguments)
    assert result["ok"] is False
    assert result["message"].startswith("Invalid arguments")
    assert any(words in problem for problem in result["problems"]), result
    assert not ctx.session.changed and not reply.actions and not reply.bodies


@pytest.mark.parametrize("raw", ['{"product": ', "[1, 2]", '"sachertorte"', "null"])
def test_arguments_that_are_not_a_json_object(raw: str) -> None:
    desk, reply, ctx = _desk()
    result = call(desk, "add_to_cart", raw)
    assert result == {"ok": False, "message": result["message"]}
    assert "JSON object" in result["message"] and not ctx.session.changed


def test_an_unknown_tool_or_product_changes_nothing() -> None:
    desk, reply, ctx = _desk()
    unknown = call(desk, "set_price", {"price": 0})
    assert not unknown["ok"] and "set_price" in unknown["message"]
    assert "add_to_cart" in unknown["known"]
    cake = call(desk, "add_to_cart", {"product": "Golden Unicorn Cake"})
    assert not cake["ok"] and "don't have that cake" in cake["message"]
    assert not ctx.session.changed and not reply.actions


def test_quantities_past_the_shop_limit_are_refused() -> None:
    desk, _, ctx = _desk()
    result = call(desk, "add_to_cart", {"product": "sachertorte", "size": "18cm", "quantity": 50})
    assert not result["ok"] and "up to 10" in result["message"]
    assert not ctx.session.changed


def test_place_order_needs_a_summary_seen_in_an_earlier_message() -> None:
    day, at = wanted_slot()
    desk, reply, ctx = _desk()
    for name, arguments in [
        ("add_to_cart", {"product": "chocolate-fudge-cake", "size": "18 cm",
                         "flavour": "milk chocolate", "filling": "raspberry"}),
        ("set_date_time", {"date": day, "time": at}),
        ("set_pickup_or_delivery", {"method": "pickup"}),
        ("set_customer_name", {"name": "Anna Schmidt"}),
    ]:  # fmt: skip
        assert call(desk, name, arguments)["ok"], name
    refused = call(desk, "place_order")
    assert not refused["ok"] and refused["stale"] and not reply.actions
    shown = call(desk, "show_order_summary")
    assert shown["ok"] and len(reply.bodies) == 1
    assert reply.bodies[0]["type"] == "interactive"
    same_turn = call(desk, "place_order")  # the summary went out in this very turn
    assert not same_turn["ok"] and not reply.actions
    next_desk, next_reply, _ = _desk(later(ctx))
    placed = call(next_desk, "place_order")
    assert placed["ok"], placed
    assert len(next_reply.actions) == 1 and "number" not in placed


def test_the_summary_waits_for_what_is_missing() -> None:
    desk, reply, _ = _desk()
    call(desk, "add_to_cart", {"product": "sachertorte"})
    result = call(desk, "show_order_summary")
    assert not result["ok"] and result["still_needed"] and not reply.bodies


def test_hand_over_marks_the_reply() -> None:
    desk, reply, _ = _desk()
    result = call(desk, "hand_over_to_human", {"reason": "wants to talk about a wedding"})
    assert result["ok"] and reply.hand_over and "person" in result["message"]


def test_order_numbers_the_model_made_up_are_found_and_removed() -> None:
    assert order_numbers_in("is it #sc 1042 or SC-1043? not SC-12", "SC-") == {"SC-1042", "SC-1043"}
    known = {"SC-1001"}
    text, invented = scrub_order_numbers("Your order SC-1043 is placed!", "SC-", lambda: known)
    assert (text, invented) == ("Your order is placed!", 1)
    text, invented = scrub_order_numbers("Order SC-1001 is ready.", "SC-", lambda: known)
    assert (text, invented) == ("Order SC-1001 is ready.", 0)
    text, invented = scrub_order_numbers("Number: #SC-2000.", "SC-", lambda: known)
    assert (text, invented) == ("Number:.", 1)
    asked: list[int] = []

    def looked_up() -> set[str]:
        asked.append(1)
        return known

    plain = scrub_order_numbers("No numbers here", "SC-", looked_up)
    assert plain == ("No numbers here", 0) and not asked  # no database read without a number
