"""Delivery zones: by the postcode of a typed address, by distance for a shared location, and a
helpful answer outside every zone."""

from __future__ import annotations

from decimal import Decimal

import pytest

from snakecakes.shop.catalog import load_default_catalog
from snakecakes.shop.delivery import (
    DeliveryError,
    distance_km,
    find_postcode,
    resolve_zone,
    zone_for_distance,
    zone_for_postcode,
)
from snakecakes.shop.profile import DeliveryZone

SHOP = load_default_catalog().shop


def test_postcode_is_the_last_five_digit_group() -> None:
    assert find_postcode("Oranienstraße 12, 10999 Berlin") == "10999"
    assert find_postcode("10115 Berlin, Invalidenstr. 12345") == "12345"
    assert find_postcode("Hauptstr. 5, Berlin") is None
    assert find_postcode("Tel 030123456") is None


def test_typed_address_finds_its_zone_and_fee() -> None:
    kiez = resolve_zone(SHOP, address="Sonnenallee 50, 12045 Berlin")
    assert kiez.zone.key == "kiez" and kiez.zone.fee == Decimal("4.90")
    assert kiez.postcode == "12045" and kiez.distance_km is None
    assert resolve_zone(SHOP, address="Torstraße 1, 10119 Berlin").zone.key == "inner-city"
    assert resolve_zone(SHOP, address="Kantstr. 9, 10623 Berlin").zone.key == "greater-berlin"


def test_longest_prefix_wins() -> None:
    special = DeliveryZone(
        key="next-door", name="Next door", postcode_prefixes=("10999",), radius_km=1, fee="1.00"
    )
    profile = SHOP.model_copy(update={"delivery_zones": (*SHOP.delivery_zones, special)})
    assert zone_for_postcode(profile, "10999") == special
    assert zone_for_postcode(profile, "10997") == SHOP.delivery_zones[0]


def test_outside_or_unclear_addresses_are_refused_politely() -> None:
    with pytest.raises(DeliveryError) as info:
        resolve_zone(SHOP, address="Marienplatz 1, 80331 München")
    assert "within about 12 km" in str(info.value)
    assert "pick up your order at Wiener Straße 14, 10999 Berlin" in str(info.value)
    with pytest.raises(DeliveryError, match="postcode"):
        resolve_zone(SHOP, address="Wiener Straße 20")
    with pytest.raises(DeliveryError, match="postcode"):
        resolve_zone(SHOP)
    no_delivery = SHOP.model_copy(update={"delivery_zones": ()})
    with pytest.raises(DeliveryError, match="don't deliver"):
        resolve_zone(no_delivery, address="Wiener Straße 20, 10999 Berlin")


def test_haversine_distance() -> None:
    berlin, munich = (52.5200, 13.4050), (48.1351, 11.5820)
    assert 500 < distance_km(*berlin, *munich) < 510
    assert distance_km(*berlin, *berlin) == 0
    # One degree of latitude is about 111.2 km anywhere.
    assert distance_km(52, 13, 53, 13) == pytest.approx(111.2, abs=0.1)


def test_shared_location_uses_the_distance_from_the_shop() -> None:
    home = (SHOP.pickup_address.latitude, SHOP.pickup_address.longitude)
    assert resolve_zone(SHOP, location=home).zone.key == "kiez"
    alexanderplatz = (52.5219, 13.4132)  # about 2.7 km away
    near = resolve_zone(SHOP, location=alexanderplatz)
    assert near.zone.key == "kiez" and near.distance_km is not None
    assert 2.5 < near.distance_km < 3.0
    zoo = (52.5079, 13.3376)  # about 6.5 km
    assert resolve_zone(SHOP, location=zoo).zone.key == "inner-city"
    wannsee = (52.4213, 13.1794)  # about 19 km
    with pytest.raises(DeliveryError, match="12 km"):
        resolve_zone(SHOP, location=wannsee)
    # The location wins over whatever the typed address says.
    assert resolve_zone(SHOP, address="80331 München", location=zoo).zone.key == "inner-city"
    with pytest.raises(DeliveryError, match="share it again"):
        resolve_zone(SHOP, location=(152.0, 13.0))
    assert zone_for_distance(SHOP, 12.0) is not None and zone_for_distance(SHOP, 12.01) is None
