"""Webhook bodies shaped exactly like Meta's, for tests, benchmarks and the simulator.

Plain dicts and the standard library only, so the same builders can feed pytest, a load
generator and a browser simulator without dragging in the bot. Key order and optional keys follow
what Meta sends (see the webhook examples in Meta's OpenAPI file): bodies are hashed byte for
byte, so "equivalent" JSON is not good enough when a test compares signatures.

Typical use::

    msg = text(new_wamid(), "4915112345678", "Hallo")
    body, headers = signed(envelope(change("106540352242922", messages=[msg])), secret)
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from snakecakes.bot.whatsapp.signature import sign
from snakecakes.simulator.payloads_messages import (
    DISPLAY_PHONE_NUMBER,
    MEDIA_KINDS,
    Json,
    contact_card,
    error,
    location,
    media,
    raw_message,
    referral,
    reply_context,
    shared_contacts,
    text,
    timestamp_str,
)
from snakecakes.simulator.payloads_replies import (
    button_reply,
    flow_reply,
    list_reply,
    order,
    order_item,
    reaction,
    system,
    template_button,
    unsupported,
)

__all__ = [
    "DISPLAY_PHONE_NUMBER",
    "MEDIA_KINDS",
    "PHONE_NUMBER_ID",
    "WABA_ID",
    "Json",
    "button_reply",
    "change",
    "contact",
    "contact_card",
    "encode",
    "entry",
    "envelope",
    "error",
    "field_change",
    "flow_reply",
    "list_reply",
    "location",
    "media",
    "new_wamid",
    "order",
    "order_item",
    "raw_message",
    "reaction",
    "referral",
    "reply_context",
    "shared_contacts",
    "signed",
    "status",
    "system",
    "template_button",
    "text",
    "unsupported",
]

WABA_ID = "102290129340398"
PHONE_NUMBER_ID = "106540352242922"


def new_wamid(wa_id: str = "16505551234") -> str:
    """A unique id with the structure of a real inbound wamid.

    Real ones are base64 of a small record holding the sender's number and a random hex id; with
    an 11-digit number they start with ``wamid.HBgL`` like Meta's.
    """
    number = wa_id.encode()
    random_id = secrets.token_hex(10).upper().encode()
    record = (
        b"\x1c\x18"
        + bytes([len(number)])
        + number
        + b"\x15\x02\x00\x12\x18"
        + bytes([len(random_id)])
        + random_id
        + b"\x00"
    )
    return "wamid." + base64.b64encode(record).decode()


def contact(wa_id: str | None, name: str, user_id: str | None = None) -> Json:
    """A ``value.contacts[]`` profile; BSUID-only users come with ``user_id`` and no ``wa_id``."""
    out: Json = {"profile": {"name": name}}
    if wa_id is not None:
        out["wa_id"] = wa_id
    if user_id is not None:
        out["user_id"] = user_id
    return out


def status(
    wamid: str,
    status: str,
    recipient_id: str | None,
    *,
    timestamp: int | str | None = None,
    errors: Sequence[Mapping[str, Any]] | None = None,
    pricing: Mapping[str, Any] | None = None,
    conversation: Mapping[str, Any] | None = None,
    biz_opaque_callback_data: str | None = None,
    recipient_user_id: str | None = None,
) -> Json:
    """A ``statuses[]`` item about a message we sent (``wamid`` is ours)."""
    out: Json = {"id": wamid, "status": status, "timestamp": timestamp_str(timestamp)}
    if recipient_id is not None:
        out["recipient_id"] = recipient_id
    if recipient_user_id is not None:
        out["recipient_user_id"] = recipient_user_id
    if conversation is not None:
        out["conversation"] = dict(conversation)
    if pricing is not None:
        out["pricing"] = dict(pricing)
    if biz_opaque_callback_data is not None:
        out["biz_opaque_callback_data"] = biz_opaque_callback_data
    if errors is not None:
        out["errors"] = [dict(e) for e in errors]
    return out


def _senders(messages: Iterable[Mapping[str, Any]]) -> list[Json]:
    """One profile per distinct sender, as Meta lists them (system notices have none)."""
    seen: set[tuple[Any, Any]] = set()
    out: list[Json] = []
    for msg in messages:
        key = (msg.get("from"), msg.get("from_user_id"))
        if msg.get("type") == "system" or key in seen:
            continue
        seen.add(key)
        wa_id, user_id = key
        name = f"Kunde {str(wa_id or user_id)[-4:]}"
        out.append(contact(wa_id, name, user_id))
    return out


def change(
    phone_number_id: str = PHONE_NUMBER_ID,
    *,
    display_phone_number: str = DISPLAY_PHONE_NUMBER,
    messages: Sequence[Mapping[str, Any]] = (),
    statuses: Sequence[Mapping[str, Any]] = (),
    contacts: Sequence[Mapping[str, Any]] | None = None,
    errors: Sequence[Mapping[str, Any]] | None = None,
    field: str = "messages",
) -> Json:
    """One ``changes[]`` item for a business number; ``contacts=None`` derives the senders."""
    value: Json = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": display_phone_number,
            "phone_number_id": phone_number_id,
        },
    }
    if contacts is None:
        contacts = _senders(messages)
    if contacts:
        value["contacts"] = [dict(c) for c in contacts]
    if messages:
        value["messages"] = [dict(m) for m in messages]
    if statuses:
        value["statuses"] = [dict(s) for s in statuses]
    if errors is not None:
        value["errors"] = [dict(e) for e in errors]
    return {"value": value, "field": field}


def field_change(field: str, value: Mapping[str, Any]) -> Json:
    """A change for another webhook field (template status, quality, account updates...)."""
    return {"value": dict(value), "field": field}


def entry(waba_id: str, *changes: Mapping[str, Any]) -> Json:
    return {"id": waba_id, "changes": [dict(c) for c in changes]}


def envelope(*changes_or_entries: Mapping[str, Any], waba_id: str = WABA_ID) -> Json:
    """A whole body: changes are wrapped in one entry for ``waba_id``; entries are used as is."""
    is_entry = ["changes" in item for item in changes_or_entries]
    if all(is_entry):
        entries = [dict(e) for e in changes_or_entries]
    elif not any(is_entry):
        entries = [entry(waba_id, *changes_or_entries)]
    else:
        raise ValueError("pass either changes or entries, not a mix")
    return {"object": "whatsapp_business_account", "entry": entries}


def encode(body: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON with non-ASCII text left raw, the hardest case for signature checks."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def signed(body: Mapping[str, Any] | bytes, secret: str) -> tuple[bytes, dict[str, str]]:
    """The exact bytes to POST and the headers Meta would send with them."""
    raw = body if isinstance(body, bytes) else encode(body)
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(raw, secret)}
    return raw, headers
