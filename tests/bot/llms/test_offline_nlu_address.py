"""German delivery addresses and pasted map coordinates."""

from __future__ import annotations

import pytest

from snakecakes.bot.llms.offline_nlu import Address, extract_address, extract_coordinates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Kastanienallee 12, 10435 Berlin",
            Address("Kastanienallee", "12", "10435", "Berlin"),
        ),
        (
            "please deliver to kastanienallee 12 10435 berlin",
            Address("kastanienallee", "12", "10435", "berlin"),
        ),
        ("Karl-Marx-Str. 5a, 12043 Berlin", Address("Karl-Marx-Str.", "5a", "12043", "Berlin")),
        ("Unter den Linden 77", Address("Unter den Linden", "77")),
        ("Am Kupfergraben 6, 10117 Berlin", Address("Am Kupfergraben", "6", "10117", "Berlin")),
        ("Frankfurter Allee 5", Address("Frankfurter Allee", "5")),
        ("Im Weidenweg 5", Address("Weidenweg", "5")),
        (
            "Ich wohne in der Hauptstraße 5, 80331 München",
            Address("Hauptstraße", "5", "80331", "München"),
        ),
        (
            "Goethestraße 12-14, 60313 Frankfurt am Main",
            Address("Goethestraße", "12-14", "60313", "Frankfurt am Main"),
        ),
        (
            "Marktplatz 1, 06108 Halle (Saale)",
            Address("Marktplatz", "1", "06108", "Halle (Saale)"),
        ),
        ("Kurfürstenring 3, 55118 Mainz", Address("Kurfürstenring", "3", "55118", "Mainz")),
        ("10435", Address(postcode="10435")),
        ("PLZ: 10435", Address(postcode="10435")),
        ("10435 Berlin please", Address(postcode="10435", city="Berlin")),
        ("Hauptstr. 5 um 15 Uhr", Address("Hauptstr.", "5")),
    ],
)
def test_address(text: str, expected: Address) -> None:
    assert extract_address(text) == expected


def test_address_completeness_and_formatting() -> None:
    full = extract_address("kastanienallee 12 10435 berlin")
    assert full is not None and full.complete
    assert str(full) == "kastanienallee 12, 10435 berlin"
    street_only = extract_address("Unter den Linden 77")
    assert street_only is not None and not street_only.complete
    assert str(Address(postcode="10435")) == "10435"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        "catering 20 people",
        "Kurfürstenring 3",  # "-ring" needs a postcode after it
        "Am Samstag 3 Torten",
        "bring 2 cakes",
        "call me at 0170 12345 67",
        "for 12 people at 15:00",
        "order 12345",
        "Bestellnr. 12345",
        "my order number is 12345 and I want to change it",
        "Kastanienallee",
    ],
)
def test_no_address(text: str) -> None:
    assert extract_address(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://maps.google.com/?q=52.5200,13.4050", (52.52, 13.405)),
        ("https://www.google.com/maps/@52.5200066,13.404954,15z", (52.5200066, 13.404954)),
        ("https://maps.apple.com/?ll=52.5200,13.4050&q=Pin", (52.52, 13.405)),
        ("I'm at 52.52001, 13.40495", (52.52001, 13.40495)),
    ],
)
def test_coordinates(text: str, expected: tuple[float, float]) -> None:
    assert extract_coordinates(text) == expected


@pytest.mark.parametrize("text", ["", "hello", "1.5, 2.5", "12.50 €", "99.12345, 13.40495"])
def test_no_coordinates(text: str) -> None:
    assert extract_coordinates(text) is None
