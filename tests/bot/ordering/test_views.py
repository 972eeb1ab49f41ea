"""Button titles of suggested extras: within WhatsApp's 20 characters, cut at a word."""

from __future__ import annotations

import pytest

from snakecakes.bot.ordering.views import button_title


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("Birthday candles (pack of 12)", "Add Birthday candles"),
        ("Cake sparklers (pack of 4)", "Add Cake sparklers"),
        ("Chocolate plaque with your words", "Add Chocolate plaque"),
        ("Supercalifragilisticexpialidocious", "Add Supercalifragili"),
    ],
)
def test_titles_fit_and_read_well(name: str, title: str) -> None:
    assert button_title(name) == title
    assert len(title) <= 20
