"""Dates for pickup or delivery: "tomorrow", "samstag um 14 uhr", "25/12", "next friday 3pm".

The shop is in Germany, so dates are read in Europe/Berlin and these rules decide the unclear
cases (`When.ambiguous` marks the ones worth confirming with the customer):

- "today"/"tomorrow" are Berlin days: at 00:30 in Berlin, "tomorrow" is the day after, whatever
  the server's clock zone. A naive `now` is taken as Berlin time.
- A bare weekday ("saturday", "on sat", "am Samstag") is the next one after today, 1-7 days
  ahead: said on a Saturday it means a week later. "sat" and "sun" are also English words, so
  they need "on", a modifier, a full stop, a time or the end of the message after them.
- "this saturday"/"diesen Samstag"/"coming saturday" includes today.
- "next friday"/"nächsten Freitag"/"el próximo viernes" is the Friday of next calendar week
  (weeks start on Monday). Said on a Wednesday that is 9 days ahead, not 2; because many people
  mean the nearer Friday, the result is marked ambiguous when this week's Friday is still ahead.
- "this weekend"/"am Wochenende" is Saturday to Sunday of this week (`date` Saturday,
  `last_date` Sunday; on a Sunday only Sunday is left). "next weekend" follows the "next
  friday" rule; "next week" is Monday to Sunday of next week.
- Numbers are day first, as in Germany: "5.6." is 5 June. With slashes, "05/06" is also read as
  5 June but marked ambiguous; "12/25" cannot be day/month, so it is read as December 25.
- A date without a year that has already passed this year is next year's ("25/12" on 27
  December); a day without a month ("the 25th", "am 25.") that has passed is next month's. A
  year the customer wrote is kept even if it is in the past: the engine rejects past dates.
- Of several dates, the first in the message wins.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from snakecakes.bot.llms.offline_nlu.numbers import NUMBER_WORDS
from snakecakes.bot.llms.offline_nlu.text import fold
from snakecakes.bot.llms.offline_nlu.times import find_time

BERLIN = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True, slots=True)
class When:
    """A day, and a time if one was named. `window` is set for a part of the day ("morning"),
    `last_date` for a range of days ("this weekend"); `ambiguous` when a rule picked one of two
    plausible readings."""

    date: dt.date
    time: dt.time | None = None
    window: tuple[dt.time, dt.time] | None = None
    last_date: dt.date | None = None
    ambiguous: bool = False

    @property
    def at(self) -> datetime | None:
        """The moment in Berlin (with the right summer or winter offset), when a time is known."""
        if self.time is None:
            return None
        return datetime.combine(self.date, self.time, tzinfo=BERLIN)


@dataclass(frozen=True, slots=True)
class _Day:
    date: dt.date
    last_date: dt.date | None = None
    ambiguous: bool = False


_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "january jan januar janner jaenner enero ene",
        "february feb febr februar febrero",
        "march mar marz maerz marzo",
        "april apr abril abr",
        "may mai mayo",
        "june jun juni junio",
        "july jul juli julio",
        "august aug agosto ago",
        "september sep sept septiembre setiembre",
        "october oct oktober okt octubre",
        "november nov noviembre",
        "december dec dezember dez diciembre dic",
    ],
    start=1,
):
    _MONTHS.update(dict.fromkeys(_names.split(), _number))

_WEEKDAYS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "monday mon montag lunes",
        "tuesday tue tues dienstag martes",
        "wednesday wed mittwoch miercoles",
        "thursday thu thur thurs donnerstag jueves",
        "friday fri freitag viernes",
        "saturday sat samstag sonnabend sabado",
        "sunday sun sonntag domingo",
    ]
):
    _WEEKDAYS.update(dict.fromkeys(_names.split(), _number))


def _alternation(words: dict[str, int]) -> str:
    return "(?:" + "|".join(sorted(words, key=len, reverse=True)) + ")"


_MONTH = _alternation(_MONTHS)
_WEEKDAY = rf"(?P<day>{_alternation(_WEEKDAYS)})s?\.?"
_ORDINAL = r"(?:st|nd|rd|th|ter|ten)?"
_NEXT = (
    r"next|nachsten|nachste|nachster|nachstes|naechsten|naechste|naechstes|proximo|proxima|"
    r"(?P<after>ubernachsten|uebernachsten)"
)
_THIS = r"this|coming|diesen|dieser|diese|kommenden|kommender|kommende|este|esta"
_NEXT_WEEK = r"(?:next week|nachste woche|naechste woche|la semana que viene|la proxima semana)"
_COUNT = r"(\d{1,2}|a|an|one|einer|einem|un|una|" + "|".join(NUMBER_WORDS) + ")"
_NOT_BIRTHDAY = r"(?!\s*(?:birthday|anniversary|geburtstag|jubilaum|cumpleanos|aniversario))"

_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_NUMERIC = re.compile(
    r"(?<!um )(?<!at )(?<!gegen )(?<![\d.,:/])(\d{1,2})([./])(\d{1,2})(?:\2(\d{4}|\d{2})(?!\d))?"
    r"(?![\d/]|\.\d|\s*(?:uhr|h\b|am\b|pm\b|€|eur|kg))\.?"
)
_DAY_MONTH = re.compile(
    rf"\b(?:the\s+)?(\d{{1,2}}){_ORDINAL}\.?\s*(?:of\s+|de\s+)?({_MONTH})\b\.?"
    rf"(?:,?\s*(?:de\s+)?(\d{{4}})\b)?"
)
_MONTH_DAY = re.compile(
    rf"\b({_MONTH})\.?\s+(?:the\s+)?(\d{{1,2}}){_ORDINAL}\b(?![:.]\d)(?:,?\s*(\d{{4}})\b)?"
)
_RELATIVE = re.compile(
    r"\b(?:(?:the\s+)?day after tomorrow|ubermorgen|uebermorgen|pasado manana)\b"
    r"|\b(?P<today>today|tonight|heute|hoy|this (?:morning|afternoon|evening)|esta noche)\b"
    r"|\b(?P<tomorrow>tomorrow|tmrw|tmr|2morrow|manana|morgen)\b"
)
_IN_DAYS = re.compile(
    rf"\b(?:in|en|within)\s+{_COUNT}\s+(?P<unit>days?|tagen?|dias?|weeks?|wochen?|semanas?)\b"
)
_WEEKEND = re.compile(
    rf"\b(?:(?P<next>{_NEXT})\s+|(?:{_THIS}|the|am|el|(?:on|at) the)\s+)?"
    r"(?:weekend|wochenende|fin de semana)\b(?P<que> que viene)?"
)
_WEEK = re.compile(rf"\b{_NEXT_WEEK}(?:\s+(?:on\s+|am\s+|el\s+)?{_WEEKDAY})?\b")
_WEEKDAY_RE = re.compile(
    rf"\b(?:(?P<next>{_NEXT})\s+|(?P<this>{_THIS})\s+|(?:on|am|el|den|the)\s+)?{_WEEKDAY}"
    rf"(?:(?P<que>\s+que viene)|(?P<week>\s+{_NEXT_WEEK}|\s+week))?\b"
)
_DAY_ONLY = re.compile(
    rf"\b(?:(?:on\s+)?the\s+(\d{{1,2}})(?:st|nd|rd|th)\b{_NOT_BIRTHDAY}"
    rf"|(?:am|den|zum|bis zum)\s+(\d{{1,2}})\.(?!\d){_NOT_BIRTHDAY}"
    r"|el\s+(?:dia\s+)?(\d{1,2})\b(?![.:/]\d|\s*de\b))"
)


def parse_when(text: str, now: datetime) -> When | None:
    """The day (and time) the customer wants, read against `now`; None when no day is named.

    A time alone ("at 3pm") is not a When: use `parse_time` for it.
    """
    today = (now.replace(tzinfo=BERLIN) if now.tzinfo is None else now.astimezone(BERLIN)).date()
    folded = fold(text)
    found: list[tuple[int, int, _Day]] = []
    for pattern, reader in _READERS:
        for m in pattern.finditer(folded):
            day = reader(m, today)
            if day is not None:
                found.append((m.start(), -(m.end() - m.start()), day))
                break
    if not found:
        return None
    start, negative_length, day = min(found, key=lambda item: (item[0], item[1]))
    blanked = folded[:start] + " " * -negative_length + folded[start - negative_length :]
    clock = find_time(blanked)
    return When(
        date=day.date,
        time=clock[0].time if clock else None,
        window=clock[0].window if clock else None,
        last_date=day.last_date,
        ambiguous=day.ambiguous,
    )


def _iso(m: re.Match[str], today: date) -> _Day | None:
    return _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def _numeric(m: re.Match[str], today: date) -> _Day | None:
    first, second = int(m.group(1)), int(m.group(3))
    year = _year(m.group(4))
    day_first = _dated(today, year, month=second, day=first)
    if m.group(2) == ".":
        return day_first  # "5.6." is German: always day first
    if day_first is None:
        return _dated(today, year, month=first, day=second)  # "12/25"
    month_first = _dated(today, year, month=first, day=second)
    return _Day(day_first.date, ambiguous=month_first is not None and first != second)


def _day_month(m: re.Match[str], today: date) -> _Day | None:
    return _dated(today, _year(m.group(3)), month=_MONTHS[m.group(2)], day=int(m.group(1)))


def _month_day(m: re.Match[str], today: date) -> _Day | None:
    return _dated(today, _year(m.group(3)), month=_MONTHS[m.group(1)], day=int(m.group(2)))


def _relative(m: re.Match[str], today: date) -> _Day | None:
    word = m.group(0)
    if m.group("tomorrow") and word in ("morgen", "manana"):
        before = m.string[: m.start()]
        if re.search(r"\b(?:guten|gute|am|jeden|la|buenas|buenos)\s+$", before):
            return None  # "guten Morgen", "am Morgen", "por la mañana": not tomorrow
    if m.group("today"):
        return _Day(today)
    return _Day(today + timedelta(days=1 if m.group("tomorrow") else 2))


def _in_days(m: re.Match[str], today: date) -> _Day | None:
    raw = m.group(1)
    count = int(raw) if raw.isdigit() else NUMBER_WORDS.get(raw, 1)
    weeks = m.group("unit").startswith(("w", "semana"))
    return _Day(today + timedelta(days=count * (7 if weeks else 1)))


def _weekend(m: re.Match[str], today: date) -> _Day | None:
    saturday = today + timedelta(days=5 - today.weekday())
    if m.group("next") or m.group("que"):
        nearer = saturday >= today
        return _Day(saturday + timedelta(days=7), saturday + timedelta(days=8), nearer)
    if today.weekday() == 6:
        return _Day(today, today)
    return _Day(saturday, saturday + timedelta(days=1))


def _week(m: re.Match[str], today: date) -> _Day | None:
    monday = today + timedelta(days=7 - today.weekday())
    if m.group("day"):  # "next week friday"
        return _Day(monday + timedelta(days=_WEEKDAYS[m.group("day")]))
    return _Day(monday, monday + timedelta(days=6))


def _weekday(m: re.Match[str], today: date) -> _Day | None:
    word = m.group("day")
    modified = m.group("next") or m.group("this") or m.group("que") or m.group("week")
    if word in ("sun", "sat") and not (modified or m.group(0).endswith(".")):
        after = m.string[m.end() :]
        if not (
            re.match(r"\s*(?:$|[.!?,]|\d|at\b|morning|afternoon|evening)", after)
            or m.group(0).startswith("on ")
        ):
            return None  # "a sun on the cake", "I sat down": English words, not days
    target = _WEEKDAYS[word]
    if m.group("next") or m.group("que") or m.group("week"):
        next_monday = today + timedelta(days=7 - today.weekday())
        day = next_monday + timedelta(days=target + (7 if m.group("after") else 0))
        nearer = day - timedelta(days=7) > today and not (m.group("after") or m.group("week"))
        return _Day(day, ambiguous=nearer)
    if m.group("this"):
        return _Day(today + timedelta(days=(target - today.weekday()) % 7))
    return _Day(today + timedelta(days=(target - today.weekday() - 1) % 7 + 1))


def _day_only(m: re.Match[str], today: date) -> _Day | None:
    day = int(next(g for g in m.groups() if g))
    year, month = today.year, today.month
    for _ in range(13):
        candidate = _valid(year, month, day)
        if candidate and candidate.date >= today:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _dated(today: date, year: int | None, *, month: int, day: int) -> _Day | None:
    """A day and month in the given year, or the next time it comes round (29 February too)."""
    if year is not None:
        return _valid(year, month, day)
    for offset in range(5):
        candidate = _valid(today.year + offset, month, day)
        if candidate and candidate.date >= today:
            return candidate
    return None


def _valid(year: int, month: int, day: int) -> _Day | None:
    try:
        return _Day(date(year, month, day))
    except ValueError:
        return None


def _year(raw: str | None) -> int | None:
    if raw is None:
        return None
    return int(raw) + 2000 if len(raw) == 2 else int(raw)


_READERS: list[tuple[re.Pattern[str], Callable[[re.Match[str], date], _Day | None]]] = [
    (_ISO, _iso),
    (_NUMERIC, _numeric),
    (_DAY_MONTH, _day_month),
    (_MONTH_DAY, _month_day),
    (_RELATIVE, _relative),
    (_IN_DAYS, _in_days),
    (_WEEKEND, _weekend),
    (_WEEK, _week),
    (_WEEKDAY_RE, _weekday),
    (_DAY_ONLY, _day_only),
]
