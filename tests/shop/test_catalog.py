"""The shipped catalog, file validation with errors that name the field, and the database copy
on SQLite and PostgreSQL: round trip, idempotent reload, removed products kept unavailable."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml

from snakecakes.db.database import Database
from snakecakes.db.models import Bot
from snakecakes.shop.catalog import (
    ALLERGENS,
    DEFAULT_CATALOG,
    Allergen,
    Catalog,
    CatalogError,
    load_catalog_file,
    load_default_catalog,
    parse_catalog,
    read_catalog,
    store_catalog,
)


def raw() -> dict[str, Any]:
    data = yaml.safe_load(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def make_bot(db: Database, phone: str) -> int:
    with db.transaction() as session:
        bot = Bot(
            name=f"bot {phone}",
            phone_number_id=phone,
            app_secret_enc="x",
            access_token_enc="x",
            verify_token_enc="x",
            settings={},
        )
        session.add(bot)
        session.flush()
        return bot.id


def test_shipped_catalog_is_complete() -> None:
    catalog = load_default_catalog()
    assert 12 <= len(catalog.products) <= 20
    assert catalog.shop.name == "Snake Cakes"
    assert catalog.shop.currency == "EUR"
    assert catalog.shop.timezone == "Europe/Berlin"
    assert catalog.shop.inscription_max_length == 40
    assert catalog.shop.opening_hours.monday == ()
    assert {"12-25", "12-26", "01-01"} <= set(catalog.shop.closed_dates)
    assert catalog.shop.pickup_address.city == "Berlin"
    assert all(zone.fee > 0 and zone.min_order > 0 for zone in catalog.shop.delivery_zones)
    for product in catalog.products:
        assert product.allergens, product.slug
        assert product.dietary, product.slug
        assert product.sizes and all(size.price > 0 for size in product.sizes), product.slug
        assert 1 <= product.lead_time_days <= 3, product.slug
        assert product.photo_url == f"https://snakecakes.example/photos/{product.slug}.jpg"
        assert product.description
    categories = {product.category for product in catalog.products}
    assert {"celebration", "tortes", "cheesecakes", "cupcakes", "free-from"} <= categories
    tags = {tag for product in catalog.available_products() for tag in product.dietary}
    assert {"vegan", "gluten-free"} <= tags
    assert {"candles-classic", "greeting-card", "sparklers", "mini-cupcakes"} <= {
        addon.slug for addon in catalog.addons
    }
    suggested = catalog.suggestions(["chocolate-fudge-cake"], exclude=["sparklers"])
    assert [a.slug for a in suggested][:2] == ["candles-classic", "number-candle"]
    assert "sparklers" not in [a.slug for a in suggested]


def test_allergen_names_are_the_eu_fourteen() -> None:
    assert get_args(Allergen) == tuple(ALLERGENS)
    assert len(ALLERGENS) == 14


def _broken(change: str) -> dict[str, Any]:
    data = raw()
    fudge = data["products"][0]
    if change == "negative price":
        fudge["sizes"][0]["price"] = -1
    elif change == "unknown allergen":
        fudge["allergens"] = ["gluten", "chocolate"]
    elif change == "misspelt field":
        fudge["colour"] = "brown"
    elif change == "unknown category":
        fudge["category"] = "pies"
    elif change == "unknown add-on":
        fudge["goes_well_with"] = ["balloons"]
    elif change == "unquoted time":
        data["shop"]["opening_hours"]["tuesday"] = [600]
    elif change == "vegan with milk":
        fudge["dietary"] = ["vegan"]
    elif change == "bad timezone":
        data["shop"]["timezone"] = "Europe/Atlantis"
    elif change == "duplicate slug":
        data["products"][1]["slug"] = fudge["slug"]
    elif change == "missing weekday":
        del data["shop"]["opening_hours"]["sunday"]
    elif change == "third decimal":
        data["addons"][0]["price"] = "2.505"
    return data


@pytest.mark.parametrize(
    ("change", "where", "why"),
    [
        ("negative price", "products[chocolate-fudge-cake].sizes[18cm].price", "greater than 0"),
        ("unknown allergen", "products[chocolate-fudge-cake].allergens[1]", "'gluten'"),
        ("misspelt field", "products[chocolate-fudge-cake].colour", "Extra inputs"),
        ("unknown add-on", "products[chocolate-fudge-cake].goes_well_with", "'balloons'"),
        ("unknown category", "products[chocolate-fudge-cake].category", "unknown category"),
        ("unquoted time", "shop.opening_hours.tuesday[0]", "quoted 'HH:MM-HH:MM'"),
        ("vegan with milk", "products[chocolate-fudge-cake]", "'vegan' contradicts"),
        ("bad timezone", "shop", "unknown time zone 'Europe/Atlantis'"),
        ("duplicate slug", "products: duplicate", "chocolate-fudge-cake"),
        ("missing weekday", "shop.opening_hours.sunday", "Field required"),
        ("third decimal", "addons[candles-classic].price", "2 decimal places"),
    ],
)
def test_bad_catalog_names_the_field(change: str, where: str, why: str) -> None:
    with pytest.raises(CatalogError) as info:
        parse_catalog(_broken(change), "test.yaml")
    problems = info.value.problems
    assert any(p.startswith(where) and why in p for p in problems), problems
    assert "test.yaml" in str(info.value)


def test_files_yaml_json_and_unreadable(tmp_path: Path) -> None:
    as_json = tmp_path / "shop.json"
    as_json.write_text(json.dumps(raw()), encoding="utf-8")
    assert load_catalog_file(as_json) == load_default_catalog()
    broken = tmp_path / "broken.yaml"
    broken.write_text("shop: [unclosed\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="not valid YAML"):
        load_catalog_file(broken)
    with pytest.raises(CatalogError, match="unknown file type"):
        load_catalog_file(tmp_path / "shop.txt")
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog_file(tmp_path / "missing.yaml")
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="mapping"):
        load_catalog_file(listed)


def test_store_and_read_round_trip(db: Database) -> None:
    catalog = load_default_catalog()
    bot, other = make_bot(db, "111"), make_bot(db, "222")
    with db.transaction() as session:
        result = store_catalog(session, bot, catalog)
    assert "shop" in result.added and f"product:{catalog.products[0].slug}" in result.added
    with db.read() as session:
        assert read_catalog(session, bot) == catalog
        with pytest.raises(LookupError):
            read_catalog(session, other)
    with db.transaction() as session:
        again = store_catalog(session, bot, catalog)
    assert not again.changed


def test_reload_updates_and_keeps_removed_products_unavailable(db: Database) -> None:
    bot = make_bot(db, "333")
    with db.transaction() as session:
        store_catalog(session, bot, load_default_catalog())
    data = raw()
    data["products"][0]["sizes"][0]["price"] = 45.5
    removed = data["products"].pop(1)["slug"]
    data["addons"] = [a for a in data["addons"] if a["slug"] != "cake-topper"]
    for product in data["products"]:
        product["goes_well_with"] = [s for s in product["goes_well_with"] if s != "cake-topper"]
    added = copy.deepcopy(data["products"][0]) | {"slug": "lemon-snake-cake", "name": "Lemon"}
    data["products"].append(added)
    data["shop"]["slot_minutes"] = 15
    with db.transaction() as session:
        result = store_catalog(session, bot, parse_catalog(data))
    assert result.added == ("product:lemon-snake-cake",)
    with_topper = {
        f"product:{p['slug']}" for p in raw()["products"] if "cake-topper" in p["goes_well_with"]
    }
    assert with_topper and removed not in with_topper
    assert set(result.updated) == {"shop", "product:chocolate-fudge-cake", *with_topper}
    assert set(result.unavailable) == {f"product:{removed}", "addon:cake-topper"}
    with db.read() as session:
        stored = read_catalog(session, bot)
    assert isinstance(stored, Catalog)
    fudge, gone = stored.product("chocolate-fudge-cake"), stored.product(removed)
    assert fudge is not None and str(fudge.sizes[0].price) == "45.50"
    assert gone is not None and not gone.available
    assert removed not in {p.slug for p in stored.available_products()}
    assert stored.shop.slot_minutes == 15
    topper = stored.addon("cake-topper")
    assert topper is not None and not topper.available
    with db.transaction() as session:  # back in the file: available again
        back = store_catalog(session, bot, load_default_catalog())
    assert f"product:{removed}" in back.updated
    with db.read() as session:
        product = read_catalog(session, bot).product(removed)
    assert product is not None and product.available
