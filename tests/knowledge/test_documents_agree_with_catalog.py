"""The shipped documents and the catalog state the same facts: hours, closed days, address and
phone, delivery zones and fees, allergens and dietary promises, lead times and order rules.
A change to snake_cakes.yaml that the documents do not follow fails here."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from snakecakes.knowledge.store import DEFAULT_DOCUMENTS
from snakecakes.shop.catalog import Catalog, load_default_catalog
from snakecakes.shop.profile import WEEKDAYS


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_default_catalog()


def _doc(name: str) -> str:
    return (DEFAULT_DOCUMENTS / name).read_text(encoding="utf-8")


def _money(value: Decimal) -> str:
    return f"{value:.2f} \N{EURO SIGN}"


def test_opening_hours_and_closed_days(catalog: Catalog) -> None:
    hours = _doc("opening-hours.md")
    listed = dict(re.findall(r"^- (\w+day): (.+)$", hours, re.M))
    assert list(listed) == [day.title() for day in WEEKDAYS]
    for day in WEEKDAYS:
        ranges = getattr(catalog.shop.opening_hours, day)
        expected = ", ".join(str(r) for r in ranges) or "closed"
        assert listed[day.title()] == expected, day
    months = {"01": "January", "05": "May", "10": "October", "12": "December"}
    for closed in catalog.shop.closed_dates:
        if len(closed) == 5:  # every year
            month, day = closed.split("-")
            assert f"({int(day)} {months[month]})" in hours or f"{int(day)} {months[month]}" in (
                hours
            ), closed
        else:
            year, month, day = closed.split("-")
            assert re.search(rf"\b{int(day)} \w+ {year}\b", hours), closed


def test_address_and_phone(catalog: Catalog) -> None:
    address = str(catalog.shop.pickup_address)
    assert catalog.shop.phone is not None
    for name in ("opening-hours.md", "faq.md", "delivery.md"):
        assert address in _doc(name), name
    assert catalog.shop.phone in _doc("opening-hours.md") and catalog.shop.phone in _doc("faq.md")


def test_delivery_zones_fees_minimums_and_free_delivery(catalog: Catalog) -> None:
    delivery = _doc("delivery.md")
    items = re.findall(r"^- (.+?)(?=^- |^$|\Z)", delivery, re.M | re.S)
    items = [" ".join(item.split()) for item in items]
    assert len(items) == len(catalog.shop.delivery_zones)
    for zone, item in zip(catalog.shop.delivery_zones, items, strict=True):
        assert item.startswith(zone.name), zone.key
        prefixes = re.search(r"postcodes starting ([\d, and]+)", item)
        assert prefixes and re.findall(r"\d+", prefixes.group(1)) == list(zone.postcode_prefixes)
        assert f"up to {zone.radius_km:g} km" in item
        assert f"delivery fee {_money(zone.fee)}" in item
        assert f"minimum order {_money(zone.min_order)}" in item
        if zone.free_from is None:
            assert "no free delivery" in item
        else:
            assert f"free delivery from {_money(zone.free_from)}" in item


def test_allergens_of_every_product_and_option(catalog: Catalog) -> None:
    allergens = _doc("allergens.md")
    listed = dict(re.findall(r"^- ([^:\n]+): ([a-z, ]+)\.$", allergens, re.M))
    for product in catalog.products:
        assert listed.get(product.name) == ", ".join(product.allergens), product.slug
    for product in catalog.products:
        for choice in (*product.flavours, *product.fillings):
            for allergen in choice.allergens:
                label = choice.label.lower().removeprefix("with ")
                line = re.search(rf"^- The .*{re.escape(label)}.*$", allergens, re.M)
                assert line and product.name in line.group(0) and allergen in line.group(0), (
                    product.slug,
                    choice.key,
                )
    assert catalog.shop.allergen_note.split(",")[0] in " ".join(allergens.split())


def test_dietary_promises(catalog: Catalog) -> None:
    allergens = " ".join(_doc("allergens.md").split())
    vegan = re.search(r"Our vegan cakes are (.+?)\. They", allergens)
    gluten_free = re.search(r"## Gluten-free cakes (.+?) are baked without gluten", allergens)
    nut_free = re.search(r"Cakes without nuts in the recipe: (.+?)\. Remember", allergens)
    assert vegan and gluten_free and nut_free
    for product in catalog.products:
        assert (product.name in vegan.group(1)) == ("vegan" in product.dietary), product.slug
        assert (product.name in gluten_free.group(1)) == (
            "gluten-free" in product.dietary
        ), product.slug
        if product.name in nut_free.group(1):
            assert "nuts" not in product.allergens, product.slug
        if "contains-alcohol" in product.dietary:
            assert f"The {product.name} contains alcohol" in allergens


def test_lead_times_and_order_rules(catalog: Catalog) -> None:
    faq = " ".join(_doc("faq.md").split())
    ahead = re.search(r"How far in advance do I need to order\? (.+?) You can order", faq)
    assert ahead
    for product in catalog.available_products():
        days = product.lead_time_days
        if days == 2:
            continue  # "most cakes"
        sentence = next(s for s in ahead.group(1).split(". ") if f"need {days} day" in s)
        plurals = {"cheesecake": "cheesecakes", "cupcake box": "cupcake boxes"}
        named = product.name in sentence or any(
            plural in sentence.lower()
            for kind, plural in plurals.items()
            if kind in product.name.lower()
        )
        assert named, product.slug
    assert f"up to {catalog.shop.max_days_ahead} days ahead" in faq
    assert f"up to {catalog.shop.inscription_max_length} characters" in faq
    assert f"Up to {catalog.shop.max_item_quantity} of the same item" in faq
    cancellation = " ".join(_doc("cancellation-and-refunds.md").split())
    assert f"within {catalog.shop.cancel_window_hours} hours of placing it" in cancellation
    boxes = [p for p in catalog.available_products() if "box" in p.sizes[0].key]
    cakes = [p for p in catalog.available_products() if p not in boxes]
    cheapest = min(cakes, key=lambda p: p.price_from)
    assert f"Cakes start at {_money(cheapest.price_from)} ({cheapest.name})" in faq
    classic = catalog.product("cupcake-box")
    assert classic and f"Classic Cupcake Box of 6 costs {_money(classic.price_from)}" in faq
