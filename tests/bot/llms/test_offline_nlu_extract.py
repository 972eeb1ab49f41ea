"""Inscriptions, names and dietary notes, kept as the customer wrote them."""

from __future__ import annotations

import pytest

from snakecakes.bot.llms.offline_nlu import (
    DietaryNote,
    extract_allergy_notes,
    extract_inscription,
    extract_name,
    wants_no_inscription,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write 'Happy Birthday Anna' on it", "Happy Birthday Anna"),
        ('Please write "Happy Birthday Anna" on the cake', "Happy Birthday Anna"),
        ("inscription: Alles Gute", "Alles Gute"),
        ("Aufschrift: Alles Gute zum 60.!", "Alles Gute zum 60.!"),
        ("„Happy 30th“", "Happy 30th"),
        ("Text drauf: „Alles Liebe, Oma“", "Alles Liebe, Oma"),
        ("«Feliz cumpleaños»", "Feliz cumpleaños"),
        ('"Happy Mother\'s Day"', "Happy Mother's Day"),
        ("„Mama’s Tag“ bitte drauf", "Mama’s Tag"),  # noqa: RUF001 - a typographic apostrophe
        ("write Happy Birthday Anna on it", "Happy Birthday Anna"),
        ("can you write happy birthday on the cake please?", "happy birthday"),
        ("Schreibt bitte Alles Gute Oma drauf", "Alles Gute Oma"),
        ("with the text Happy 30th, please", "Happy 30th"),
        ("mit der Aufschrift Alles Gute zum Geburtstag!", "Alles Gute zum Geburtstag!"),
        ("que diga Feliz cumpleaños Ana", "Feliz cumpleaños Ana"),
        ("please write: Congrats Tom! Pickup Saturday.", "Congrats Tom!"),
        ("Inscription: Happy Birthday\nPickup on Saturday", "Happy Birthday"),
    ],
)
def test_inscription(text: str, expected: str) -> None:
    assert extract_inscription(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no inscription",
        "inscription: none",
        'I want the "big" size',
        "Anna's cake for Tom's party",
        "I'll write you later",
        "chocolate cake for saturday",
    ],
)
def test_no_inscription(text: str) -> None:
    assert extract_inscription(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no inscription please", True),
        ("ohne Aufschrift", True),
        ("keine Schrift", True),
        ("sin texto", True),
        ("nothing", True),
        ("inscription: none", True),
        ("write Happy Birthday on it", False),
        ("no nuts", False),
    ],
)
def test_wants_no_inscription(text: str, expected: bool) -> None:
    assert wants_no_inscription(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my name is Anna Schmidt", "Anna Schmidt"),
        ("My name is anna schmidt and I want a cake", "Anna Schmidt"),
        ("I'm Anna", "Anna"),
        ("I’m Tom, hi!", "Tom"),  # noqa: RUF001 - a typographic apostrophe
        ("Name: Tom Becker", "Tom Becker"),
        ("ich heiße Jörg Müller-Lüdenscheidt", "Jörg Müller-Lüdenscheidt"),
        ("Mein Name ist Özlem Yılmaz.", "Özlem Yılmaz"),  # noqa: RUF001 - Turkish dotless i
        ("Ich bin Lena", "Lena"),
        ("Hier ist Frau Weber", "Frau Weber"),
        ("me llamo Ana García", "Ana García"),
        ("This is Maria from the office", "Maria"),
    ],
)
def test_name(text: str, expected: str) -> None:
    assert extract_name(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        "I'm looking for a cake",
        "I am allergic to nuts",
        "Ich bin Vegetarier",
        "Ich bin Samstag da",
        "Im Laden abholen",
        "this is great",
    ],
)
def test_no_name(text: str) -> None:
    assert extract_name(text) is None


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("no nuts", ("nuts",)),
        ("nut allergy", ("nuts",)),
        ("Nussallergie", ("nuts",)),
        ("nut-free please", ("nuts",)),
        ("my daughter is allergic to peanuts", ("peanuts",)),
        ("Erdnussallergie!", ("peanuts",)),
        ("glutenfrei bitte", ("gluten",)),
        ("gluten free", ("gluten",)),
        ("she is coeliac", ("gluten",)),
        ("sin gluten y sin lactosa", ("dairy", "gluten")),
        ("lactose intolerant", ("dairy",)),
        ("ohne Ei", ("eggs",)),
        ("eifrei und laktosefrei", ("dairy", "eggs")),
        ("vegan please", ("vegan",)),
        ("without any nuts or sesame", ("nuts", "sesame")),
        ("kein Alkohol, es ist für Kinder", ("alcohol",)),
        ("my son has allergies", ()),
    ],
)
def test_dietary_notes(text: str, tags: tuple[str, ...]) -> None:
    note = extract_allergy_notes(text)
    assert note is not None, text
    assert note.tags == tags


def test_dietary_note_keeps_only_the_relevant_sentences() -> None:
    text = "Chocolate cake for Saturday. No nuts please! Pickup at 3."
    assert extract_allergy_notes(text) == DietaryNote(("nuts",), "No nuts please!")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no thanks",
        "hazelnut filling please",
        "chocolate nut cake",
        "Milchschokolade",
        "Eis bitte",
        "no, the large one",
    ],
)
def test_no_dietary_notes(text: str) -> None:
    assert extract_allergy_notes(text) is None
