"""Totals come from the catalog only: whatever figures a cart carries are ignored, and anything
the catalog does not know is refused."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from snakecakes.shop import cart as carts
from snakecakes.shop.catalog import load_default_catalog
from snakecakes.shop.pricing import PricingError, format_money, price_cart

CATALOG = load_default_catalog()


def sample() -> dict[str, Any]:
    cart = carts.add_item(
        None, CATALOG, "chocolate-fudge-cake", size="24cm", flavour="chocolate-orange",
        filling="salted-caramel", quantity=2,
    )  # fmt: skip
    cart = carts.add_item(cart, CATALOG, "berliner-kaesekuchen", flavour="raisins")
    return carts.add_addon(cart, CATALOG, "candles-classic", quantity=3)


def test_totals_from_the_catalog() -> None:
    quote = price_cart(CATALOG, sample())
    fudge, kaese = quote.items
    assert fudge.unit_price == Decimal("69.00")  # 64 + 2 (orange) + 3 (caramel)
    assert fudge.total == Decimal("138.00")
    assert kaese.unit_price == Decimal("35.50") and kaese.size == "26 cm"
    assert quote.addons[0].total == Decimal("7.50")
    assert quote.subtotal == Decimal("181.00")
    assert quote.delivery_zone is None and quote.delivery_fee == 0
    assert quote.total == Decimal("181.00") and quote.currency == "EUR"
    assert "sulphites" in quote.allergens  # from the rum raisins only
    assert quote.allergens[0] == "gluten"


def test_tampered_prices_in_the_cart_are_ignored() -> None:
    cart = sample()
    honest = price_cart(CATALOG, cart).total
    cart["items"][0].update(price="1.00", unit_price=1, total=1)
    cart["addons"][0]["price"] = 0
    cart.update(total="5.00", subtotal=5, delivery_fee=0)
    assert price_cart(CATALOG, cart).total == honest


@pytest.mark.parametrize(
    ("where", "field", "value", "message"),
    [
        ("items", "product", "golden-cake", "unknown product"),
        ("items", "size", "99cm", "unknown size"),
        ("items", "flavour", "bacon", "unknown flavour"),
        ("items", "filling", None, "unknown filling"),
        ("items", "quantity", 0, "invalid quantity"),
        ("items", "quantity", 1000, "invalid quantity"),
        ("items", "quantity", "2", "invalid quantity"),
        ("addons", "addon", "fireworks", "unknown add-on"),
        ("addons", "quantity", 6, "invalid quantity"),
    ],
)
def test_unknown_things_are_refused(where: str, field: str, value: Any, message: str) -> None:
    cart = sample()
    cart[where][0][field] = value
    with pytest.raises(PricingError, match=message) as info:
        price_cart(CATALOG, cart)
    assert info.value.item_id == cart[where][0]["id"]


def test_unavailable_products_are_refused() -> None:
    cart = sample()
    cart["items"][0].update(product="strawberry-rhubarb-cheesecake", size="20cm", flavour=None)
    cart["items"][0]["filling"] = None
    with pytest.raises(PricingError, match="isn't available"):
        price_cart(CATALOG, cart)


def test_delivery_fee_minimum_and_free_delivery() -> None:
    small = carts.add_item(None, CATALOG, "cupcake-box", size="box-6", flavour="vanilla")
    small = carts.set_fulfilment(small, CATALOG, "delivery", address="Torstr. 1, 10119 Berlin")
    quote = price_cart(CATALOG, small)
    assert quote.delivery_zone is not None and quote.delivery_zone.key == "inner-city"
    assert quote.delivery_fee == Decimal("7.90") and quote.total == Decimal("28.90")
    assert quote.min_order_shortfall == Decimal("14.00")  # minimum 35
    big = carts.set_fulfilment(sample(), CATALOG, "delivery", address="Torstr. 1, 10119 Berlin")
    assert price_cart(CATALOG, big).delivery_fee == 0  # free from 120
    pickup = carts.set_fulfilment(small, CATALOG, "pickup")
    assert price_cart(CATALOG, pickup).total == Decimal("21.00")


def test_format_money() -> None:
    assert format_money(Decimal("1234.5"), "EUR") == "€1,234.50"
    assert format_money(Decimal("3"), "CHF") == "3.00 CHF"
