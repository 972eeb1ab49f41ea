"""Dates and times for the offline engine, against fixed clocks in Europe/Berlin."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from snakecakes.bot.llms.offline_nlu import BERLIN, TimeOfDay, When, parse_time, parse_when

WEDNESDAY = datetime(2026, 6, 10, 11, 0, tzinfo=BERLIN)
SATURDAY = datetime(2026, 6, 13, 11, 0, tzinfo=BERLIN)
SUNDAY = datetime(2026, 6, 14, 11, 0, tzinfo=BERLIN)
END_OF_JANUARY = datetime(2026, 1, 30, 10, 0, tzinfo=BERLIN)  # a Friday
END_OF_YEAR = datetime(2026, 12, 30, 10, 0, tzinfo=BERLIN)  # a Wednesday


def d(month: int, day: int, year: int = 2026) -> date:
    return date(year, month, day)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", d(6, 10)),
        ("Tomorrow!", d(6, 11)),
        ("the day after tomorrow", d(6, 12)),
        ("übermorgen", d(6, 12)),
        ("pasado mañana", d(6, 12)),
        ("morgen", d(6, 11)),
        ("mañana", d(6, 11)),
        ("saturday", d(6, 13)),
        ("on sat", d(6, 13)),
        ("Sat.", d(6, 13)),
        ("sun", d(6, 14)),
        ("Samstag", d(6, 13)),
        ("am Samstag", d(6, 13)),
        ("el sábado", d(6, 13)),
        ("wednesday", d(6, 17)),  # a bare weekday is never today
        ("this wednesday", d(6, 10)),
        ("this friday", d(6, 12)),
        ("diesen Freitag", d(6, 12)),
        ("next monday", d(6, 15)),
        ("friday next week", d(6, 19)),
        ("next week friday", d(6, 19)),
        ("übernächsten Freitag", d(6, 26)),
        ("25/12", d(12, 25)),
        ("25.12.", d(12, 25)),
        ("am 25.12.2026", d(12, 25)),
        ("25/12/27", d(12, 25, 2027)),
        ("12/25", d(12, 25)),  # cannot be day/month
        ("20/06", d(6, 20)),
        ("5.7.", d(7, 5)),
        ("Dec 25", d(12, 25)),
        ("December 25th, 2027", d(12, 25, 2027)),
        ("25 December", d(12, 25)),
        ("25. Dezember", d(12, 25)),
        ("el 25 de diciembre", d(12, 25)),
        ("the 25th of December", d(12, 25)),
        ("2026-12-25", d(12, 25)),
        ("in 3 days", d(6, 13)),
        ("in drei Tagen", d(6, 13)),
        ("in zwei Wochen", d(6, 24)),
        ("in a week", d(6, 17)),
        ("en 3 días", d(6, 13)),
        ("the 25th", d(6, 25)),
        ("on the 10th", d(6, 10)),
        ("am 5.", d(7, 5)),
        ("Guten Morgen, ich brauche morgen eine Torte", d(6, 11)),
        ("I want it on sunday, not saturday", d(6, 14)),  # the first date wins
    ],
)
def test_dates_on_a_wednesday(text: str, expected: date) -> None:
    when = parse_when(text, WEDNESDAY)
    assert when is not None, text
    assert when.date == expected
    assert when.time is None
    assert not when.ambiguous


@pytest.mark.parametrize(
    ("text", "expected", "clock"),
    [
        ("next friday 3pm", d(6, 19), time(15)),
        ("samstag um 14 uhr", d(6, 13), time(14)),
        ("tomorrow at noon", d(6, 11), time(12)),
        ("tonight at 7", d(6, 10), time(19)),
        ("mañana a las 5 de la tarde", d(6, 11), time(17)),
        ("14.30 Uhr am 20.6.", d(6, 20), time(14, 30)),
        ("25.12. um 15:00", d(12, 25), time(15)),
        ("sat 10am", d(6, 13), time(10)),
        ("Friday at 3", d(6, 12), time(15)),
        ("tomorrow 9:30", d(6, 11), time(9, 30)),
        ("Saturday at 8 in the evening", d(6, 13), time(20)),
    ],
)
def test_dates_with_times(text: str, expected: date, clock: time) -> None:
    when = parse_when(text, WEDNESDAY)
    assert when is not None
    assert (when.date, when.time, when.window) == (expected, clock, None)


@pytest.mark.parametrize(
    ("text", "expected", "default", "window"),
    [
        ("morgen früh", d(6, 11), time(10), (time(8), time(12))),
        ("mañana por la mañana", d(6, 11), time(10), (time(8), time(12))),
        ("heute Abend", d(6, 10), time(18), (time(17), time(21))),
        ("Saturday afternoon", d(6, 13), time(15), (time(12), time(17))),
    ],
)
def test_parts_of_the_day_are_windows(
    text: str, expected: date, default: time, window: tuple[time, time]
) -> None:
    assert parse_when(text, WEDNESDAY) == When(expected, default, window)


@pytest.mark.parametrize(
    ("text", "expected", "last", "ambiguous"),
    [
        ("next friday", d(6, 19), None, True),  # Friday of next week; this Friday is still ahead
        ("nächsten Freitag", d(6, 19), None, True),
        ("el viernes que viene", d(6, 19), None, True),
        ("05/06", d(6, 5, 2027), None, True),  # 5 June (passed: next year), or 6 May?
        ("this weekend", d(6, 13), d(6, 14), False),
        ("am Wochenende", d(6, 13), d(6, 14), False),
        ("next weekend", d(6, 20), d(6, 21), True),
        ("next week", d(6, 15), d(6, 21), False),
    ],
)
def test_ranges_and_ambiguous_readings(
    text: str, expected: date, last: date | None, ambiguous: bool
) -> None:
    when = parse_when(text, WEDNESDAY)
    assert when is not None
    assert (when.date, when.last_date, when.ambiguous) == (expected, last, ambiguous)


@pytest.mark.parametrize(
    ("now", "text", "expected"),
    [
        (SATURDAY, "saturday", d(6, 20)),
        (SATURDAY, "this weekend", d(6, 13)),
        (SUNDAY, "friday", d(6, 19)),
        (SUNDAY, "next friday", d(6, 19)),  # next week starts tomorrow
        (SUNDAY, "sunday", d(6, 21)),
        (SUNDAY, "this sunday", d(6, 14)),
        (SUNDAY, "this weekend", d(6, 14)),
        (END_OF_JANUARY, "tomorrow", d(1, 31)),
        (END_OF_JANUARY, "day after tomorrow", d(2, 1)),
        (END_OF_JANUARY, "in 3 days", d(2, 2)),
        (END_OF_JANUARY, "on the 31st", d(1, 31)),
        (END_OF_JANUARY, "the 15th", d(2, 15)),  # passed this month: next month
        (END_OF_JANUARY, "am 30.", d(1, 30)),  # today is not past
        (datetime(2026, 2, 10, tzinfo=BERLIN), "the 31st", d(3, 31)),  # February has none
        (END_OF_YEAR, "tomorrow", d(12, 31)),
        (END_OF_YEAR, "day after tomorrow", d(1, 1, 2027)),
        (END_OF_YEAR, "25/12", d(12, 25, 2027)),
        (END_OF_YEAR, "Dec 25", d(12, 25, 2027)),
        (END_OF_YEAR, "2.1.", d(1, 2, 2027)),
        (END_OF_YEAR, "friday", d(1, 1, 2027)),
        (END_OF_YEAR, "next friday", d(1, 8, 2027)),
        (END_OF_YEAR, "the 5th", d(1, 5, 2027)),
        (END_OF_YEAR, "31.12.", d(12, 31)),
        (END_OF_YEAR, "30.12.", d(12, 30)),
        (END_OF_YEAR, "25.12.2026", d(12, 25)),  # a written year is kept, even if past
        (WEDNESDAY, "29.2.", d(2, 29, 2028)),  # the next year that has one
    ],
)
def test_rolling_over_weeks_months_and_years(now: datetime, text: str, expected: date) -> None:
    when = parse_when(text, now)
    assert when is not None
    assert when.date == expected


def test_summer_time_starts_in_the_week() -> None:
    now = datetime(2026, 3, 28, 12, 0, tzinfo=BERLIN)  # Saturday, winter time; clocks jump Sunday
    today = parse_when("today 3pm", now)
    tomorrow = parse_when("tomorrow 3pm", now)
    assert today is not None and tomorrow is not None
    assert today.at is not None and tomorrow.at is not None
    assert today.at.utcoffset() == timedelta(hours=1)
    assert tomorrow.at.utcoffset() == timedelta(hours=2)
    assert tomorrow.at.astimezone(UTC) - today.at.astimezone(UTC) == timedelta(hours=23)
    assert parse_when("next week", datetime(2026, 3, 25, tzinfo=BERLIN)) == When(
        d(3, 30), last_date=d(4, 5)
    )


def test_summer_time_ends_in_the_week() -> None:
    now = datetime(2026, 10, 24, 12, 0, tzinfo=BERLIN)  # Saturday; clocks go back Sunday
    when = parse_when("morgen um 10 Uhr", now)
    assert when is not None and when.at is not None
    assert when.date == d(10, 25)
    assert when.at.utcoffset() == timedelta(hours=1)
    monday = parse_when("monday", now)
    assert monday is not None and monday.date == d(10, 26)


def test_today_is_the_berlin_day_whatever_the_clock_zone() -> None:
    just_after_midnight = datetime(2026, 6, 10, 22, 30, tzinfo=UTC)  # 00:30 on the 11th in Berlin
    assert parse_when("today", just_after_midnight) == When(d(6, 11))
    assert parse_when("tomorrow", just_after_midnight) == When(d(6, 12))
    naive = datetime(2026, 6, 10, 23, 30)  # taken as Berlin time
    assert parse_when("tomorrow", naive) == When(d(6, 11))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        "Guten Morgen!",
        "buenos días",
        "for 12 people",
        "2 cakes please",
        "the 24 cm one",
        "at 3pm",  # a time alone is not a date
        "Kastanienallee 12, 10435 Berlin",
        "for my son's 30th birthday",
        "the 30th birthday",
        "zum 30. Geburtstag",
        "31.02.",
        "32/13",
        "Happy Birthday Anna",
        "call me on 0170 1234567",
        "price 12.50 €",
        "a cake with a sun on top",
        "I sat down and thought about it",
    ],
)
def test_no_date(text: str) -> None:
    assert parse_when(text, WEDNESDAY) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3pm", time(15)),
        ("3 p.m.", time(15)),
        ("3:30pm", time(15, 30)),
        ("12am", time(0)),
        ("12pm", time(12)),
        ("15:00", time(15)),
        ("08:30", time(8, 30)),
        ("15 Uhr", time(15)),
        ("15.30 Uhr", time(15, 30)),
        ("um 14", time(14)),
        ("at 3", time(15)),  # bare 1-7: afternoon
        ("at 9", time(9)),
        ("at three", time(15)),
        ("a la una", time(13)),
        ("halb drei", time(14, 30)),
        ("um halb 3", time(14, 30)),
        ("14.30", time(14, 30)),
        ("at noon", time(12)),
        ("mittags", time(12)),
        ("at 3 in the morning", time(3)),
    ],
)
def test_clock_times(text: str, expected: time) -> None:
    assert parse_time(text) == TimeOfDay(expected)


@pytest.mark.parametrize(
    ("text", "default", "window"),
    [
        ("in the morning", time(10), (time(8), time(12))),
        ("vormittags", time(10), (time(8), time(12))),
        ("afternoon", time(15), (time(12), time(17))),
        ("nachmittags", time(15), (time(12), time(17))),
        ("por la tarde", time(15), (time(12), time(17))),
        ("evening", time(18), (time(17), time(21))),
        ("abends", time(18), (time(17), time(21))),
    ],
)
def test_parts_of_the_day(text: str, default: time, window: tuple[time, time]) -> None:
    assert parse_time(text) == TimeOfDay(default, window)


@pytest.mark.parametrize(
    "text", ["", "tomorrow", "guten Morgen", "14.05", "1.50 €", "3 am Samstag", "at 25.12.", "25"]
)
def test_no_time(text: str) -> None:
    assert parse_time(text) is None
