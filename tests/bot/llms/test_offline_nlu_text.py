"""Text helpers, and every understanding function on odd input: no exceptions, right types."""

from __future__ import annotations

import random
import string
from datetime import datetime

import pytest

from snakecakes.bot.llms import offline_nlu as nlu
from snakecakes.bot.llms.offline_nlu.text import edit_distance, fold, word_similarity, words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Käsekuchen", "kasekuchen"),
        ("GROẞE Straße", "grosse strasse"),
        ("  Crème   brûlée ", "creme brulee"),
        ("I’m", "i'm"),  # noqa: RUF001 - a typographic apostrophe
        ("Ｆｕｌｌｗｉｄｔｈ", "fullwidth"),  # noqa: RUF001 - full-width letters
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


def test_words_drop_punctuation_and_emoji() -> None:
    assert words("Hi!! 🎂 I'd like 2 cakes, please.") == [
        "hi",
        "id",
        "like",
        "2",
        "cakes",
        "please",
    ]


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("cheescake", "cheesecake", 1),
        ("chcoolate", "chocolate", 1),  # a swap of neighbours is one typo
        ("velvett", "velvet", 1),
        ("kitten", "sitting", 3),
        ("", "abc", 3),
        ("same", "same", 0),
    ],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance
    assert edit_distance(b, a) == distance


def test_edit_distance_stops_early_above_the_limit() -> None:
    assert edit_distance("abcdefgh", "zyxwvuts", limit=2) == 3
    assert edit_distance("kitten", "sitting", limit=3) == 3


@pytest.mark.parametrize(
    ("typed", "known", "at_least", "at_most"),
    [
        ("chocolate", "chocolate", 1.0, 1.0),
        ("chocolat", "chocolate", 0.85, 0.9),
        ("choc", "chocolate", 0.85, 0.85),  # an abbreviation
        ("red", "bed", 0.0, 0.0),  # short words must be exact
        ("cake", "care", 0.75, 0.75),  # one typo in four letters is allowed
        ("teacher", "sacher", 0.0, 0.74),  # below the product matcher's 0.75
    ],
)
def test_word_similarity(typed: str, known: str, at_least: float, at_most: float) -> None:
    assert at_least <= word_similarity(typed, known) <= at_most


def _random_messages() -> list[str]:
    rnd = random.Random(20260610)
    alphabet = string.ascii_letters + string.digits + " .,:/-'\"„“!?äöüß€@#\n🎂👍"
    messages = [
        "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 200))) for _ in range(60)
    ]
    return [*messages, "1." * 500, "write " * 300, "Straße 1 " * 200, "chocolate " * 400]


def test_every_function_takes_any_text() -> None:
    now = datetime(2026, 6, 10, 11, tzinfo=nlu.BERLIN)
    menu = [nlu.ProductName("fudge", "Chocolate Fudge Cake"), nlu.ProductName("rv", "Red Velvet")]
    for text in _random_messages():
        assert isinstance(nlu.parse_when(text, now), nlu.When | None)
        assert isinstance(nlu.parse_time(text), nlu.TimeOfDay | None)
        assert isinstance(nlu.parse_servings(text), int | None)
        assert isinstance(nlu.parse_quantity(text), int | None)
        assert isinstance(nlu.match_product(text, menu), nlu.Match | None)
        assert isinstance(nlu.match_option(text, menu), nlu.Match | None)
        assert isinstance(nlu.detect_intent(text), nlu.Intent)
        assert isinstance(nlu.extract_inscription(text), str | None)
        assert isinstance(nlu.extract_name(text), str | None)
        assert isinstance(nlu.extract_address(text), nlu.Address | None)
        assert isinstance(nlu.extract_allergy_notes(text), nlu.DietaryNote | None)
        assert isinstance(nlu.extract_coordinates(text), tuple | None)
