"""Text helpers shared by the offline understanding functions.

Customers type on phones, in English, German and some Spanish, with and without accents, with
emoji and with typos. Everything downstream compares *folded* text: case-folded, accents and
umlauts stripped ("Käse" and "Kase" compare equal; "ß" becomes "ss"), emoji and punctuation
turned into spaces. Extractors that must keep the customer's own spelling (an inscription, a
name, an address) work on the original text and only use folding to find where to look.
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[a-z0-9]+")
_SPACES = re.compile(r"\s+")
# Typographic apostrophes and quotes that NFKC leaves alone, mapped to ASCII for matching.
_APOSTROPHES = str.maketrans(dict.fromkeys("\u2019\u2018\u02bc`\u00b4", "'"))


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced text that keeps punctuation.

    Umlauts lose their dots rather than becoming "ae": customers who cannot type "ü" write "u"
    as often as "ue", and the fuzzy matchers forgive the one-letter difference of the other.
    """
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip()


def words(text: str) -> list[str]:
    """The folded words and numbers of `text`: emoji and punctuation are separators."""
    return _WORD.findall(fold(text).replace("'", ""))


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of two
    neighbouring letters ("cheescake", "chcoolate") each cost one.

    With `limit`, the answer is only exact up to `limit`; anything above returns `limit + 1`
    early, which keeps matching a message against a whole menu cheap.
    """
    if a == b:
        return 0
    if limit is not None and abs(len(a) - len(b)) > limit:
        return limit + 1
    if limit is not None and len(set(a) ^ set(b)) > 2 * limit:
        return limit + 1  # each edit changes at most two letters of the alphabet used
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, previous2[j - 2] + 1)
            current[j] = best
        if limit is not None and min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def allowed_typos(word: str) -> int:
    """How many typos a word of this length may carry and still count as meant.

    Short words get none ("red" must not match "bed"), long ones a few: the rule of thumb used
    by search engines, and it keeps "cake" from matching "care" while "cheescake" still works.
    """
    n = len(word)
    if n <= 3:
        return 0
    if n <= 5:
        return 1
    if n <= 9:
        return 2
    return 3


def word_similarity(typed: str, known: str, *, prefix: bool = True) -> float:
    """How well a typed word stands for a known word, 0..1; 0 when it is too far off.

    A typed word of four or more letters that starts the known word counts as an abbreviation
    ("choc" for "chocolate", "schoko" for "schokolade") and scores 0.85, unless `prefix` is off.
    """
    if typed == known:
        return 1.0
    if not typed or not known:
        return 0.0
    limit = allowed_typos(known)
    distance = edit_distance(typed, known, limit)
    if distance <= limit:
        return 1.0 - distance / max(len(typed), len(known))
    if prefix and len(typed) >= 4 and known.startswith(typed):
        return 0.85
    return 0.0
