"""Text normalisation shared by indexing and querying.

Why our own and not the databases': SQLite's FTS5 and PostgreSQL's full text stem differently
(FTS5 has no stemmer for German or Spanish at all), so the same question would rank differently
on the two backends. Both therefore index `search_text`, which this module builds: words
lower-cased, accents folded, stop words dropped, stemmed (Snowball, English), and mapped onto one
token per group of synonyms a cake shop's customers use ("shipping", "Lieferung" -> deliver).
Queries go through the same function, plus typo correction against the bot's own vocabulary.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from difflib import get_close_matches
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_stem = snowballstemmer.stemmer("english")

STOP_WORDS = frozenset(
    """a about after again all also am an and any are as at be because been before being both
    but by can could did do does doing don during each else ever few for from further get got had
    has have having he her here hers him his how i if in into is it its itself just let like me
    might more most much must my no nor not now of off on once only or other our ours out over own
    please same shall she should so some such than thank thanks that the their theirs them then
    there these they this those through to too under until up us very want was we were what when
    where which while who whom why will with would you your yours yourself hi hello hey ok okay
    tell know need yes also one two long whether ur pls plz thx many time
    der die das und ist ich ein eine einen bei fur mit von wie was wann wo ihr sie es auf zu den
    el la los las y es un una por para con que como cuando donde se de del lo mi""".split()
)

# Each group: the first word names the group; the others mean the same to a customer.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("deliver", "delivery", "deliveries", "delivered", "delivering", "shipping", "ship",
     "shipped", "courier", "liefern", "lieferung", "liefert", "lieferzone", "entrega", "envio",
     "domicilio"),
    ("allergen", "allergens", "allergy", "allergies", "allergic", "intolerance", "intolerant",
     "allergie", "allergien", "allergene", "alergia", "alergeno", "alergenos"),
    ("nut", "nuts", "hazelnut", "hazelnuts", "almond", "almonds", "walnut", "walnuts",
     "pistachio", "pistachios", "cashew", "cashews", "nuss", "nusse", "nueces"),
    ("gluten", "coeliac", "celiac", "wheat", "zoliakie", "glutenfrei"),
    ("milk", "dairy", "lactose", "milch", "laktose", "leche", "lactosa"),
    ("egg", "eggs", "eier", "huevo", "huevos"),
    ("vegan", "vegans", "plantbased", "vegano", "vegana"),
    ("open", "opening", "opens", "hours", "hour", "offnungszeiten", "geoffnet", "horario",
     "horarios", "abierto"),
    ("close", "closed", "closing", "closes", "geschlossen", "cerrado"),
    ("cancel", "cancellation", "cancelation", "cancelled", "canceled", "cancelling",
     "canceling", "stornieren", "storno", "stornierung", "cancelar", "cancelacion"),
    ("refund", "refunds", "reimburse", "reimbursement", "ruckerstattung", "erstattung",
     "reembolso", "moneyback"),
    ("store", "storage", "storing", "stored", "keep", "keeps", "kept", "fridge", "refrigerate",
     "refrigerator", "refrigerated", "lagern", "aufbewahren", "kuhlschrank", "guardar",
     "conservar", "nevera", "last", "lasts"),
    ("fee", "fees", "cost", "costs", "price", "prices", "charge", "charges", "kosten", "preis",
     "gebuhr", "precio", "costo", "pricing"),
    ("pickup", "pick", "collect", "collection", "collecting", "abholen", "abholung", "recoger"),
    ("pay", "payment", "payments", "paying", "paid", "bezahlen", "zahlung", "pagar", "pago"),
    ("area", "areas", "zone", "zones", "district", "districts", "neighbourhood", "neighborhood",
     "postcode", "postcodes", "zip", "plz", "postleitzahl", "zona", "barrio"),
    ("advance", "ahead", "notice", "lead", "vorlauf", "vorher", "antelacion"),
    ("alcohol", "alcoholic", "liquor", "booze", "alkohol", "alcohol"),
    ("inscription", "inscriptions", "lettering", "writing", "aufschrift", "beschriftung",
     "dedicatoria"),
    ("phone", "telephone", "call", "anrufen", "telefon", "telefono"),
    ("address", "located", "location", "adresse", "direccion"),
    ("fresh", "freshness", "frisch", "fresco"),
    ("transport", "transporting", "carry", "carrying", "drive", "car"),
    ("freeze", "frozen", "freezer", "freezing", "einfrieren", "congelar"),
    ("vegetarian", "veggie", "vegetarisch", "vegetariano"),
    ("halal", "kosher"),
)  # fmt: skip

# Query words that stand for several document words.
EXPANSIONS: dict[str, tuple[str, ...]] = {
    "weekend": ("saturday", "sunday"),
    "wochenende": ("saturday", "sunday"),
    "today": ("open",),
    "holiday": ("holiday", "close"),
    "holidays": ("holiday", "close"),
    "feiertag": ("holiday", "close"),
    "sick": ("allergen",),
    "contain": ("allergen",),
    "contains": ("allergen",),
    "ingredients": ("ingredient", "allergen"),
}


def fold(text: str) -> str:
    """Lower case without accents: 'Öffnungszeiten' -> 'offnungszeiten', 'Straße' -> 'strasse'."""
    text = text.lower().replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """The folded words of a text, stop words included (for sentence scoring and display)."""
    return _WORD.findall(fold(text))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return str(_stem.stemWord(word))


def _build_canonical() -> dict[str, str]:
    canonical: dict[str, str] = {}
    for group in SYNONYMS:
        head = stem(group[0])
        for word in group:
            canonical[word] = head
            canonical[stem(word)] = head
    return canonical


CANONICAL = _build_canonical()
KNOWN_TERMS = frozenset(CANONICAL)


def term(word: str) -> str | None:
    """The index token of one folded word, or None for a stop word."""
    if word in STOP_WORDS or len(word) < 2 or (word.isdigit() and len(word) < 3):
        return None  # short numbers are mostly clock times and prices: noise for ranking
    if word in CANONICAL:
        return CANONICAL[word]
    stemmed = stem(word)
    return CANONICAL.get(stemmed, stemmed)


def terms(text: str) -> list[str]:
    """Index tokens of a text, in order, repeats kept (they count for ranking)."""
    out = []
    for word in _joined(words(text)):
        token = term(word)
        if token:
            out.append(token)
    return out


def _joined(found: list[str]) -> Iterable[str]:
    """'plant based' and 'money back' are one idea each; keep the words too."""
    for i, word in enumerate(found):
        yield word
        if i + 1 < len(found):
            pair = word + found[i + 1]
            if pair in CANONICAL:
                yield pair


def index_text(*parts: str) -> str:
    return " ".join(token for part in parts for token in terms(part))


def query_terms(text: str, vocabulary: frozenset[str] = frozenset()) -> list[str]:
    """Distinct tokens of a question, with expansions, postcode prefixes and typo fixes.

    A word unknown to the bot's documents is replaced by the closest known token (difflib ratio
    of at least 0.8), so 'delivry' and 'alergens' still find their documents."""
    out: list[str] = []
    for word in _joined(words(text)):
        candidates: list[str] = []
        if word in EXPANSIONS:
            candidates.extend(term(w) or w for w in EXPANSIONS[word])
        token = term(word)
        if token is not None:
            if vocabulary and token not in vocabulary and len(word) >= 4 and not word.isdigit():
                token = _closest(word, token, vocabulary) or token
            candidates.append(token)
        if word.isdigit() and len(word) == 5 and word not in vocabulary:
            candidates = [word[:3]]  # a postcode: the documents list zone prefixes
        for candidate in candidates:
            if candidate not in out:
                out.append(candidate)
    return out


def _closest(word: str, token: str, vocabulary: frozenset[str]) -> str | None:
    for probe in (token, word):
        found = get_close_matches(probe, vocabulary, n=1, cutoff=0.8)
        if found:
            return found[0]
    found = get_close_matches(word, KNOWN_TERMS, n=1, cutoff=0.85)
    return CANONICAL[found[0]] if found else None
