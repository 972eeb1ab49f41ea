"""Check an outbound send body the way Meta's Graph API would, before it leaves the building.

The fake Graph API (and any test) calls :func:`validate_send_body` on every
``POST /{version}/{phone_number_id}/messages`` body, so a bot that builds a 4th reply button or a
21-character title fails in our tests exactly where it would fail against Meta, with a reason that
names the offending field. The schema is Meta's own OpenAPI description (vendored under
``openapi/``) with the overlay from :mod:`snakecakes.simulator.openapi_schema`; a few rules that
JSON Schema cannot say (unique button titles, at most 10 list rows in total) are checked here.

Cost: the first call parses the 1 MB YAML (~0.5 s, once per process; call :func:`warm_up` early
to take it off the first request); after that a typical body validates in tens of microseconds.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from snakecakes.simulator.openapi_schema import send_schemas

MAX_LIST_ROWS = 10

_lock = threading.Lock()
_validators: tuple[dict[str, Draft202012Validator], Draft202012Validator] | None = None


class SendBodyInvalid(ValueError):
    """A send body Meta would refuse (Graph error code 100). ``path`` is like
    ``interactive.action.buttons[3]`` ("" for the body itself); ``reason`` says what failed."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)


def is_mark_read(body: Mapping[str, Any]) -> bool:
    """True for a mark-as-read (or typing indicator) body rather than a message."""
    return "status" in body and "type" not in body


def warm_up() -> None:
    """Parse the schema now rather than on the first validation."""
    _compiled()


def validate_send_body(body: dict[str, Any]) -> None:
    """Raise :class:`SendBodyInvalid` unless ``body`` is a valid message or mark-as-read body."""
    if not isinstance(body, dict):
        raise SendBodyInvalid("", f"the body must be a JSON object, not {type(body).__name__}")
    kinds, mark_read = _compiled()
    if is_mark_read(body):
        _raise_first(mark_read.iter_errors(body))
        return
    kind = body.get("type", "text")  # Meta's default
    validator = kinds.get(kind) if isinstance(kind, str) else None
    if validator is None:
        names = sorted(k for k in kinds if "/" not in k)
        raise SendBodyInvalid("type", f"{_clip(repr(kind), 60)} is not one of {names}")
    if kind == "interactive":
        inter = body.get("interactive")
        sub = inter.get("type") if isinstance(inter, dict) else None
        validator = (
            kinds.get(f"interactive/{sub}", validator) if isinstance(sub, str) else validator
        )
    _raise_first(validator.iter_errors(body))
    if kind == "interactive":
        _check_interactive(body["interactive"])


def _compiled() -> tuple[dict[str, Draft202012Validator], Draft202012Validator]:
    global _validators
    with _lock:
        if _validators is None:
            kinds, mark_read = send_schemas()
            _validators = (
                {name: Draft202012Validator(schema) for name, schema in kinds.items()},
                Draft202012Validator(mark_read),
            )
        return _validators


def _check_interactive(inter: dict[str, Any]) -> None:
    """Rules from Meta's docs that JSON Schema cannot express (uniqueness, totals)."""
    action = inter["action"]
    if inter["type"] == "button":
        buttons = action["buttons"]
        _unique([b["reply"]["title"] for b in buttons], "interactive.action.buttons", "title")
        _unique([b["reply"]["id"] for b in buttons], "interactive.action.buttons", "id")
    elif inter["type"] == "list":
        rows = [row for section in action["sections"] for row in section.get("rows", [])]
        if len(rows) > MAX_LIST_ROWS:
            raise SendBodyInvalid(
                "interactive.action.sections",
                f"{len(rows)} rows in total, at most {MAX_LIST_ROWS} allowed",
            )
        _unique([row["id"] for row in rows], "interactive.action.sections", "row id")
        if len(action["sections"]) > 1:
            for i, section in enumerate(action["sections"]):
                if not section.get("title"):
                    raise SendBodyInvalid(
                        f"interactive.action.sections[{i}]",
                        "a title is required when there are several sections",
                    )


def _unique(values: list[str], path: str, what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise SendBodyInvalid(path, f"duplicate {what} {value!r}; each must be unique")
        seen.add(value)


def _raise_first(errors: Iterable[ValidationError]) -> None:
    for error in errors:  # the first error, in schema order: stable and cheap
        raise SendBodyInvalid(_path(error), _describe(error))


def _path(error: ValidationError) -> str:
    out = ""
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe(error: ValidationError) -> str:
    """A short reason; jsonschema's own messages repeat the whole (possibly huge) instance."""
    limit, value, kind = error.validator_value, error.instance, error.validator
    if kind in ("maxLength", "minLength") and isinstance(value, str):
        bound = "at most" if kind == "maxLength" else "at least"
        return f"{len(value)} characters, {bound} {limit} allowed"
    if kind in ("maxItems", "minItems") and isinstance(value, list):
        bound = "at most" if kind == "maxItems" else "at least"
        return f"{len(value)} items, {bound} {limit} allowed"
    if kind in ("anyOf", "oneOf"):
        what = error.schema.get("description") if isinstance(error.schema, dict) else None
        inner = best_match(error.context or [])
        if inner is None or inner.validator == "required":
            return str(what) if what else _clip(error.message)
        detail = f"{_path(inner) or '(body)'}: {_describe(inner)}"
        return f"{what} ({detail})" if what else detail
    if kind == "const":
        return f"must be {limit!r}, got {_clip(repr(value), 60)}"
    if kind == "type":
        return f"{_clip(repr(value), 60)} is not of type {limit!r}"
    return _clip(error.message)


def _clip(text: str, size: int = 200) -> str:
    return text if len(text) <= size else text[: size - 3] + "..."
