"""What every outbound body shares: Meta's limits, length checks and addressing.

Split from ``messages`` so that ``messages_interactive`` can use it without an import cycle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from snakecakes.bot.whatsapp.errors import InvalidMessageError

Body = dict[str, Any]

_BSUID = re.compile(r"[A-Z]{2}\.[0-9A-Za-z]+")
_PHONE = re.compile(r"\+?[0-9][0-9 ().-]{4,30}")


@dataclass(frozen=True)
class Limits:
    """Meta's published limits (CLOUD_API.md, "Sending"), in characters unless said otherwise."""

    text_body: int = 4096
    caption: int = 1024
    interactive_body: int = 1024
    list_body: int = 4096  # the docs say 4096; Meta's OpenAPI file says 1024
    header: int = 60
    footer: int = 60
    buttons: int = 3
    button_title: int = 20
    button_id: int = 256
    list_button: int = 20
    list_rows: int = 10
    list_sections: int = 10
    section_title: int = 24
    row_title: int = 24
    row_description: int = 72
    row_id: int = 200
    cta_display_text: int = 20
    template_text_parameter: int = 32768


LIMITS = Limits()


def check_length(what: str, value: str, limit: int) -> None:
    """Raise unless ``value`` is at most ``limit`` characters, quoting the value."""
    if len(value) > limit:
        shown = value if len(value) <= 40 else value[:37] + "..."
        raise InvalidMessageError(
            f"{what} {shown!r} is {len(value)} characters; WhatsApp allows at most {limit}"
        )


def check_text(what: str, value: str, limit: int) -> None:
    """A required, non-blank text of at most ``limit`` characters."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidMessageError(f"{what} must be non-empty text")
    check_length(what, value, limit)


def address(to: str) -> dict[str, str]:
    """Where a message goes: ``{"to": number}``, or ``{"recipient": bsuid}`` for a BSUID.

    The rule: a business-scoped user id looks like ``US.13491208655302741918`` (two capital
    letters, a dot, an id); anything else must be a phone number with country code. Callers who
    know both should pass the number (CLOUD_API.md: "use the number when there is one").
    """
    value = to.strip() if isinstance(to, str) else ""
    if _BSUID.fullmatch(value):
        return {"recipient": value}
    if _PHONE.fullmatch(value) and sum(ch.isdigit() for ch in value) <= 15:
        return {"to": value}
    raise InvalidMessageError(f"recipient {to!r} is neither a phone number nor a BSUID")


def envelope(to: str, kind: str, payload: Any, *, reply_to: str | None = None) -> Body:
    """The fields every message body shares, plus ``context`` when replying."""
    body: Body = {"messaging_product": "whatsapp", "recipient_type": "individual"}
    body.update(address(to))
    if reply_to is not None:
        check_text("reply_to message id", reply_to, 1000)
        body["context"] = {"message_id": reply_to}
    body["type"] = kind
    body[kind] = payload
    return body
