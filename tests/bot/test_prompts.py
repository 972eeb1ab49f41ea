"""Prompt templates: every file renders with the variables it uses, a missing variable fails
loudly, every template the code asks for exists, and a bot's override wins over the file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jinja2 import UndefinedError, meta

import snakecakes
from snakecakes.bot.prompts import PromptRegistry
from snakecakes.bot.prompts.registry import TEMPLATES

# a sample value for every variable a template may use; a new variable fails the test below
SAMPLES = {
    "shop_name": "Snake Cakes",
    "name": "Anna",
    "greeting": "Hello Anna!",
    "kind": "photo",
    "caption": "for the birthday",
    "count": 2,
    "where": "we are at the payment step.",
    # orders
    "number": "SC-1042",
    "total": "€38.00",
    "date": "2026-12-05",
    "time": "14:00",
    "method": "pickup",
    "cancel_hours": 48,
    "status": "ready",
    "note": "See you soon!",
    "extras": [{"name": "Birthday candles", "price": "€2.50"}],
    "opens": "tomorrow at 10:00",
    "summary": "*Your order at Snake Cakes*\n1 x Sachertorte 18 cm: €36.00",
    "menu_summary": "Celebration cakes (5, from €40.00)",
    "shop_phone": "+49 30 5557 2253",
    # the OpenAI engine's system prompt
    "hours": "- Monday: closed",
    "pickup_address": "Wiener Straße 14, 10999 Berlin",
    "delivery": "pickup only.",
    "inscription_max": 40,
    "menu": "- Sachertorte [sachertorte]: from €36.00",
    "today": "Sunday, 2026-11-22 (Europe/Berlin)",
}
# the offline engine's questions
SAMPLES |= {
    "product": "Red Velvet Cake",
    "option": "size",
    "options": "• 18 cm: serves 8 to 10, €44.00\n• 24 cm: serves 14 to 16, €66.00",
    "day": "Saturday 5 December 2026",
    "zones": "within about 12 km (Inner city €7.90).",
}
FILES = sorted(TEMPLATES.glob("*.j2"))


def _variables(path: Path) -> set[str]:
    registry = PromptRegistry()
    return set(meta.find_undeclared_variables(registry.env.parse(path.read_text())))


def test_the_registry_lists_every_template_file() -> None:
    assert PromptRegistry().names() == [f.stem for f in FILES]
    assert len(FILES) >= 10


@pytest.mark.parametrize("path", FILES, ids=lambda f: f.stem)
def test_every_template_renders_with_its_variables(path: Path) -> None:
    variables = _variables(path)
    assert variables <= set(SAMPLES), f"add samples for {variables - set(SAMPLES)}"
    text = PromptRegistry().render(path.stem, **{v: SAMPLES[v] for v in variables})
    assert text and text == text.strip()
    assert "{{" not in text and "{%" not in text
    for v in variables & {"shop_name", "where", "greeting", "kind"}:  # always shown
        assert str(SAMPLES[v]) in text


@pytest.mark.parametrize("path", [f for f in FILES if _variables(f)], ids=lambda f: f.stem)
def test_a_missing_variable_fails_loudly(path: Path) -> None:
    with pytest.raises(UndefinedError):
        PromptRegistry().render(path.stem)


def test_optional_parts_follow_their_variables() -> None:
    prompts = PromptRegistry()
    assert prompts.render("greeting", shop_name="S", name=None) == (
        "Hello! Welcome to S. How can I help you today?"
    )
    assert prompts.render("greeting", shop_name="S", name="Anna").startswith("Hello Anna!")
    assert "contacts" in prompts.render("contacts_received", count=2)
    assert "contact " in prompts.render("contacts_received", count=1)
    assert "(Bakery)" in prompts.render("location_received", name="Bakery")
    assert "(" not in prompts.render("location_received", name=None)
    assert '"' not in prompts.render("media_received", kind="photo", caption=None)


def test_every_template_the_code_asks_for_exists() -> None:
    source = Path(snakecakes.__file__).parent
    asked = set()
    for path in source.rglob("*.py"):
        text = path.read_text()
        asked |= set(re.findall(r"\bprompt\(\s*\"(\w+)\"", text))
        asked |= set(re.findall(r"\brender\(\s*\"(\w+)\"", text))
    assert asked >= {"stale_button", "help", "handoff", "apology"}  # the search works
    assert asked <= set(PromptRegistry().names())


def test_a_bot_s_override_wins_over_the_file() -> None:
    moin = "Moin{% if name %} {{ name }}{% endif %}, hier ist {{ shop_name }}!"
    overrides = {(7, "greeting"): moin}
    prompts = PromptRegistry(lambda bot_id, name: overrides.get((bot_id, name)))
    assert prompts.render("greeting", 7, shop_name="Torten Anna", name="Ben") == (
        "Moin Ben, hier ist Torten Anna!"
    )
    # other bots, other templates, and renders without a bot keep the file
    file_text = PromptRegistry().render("greeting", shop_name="Torten Anna", name="Ben")
    assert prompts.render("greeting", 8, shop_name="Torten Anna", name="Ben") == file_text
    assert prompts.render("greeting", shop_name="Torten Anna", name="Ben") == file_text
    assert prompts.render("handoff", 7, shop_name="X") == PromptRegistry().render(
        "handoff", shop_name="X"
    )


def test_an_override_is_strict_about_variables_too() -> None:
    prompts = PromptRegistry(lambda bot_id, name: "Hi {{ nickname }}")
    with pytest.raises(UndefinedError):
        prompts.render("greeting", 1, shop_name="S", name=None)


def test_defaults_fill_in_and_variables_win_over_them() -> None:
    prompts = PromptRegistry(defaults={"shop_name": "Snake Cakes"})
    assert "from Snake Cakes" in prompts.render("handoff")
    assert "from Other" in prompts.render("handoff", shop_name="Other")
