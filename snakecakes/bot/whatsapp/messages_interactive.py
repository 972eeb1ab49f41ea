"""Builders for interactive messages: reply buttons, lists, a URL button, a location request.

These carry the tightest limits (20-character button titles, 24-character row titles), which an
LLM-written menu breaks easily; every limit is checked here, before any request, and the error
names the limit and the offending value. Import them from ``messages``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from snakecakes.bot.whatsapp.errors import InvalidMessageError
from snakecakes.bot.whatsapp.message_base import (
    LIMITS,
    Body,
    Limits,
    check_text,
    envelope,
)


@dataclass(frozen=True)
class Row:
    """One choice in a list message; ``id`` comes back in the ``list_reply`` webhook."""

    id: str
    title: str
    description: str | None = None


@dataclass(frozen=True)
class Section:
    """A titled group of rows; the title may be left out only when there is one section."""

    title: str | None
    rows: Sequence[Row]


def _interactive(
    kind: str,
    body: str,
    action: Body,
    *,
    header: str | None,
    footer: str | None,
    body_limit: int,
    limits: Limits,
) -> Body:
    check_text(f"{kind} body", body, body_limit)
    interactive: Body = {"type": kind}
    if header is not None:
        check_text(f"{kind} header", header, limits.header)
        interactive["header"] = {"type": "text", "text": header}
    interactive["body"] = {"text": body}
    if footer is not None:
        check_text(f"{kind} footer", footer, limits.footer)
        interactive["footer"] = {"text": footer}
    interactive["action"] = action
    return interactive


def _check_id(what: str, value: str, limit: int) -> None:
    check_text(what, value, limit)
    if value != value.strip():
        raise InvalidMessageError(f"{what} {value!r} must not start or end with spaces")


def _check_unique(what: str, values: Sequence[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise InvalidMessageError(f"{what} {value!r} is used twice; they must be unique")
        seen.add(value)


def buttons(
    to: str,
    body: str,
    buttons: Sequence[tuple[str, str]],
    *,
    header: str | None = None,
    footer: str | None = None,
    reply_to: str | None = None,
    limits: Limits = LIMITS,
) -> Body:
    """Up to three reply buttons given as ``(id, title)``; a tap returns ``button_reply.id``."""
    if not 1 <= len(buttons) <= limits.buttons:
        raise InvalidMessageError(
            f"{len(buttons)} reply buttons; WhatsApp allows 1 to {limits.buttons}"
        )
    for button_id, title in buttons:
        _check_id("button id", button_id, limits.button_id)
        check_text("button title", title, limits.button_title)
    _check_unique("button id", [b[0] for b in buttons])
    _check_unique("button title", [b[1].strip() for b in buttons])
    action = {"buttons": [{"type": "reply", "reply": {"id": i, "title": t}} for i, t in buttons]}
    payload = _interactive(
        "button",
        body,
        action,
        header=header,
        footer=footer,
        body_limit=limits.interactive_body,
        limits=limits,
    )
    return envelope(to, "interactive", payload, reply_to=reply_to)


def _row(row: Row, limits: Limits) -> dict[str, str]:
    _check_id("row id", row.id, limits.row_id)
    check_text("row title", row.title, limits.row_title)
    out = {"id": row.id, "title": row.title}
    if row.description is not None:
        check_text("row description", row.description, limits.row_description)
        out["description"] = row.description
    return out


def list_message(
    to: str,
    body: str,
    button: str,
    sections: Sequence[Section],
    *,
    header: str | None = None,
    footer: str | None = None,
    reply_to: str | None = None,
    limits: Limits = LIMITS,
) -> Body:
    """A list behind a button: 1 to 10 rows in total, spread over at most 10 sections."""
    check_text("list button", button, limits.list_button)
    if not 1 <= len(sections) <= limits.list_sections:
        raise InvalidMessageError(
            f"{len(sections)} list sections; WhatsApp allows 1 to {limits.list_sections}"
        )
    total = sum(len(s.rows) for s in sections)
    if not 1 <= total <= limits.list_rows:
        raise InvalidMessageError(
            f"{total} list rows in total; WhatsApp allows 1 to {limits.list_rows}"
        )
    out_sections: list[Body] = []
    for section in sections:
        if not section.rows:
            raise InvalidMessageError(f"list section {section.title!r} has no rows")
        out: Body = {}
        if section.title is not None:
            check_text("section title", section.title, limits.section_title)
            out["title"] = section.title
        elif len(sections) > 1:
            raise InvalidMessageError("every section needs a title when there are several")
        out["rows"] = [_row(r, limits) for r in section.rows]
        out_sections.append(out)
    _check_unique("row id", [r.id for s in sections for r in s.rows])
    action = {"button": button, "sections": out_sections}
    payload = _interactive(
        "list",
        body,
        action,
        header=header,
        footer=footer,
        body_limit=limits.list_body,
        limits=limits,
    )
    return envelope(to, "interactive", payload, reply_to=reply_to)


def cta_url(
    to: str,
    body: str,
    display_text: str,
    url: str,
    *,
    header: str | None = None,
    footer: str | None = None,
    reply_to: str | None = None,
    limits: Limits = LIMITS,
) -> Body:
    """A button that opens ``url``: a tidier alternative to a bare link in the text."""
    check_text("URL button text", display_text, limits.cta_display_text)
    if not url.startswith(("https://", "http://")) or any(ch.isspace() for ch in url):
        raise InvalidMessageError(f"URL button link {url!r} must be an http(s) URL")
    action = {"name": "cta_url", "parameters": {"display_text": display_text, "url": url}}
    payload = _interactive(
        "cta_url",
        body,
        action,
        header=header,
        footer=footer,
        body_limit=limits.interactive_body,
        limits=limits,
    )
    return envelope(to, "interactive", payload, reply_to=reply_to)


def location_request(
    to: str, body: str, *, reply_to: str | None = None, limits: Limits = LIMITS
) -> Body:
    """Ask the customer to share a location; the answer arrives as a ``location`` message."""
    check_text("location request body", body, limits.interactive_body)
    payload = {
        "type": "location_request_message",
        "body": {"text": body},
        "action": {"name": "send_location"},
    }
    return envelope(to, "interactive", payload, reply_to=reply_to)
