"""Builders of inbound ``messages[]`` items: the base shape and the plain content kinds.

Part of ``payloads`` (import from there); split off only to keep modules small.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

Json = dict[str, Any]

DISPLAY_PHONE_NUMBER = "15550001111"
MEDIA_KINDS = ("image", "video", "document", "sticker", "audio")


def timestamp_str(timestamp: int | str | None) -> str:
    """Unix seconds as a string, the way Meta sends them; None means now."""
    return str(int(time.time()) if timestamp is None else timestamp)


def reply_context(
    message_id: str | None = None,
    *,
    from_: str = DISPLAY_PHONE_NUMBER,
    forwarded: bool = False,
    frequently_forwarded: bool = False,
) -> Json:
    """``context`` for a reply to ``message_id``, or (without one) for a forwarded message."""
    out: Json = {}
    if message_id is not None:
        out["from"] = from_
        out["id"] = message_id
    if forwarded:
        out["forwarded"] = True
    if frequently_forwarded:
        out["frequently_forwarded"] = True
    return out


def error(code: int, title: str, message: str | None = None, details: str | None = None) -> Json:
    """One ``errors[]`` item as found in statuses, messages and ``value.errors``."""
    return {
        "code": code,
        "title": title,
        "message": title if message is None else message,
        "error_data": {"details": title if details is None else details},
    }


def referral(
    *,
    source_url: str = "https://fb.me/3cr4Wqqkv",
    source_id: str = "120226305854810726",
    source_type: str = "ad",
    body: str = "Frische Torten jeden Tag",
    headline: str = "Schreib uns",
    media_type: str = "image",
    image_url: str | None = "https://scontent.xx.fbcdn.net/v/t45.1-9/cake.jpg",
    ctwa_clid: str = "ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0",
    welcome_message: str | None = None,
) -> Json:
    """The ``referral`` object of a message that came from a Click-to-WhatsApp ad."""
    out: Json = {
        "source_url": source_url,
        "source_id": source_id,
        "source_type": source_type,
        "body": body,
        "headline": headline,
        "media_type": media_type,
    }
    if image_url is not None:
        out["image_url"] = image_url
    out["ctwa_clid"] = ctwa_clid
    if welcome_message is not None:
        out["welcome_message"] = {"text": welcome_message}
    return out


def raw_message(
    wamid: str,
    from_: str | None,
    type_: str,
    content: Any = None,
    *,
    timestamp: int | str | None = None,
    context: Mapping[str, Any] | None = None,
    from_user_id: str | None = None,
) -> Json:
    """Any message type, including ones the bot does not know yet (forward-compatibility tests).

    ``content`` goes under the key named like the type, as Meta does; None leaves it out.
    """
    msg: Json = {}
    if context is not None:
        msg["context"] = dict(context)
    if from_ is not None:
        msg["from"] = from_
    if from_user_id is not None:
        msg["from_user_id"] = from_user_id
    msg["id"] = wamid
    msg["timestamp"] = timestamp_str(timestamp)
    msg["type"] = type_
    if content is not None:
        msg[type_] = content
    return msg


def text(
    wamid: str,
    from_: str | None,
    body: str,
    *,
    timestamp: int | str | None = None,
    context: Mapping[str, Any] | None = None,
    from_user_id: str | None = None,
    referral: Mapping[str, Any] | None = None,
) -> Json:
    msg = raw_message(
        wamid,
        from_,
        "text",
        {"body": body},
        timestamp=timestamp,
        context=context,
        from_user_id=from_user_id,
    )
    if referral is not None:
        msg["referral"] = dict(referral)
    return msg


def media(
    kind: str,
    wamid: str,
    from_: str | None,
    *,
    media_id: str,
    mime_type: str,
    sha256: str,
    caption: str | None = None,
    filename: str | None = None,
    voice: bool = False,
    animated: bool = False,
    timestamp: int | str | None = None,
    context: Mapping[str, Any] | None = None,
    from_user_id: str | None = None,
) -> Json:
    """image, video, document, sticker or audio; ``voice`` and ``animated`` appear only where
    Meta sends them (audio and sticker)."""
    if kind not in MEDIA_KINDS:
        raise ValueError(f"unknown media kind {kind!r}")
    content: Json = {}
    if caption is not None:
        content["caption"] = caption
    if filename is not None:
        content["filename"] = filename
    content["mime_type"] = mime_type
    content["sha256"] = sha256
    content["id"] = media_id
    if kind == "audio":
        content["voice"] = voice
    if kind == "sticker":
        content["animated"] = animated
    return raw_message(
        wamid,
        from_,
        kind,
        content,
        timestamp=timestamp,
        context=context,
        from_user_id=from_user_id,
    )


def location(
    wamid: str,
    from_: str | None,
    latitude: float,
    longitude: float,
    *,
    name: str | None = None,
    address: str | None = None,
    url: str | None = None,
    timestamp: int | str | None = None,
    from_user_id: str | None = None,
) -> Json:
    content: Json = {}
    if address is not None:
        content["address"] = address
    content["latitude"] = latitude
    content["longitude"] = longitude
    if name is not None:
        content["name"] = name
    if url is not None:
        content["url"] = url
    return raw_message(
        wamid, from_, "location", content, timestamp=timestamp, from_user_id=from_user_id
    )


def contact_card(
    formatted_name: str, *, phone: str | None = None, wa_id: str | None = None
) -> Json:
    """A minimal shared-contact card; pass richer dicts to ``shared_contacts`` directly."""
    parts = formatted_name.split(" ", 1)
    name: Json = {"first_name": parts[0]}
    if len(parts) > 1:
        name["last_name"] = parts[1]
    name["formatted_name"] = formatted_name
    card: Json = {"name": name}
    if phone is not None:
        entry_: Json = {"phone": phone}
        if wa_id is not None:
            entry_["wa_id"] = wa_id
        entry_["type"] = "MOBILE"
        card["phones"] = [entry_]
    return card


def shared_contacts(
    wamid: str,
    from_: str | None,
    cards: Sequence[Mapping[str, Any]],
    *,
    timestamp: int | str | None = None,
    from_user_id: str | None = None,
) -> Json:
    return raw_message(
        wamid,
        from_,
        "contacts",
        [dict(c) for c in cards],
        timestamp=timestamp,
        from_user_id=from_user_id,
    )
