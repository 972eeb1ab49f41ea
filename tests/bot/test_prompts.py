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
