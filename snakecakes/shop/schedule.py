"""When an order can be collected or delivered: lead time, opening hours, closed days, time zone.

Why this lives apart from the conversation: a date the bakery cannot bake for must be refused
whatever was said, and the refusal should carry alternatives the customer can pick at once. Rules
are in the shop's wall-clock time, as customers and bakers speak; `now` is an aware instant and
zoneinfo turns wall times into instants, so days when the clocks change need no special casing
beyond refusing a time that does not exist that night.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta

from snakecakes.shop.catalog import Catalog, Product
from snakecakes.shop.profile import ShopProfile


class ScheduleError(ValueError):
    """A wanted date or time the shop cannot serve; the message is for the customer."""

    def __init__(self, message: str, suggestions: Sequence[datetime] = ()) -> None:
        super().__init__(message)
        self.suggestions = tuple(suggestions)


def profile_of(source: Catalog | ShopProfile) -> ShopProfile:
    return source.shop if isinstance(source, Catalog) else source


def describe_day(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def describe_slot(moment: datetime) -> str:
    """'Saturday 2 May 2026 at 15:00' in the moment's own (the shop's) time zone."""
    return f"{describe_day(moment.date())} at {moment:%H:%M}"


def parse_date(value: str | date) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ScheduleError("Please give the date as year-month-day, e.g. 2026-05-02.") from None


def parse_time(value: str | time) -> time:
    """'15:30', '9:00', '15.30' or '15'."""
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    found = re.fullmatch(r"\s*(\d{1,2})(?:[:.](\d{2}))?\s*", value)
    if found and int(found[1]) < 24 and int(found[2] or 0) < 60:
        return time(int(found[1]), int(found[2] or 0))
    raise ScheduleError("Please give the time as hours and minutes, e.g. 15:30.")


def lead_time(products: Iterable[Product]) -> tuple[int, Product | None]:
    """The longest lead time of these products, and the product that needs it."""
    slowest = max(products, key=lambda p: p.lead_time_days, default=None)
    return (slowest.lead_time_days if slowest else 0), slowest


def local_today(profile: ShopProfile, now: datetime) -> date:
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    return now.astimezone(profile.tz).date()


def localize(profile: ShopProfile, day: date, at: time) -> datetime | None:
    """The instant of a wall-clock time at the shop; None when the clocks skip it (spring)."""
    moment = datetime.combine(day, at, tzinfo=profile.tz)
    if moment.astimezone(UTC).astimezone(profile.tz).replace(tzinfo=None) != moment.replace(
        tzinfo=None
    ):
        return None
    return moment


def slots_on(profile: ShopProfile, day: date, now: datetime | None = None) -> list[datetime]:
    """Every bookable slot of a day (on the slot grid from each opening), later than `now`."""
    step = timedelta(minutes=profile.slot_minutes)
    slots: list[datetime] = []
    for hours in profile.hours_on(day):
        wall = datetime.combine(day, hours.opens)
        while wall.time() < hours.closes and wall.date() == day:
            moment = localize(profile, day, wall.time())
            if moment is not None and (now is None or moment > now):
                slots.append(moment)
            wall += step
    return slots


def earliest_date(
    source: Catalog | ShopProfile, products: Iterable[Product], now: datetime
) -> date:
    """The first open day the slowest of these products can be ready (lead time in days)."""
    profile = profile_of(source)
    day = local_today(profile, now) + timedelta(days=lead_time(products)[0])
    for _ in range(profile.max_days_ahead + 366):
        if slots_on(profile, day, now):
            return day
        day += timedelta(days=1)
    raise ScheduleError("Sorry, we have no open days to offer at the moment.")


def next_slots(
    source: Catalog | ShopProfile,
    products: Iterable[Product],
    now: datetime,
    *,
    start: date | None = None,
    near: time | None = None,
    count: int = 3,
) -> tuple[datetime, ...]:
    """Suggestions: on each of the next `count` open days from `start` (never before the
    earliest date), the slot nearest to the time `near` (the first slot when none is given)."""
    profile = profile_of(source)
    day = max(start or date.min, earliest_date(profile, products, now))
    last = local_today(profile, now) + timedelta(days=profile.max_days_ahead)
    found: list[datetime] = []
    while len(found) < count and day <= last:
        slots = slots_on(profile, day, now)
        if slots:
            wanted = near or slots[0].time()
            found.append(min(slots, key=lambda s: abs(_minutes(s.time()) - _minutes(wanted))))
        day += timedelta(days=1)
    return tuple(found)


def _minutes(at: time) -> int:
    return at.hour * 60 + at.minute


def check_wanted(
    source: Catalog | ShopProfile,
    products: Sequence[Product],
    day: date,
    at: time,
    now: datetime,
) -> datetime:
    """The wanted collection or delivery moment, or ScheduleError saying why not and offering
    the next fitting slots."""
    profile = profile_of(source)
    today = local_today(profile, now)
    earliest = earliest_date(profile, products, now)

    def refuse(message: str, start: date) -> ScheduleError:
        return ScheduleError(message, next_slots(profile, products, now, start=start, near=at))

    if day < today:
        raise refuse("That date has already passed.", earliest)
    last = today + timedelta(days=profile.max_days_ahead)
    if day > last:
        ahead = f"{profile.max_days_ahead} days ahead (until {describe_day(last)})"
        raise ScheduleError(f"We take orders up to {ahead}. Please pick an earlier date.")
    if not profile.hours_on(day):
        if profile.opening_hours.on(day) and profile.closed_on(day):
            raise refuse(f"Sorry, we're closed on {describe_day(day)}.", day)
        raise refuse(f"Sorry, we're closed on {day:%A}s.", day)
    if day < earliest:
        days, slowest = lead_time(products)
        name = slowest.name if slowest else "Your order"
        notice = f"{days} day{'s' if days != 1 else ''}' notice"
        message = f"{name} needs {notice}, so the earliest date is {describe_day(earliest)}."
        raise refuse(message, earliest)
    hours = profile.hours_on(day)
    if not any(span.opens <= at < span.closes for span in hours):
        spans = " and ".join(str(span) for span in hours)
        message = f"On {describe_day(day)} we're open {spans}."
        raise refuse(message, day)
    moment = localize(profile, day, at)
    if moment is None:
        message = f"The clocks change that night: {at:%H:%M} doesn't exist on {describe_day(day)}."
        raise refuse(message, day)
    if moment <= now:
        raise refuse("That time has already passed.", day)
    return moment
