"""Every fixed sentence the bot says comes from a template here, so a shop can reword it.

Templates are files beside this module; a bot may override one (the overrides mapping, which the
admin side fills from the database). Undefined variables fail loudly in tests (StrictUndefined),
never silently render as empty text to a customer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"

Overrides = Callable[[int, str], str | None]


def _no_overrides(bot_id: int, name: str) -> str | None:
    return None


class PromptRegistry:
    def __init__(
        self, overrides: Overrides = _no_overrides, defaults: Mapping[str, Any] | None = None
    ) -> None:
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            undefined=StrictUndefined,
            autoescape=select_autoescape(default=False),
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.overrides = overrides
        self.defaults = dict(defaults or {})

    def names(self) -> list[str]:
        return sorted(p.stem for p in TEMPLATES.glob("*.j2"))

    def render(self, template_name: str, bot_id: int | None = None, /, **variables: Any) -> str:
        source = self.overrides(bot_id, template_name) if bot_id is not None else None
        template = (
            self.env.from_string(source) if source else self.env.get_template(f"{template_name}.j2")
        )
        return template.render(**{**self.defaults, **variables}).strip()
