"""German delivery addresses in chat text: "Kastanienallee 12, 10435 Berlin", "Karl-Marx-Str.
5a", "Unter den Linden 77", "10435"; and coordinates from a pasted map link.

Rules:

- A street is a word ending in a street word ("...straße", "...str.", "...allee", "...weg",
  "...platz", "...damm", ...), a capitalised word before a separate one ("Frankfurter Allee"), or
  a name after "Am", "An der", "Im", "Unter den", "Zur", "Alt-" ...; then a house number ("12",
  "5a", "12-14", "3/1"). Endings that are also English or everyday words ("-ring", "-berg",
  "-hof", "-park", "-markt", ...) only count when a postcode follows ("catering 20" is not a
  street).
- A postcode is five digits (not starting with 00) and not part of a longer number. It counts
  with a street, with a city after it ("10435 Berlin"), after "PLZ"/"postcode"/"zip"/"CP", or
  as (nearly) the whole message.
- Shared locations arrive as WhatsApp location messages, not text; `extract_coordinates` only
  reads latitude and longitude from a pasted Google/Apple Maps link or a "52.52, 13.40" pair.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Address:
    """The parts found; any may be missing (the engine asks for the rest)."""

    street: str | None = None
    number: str | None = None
    postcode: str | None = None
    city: str | None = None

    @property
    def complete(self) -> bool:
        """Enough to deliver: street, house number and postcode."""
        return bool(self.street and self.number and self.postcode)

    def __str__(self) -> str:
        first = " ".join(p for p in (self.street, self.number) if p)
        second = " ".join(p for p in (self.postcode, self.city) if p)
        return ", ".join(p for p in (first, second) if p)


_STRONG = (
    r"stra(?:ss|ß)e|str\.|str|allee|weg|platz|damm|gasse|ufer|chaussee|promenade|steig|pfad|"
    r"zeile|stieg|graben|stra(?:ss|ß)en"
)
_WEAK = r"ring|berg|hof|park|garten|feld|markt|kamp|bogen|wall|anger|kai|brücke|bruecke|tor"
_UPPER = "A-ZÄÖÜ"
_NUMBER = (
    r"(?P<number>\d{1,4}[a-zA-Z]?(?:\s?[-\u2013/]\s?\d{1,4}[a-zA-Z]?)?)"
    r"(?![\d.:,]\d|\s?(?:uhr|h|cm)\b)"
)
_POSTCODE = (
    rf"(?<![\d+.,/])((?!00)\d{{5}})(?!\d)(?:\s*,?\s*([{_UPPER}a-zäöüß][\w\-]*"
    rf"(?:\s*\([{_UPPER}][\w\-]*\)"
    rf"|\s+(?:am|an der|im|in der|bei|ob der|vor der)\s+[{_UPPER}][\w\-]*)?))?"
)
# Words after "Am"/"Zum" that make a date or an occasion, not a street.
_NOT_STREETS = (
    r"(?:Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonnabend|Sonntag|Wochenende|"
    r"Morgen|Abend|Mittag|Nachmittag|Vormittag|Geburtstag|Anfang|Ende|Tag)\b"
)
_PREFIXED = re.compile(
    rf"\b((?:Am|An der|An den|An dem|Auf der|Auf dem|Im|In der|In den|Unter den|Zum|Zur|"
    rf"Hinter der|Hinter dem|Vor dem|Alt)[\s\-]+(?!{_NOT_STREETS})[{_UPPER}][\w\-]*"
    rf"(?:\s+[{_UPPER}][\w\-]*)?)"
    rf"\s*,?\s*{_NUMBER}"
)
_TWO_WORDS = re.compile(
    rf"\b((?:(?:Alte|Neue|Große|Grosse|Kleine|Lange|Hohe|Obere|Untere)\s+)?[{_UPPER}][\w\-]*\s+"
    rf"(?i:straße|strasse|str\.|allee|weg|platz|damm|ring|gasse|ufer|chaussee|promenade|markt))"
    rf"\s*,?\s*{_NUMBER}"
)
_COMPOUND = re.compile(
    rf"(?<![\w\-])([{_UPPER}a-zäöüß][\w\-]{{2,}}?(?i:{_STRONG}|(?P<weak>{_WEAK})))(?!\w)"
    rf"\s*,?\s*{_NUMBER}"
)
_POSTCODE_RE = re.compile(_POSTCODE)
_POSTCODE_AFTER = re.compile(r"[\s,]*" + _POSTCODE)
_NOT_POSTCODE = re.compile(
    r"(?i:order|bestellung|nr|no|number|nummer|pedido|ref|id|tel|phone|telefon)\.?\s*[#:]?\s*$|#\s*$"
)
_CUE = re.compile(r"\b(?:plz|postcode|post code|postal code|zip|postleitzahl|cp|codigo postal)\b")
_NOT_CITIES = frozenset(
    "please bitte and und is ist por favor thanks danke gracias for fur para".split()
)


def extract_address(text: str) -> Address | None:
    """The street, house number, postcode and city in the message, or None."""
    street: tuple[str, str] | None = None
    for pattern in (_PREFIXED, _TWO_WORDS, _COMPOUND):
        for m in pattern.finditer(text):
            if (
                pattern is _COMPOUND
                and m.group("weak")
                and not _POSTCODE_AFTER.match(text, m.end())
            ):
                continue
            name = m.group(1).strip()
            preposition = re.match(r"(?:In der|In den|Im)\s+(\S+)$", name)
            if preposition and re.search(rf"(?i:{_STRONG})$", preposition.group(1)):
                name = preposition.group(1)  # "Im Weidenweg 5": "im" is just "in the"
            street = (name, m.group("number").replace(" ", ""))
            break
        if street:
            break
    postcode, city = _postcode(text, has_street=street is not None)
    if street is None and postcode is None:
        return None
    return Address(street[0] if street else None, street[1] if street else None, postcode, city)


def _postcode(text: str, has_street: bool) -> tuple[str | None, str | None]:
    for m in _POSTCODE_RE.finditer(text):
        if _NOT_POSTCODE.search(text[: m.start()]):
            continue  # "order 12345", "Bestellnr. 12345"
        city = m.group(2)
        if city and city.casefold() in _NOT_CITIES:
            city = None
        short = len(re.findall(r"\w+", text)) <= 4
        capital_city = city is not None and city[0].isupper() and len(city) >= 3
        if has_street or short or capital_city or _CUE.search(text.casefold()):
            return m.group(1), city
    return None, None


_COORDINATES = [
    re.compile(r"@(-?\d{1,2}\.\d{3,}),\s*(-?\d{1,3}\.\d{3,})"),
    re.compile(r"[?&](?:q|ll|query|daddr|sll)=(-?\d{1,2}\.\d{3,})(?:,|%2C)\s*(-?\d{1,3}\.\d{3,})"),
    re.compile(r"(?<![\d.])(-?\d{1,2}\.\d{4,})\s*,\s*(-?\d{1,3}\.\d{4,})(?![\d.])"),
]


def extract_coordinates(text: str) -> tuple[float, float] | None:
    """Latitude and longitude from a map link or a coordinate pair, or None."""
    for pattern in _COORDINATES:
        m = pattern.search(text)
        if m:
            latitude, longitude = float(m.group(1)), float(m.group(2))
            if -90 <= latitude <= 90 and -180 <= longitude <= 180:
                return latitude, longitude
    return None
