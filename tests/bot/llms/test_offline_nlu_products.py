"""Products and options by name, with typos, German and Spanish words, in any order."""

from __future__ import annotations

import pytest

from snakecakes.bot.llms.offline_nlu import (
    Match,
    ProductName,
    canonical_words,
    match_option,
    match_product,
)

MENU = [
    ProductName("chocolate-fudge", "Chocolate Fudge Cake"),
    ProductName("chocolate-raspberry", "Chocolate Raspberry Cake"),
    ProductName("cheesecake", "New York Cheesecake", ("Käsekuchen",)),
    ProductName("red-velvet", "Red Velvet Cake"),
    ProductName("carrot", "Carrot Cake", ("Rüblitorte",)),
    ProductName("black-forest", "Black Forest Cake"),
    ProductName("lemon-tart", "Lemon Tart"),
    ProductName("sacher", "Sachertorte"),
    ProductName("tiramisu", "Tiramisu"),
]


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Chocolate Fudge Cake", "chocolate-fudge"),
        ("chocolat fudge", "chocolate-fudge"),
        ("fudge chocolate please", "chocolate-fudge"),
        ("CHOC FUDGE", "chocolate-fudge"),
        ("choclate rasberry", "chocolate-raspberry"),
        ("Schoko-Himbeer-Torte", "chocolate-raspberry"),
        ("cheescake", "cheesecake"),
        ("cheese cake", "cheesecake"),
        ("Käsekuchen", "cheesecake"),
        ("kasekuchen bitte", "cheesecake"),
        ("tarta de queso", "cheesecake"),
        ("red velvett", "red-velvet"),
        ("Velvet red", "red-velvet"),
        ("redvelvet", "red-velvet"),
        ("carot cake", "carrot"),
        ("Karottenkuchen", "carrot"),
        ("Rüblitorte", "carrot"),
        ("Schwarzwälder Kirschtorte", "black-forest"),
        ("sacher torte", "sacher"),
        ("tirmisu", "tiramisu"),
        ("I want the choc fudge cake for saturday, 2 of them", "chocolate-fudge"),
    ],
)
def test_products_despite_typos_and_languages(text: str, slug: str) -> None:
    match = match_product(text, MENU)
    assert match is not None, text
    assert match.slug == slug
    assert not match.ambiguous


def test_exact_names_score_one_and_typos_less() -> None:
    exact = match_product("red velvet", MENU)
    typo = match_product("red velvett", MENU)
    assert exact is not None and typo is not None
    assert exact.score == 1.0
    assert 0.75 < typo.score < 1.0


@pytest.mark.parametrize(
    ("text", "alternatives"),
    [
        ("chocolate", {"chocolate-fudge", "chocolate-raspberry"}),
        ("Schokotorte", {"chocolate-fudge", "chocolate-raspberry"}),
        ("a chocolate one please", {"chocolate-fudge", "chocolate-raspberry"}),
    ],
)
def test_two_close_candidates_are_ambiguous(text: str, alternatives: set[str]) -> None:
    match = match_product(text, MENU)
    assert match is not None
    assert match.ambiguous
    assert {match.slug, *match.alternatives} == alternatives


def test_a_more_complete_name_wins_over_a_shorter_one() -> None:
    menu = [ProductName("choc", "Chocolate Cake"), *MENU]
    assert match_product("chocolate fudge", menu) == Match(
        "chocolate-fudge", "Chocolate Fudge Cake", 1.0
    )
    assert match_product("Schokotorte", menu) == Match("choc", "Chocolate Cake", 1.0)
    assert match_product("chocolate cake", menu) == Match("choc", "Chocolate Cake", 1.0)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        "strawberry cake",
        "my son's teacher",
        "for saturday at 3pm",
        "a cake",
        "red",
    ],
)
def test_no_product(text: str) -> None:
    menu = [p for p in MENU if p.slug != "red-velvet"]
    assert match_product(text, menu) is None


def test_canonical_words_translate_and_split_compounds() -> None:
    assert canonical_words("Schokotorten") == ["chocolate", "cake"]
    assert canonical_words("Erdbeerkuchen mit Sahne") == ["strawberry", "cake", "mit", "cream"]
    assert canonical_words("Raspberries") == ["raspberry"]


SIZES = [
    ProductName("small", "Small (18 cm)"),
    ProductName("medium", "Medium (24 cm)"),
    ProductName("large", "Large (30 cm)"),
]
NUMBERED = [
    ProductName("d18", "18 cm"),
    ProductName("d24", "24 cm"),
    ProductName("d30", "30 cm"),
]


@pytest.mark.parametrize(
    ("text", "named", "numbered"),
    [
        ("small", "small", "d18"),
        ("klein", "small", "d18"),
        ("pequeña", "small", "d18"),
        ("large", "large", "d30"),
        ("the big one", "large", "d30"),
        ("die große", "large", "d30"),
        ("grande", "large", "d30"),
        ("medium", "medium", "d24"),
        ("mittel", "medium", "d24"),
        ("24cm", "medium", "d24"),
        ("24 cm", "medium", "d24"),
        ("den 24er", "medium", "d24"),
        ("24", "medium", "d24"),
        ("the second one", "medium", "d24"),
        ("die letzte", "large", "d30"),
        ("Larg", "large", "d30"),
    ],
)
def test_sizes(text: str, named: str, numbered: str) -> None:
    by_name = match_option(text, SIZES)
    by_number = match_option(text, NUMBERED)
    assert by_name is not None and by_number is not None, text
    assert (by_name.slug, by_number.slug) == (named, numbered)


FILLINGS = [
    ProductName("vanilla", "Vanilla cream"),
    ProductName("raspberry", "Raspberry"),
    ProductName("salted-caramel", "Salted caramel", ("Karamell",)),
    ProductName("lemon-curd", "Lemon curd"),
]


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("vanilla", "vanilla"),
        ("Vanille bitte", "vanilla"),
        ("with raspberry filling", "raspberry"),
        ("Himbeerfüllung", "raspberry"),
        ("salted caramell", "salted-caramel"),
        ("Karamell", "salted-caramel"),
        ("caramel", "salted-caramel"),
        ("zitrone", "lemon-curd"),
    ],
)
def test_fillings_and_flavours(text: str, slug: str) -> None:
    match = match_option(text, FILLINGS)
    assert match is not None, text
    assert match.slug == slug


@pytest.mark.parametrize("text", ["", "chocolate", "the 36 cm one", "huge please", "xyz"])
def test_no_option(text: str) -> None:
    assert match_option(text, FILLINGS) is None
    if "36" in text:
        assert match_option(text, SIZES) is None


def test_one_whole_word_of_a_name_with_a_typo_still_names_it() -> None:
    # found by the offline engine: "cheescake" named no cheesecake at all
    cheesecakes = [
        ProductName("new-york-cheesecake", "New York Cheesecake"),
        ProductName("berliner-kaesekuchen", "Berlin Quark Cheesecake"),
    ]
    match = match_product("do you have cheescake?", cheesecakes)
    assert match is not None and match.ambiguous
    assert {match.slug, *match.alternatives} == {"new-york-cheesecake", "berliner-kaesekuchen"}


def test_a_number_decides_between_options_that_share_their_words() -> None:
    # found by the offline engine: "box of 12" was an ambiguous "box"
    boxes = [ProductName("box-6", "Box of 6"), ProductName("box-12", "Box of 12")]
    match = match_option("box of 12", boxes)
    assert match is not None and match.slug == "box-12" and not match.ambiguous
