"""The shop in a few words for prompts, and whether it is open now (Europe/Berlin hours)."""

from __future__ import annotations

from datetime import UTC, datetime

from snakecakes.shop import about
from snakecakes.shop.catalog import load_default_catalog

CATALOG = load_default_catalog()
SHOP = CATALOG.shop


def test_open_now_follows_the_shops_own_clock() -> None:
    # Tuesday 1 December 2026: open 10:00-19:00 Berlin time (UTC+1)
    assert about.open_now(SHOP, datetime(2026, 12, 1, 9, 30, tzinfo=UTC))  # 10:30 local
    assert not about.open_now(SHOP, datetime(2026, 12, 1, 8, 30, tzinfo=UTC))  # 09:30 local
    assert not about.open_now(SHOP, datetime(2026, 11, 30, 12, 0, tzinfo=UTC))  # a Monday
    assert not about.open_now(SHOP, datetime(2026, 12, 25, 12, 0, tzinfo=UTC))  # Christmas


def test_next_opening_skips_closed_days() -> None:
    sunday_night = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)  # then Monday is closed
    opens = about.next_opening(SHOP, sunday_night)
    assert opens is not None and f"{opens:%a %H:%M}" == "Tue 10:00"
    assert about.describe_opening(opens, sunday_night) == "on Tuesday at 10:00"
    christmas_eve = datetime(2026, 12, 23, 19, 0, tzinfo=UTC)  # Wed night; 24-26 closed
    opens = about.next_opening(SHOP, christmas_eve)
    assert opens is not None and f"{opens:%d %H:%M}" == "27 10:00"


def test_prompt_variables_describe_the_shop() -> None:
    words = about.prompt_variables(CATALOG)
    assert (
        "Monday: closed" in words["hours"] and "Saturday: 09:00\N{EN DASH}18:00" in words["hours"]
    )
    assert "Wiener Straße 14" in words["pickup_address"]
    assert words["menu_summary"].count("from €") >= 3
