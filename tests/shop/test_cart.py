"""The cart as plain data: every change validated with a message for the customer, a new dict
with a higher version each time, the input never touched."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from snakecakes.shop import cart as carts
from snakecakes.shop.cart import CartError
from snakecakes.shop.catalog import load_default_catalog

CATALOG = load_default_catalog()
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)  # Thursday


def fudge(cart: dict[str, Any] | None = None, **options: Any) -> dict[str, Any]:
    chosen = {"size": "18cm", "flavour": "dark-chocolate", "filling": "raspberry", **options}
    return carts.add_item(cart, CATALOG, "chocolate-fudge-cake", **chosen)


def test_add_item_stores_keys_only_and_bumps_the_version() -> None:
    empty = carts.new_cart()
    cart = fudge(empty)
    assert empty == carts.new_cart()  # input untouched
    assert cart["version"] == 1
    assert cart["items"] == [
        {
            "id": 1,
            "product": "chocolate-fudge-cake",
            "size": "18cm",
            "flavour": "dark-chocolate",
            "filling": "raspberry",
            "quantity": 1,
            "inscription": None,
        }
    ]
    assert json.loads(json.dumps(cart)) == cart
    again = fudge(cart, quantity=2)
    assert len(again["items"]) == 1 and again["items"][0]["quantity"] == 3
    assert again["version"] == 2


def test_options_by_label_single_options_chosen_missing_ones_asked() -> None:
    # By name and label, in any case; its only filling is chosen for the customer.
    cart = carts.add_item(None, CATALOG, "Red Velvet Cake", size="24 CM")
    assert cart["items"][0] == {
        "id": 1,
        "product": "red-velvet-cake",
        "size": "24cm",
        "flavour": None,
        "filling": "cream-cheese",
        "quantity": 1,
        "inscription": None,
    }
    with pytest.raises(CartError) as info:
        carts.add_item(None, CATALOG, "chocolate-fudge-cake", size="18cm")
    assert str(info.value).startswith("Which flavour would you like for the Chocolate Fudge")
    assert "Chocolate orange (+€2.00)" in str(info.value)
    with pytest.raises(CartError, match="We don't have that. Which size") as sizes:
        fudge(size="30cm")
    assert "18 cm (serves 8\N{EN DASH}10, €42.00)" in str(sizes.value)
    with pytest.raises(CartError, match="has no choice of flavour"):
        carts.add_item(None, CATALOG, "sachertorte", size="18cm", flavour="vanilla")


def test_unknown_unavailable_and_quantity_limits() -> None:
    with pytest.raises(CartError, match="don't have that cake"):
        carts.add_item(None, CATALOG, "golden-cake")
    with pytest.raises(CartError, match="isn't available"):
        carts.add_item(None, CATALOG, "strawberry-rhubarb-cheesecake")
    with pytest.raises(CartError, match="at least 1"):
        fudge(quantity=0)
    with pytest.raises(CartError, match="up to 10"):
        fudge(fudge(quantity=6), quantity=5)


def test_change_and_remove() -> None:
    cart = carts.add_addon(fudge(), CATALOG, "candles-classic")
    cart = carts.change_item(cart, CATALOG, 1, size="24 cm", quantity=2)
    assert cart["items"][0]["size"] == "24cm" and cart["items"][0]["quantity"] == 2
    assert cart["items"][0]["flavour"] == "dark-chocolate"  # untouched
    cart = carts.change_item(cart, CATALOG, "2", quantity=4)
    assert cart["addons"][0]["quantity"] == 4
    with pytest.raises(CartError, match="up to 5"):
        carts.change_item(cart, CATALOG, 2, quantity=6)
    cart = carts.remove_item(cart, 1)
    assert cart["items"] == [] and len(cart["addons"]) == 1
    with pytest.raises(CartError, match="can't find"):
        carts.remove_item(cart, 1)
    assert cart["version"] == 5  # add, add, change, change, remove


def test_inscription_length_and_products_without_one() -> None:
    limit = CATALOG.shop.inscription_max_length
    cart = carts.set_inscription(fudge(), CATALOG, 1, '  "Happy   Birthday\nAnna!" ')
    assert cart["items"][0]["inscription"] == "Happy Birthday Anna!"
    assert carts.set_inscription(cart, CATALOG, 1, "x" * limit)["items"][0]["inscription"]
    with pytest.raises(CartError, match=f"up to {limit} characters; this one has {limit + 1}"):
        carts.set_inscription(cart, CATALOG, 1, "x" * (limit + 1))
    assert carts.set_inscription(cart, CATALOG, 1, " ")["items"][0]["inscription"] is None
    box = carts.add_item(None, CATALOG, "cupcake-box", size="box-6", flavour="mixed")
    with pytest.raises(CartError, match="can't carry an inscription"):
        carts.set_inscription(box, CATALOG, 1, "Hi")
    candles = carts.add_addon(None, CATALOG, "candles-classic")
    with pytest.raises(CartError, match="Only cakes"):
        carts.set_inscription(candles, CATALOG, 1, "Hi")


def test_addon_texts() -> None:
    with pytest.raises(CartError, match="What should the card say"):
        carts.add_addon(None, CATALOG, "greeting-card")
    cart = carts.add_addon(None, CATALOG, "greeting card with your message", text="Love, Ben")
    assert cart["addons"][0] == {
        "id": 1,
        "addon": "greeting-card",
        "quantity": 1,
        "text": "Love, Ben",
    }
    cart = carts.change_item(cart, CATALOG, 1, text="With love, Ben")
    assert cart["addons"][0]["text"] == "With love, Ben"
    with pytest.raises(CartError, match="doesn't take a text"):
        carts.add_addon(None, CATALOG, "sparklers", text="boom")
    with pytest.raises(CartError, match="up to 1 characters"):
        carts.add_addon(None, CATALOG, "number-candle", text="18")
    with pytest.raises(CartError, match="don't offer"):
        carts.add_addon(None, CATALOG, "fireworks")


def test_date_is_checked_against_the_cart_products() -> None:
    cart = carts.add_item(None, CATALOG, "sammy-snake-cake", size="medium", flavour="vanilla",
                          filling="strawberry-jam")  # fmt: skip
    with pytest.raises(CartError, match="3 days' notice") as info:
        carts.set_date(cart, CATALOG, "2026-12-05", "14:00", NOW)
    assert info.value.suggestions and info.value.suggestions[0].date() == date(2026, 12, 6)
    with pytest.raises(CartError, match="as hours and minutes"):
        carts.set_date(cart, CATALOG, "2026-12-06", "teatime", NOW)
    cart = carts.set_date(cart, CATALOG, date(2026, 12, 6), "14:00", NOW)
    assert cart["wanted"] == {"date": "2026-12-06", "time": "14:00"}


def test_fulfilment_customer_and_notes() -> None:
    cart = carts.set_fulfilment(fudge(), CATALOG, "Pickup")
    assert cart["fulfilment"] == {"method": "pickup"}
    cart = carts.set_fulfilment(cart, CATALOG, "delivery", address="Sonnenallee 50, 12045 Berlin")
    assert cart["fulfilment"]["address"] == "Sonnenallee 50, 12045 Berlin"
    shared = carts.set_fulfilment(cart, CATALOG, "delivery", location=(52.5219, 13.4132))
    assert shared["fulfilment"]["location"] == {"latitude": 52.5219, "longitude": 13.4132}
    with pytest.raises(CartError, match="only deliver within"):
        carts.set_fulfilment(cart, CATALOG, "delivery", address="Marienplatz 1, 80331 München")
    with pytest.raises(CartError, match="pick up your order or have it delivered"):
        carts.set_fulfilment(cart, CATALOG, "teleport")
    cart = carts.set_customer(cart, "  Anna  Schmidt ")
    assert cart["customer"] == {"name": "Anna Schmidt"}
    with pytest.raises(CartError, match="Under which name"):
        carts.set_customer(cart, "7")
    cart = carts.set_notes(cart, notes="Ring twice", allergies="Sesame")
    cart = carts.set_notes(cart, notes="")
    assert (cart["notes"], cart["allergies"]) == ("", "Sesame")
    with pytest.raises(CartError, match="up to 500"):
        carts.set_notes(cart, notes="x" * 501)
