"""Free text the order keeps as the customer wrote it: the inscription and the name; and the
dietary needs the baker must not miss.

Rules:

- Inscription: quoted text ("…", '…', „…“, “…”, «…») when the message also speaks of writing
  ("write", "inscription", "Aufschrift", "drauf", "que diga", ...) or is only the quote; else the
  words after "inscription:"/"Aufschrift:"/"text:", between "write"/"schreibt" and "on it"/
  "drauf", or after "saying"/"mit der Aufschrift"/"que diga". The customer's spelling, case and
  "!" are kept; a closing "please"/"bitte" and final full stop are not. Up to 100 characters.
- Name: after "my name is", "name:", "ich heiße", "mein Name ist", "me llamo", "mi nombre es"
  in any case; after "I'm", "this is", "ich bin", "hier ist", "soy" only when capitalised
  ("I'm Anna", not "I'm looking"). One to four words; all-lower-case names get capitals.
- Dietary notes: an allergen with a sign that it must be avoided ("no nuts", "nut allergy",
  "allergic to nuts", "glutenfrei", "ohne Ei", "sin gluten"), or "vegan"/"celiac" on their own.
  "hazelnut filling" is a flavour, not a note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from snakecakes.bot.llms.offline_nlu.text import fold

_OPEN = "\"'“„‚‘«»”"  # noqa: RUF001 - typographic quotes are the point
_CLOSE = "\"'”“‘’»«"  # noqa: RUF001
_QUOTED = re.compile(
    rf"(?:^|(?<=[\s:(=]))([{_OPEN}])([^\n]{{1,100}}?)([{_CLOSE}])(?=$|[\s.,!?;:)])"
)
_WRITING = re.compile(
    r"\b(?:write|writing|written|inscription|inscribed|text|say|says|saying|message|lettering|"
    r"on it|on the cake|on top|aufschrift|beschriftung|schriftzug|schreib\w*|drauf|darauf|"
    r"widmung|spruch|escrib\w*|diga|ponga|dedicatoria|mensaje|texto)\b"
)
_LABELLED = re.compile(
    r"(?:inscription|aufschrift|beschriftung|schriftzug|widmung|text|texto|dedicatoria|"
    r"message on (?:the )?cake|lettering|writing)\s*[:=]\s*(.+)",
    re.IGNORECASE,
)
_BETWEEN = re.compile(
    r"\b(?:write|schreib[a-z]*|escrib[a-z]*)\s+(?:bitte\s+|please\s+|por favor\s+)?"
    r"(.{1,120}?)\s+(?:on (?:it|the cake|top)|drauf|darauf|auf (?:die|der|den) (?:torte|kuchen)|"
    r"en (?:el|la) (?:pastel|tarta|torta))\b",
    re.IGNORECASE,
)
_AFTER = re.compile(
    r"\b(?:saying|that says|which says|with the (?:text|words|message)|"
    r"mit (?:der|dem) (?:aufschrift|text|spruch|schriftzug)|que diga|que ponga|"
    r"con el (?:texto|mensaje)|(?:^|please )write|^schreib[a-z]*(?: bitte)?)\s*:?\s+(.+)",
    re.IGNORECASE,
)
_TRAILING = re.compile(
    r"(?:[\s,]+(?:please|pls|bitte|por favor|thanks|danke|gracias))+\W*$|[\s.,;]+$", re.IGNORECASE
)
_NO_INSCRIPTION = re.compile(
    r"\b(?:no|without|keine?|ohne|sin)\s+(?:inscription|text|writing|lettering|message|"
    r"aufschrift|beschriftung|schrift|texto|dedicatoria|mensaje)\b|\bnothing written\b"
    r"|^(?:nothing|none|nichts|nada|no thanks)\W*$"
    r"|\b(?:inscription|text|aufschrift|texto)\s*:\s*(?:none|nothing|nichts|keine?|nada)\b"
)


def extract_inscription(text: str) -> str | None:
    """What to write on the cake, as the customer spelled it, or None."""
    quoted = [m.group(2).strip() for m in _QUOTED.finditer(text) if m.group(2).strip()]
    if quoted:
        whole = _QUOTED.fullmatch(text.strip())
        if whole or _WRITING.search(fold(text)):
            return quoted[0]
    for pattern in (_LABELLED, _BETWEEN, _AFTER):
        m = pattern.search(text)
        if m:
            words = _first_sentence(m.group(1))
            words = _TRAILING.sub("", words).strip().strip(_OPEN + _CLOSE).strip()
            if words and not _NO_INSCRIPTION.search(fold(words)):
                return words[:100]
    return None


def wants_no_inscription(text: str) -> bool:
    """The customer said there should be nothing written ("no inscription", "ohne Text")."""
    return bool(_NO_INSCRIPTION.search(fold(text)))


def _first_sentence(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return re.split(r"(?<=[.!?])\s+(?=\S)", line)[0]


_NAME_WORD = r"[^\W\d_][\w'’\-]*"  # noqa: RUF001
_STRONG = re.compile(
    rf"\b(?:my name is|my name's|name is|name\s*:|ich hei(?:ß|ss)e|mein name ist|me llamo|"
    rf"mi nombre es|nombre\s*:)\s*({_NAME_WORD}(?:\s+{_NAME_WORD}){{0,3}})",
    re.IGNORECASE,
)
_WEAK = re.compile(
    r"\b(?:[Ii]'m|[Ii] am|[Tt]his is|[Ii]ch bin|[Hh]ier ist|[Ss]oy|[Hh]ere is)\s+"
    r"([A-ZÄÖÜÁÉÍÓÚÑ][\w'’\-]*(?:\s+[A-ZÄÖÜÁÉÍÓÚÑ][\w'’\-]*){0,3})"  # noqa: RUF001
)
_NOT_NAMES = frozenset(
    "and und y i ich yo from aus de von and please bitte por favor here hier want would like "
    "need möchte mochte quiero the a an order ordering bestellen calling texting writing "
    "vegetarier veganer allergiker kunde kundin mutter vater looking interested gonna going "
    "hungry sorry back montag dienstag mittwoch donnerstag freitag samstag sonntag heute morgen "
    "da hier new neu new".split()
)


def extract_name(text: str) -> str | None:
    """The name the customer gave for the order, or None."""
    text = text.replace("\u2019", "'")
    for pattern in (_STRONG, _WEAK):
        m = pattern.search(text)
        if not m:
            continue
        kept: list[str] = []
        for word in m.group(1).split():
            if word.casefold() in _NOT_NAMES:
                break
            kept.append(word)
        if kept:
            name = " ".join(kept).strip("'’-")  # noqa: RUF001
            return name.title() if name.islower() else name
    return None


@dataclass(frozen=True, slots=True)
class DietaryNote:
    """What the kitchen must avoid: `tags` in English (sorted, possibly empty when only
    "allergies" was said) and `text`, the customer's own sentences, for the baker."""

    tags: tuple[str, ...]
    text: str


_ALLERGENS: dict[str, str] = {
    "peanuts": r"peanuts?|erdnuss\w*|cacahuetes?|mani",
    "nuts": r"(?:tree )?nuts?|nuss|nusse|haselnuss\w*|walnuss\w*|mandeln?|almonds?|hazelnuts?|"
    r"walnuts?|pistachios?|frutos secos|nueces|almendras?",
    "gluten": r"gluten|wheat|weizen|trigo",
    "dairy": r"dairy|lactose|milk|laktose|milch\w*|lactosa|lacteos|leche",
    "eggs": r"eggs?|eier|ei|huevos?",
    "soy": r"soy|soya|soja",
    "sesame": r"sesame|sesam|sesamo",
    "alcohol": r"alcohol|alkohol|rum|liqueur|likor",
    "gelatine": r"gelatine?|gelatina",
}
_AVOID_BEFORE = (
    r"(?:no|not|without|free of|ohne|kein|keine|keinen|keinerlei|sin|avoid|allergic to|"
    r"allergy to|allergies to|intolerant to|can'?t eat|cannot eat|cannot have|can'?t have|"
    r"alergia a|alergico a|alergica a|allergisch gegen)\s+(?:\w+\s+){0,3}"
)
_AVOID_AFTER = (
    r"[\s-]*(?:free|frei|allergy|allergies|allergie|allergiker|intolerance|intolerant|"
    r"unvertraglichkeit|intoleranz|alergia)"
)
_ALWAYS = {
    "vegan": r"\bvegan[oa]?\b",
    "gluten": r"\b(?:celiac|coeliac|zoliakie|zoeliakie|celiac[oa])\b",
    "vegetarian": r"\b(?:vegetarian|vegetarisch|vegetarian[oa])\b",
    "halal": r"\bhalal\b",
}
_ANY_ALLERGY = re.compile(r"\b(?:allerg\w*|alergi\w*|intoleran\w*|unvertraglich\w*)")


def extract_allergy_notes(text: str) -> DietaryNote | None:
    """Allergies and dietary needs in the message, or None when there are none."""
    tags: set[str] = set()
    sentences: list[str] = []
    for sentence in re.split(r"(?<=[.!?;\n])\s*", text):
        if not re.search(r"[^\W\d_]{2}", sentence):
            continue
        folded = fold(sentence).replace("-", " ")
        found = {tag for tag, rx in _ALWAYS.items() if re.search(rx, folded)}
        for tag, words in _ALLERGENS.items():
            if re.search(rf"\b{_AVOID_BEFORE}(?:{words})\b|\b(?:{words}){_AVOID_AFTER}", folded):
                found.add(tag)
        if found or _ANY_ALLERGY.search(folded):
            tags |= found
            sentences.append(sentence.strip())
    if not sentences:
        return None
    return DietaryNote(tuple(sorted(tags)), " ".join(s for s in sentences if s))
