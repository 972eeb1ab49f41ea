"""Numbers in words and digits: how many cakes, and for how many people.

Rules, chosen so that the engine asks rather than guesses:

- Number words go up to twenty in English, German and Spanish, plus "a dozen" (12), "half a
  dozen" (6), "a couple" (2). "one"/"ein"/"uno" (and Spanish "once", eleven) only count before
  a cake word ("eine Torte") or alone, because in "the big one" or "once again" they are not
  quantities. "a cake" is not a count: the engine's default of one covers it.
- Servings: a range ("10-12 people") means the upper end, so the cake is big enough.
- Quantities are 1..100. A number that belongs to a date, a time, a size ("24 cm", "box of
  12"), a price, a street number, a postcode or a servings phrase is never a quantity.
"""

from __future__ import annotations

import re

from snakecakes.bot.llms.offline_nlu.text import fold

NUMBER_WORDS: dict[str, int] = {
    # English
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "dozen": 12, "couple": 2,
    # German (folded: "fünf" -> "funf", "zwölf" -> "zwolf")
    "eins": 1, "ein": 1, "eine": 1, "einen": 1, "zwei": 2, "zwo": 2, "drei": 3, "vier": 4,
    "funf": 5, "fuenf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10, "elf": 11,
    "zwolf": 12, "zwoelf": 12, "dreizehn": 13, "vierzehn": 14, "funfzehn": 15, "fuenfzehn": 15,
    "sechzehn": 16, "siebzehn": 17, "achtzehn": 18, "neunzehn": 19, "zwanzig": 20,
    "dutzend": 12,
    # Spanish (folded: "dieciséis" -> "dieciseis")
    "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
    "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14,
    "quince": 15, "dieciseis": 16, "diecisiete": 17, "dieciocho": 18, "diecinueve": 19,
    "veinte": 20, "docena": 12,
}  # fmt: skip

# Words for "one" that are also articles or pronouns ("the big one", "ein Kuchen mit Nüssen").
_WEAK_ONES = frozenset({"one", "ein", "eine", "einen", "eins", "uno", "una", "once"})
_NUM = r"(?:\d{1,3}|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"
_PEOPLE = (
    r"(?:people|persons?|guests?|pax|kids|children|adults|friends|colleagues|portions?|"
    r"servings?|slices?|personen|pers\.?|leute|gaste|gasten|kinder|erwachsene|portionen|"
    r"stuck(?:e|chen)|personas|invitados|ninos|porciones|raciones)"
)
_RANGE = rf"({_NUM})(?:\s*(?:-|to|bis|a)\s*({_NUM}))?"
_ABOUT = r"(?:about\s+|around\s+|ca\.?\s+|etwa\s+|unos\s+|approx\.?\s+)?"
# After "for <number>", words that make the number something else than people.
_NOT_PEOPLE = (
    r"(?!\s*(?:[:./]\d|am\b|pm\b|uhr\b|h\b|o'?clock|cm\b|x\b|mal\b|of\b|days?\b|weeks?\b|"
    r"tage|wochen|dias|semanas|cakes?\b|torten?\b|kuchen\b|cupcakes?\b|pieces?\b|tartas?\b|"
    r"pasteles?\b|euros?\b|eur\b|€))"
)
_SERVINGS = [
    re.compile(rf"\b(?:serves?|serving|feeds?|to serve|to feed|enough for)\s+{_ABOUT}{_RANGE}\b"),
    re.compile(rf"\b{_RANGE}\s+{_PEOPLE}\b"),
    re.compile(rf"\b(?:for|fur|para|party of)\s+{_ABOUT}{_RANGE}{_NOT_PEOPLE}\b"),
]


def number_value(word: str) -> int | None:
    """The value of one folded token, in digits or words ("12", "zwölf", "doce")."""
    if word.isdigit():
        return int(word)
    return NUMBER_WORDS.get(word)


def parse_servings(text: str) -> int | None:
    """How many people the cake is for: "for 12 people", "serves 8", "für 12 Personen", "para
    10", "10-12 guests" (12). None when no number is tied to people."""
    folded = fold(text)
    for pattern in _SERVINGS:
        for m in pattern.finditer(folded):
            low = number_value(m.group(1))
            high = number_value(m.group(2)) if m.group(2) else None
            best = max(low or 0, high or 0)
            if 1 <= best <= 500:
                return best
    return None


_CAKE_WORDS = (
    r"(?:[a-z]*(?:cakes?|torten?|kuchen|tartas?)|cupcakes?|muffins?|brownies?|cookies?|tarts?|"
    r"pies?|pieces?|pcs|box(?:es)?|tortchen|stuck|stk|pasteles?|tortas?|unidades|piezas|"
    r"of (?:them|those|these|it)|davon|de (?:ellas|esos|estas|estos))"
)
_MONTHS = (
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mai|okt|dez|ene|abr|ago|dic|janu|febr|"
    r"marz|juni|juli|sept|octo|dezember|enero|marzo|mayo|junio|julio|agosto)[a-z]*"
)
_TIMES = re.compile(r"\b(?:x\s*(\d{1,3})|(\d{1,3})\s*x|(\d{1,3})\s*mal)\b")
_DOZEN = re.compile(
    r"\b(?:(half|halbes|halbe|media)\s+(?:a\s+)?)?(?:(\d{1,2}|[a-z]+)\s+)?(?:dozen|dutzend|docena)s?\b"
)
# Numbers that belong to something else; they are blanked out before quantities are looked for.
_NOT_QUANTITIES = [
    re.compile(r"\+?\d[\d /-]{7,}\d"),  # phone numbers
    re.compile(r"\d+(?:[:./-]\d+)+\.?"),  # dates, times, decimals, ranges
    re.compile(r"\d+(?:st|nd|rd|th|ter|ten|er)\b"),  # ordinals and "24er"
    re.compile(  # a size: "box of 12", "6er Packung" is above
        r"\b(?:box|boxes|pack|packs|set|tray|karton|schachtel|packung|caja)\s+(?:of|mit|de)\s+\d+"
    ),
    re.compile(
        r"\b\d+\s*(?:am|pm|a\.m\.|p\.m\.|uhr|h|hrs|o'?clock|cm|mm|m|kg|g|eur|euros?|%|€|\$|"
        r"years?|jahre|anos|days?|weeks?|tagen?|wochen?|dias|semanas)(?![a-z])"
    ),
    re.compile(rf"\b\d+\.?(?: de)? {_MONTHS}\b|\b{_MONTHS}\.? \d+\b"),
    re.compile(r"[€$]\s*\d+"),
    re.compile(
        rf"\b(?:at|um|a las|gegen|ab|bis|on|am|the|el|den|dem|nr|no|number|nummer|house|haus|in|"
        rf"en|turns?|turning|wird|cumple)\s+{_NUM}\b"
    ),
    re.compile(
        r"\b[a-z]+(?:strasse|str|allee|weg|platz|damm|ring|gasse|ufer|chaussee|street|st|road|"
        r"rd|avenue|ave|calle)\.?\s+\d+[a-z]?\b"
    ),
    re.compile(r"\d{4,}"),  # years, postcodes
]


def parse_quantity(text: str) -> int | None:
    """How many items the customer wants: "2 cakes", "two", "zwei Torten", "x3", "3x", "a
    dozen", "2 dozen cupcakes" (24), "half a dozen" (6), "I'll take 3".

    None when there is no count, and for numbers that are part of a date, time, size, price,
    address or servings phrase ("for 12 people" is servings, not twelve cakes). "a cake" is not
    a count either: the engine's default of one covers it.
    """
    folded = fold(text)
    dozen = _DOZEN.search(folded)
    if dozen:
        if dozen.group(1):
            return 6
        count = number_value(dozen.group(2)) if dozen.group(2) else None
        return _bounded((count or 1) * 12)  # "a dozen", "ein Dutzend": articles count as one
    for pattern in _SERVINGS:
        folded = pattern.sub(" ", folded)
    times = _TIMES.search(folded)
    if times:
        return _bounded(int(next(g for g in times.groups() if g)))
    for pattern in _NOT_QUANTITIES:
        folded = pattern.sub(" ", folded)
    tokens = re.findall(r"[a-z0-9]+", folded.replace("'", ""))
    if len(tokens) == 1 and number_value(tokens[0]) is not None:
        return _bounded(number_value(tokens[0]))
    for i, token in enumerate(tokens):
        value = number_value(token)
        if value is None:
            continue
        rest = " ".join(tokens[i + 1 : i + 4])
        if token in _WEAK_ONES and not re.match(rf"(?:[a-z]+ )?{_CAKE_WORDS}\b", rest):
            continue
        return _bounded(value)
    return None


def _bounded(value: int | None) -> int | None:
    return value if value is not None and 1 <= value <= 100 else None
