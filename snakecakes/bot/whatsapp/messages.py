"""Builders for outbound ``POST /{phone_number_id}/messages`` bodies.

Each builder returns the JSON body as a dict and checks Meta's published limits first, raising
``InvalidMessageError`` that names the limit. A body Meta would refuse (error 100, 131008, 131009)
is a bug we want to find in a unit test, not in a failed-status webhook an hour later. The limits
live in ``Limits`` so that a change on Meta's side is a one-line change here.

Lengths are counted in Unicode code points (``len``), as JSON Schema ``maxLength`` does; Meta does
not publish how it counts emoji. The shared helpers live in ``message_base`` and the interactive
builders in ``messages_interactive``; both are re-exported here, so callers need only this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from snakecakes.bot.whatsapp.errors import InvalidMessageError
from snakecakes.bot.whatsapp.message_base import (
    LIMITS,
    Body,
    Limits,
    address,
    check_length,
    check_text,
    envelope,
)
from snakecakes.bot.whatsapp.messages_interactive import (
    Row,
    Section,
    buttons,
    cta_url,
    list_message,
    location_request,
)

MEDIA_KINDS = ("image", "document", "audio", "video", "sticker")
_NO_CAPTION = ("audio", "sticker")


def text(
    to: str,
    body: str,
    *,
    preview_url: bool = False,
    reply_to: str | None = None,
    limits: Limits = LIMITS,
) -> Body:
    """A text message. Longer texts must be split first (``formatting.split_text``)."""
    check_text("text body", body, limits.text_body)
    return envelope(to, "text", {"preview_url": preview_url, "body": body}, reply_to=reply_to)


def _check_link(what: str, url: str) -> None:
    if not re.match(r"https?://[^\s/]+", url or ""):
        raise InvalidMessageError(f"{what} {url!r} must be an http(s) URL")


def media(
    kind: str,
    to: str,
    *,
    media_id: str | None = None,
    link: str | None = None,
    caption: str | None = None,
    filename: str | None = None,
    reply_to: str | None = None,
    limits: Limits = LIMITS,
) -> Body:
    """An image, document, audio, video or sticker, by uploaded id (preferred) or by link."""
    if kind not in MEDIA_KINDS:
        raise InvalidMessageError(f"media kind {kind!r} is not one of {', '.join(MEDIA_KINDS)}")
    if (media_id is None) == (link is None):
        raise InvalidMessageError(f"{kind} needs exactly one of media_id and link")
    payload: dict[str, str] = {}
    if media_id is not None:
        check_text(f"{kind} media_id", media_id, 1000)
        payload["id"] = media_id
    else:
        assert link is not None
        _check_link(f"{kind} link", link)
        payload["link"] = link
    if caption is not None:
        if kind in _NO_CAPTION:
            raise InvalidMessageError(f"{kind} messages cannot have a caption")
        check_text(f"{kind} caption", caption, limits.caption)
        payload["caption"] = caption
    if filename is not None:
        if kind != "document":
            raise InvalidMessageError(f"only documents have a filename, not {kind}")
        check_text("document filename", filename, 240)
        payload["filename"] = filename
    return envelope(to, kind, payload, reply_to=reply_to)


def reaction(to: str, message_id: str, emoji: str) -> Body:
    """React to a message with one emoji; an empty ``emoji`` removes our reaction."""
    check_text("reaction message id", message_id, 1000)
    if emoji != emoji.strip():
        raise InvalidMessageError(f"reaction emoji {emoji!r} must not contain spaces")
    return envelope(to, "reaction", {"message_id": message_id, "emoji": emoji})


def text_parameter(
    value: str, *, name: str | None = None, limits: Limits = LIMITS
) -> dict[str, str]:
    """One text parameter; ``name`` for templates that use named ``{{first_name}}`` slots."""
    check_text("template text parameter", value, limits.template_text_parameter)
    parameter = {"type": "text", "text": value}
    if name is not None:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise InvalidMessageError(f"template parameter name {name!r} must be snake_case")
        parameter["parameter_name"] = name
    return parameter


def _component(kind: str, positional: Sequence[str], named: Mapping[str, str]) -> Body:
    if positional and named:
        raise InvalidMessageError(f"template {kind} takes positional or named values, not both")
    parameters = [text_parameter(v) for v in positional]
    parameters += [text_parameter(v, name=k) for k, v in named.items()]
    return {"type": kind, "parameters": parameters}


def body_parameters(*values: str, **named: str) -> Body:
    """The ``body`` component filling ``{{1}}``, ``{{2}}``... (or named slots) with text."""
    return _component("body", values, named)


def header_parameters(*values: str, **named: str) -> Body:
    """The ``header`` component for a template whose text header has a variable."""
    return _component("header", values, named)


def template(
    to: str,
    name: str,
    language: str,
    *,
    components: Sequence[Mapping[str, Any]] | None = None,
    reply_to: str | None = None,
) -> Body:
    """An approved template: the only kind Meta delivers outside the 24-hour window."""
    if not re.fullmatch(r"[a-z0-9_]{1,512}", name or ""):
        raise InvalidMessageError(f"template name {name!r} must be lowercase letters, digits, _")
    if not re.fullmatch(r"[a-z]{2,3}(_[A-Za-z0-9]{2,4})?", language or ""):
        raise InvalidMessageError(f"template language {language!r} must look like en or en_US")
    payload: Body = {"name": name, "language": {"code": language, "policy": "deterministic"}}
    if components:
        payload["components"] = [dict(c) for c in components]
    return envelope(to, "template", payload, reply_to=reply_to)


def mark_read(message_id: str, *, typing: bool = False) -> Body:
    """Mark an inbound message read; ``typing`` also shows "typing..." for up to 25 s.

    Unlike every other body this one has no recipient and no ``recipient_type``: Meta documents
    it as ``{messaging_product, status, message_id}`` and finds the chat from the message id.
    """
    check_text("mark_read message id", message_id, 1000)
    body: Body = {"messaging_product": "whatsapp", "status": "read", "message_id": message_id}
    if typing:
        body["typing_indicator"] = {"type": "text"}
    return body


__all__ = [
    "LIMITS",
    "MEDIA_KINDS",
    "Body",
    "Limits",
    "Row",
    "Section",
    "address",
    "body_parameters",
    "buttons",
    "check_length",
    "check_text",
    "cta_url",
    "envelope",
    "header_parameters",
    "list_message",
    "location_request",
    "mark_read",
    "media",
    "reaction",
    "template",
    "text",
    "text_parameter",
]
