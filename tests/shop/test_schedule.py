"""Wanted dates and times: lead time, closed weekdays and holidays, opening hours, the shop's time
zone, and the nights the clocks change."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from snakecakes.shop.catalog import Catalog, Product, load_default_catalog
from snakecakes.shop.profile import ShopProfile, TimeRange
from snakecakes.shop.schedule import (
    ScheduleError,
    check_wanted,
    earliest_date,
    next_slots,
    parse_date,
    parse_time,
    slots_on,
)

CATALOG = load_default_catalog()
# Thursday 3 December 2026, 11:00 in Berlin (CET, UTC+1).
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def product(slug: str, catalog: Catalog = CATALOG) -> Product:
    found = catalog.product(slug)
    assert found is not None
    return found


CHEESECAKE = product("new-york-cheesecake")  # 1 day
FUDGE = product("chocolate-fudge-cake")  # 2 days
SAMMY = product("sammy-snake-cake")  # 3 days


def refusal(day: date, at: time, products: list[Product], now: datetime = NOW) -> ScheduleError:
    with pytest.raises(ScheduleError) as info:
        check_wanted(CATALOG, products, day, at, now)
    return info.value


def test_lead_time_sets_the_earliest_date() -> None:
    assert earliest_date(CATALOG, [CHEESECAKE], NOW) == date(2026, 12, 4)
    assert earliest_date(CATALOG, [CHEESECAKE, FUDGE], NOW) == date(2026, 12, 5)
    # Thursday + 3 days is Sunday 6 December: open.
    assert earliest_date(CATALOG.shop, [SAMMY], NOW) == date(2026, 12, 6)
    error = refusal(date(2026, 12, 5), time(12), [CHEESECAKE, SAMMY])
    assert "Sammy the Snake Birthday Cake needs 3 days' notice" in str(error)
    assert "Sunday 6 December 2026" in str(error)
    assert error.suggestions[0] == datetime(2026, 12, 6, 12, 0, tzinfo=CATALOG.shop.tz)
    ok = check_wanted(CATALOG, [SAMMY], date(2026, 12, 6), time(12), NOW)
    assert ok.isoformat() == "2026-12-06T12:00:00+01:00"


def test_closed_weekday_and_holidays_are_skipped() -> None:
    error = refusal(date(2026, 12, 7), time(12), [FUDGE])  # a Monday
    assert str(error) == "Sorry, we're closed on Mondays."
    assert error.suggestions[0].date() == date(2026, 12, 8)
    error = refusal(date(2026, 12, 25), time(12), [FUDGE])  # yearly 12-25, a Friday
    assert "closed on Friday 25 December 2026" in str(error)
    # 24, 25, 26 closed (yearly), 27 Sunday open, 28 Monday, 29 one-off stocktaking.
    assert [s.date() for s in error.suggestions] == [
        date(2026, 12, 27),
        date(2026, 12, 30),
        date(2027, 1, 2),
    ]
    xmas_eve = datetime(2026, 12, 23, 12, tzinfo=UTC)  # Wednesday; 1 day: 24th closed ... 27th
    assert earliest_date(CATALOG, [CHEESECAKE], xmas_eve) == date(2026, 12, 27)


def test_opening_hours() -> None:
    saturday = date(2026, 12, 5)
    assert check_wanted(CATALOG, [FUDGE], saturday, time(9), NOW).hour == 9
    error = refusal(saturday, time(8, 30), [FUDGE])
    assert "we're open 09:00\N{EN DASH}18:00" in str(error)
    assert error.suggestions[0] == datetime(2026, 12, 5, 9, 0, tzinfo=CATALOG.shop.tz)
    error = refusal(saturday, time(18), [FUDGE])  # closing time itself is too late
    assert error.suggestions[0].time() == time(17, 30)  # the nearest slot that day
    assert [s.time() for s in slots_on(CATALOG.shop, saturday)][:2] == [time(9), time(9, 30)]
    assert len(slots_on(CATALOG.shop, date(2026, 12, 6))) == 12  # Sunday 10:00-16:00


def test_past_and_far_future() -> None:
    assert "already passed" in str(refusal(date(2026, 12, 1), time(12), []))
    far = refusal(date(2027, 6, 1), time(12), [])
    assert "up to 120 days ahead" in str(far) and not far.suggestions
    # A product without lead time: later today only.
    quick = product("cupcake-box").model_copy(update={"lead_time_days": 0})
    assert "already passed" in str(refusal(date(2026, 12, 3), time(10), [quick]))
    assert check_wanted(CATALOG, [quick], date(2026, 12, 3), time(11, 30), NOW)


def test_the_shops_time_zone_decides_what_today_is() -> None:
    # 23:30 UTC on Tuesday 1 December is already Wednesday 00:30 in Berlin.
    late = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    assert earliest_date(CATALOG, [CHEESECAKE], late) == date(2026, 12, 3)
    assert earliest_date(CATALOG, [CHEESECAKE], late - timedelta(hours=1)) == date(2026, 12, 2)
    with pytest.raises(ValueError, match="aware"):
        earliest_date(CATALOG, [], datetime(2026, 12, 1, 12))


def test_dst_changes_the_offset_and_skips_the_missing_hour() -> None:
    now = datetime(2027, 3, 25, 12, tzinfo=UTC)  # Thursday; clocks go forward Sunday 28 March
    saturday = check_wanted(CATALOG, [CHEESECAKE], date(2027, 3, 27), time(10), now)
    sunday = check_wanted(CATALOG, [CHEESECAKE], date(2027, 3, 28), time(10), now)
    assert saturday.astimezone(UTC).hour == 9 and sunday.astimezone(UTC).hour == 8
    night = TimeRange(opens=time(1), closes=time(4))
    hours = CATALOG.shop.opening_hours.model_copy(update={"sunday": (night,)})
    owl: ShopProfile = CATALOG.shop.model_copy(update={"opening_hours": hours})
    assert [s.strftime("%H:%M") for s in slots_on(owl, date(2027, 3, 28))] == [
        "01:00",
        "01:30",
        "03:00",
        "03:30",
    ]
    with pytest.raises(ScheduleError, match="clocks change") as info:
        check_wanted(owl, [], date(2027, 3, 28), time(2, 30), now)
    assert info.value.suggestions[0].strftime("%H:%M %z") == "03:00 +0200"
    # Autumn: 02:30 happens twice; the first (summer time) is the one taken.
    october = datetime(2027, 10, 1, tzinfo=UTC)
    autumn = check_wanted(owl, [], date(2027, 10, 31), time(2, 30), october)
    assert autumn.utcoffset() == timedelta(hours=2)


def test_next_slots_offer_one_per_open_day_near_the_wanted_time() -> None:
    slots = next_slots(CATALOG, [FUDGE], NOW, near=time(15), count=4)
    assert [s.strftime("%a %H:%M") for s in slots] == [
        "Sat 15:00",
        "Sun 15:00",
        "Tue 15:00",
        "Wed 15:00",
    ]


def test_parsing() -> None:
    assert parse_date("2026-12-05") == date(2026, 12, 5)
    assert parse_time("9:30") == time(9, 30)
    assert parse_time("15.45") == time(15, 45)
    assert parse_time("15") == time(15)
    for bad in ("25:00", "noon", "12:75"):
        with pytest.raises(ScheduleError):
            parse_time(bad)
    with pytest.raises(ScheduleError):
        parse_date("5th of May")
