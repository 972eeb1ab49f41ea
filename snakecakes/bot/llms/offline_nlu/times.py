"""Times of day: "3pm", "15:00", "15 Uhr", "um 14", "at noon", "halb drei", "morning".

Rules (a cake shop collects and delivers in the daytime):

- A clock time with am/pm, a leading zero ("08:30") or an hour above 12 is taken as written.
- A bare hour from 1 to 7 ("at 3", "um 3", "a las 5") means the afternoon (15:00, 17:00); 8 to
  12 are taken as written. A part of the day in the same message wins over this rule: "at 8 in
  the evening" is 20:00, "at 3 in the morning" 03:00.
- Parts of the day are windows with a default time: morning 08-12 (10:00), afternoon 12-17
  (15:00), evening 17-21 (18:00). "noon"/"mittags"/"mediodía" is exactly 12:00.
- "halb drei" is German for 2:30, so 14:30 by the bare-hour rule.
- "14.30" is a time when it cannot be a date (minutes 13-59 or 00); "14.05" is a date.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from datetime import time

from snakecakes.bot.llms.offline_nlu.numbers import NUMBER_WORDS
from snakecakes.bot.llms.offline_nlu.text import fold


@dataclass(frozen=True, slots=True)
class TimeOfDay:
    """A time the customer named. `window` is set for a part of the day ("afternoon"), whose
    `time` is then only a default the engine may offer."""

    time: dt.time
    window: tuple[dt.time, dt.time] | None = None


_HOUR_WORD = r"(?:\d{1,2}|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"
_AMPM = re.compile(r"\b(\d{1,2})(?:[:.](\d{2}))?\s*([ap])\.?\s?m\b\.?")
_CLOCK = re.compile(r"\b(\d{1,2})(?::|h(?=\d))(\d{2})\b(?:\s*(?:uhr|h|hrs)\b)?")
_UHR = re.compile(r"\b(\d{1,2})(?:[.:](\d{2}))?\s*(?:uhr|h|hrs|o'?clock)\b")
_AT = re.compile(
    rf"\b(?:at|um|gegen|around|ab|by|a las|a la|sobre las|hacia las)\s+(?:about\s+|ca\.?\s+)?"
    rf"({_HOUR_WORD})(?:[.:](\d{{2}}))?\b(?!\.\d|/)"
)
_HALF = re.compile(rf"\bhalb\s+({_HOUR_WORD})\b")
_DOTTED = re.compile(r"(?<![\d.€$])([01]?\d|2[0-3])\.([0-5]\d)\b(?!\.\d|\s*(?:€|eur))")
_GERMAN_AM = re.compile(
    r"\s+(?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag|wochenende|"
    r"morgen|abend|nachmittag|vormittag|mittag|ersten|zweiten|dritten|\d)"
)
_NOON = re.compile(r"\b(?:noon|midday|12 noon|lunch ?time|mittags?|zu mittag|mediodia)\b")
_PARTS: list[tuple[re.Pattern[str], tuple[time, time], time]] = [
    (
        re.compile(
            r"\b(?:morning|mornings|vormittags?|morgens|am morgen|fruh|frueh|"
            r"(?:por|de|en) la manana)\b"
        ),
        (time(8), time(12)),
        time(10),
    ),
    (
        re.compile(r"\b(?:afternoon|nachmittags?|(?:por|de|en) la tarde|tarde)\b"),
        (time(12), time(17)),
        time(15),
    ),
    (
        re.compile(
            r"\b(?:evening|tonight|abends?|(?:por|de|en) la noche|esta noche|noche|after work)\b"
        ),
        (time(17), time(21)),
        time(18),
    ),
]


def parse_time(text: str) -> TimeOfDay | None:
    """The time of day in `text`, or None. See the module's rules for bare hours."""
    found = find_time(fold(text))
    return found[0] if found else None


def find_time(folded: str) -> tuple[TimeOfDay, tuple[int, int]] | None:
    """The time in already folded text and where it was, so dates can skip that part."""
    part: tuple[tuple[time, time], time, tuple[int, int]] | None = None
    for pattern, hours, default in _PARTS:
        m = pattern.search(folded)
        if m:
            part = (hours, default, m.span())
            break
    explicit = _explicit(folded, part[0] if part else None)
    if explicit:
        return explicit
    noon = _NOON.search(folded)
    if noon:
        return TimeOfDay(time(12)), noon.span()
    if part:
        return TimeOfDay(part[1], part[0]), part[2]
    return None


def _explicit(
    folded: str, window: tuple[time, time] | None
) -> tuple[TimeOfDay, tuple[int, int]] | None:
    """The first clock time in the text that is a real time, by pattern strength."""
    for m in _AMPM.finditer(folded):
        hour, minute = int(m.group(1)), int(m.group(2) or 0)
        if m.group(3) == "a" and "." not in m.group(0) and _GERMAN_AM.match(folded, m.end()):
            continue  # "bis 3 am Samstag": German "am" (on), not a.m.
        if 1 <= hour <= 12:
            found = _make(hour % 12 + (12 if m.group(3) == "p" else 0), minute, m.span())
            if found:
                return found
    for pattern in (_CLOCK, _UHR, _AT, _HALF, _DOTTED):
        for m in pattern.finditer(folded):
            raw = m.group(1)
            hour = int(raw) if raw.isdigit() else NUMBER_WORDS[raw]
            minute = 30 if pattern is _HALF else int(m.group(2) or 0)
            if pattern is _HALF:
                hour = (hour - 1) % 12 or 12
            elif pattern is _DOTTED and not (minute > 12 or m.group(2) == "00"):
                continue  # "14.05" is the 14th of May
            if not (raw.startswith("0") or hour > 12):
                hour = _daytime(hour, window)
            found = _make(hour, minute, m.span())
            if found:
                return found
    return None


def _daytime(hour: int, window: tuple[time, time] | None) -> int:
    """A bare 1-12 hour in shop hours: afternoon for 1-7, or the part of day named with it."""
    if window is not None:
        if window[0].hour >= 12 and hour < 12:
            return hour + 12
        return hour % 12 if window[0].hour < 12 and hour == 12 else hour
    return hour + 12 if 1 <= hour <= 7 else hour


def _make(
    hour: int, minute: int, span: tuple[int, int]
) -> tuple[TimeOfDay, tuple[int, int]] | None:
    if 0 <= hour <= 23 and 0 <= minute <= 59:
        return TimeOfDay(time(hour, minute)), span
    return None
