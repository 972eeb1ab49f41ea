"""The WhatsApp summary: lines with options, inscription, date, pickup or delivery with its fee,
the server's total, and the allergens of exactly what was chosen; and what keeps a cart from
being confirmed."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from snakecakes.shop import cart as carts
from snakecakes.shop.catalog import load_default_catalog
from snakecakes.shop.pricing import PricingError
from snakecakes.shop.summary import checkout_problems, order_summary

CATALOG = load_default_catalog()
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
EXPECTED = """\
*Your order at Snake Cakes*

*1× Vanilla Bean and Berry Cake* — €43.00
18 cm, serves 8–10 · Lemon · Hazelnut praline
Inscription: “Alles Gute, Oma!”

*2× Vegan Cupcake Box* — €48.00 (€24.00 each)
Box of 6 · Chocolate

*1× Greeting card with your message* — €3.00
Text: “From all of us”

Subtotal: €94.00
Delivery (Inner city): €7.90
*Total: €101.90*

📅 Saturday 5 December 2026 at 15:30
🚚 Delivery to Torstr. 1, 10119 Berlin
👤 Anna Schmidt
📝 Notes: Ring twice
⚠️ Allergies you told us: No sesame please

Allergens: cereals containing gluten, eggs, soya, milk, tree nuts.
_Everything is made in one kitchen that also handles nuts, peanuts, gluten, sesame and soya, \
so traces may be present even where an allergen is not listed._"""  # noqa: RUF001


def test_full_delivery_summary() -> None:
    cart = carts.add_item(None, CATALOG, "vanilla-berry-cake", size="18cm", flavour="lemon",
                          filling="hazelnut-praline", inscription="Alles Gute, Oma!")  # fmt: skip
    cart = carts.add_item(cart, CATALOG, "vegan-cupcake-box", size="box-6", flavour="chocolate",
                          quantity=2)  # fmt: skip
    cart = carts.add_addon(cart, CATALOG, "greeting-card", text="From all of us")
    cart = carts.set_date(cart, CATALOG, "2026-12-05", "15:30", NOW)
    cart = carts.set_fulfilment(cart, CATALOG, "delivery", address="Torstr. 1, 10119 Berlin")
    cart = carts.set_customer(cart, "Anna Schmidt")
    cart = carts.set_notes(cart, notes="Ring twice", allergies="No sesame please")
    # The praline filling adds tree nuts; the cupcakes add no allergen of their own.
    assert order_summary(CATALOG, cart) == EXPECTED


def test_pickup_and_partial_summary() -> None:
    cart = carts.add_item(None, CATALOG, "vegan-gluten-free-carrot-cake", size="24cm")
    text = order_summary(CATALOG, carts.set_fulfilment(cart, CATALOG, "pickup"))
    assert "Pickup at Snake Cakes, Wiener Straße 14, 10999 Berlin" in text
    assert "Date and time: _not chosen yet_" in text
    assert "_name not given yet_" in text
    assert "Allergens: tree nuts." in text and "Delivery" not in text
    assert "*Total: €65.00*" in text
    assert "Pickup or delivery: _not chosen yet_" in order_summary(CATALOG, cart)


def test_summary_shows_the_servers_figures_only() -> None:
    cart = carts.add_item(None, CATALOG, "sachertorte", size="18cm")
    cart["items"][0]["price"] = "0.01"
    cart["total"] = "0.01"
    text = order_summary(CATALOG, cart)
    assert "€36.00" in text and "0.01" not in text
    cart["items"][0]["product"] = "strawberry-rhubarb-cheesecake"
    with pytest.raises(PricingError, match="isn't available"):
        order_summary(CATALOG, cart)
    assert "empty" in order_summary(CATALOG, carts.new_cart())


def test_checkout_problems_list_what_is_missing() -> None:
    assert checkout_problems(CATALOG, None, NOW) == [
        "Your cart is empty. Which cake would you like?"
    ]
    cart = carts.add_item(None, CATALOG, "cupcake-box", size="box-6", flavour="mixed")
    assert checkout_problems(CATALOG, cart, NOW) == [
        "For which day and time would you like your order?",
        "Would you like to pick up your order or have it delivered?",
        "Under which name should we put the order?",
    ]
    cart = carts.set_date(cart, CATALOG, "2026-12-04", "12:00", NOW)
    cart = carts.set_fulfilment(cart, CATALOG, "delivery", address="Torstr. 1, 10119 Berlin")
    cart = carts.set_customer(cart, "Anna")
    assert checkout_problems(CATALOG, cart, NOW) == [
        "Delivery there needs a minimum order of €35.00."
    ]
    cart = carts.change_item(cart, CATALOG, 1, size="box-12")
    assert checkout_problems(CATALOG, cart, NOW) == []
    # A slower cake added later makes the chosen date too early.
    slower = carts.add_item(cart, CATALOG, "sachertorte", size="18cm")
    assert "2 days' notice" in checkout_problems(CATALOG, slower, NOW)[0]
    tampered = copy.deepcopy(cart)
    tampered["items"][0]["product"] = "golden-cake"
    assert checkout_problems(CATALOG, tampered, NOW) == ["unknown product 'golden-cake'"]
