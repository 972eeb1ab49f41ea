"""Servings and quantities for the offline engine."""

from __future__ import annotations

import pytest

from snakecakes.bot.llms.offline_nlu import parse_quantity, parse_servings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("for 12 people", 12),
        ("12 guests", 12),
        ("für 12 Personen", 12),
        ("fur 12 personen", 12),
        ("serves 8", 8),
        ("it should feed about 20", 20),
        ("a cake for 12", 12),
        ("for twelve", 12),
        ("für zwölf Leute", 12),
        ("para diez personas", 10),
        ("para 15", 15),
        ("10-12 people", 12),  # a range: the upper end
        ("for 10 to 15 guests", 15),
        ("a party of 8", 8),
        ("we are 30 persons", 30),
        ("enough for a dozen people", 12),
        ("2 cakes for 12 people", 12),
    ],
)
def test_servings(text: str, expected: int) -> None:
    assert parse_servings(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2 cakes",
        "for 12:00",
        "for 3pm",
        "for saturday",
        "for 2 cakes",
        "for 3 days",
        "the 24 cm one",
        "for 25 euro",
        "hello",
    ],
)
def test_no_servings(text: str) -> None:
    assert parse_servings(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 cakes", 2),
        ("two", 2),
        ("2", 2),
        ("zwei", 2),
        ("Zwei Schokotorten bitte", 2),
        ("dos tartas", 2),
        ("a dozen", 12),
        ("a dozen cupcakes", 12),
        ("2 dozen cupcakes", 24),
        ("half a dozen", 6),
        ("ein halbes Dutzend", 6),
        ("x3", 3),
        ("3x", 3),
        ("3 x red velvet", 3),
        ("I'll take three", 3),
        ("I need 2.", 2),
        ("one cake please", 1),
        ("eine Torte", 1),
        ("once tartas", 11),
        ("2 cakes for 12 people", 2),
        ("3 of them", 3),
    ],
)
def test_quantity(text: str, expected: int) -> None:
    assert parse_quantity(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a chocolate cake",  # "a" is left to the engine's default of one
        "the big one",
        "for 12 people",
        "the 24 cm one",
        "24cm",
        "3pm",
        "15 Uhr",
        "at two",
        "on the 25th",
        "25 December",
        "25.12.",
        "Kastanienallee 12, 10435 Berlin",
        "call me at 0170 123 45 67",
        "he turns 5",
        "in 3 days",
        "500",
        "once again",
        "10 euro",
    ],
)
def test_no_quantity(text: str) -> None:
    assert parse_quantity(text) is None


def test_a_box_size_is_not_a_quantity() -> None:
    # found by the offline engine: "a cupcake box of 12" asked for twelve boxes
    assert parse_quantity("a classic cupcake box of 12, chocolate") is None
    assert parse_quantity("2 boxes of 6 please") == 2
