"""Which cake, size, flavour or filling the customer means, against the shop's own names.

Both sides, the message and each name or alias, are reduced to canonical English words first:
folded, singular, German compounds split ("Schokotorte" -> "schoko" + "torte") and common
German and Spanish cake words translated ("schoko" -> "chocolate", "torte" -> "cake"). Then:

- Every significant word of a name is looked for in the message, with typos allowed by word
  length ("cheescake", "red velvett"), abbreviations ("choc") and two message words written as
  one ("cheese cake"). Word order and case do not matter; "cake" and filler words only count
  for names that have nothing else.
- `coverage` is the share of the name that was found; a name with more words found beats one
  with fewer ("chocolate fudge" is Chocolate Fudge Cake, not Chocolate Cake).
- Only the first 80 meaningful words of a message are read.
- Candidates whose coverage and found words are about as good as the best are returned as
  `alternatives` and make the match `ambiguous`: the engine asks which one was meant. A message
  naming two products is ambiguous in the same way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from snakecakes.bot.llms.offline_nlu.text import allowed_typos, word_similarity, words


@dataclass(frozen=True, slots=True)
class ProductName:
    """A product or an option as the shop names it; `aliases` are other names customers use."""

    slug: str
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Match:
    """The best candidate, how much of its name was found (0..1), and near-equal others (slugs,
    best first) when the message does not decide between them."""

    slug: str
    name: str
    score: float
    ambiguous: bool = False
    alternatives: tuple[str, ...] = ()


_SYNONYMS: dict[str, tuple[str, ...]] = {}
for _canonical, _spellings in {
    "chocolate": "schoko schokolade schokoladen choco choc chocolat chocolates",
    "cheese": "kase kaese queso",
    "cheesecake": "kasekuchen kaesekuchen",
    "strawberry": "erdbeer erdbeere erdbeeren fresa fresas",
    "raspberry": "himbeer himbeere himbeeren frambuesa frambuesas",
    "lemon": "zitrone zitronen limon",
    "carrot": "karotte karotten mohre mohren rubli ruebli zanahoria",
    "vanilla": "vanille vainilla",
    "apple": "apfel manzana",
    "cherry": "kirsch kirsche kirschen cereza cerezas",
    "nut": "nuss nusse",
    "hazelnut": "haselnuss",
    "almond": "mandel mandeln almendra",
    "caramel": "karamell caramelo",
    "coconut": "kokos coco",
    "pistachio": "pistazie pistazien pistacho",
    "cream": "sahne nata creme",
    "fruit": "obst frucht fruchte fruta frutas",
    "black forest": "schwarzwalder",
    "cake": "torte torten kuchen tarta tartas pastel pasteles torta tortas tarte gateau",
    "large": "big bigger biggest larger largest gross grosse grossen grosser grande xl huge",
    "small": "little smaller smallest klein kleine kleinen kleiner pequeno pequena mini",
    "medium": "mid middle mittel mittlere mittleren mittlerer mediano mediana regular normal",
}.items():
    for _spelling in _spellings.split():
        _SYNONYMS[_spelling] = tuple(_canonical.split())

_GENERIC = frozenset({"cake"})
_FILLER = frozenset(
    "a an the with and of or one ones please mit und der die das den von ein eine einen bitte "
    "con de y la el los las un una por favor size filling fullung fuellung relleno flavour flavor "
    "geschmack sabor cm zentimeter centimeter centimetre i want like id would".split()
)
_COMPOUND = re.compile(
    r"^([a-z]{3,}?)(torten|torte|tortchen|kuchen|tarte|fullung|fuellung|creme|sahne|geschmack)$"
)
_IE_PLURALS = frozenset({"brownies", "cookies", "pies", "smoothies", "lies"})
_MIN_WORD = 0.75
_MAX_WORDS = 80  # a product is named early; this bounds the work on a 4096-character message
_MARGIN = 0.1
_ONE_WORD = 0.85  # "cheescake": one whole word of a name, with a typo, names it


def canonical_words(text: str) -> list[str]:
    """The message or name as canonical English words (see the module docstring)."""
    result: list[str] = []
    for word in words(text):
        parts = [word]
        compound = _COMPOUND.match(word)
        if compound and word not in _SYNONYMS:
            parts = [compound.group(1), compound.group(2)]
        for part in parts:
            result.extend(
                _SYNONYMS.get(part) or _SYNONYMS.get(_singular(part)) or [_singular(part)]
            )
    return result


def match_product(text: str, candidates: Sequence[ProductName]) -> Match | None:
    """The product the message names, or None when none is named well enough."""
    return _best(canonical_words(text), candidates, keep_numbers=True)


def match_option(text: str, options: Sequence[ProductName]) -> Match | None:
    """A size, flavour or filling among `options`, given smallest size first.

    Sizes also match by diameter ("24cm", "24 cm", "24er" find "Large (24 cm)"), by "the big
    one"/"the small one" when the options only differ by numbers (largest or smallest number),
    and by ordinal ("the second one", "die erste", "la primera").
    """
    said = canonical_words(text)
    diameter = re.search(r"(?<![\d.,])(\d{2})\s*(?:cm|er\b|zentimeter|centimet)", text.casefold())
    if diameter:
        for option in options:
            if diameter.group(1) in _numbers_of(option):
                return Match(option.slug, option.name, 1.0)
    found = _best(said, options, keep_numbers=False)
    if found and not found.ambiguous:
        return found
    numbered = [o for o in options if set(said) & _numbers_of(o)]
    if len(numbered) == 1:  # "24", "for 12" against "12 people (24 cm)", "box of 12"
        return Match(numbered[0].slug, numbered[0].name, 0.9)
    if found:
        return found
    by_size = _by_size_word(said, options)
    return by_size or _by_ordinal(said, options)


def _best(said: list[str], candidates: Sequence[ProductName], keep_numbers: bool) -> Match | None:
    said = [w for w in said if w not in _FILLER][:_MAX_WORDS]
    if not said:
        return None
    pairs = list(pairwise(said))
    # Single words, and neighbours written as one in either order ("tarta de queso").
    units = frozenset(said + [a + b for a, b in pairs] + [b + a for a, b in pairs])
    similar = _Similarity(units)
    scored: list[tuple[float, float, float, ProductName]] = []
    for candidate in candidates:
        coverage, found = 0.0, 0.0
        for phrase in (candidate.name, candidate.slug.replace("-", " "), *candidate.aliases):
            coverage, found = max(
                (coverage, found), similar.score(_significant(phrase, keep_numbers))
            )
        if coverage >= 0.5 or found >= _ONE_WORD:  # one word of the name, typos allowed
            scored.append((round(found * 2) / 2, coverage, found, candidate))
    if not scored:
        return None
    scored.sort(key=lambda item: item[:3], reverse=True)
    _, coverage, found, top = scored[0]
    others = tuple(
        c.slug
        for _, cov, fnd, c in scored[1:]
        if fnd >= found - 0.5 and (coverage < 0.9 or cov >= coverage - _MARGIN)
    )
    return Match(top.slug, top.name, round(coverage, 3), bool(others), others)


@lru_cache(maxsize=4096)
def _significant(phrase: str, keep_numbers: bool) -> tuple[str, ...]:
    """The words of a name that identify it; cached, since the menu is the same every turn."""
    tokens = [w for w in canonical_words(phrase) if w not in _FILLER]
    if not keep_numbers:
        tokens = [w for w in tokens if not w.isdigit()]
    return tuple([w for w in tokens if w not in _GENERIC] or tokens)


class _Similarity:
    """How well the message's words stand for a name's words, remembered per word: a menu
    repeats words ("chocolate", "cake") and a long message repeats its own."""

    def __init__(self, units: frozenset[str]) -> None:
        self.units = units
        self.by_length: dict[int, list[str]] = {}
        for unit in units:
            self.by_length.setdefault(len(unit), []).append(unit)
        self.known: dict[tuple[str, bool], float] = {}

    def best(self, word: str, prefix: bool = True) -> float:
        """The best `word_similarity` of any message unit, looking only at units whose length
        allows a match: within the typo limit, or an abbreviation the word starts with."""
        if word in self.units:
            return 1.0
        key = (word, prefix)
        if key not in self.known:
            limit = allowed_typos(word)
            near = (
                u
                for n in range(len(word) - limit, len(word) + limit + 1)
                for u in self.by_length.get(n, ())
            )
            best = max((word_similarity(u, word, prefix=False) for u in near), default=0.0)
            if prefix and best < 0.85 and any(word[:n] in self.units for n in range(4, len(word))):
                best = 0.85
            self.known[key] = best
        return self.known[key]

    def score(self, phrase: tuple[str, ...]) -> tuple[float, float]:
        """(coverage, words found): how much of the phrase the message contains."""
        if not phrase:
            return (0.0, 0.0)
        found = 0.0
        for word in phrase:
            best = self.best(word)
            found += best if best >= _MIN_WORD else 0.0
        if len(phrase) > 1:  # "redvelvet" for "Red Velvet"
            whole = self.best("".join(phrase), prefix=False)
            if whole >= _MIN_WORD and whole * len(phrase) > found:
                found = whole * len(phrase)
        return (found / len(phrase), found)


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies") and word not in _IE_PLURALS:
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us")):
        return word[:-1]
    return word


def _numbers_of(option: ProductName) -> set[str]:
    return {n for phrase in (option.name, *option.aliases) for n in re.findall(r"\d+", phrase)}


def _by_size_word(said: list[str], options: Sequence[ProductName]) -> Match | None:
    """ "the big one" among options named only by numbers ("18 cm", "24 cm", "30 cm")."""
    sized = [(min(int(n) for n in _numbers_of(o)), o) for o in options if _numbers_of(o)]
    if len(sized) != len(options) or len(sized) < 2:
        return None
    sized.sort(key=lambda item: item[0])
    size = {s for s in ("large", "small", "medium") for w in said if word_similarity(w, s) >= 0.75}
    if size == {"large"}:
        pick = sized[-1][1]
    elif size == {"small"}:
        pick = sized[0][1]
    elif size == {"medium"} and len(sized) % 2 == 1:
        pick = sized[len(sized) // 2][1]
    else:
        return None
    return Match(pick.slug, pick.name, 0.8)


_ORDINALS = {
    "first": 0, "erste": 0, "ersten": 0, "primero": 0, "primera": 0, "1st": 0,
    "second": 1, "zweite": 1, "zweiten": 1, "segundo": 1, "segunda": 1, "2nd": 1,
    "third": 2, "dritte": 2, "dritten": 2, "tercero": 2, "tercera": 2, "3rd": 2,
    "last": -1, "letzte": -1, "letzten": -1, "ultimo": -1, "ultima": -1,
}  # fmt: skip


def _by_ordinal(said: list[str], options: Sequence[ProductName]) -> Match | None:
    for word in said:
        index = _ORDINALS.get(word)
        if index is not None and -len(options) <= index < len(options):
            pick = options[index]
            return Match(pick.slug, pick.name, 0.8)
    return None
