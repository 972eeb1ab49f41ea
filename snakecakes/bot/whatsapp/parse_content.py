"""Reading the type-specific part of an inbound message (``text``, ``image``, ``order`` ...).

Split from ``parse`` to keep each module small. A content we cannot read raises
``ContentError``; the caller turns that into a ``Rejected`` item, so one odd message never
costs the rest of a batch. Optional fields are read leniently (a wrong type becomes None):
only what the bot cannot work without is required.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from snakecakes.bot.whatsapp.updates import (
    ButtonReply,
    Content,
    FlowReply,
    ListReply,
    Location,
    Media,
    MessageContext,
    Order,
    OrderItem,
    Reaction,
    Referral,
    SharedContacts,
    System,
    TemplateButton,
    Text,
    UnknownContent,
    Unsupported,
)

MEDIA_KINDS = frozenset({"image", "video", "document", "sticker", "audio"})


class ContentError(ValueError):
    """The message's content lacks something we need; the message is rejected, not dropped."""


def opt_str(d: Mapping[str, Any], key: str) -> str | None:
    v = d.get(key)
    return v if isinstance(v, str) else None


def _req_str(d: Mapping[str, Any], key: str, where: str) -> str:
    v = d.get(key)
    if not isinstance(v, str) or not v:
        raise ContentError(f"{where}.{key} missing or not a string")
    return v


def _obj(msg: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    v = msg.get(key)
    if not isinstance(v, dict):
        raise ContentError(f"{key} object missing")
    return v


def _number(d: Mapping[str, Any], key: str, where: str) -> float:
    v = d.get(key)
    if isinstance(v, bool):
        raise ContentError(f"{where}.{key} is not a number")
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            pass
    raise ContentError(f"{where}.{key} is not a number")


def _text(msg: Mapping[str, Any]) -> Content:
    text = _obj(msg, "text")
    body = text.get("body")
    if not isinstance(body, str):
        raise ContentError("text.body missing or not a string")
    return Text(body)


def _media(kind: str) -> Callable[[Mapping[str, Any]], Content]:
    def read(msg: Mapping[str, Any]) -> Content:
        m = _obj(msg, kind)
        return Media(
            kind=kind,
            id=_req_str(m, "id", kind),
            mime_type=opt_str(m, "mime_type"),
            sha256=opt_str(m, "sha256"),
            caption=opt_str(m, "caption"),
            filename=opt_str(m, "filename"),
            voice=m.get("voice") is True,
            animated=m.get("animated") is True,
        )

    return read


def _location(msg: Mapping[str, Any]) -> Content:
    loc = _obj(msg, "location")
    return Location(
        latitude=_number(loc, "latitude", "location"),
        longitude=_number(loc, "longitude", "location"),
        name=opt_str(loc, "name"),
        address=opt_str(loc, "address"),
        url=opt_str(loc, "url"),
    )


def _contacts(msg: Mapping[str, Any]) -> Content:
    cards = msg.get("contacts")
    if not isinstance(cards, list) or not all(isinstance(c, dict) for c in cards):
        raise ContentError("contacts is not a list of objects")
    return SharedContacts(tuple(cards))


def _decode_flow_response(raw: object) -> Mapping[str, Any]:
    """Meta sends the Flow's answer as a JSON *string*; a broken one must not lose the message."""
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str):
        try:
            decoded = json.loads(raw)
        except ValueError:
            return {}
        if isinstance(decoded, dict):
            return decoded
    return {}


def _button_reply(part: Mapping[str, Any]) -> Content:
    where = "interactive.button_reply"
    return ButtonReply(_req_str(part, "id", where), _req_str(part, "title", where))


def _list_reply(part: Mapping[str, Any]) -> Content:
    where = "interactive.list_reply"
    return ListReply(
        _req_str(part, "id", where), _req_str(part, "title", where), opt_str(part, "description")
    )


def _nfm_reply(part: Mapping[str, Any]) -> Content:
    return FlowReply(
        response=_decode_flow_response(part.get("response_json")),
        body=opt_str(part, "body"),
        name=opt_str(part, "name"),
    )


_INTERACTIVE: dict[str, Callable[[Mapping[str, Any]], Content]] = {
    "button_reply": _button_reply,
    "list_reply": _list_reply,
    "nfm_reply": _nfm_reply,
}


def _interactive(msg: Mapping[str, Any]) -> Content:
    inter = _obj(msg, "interactive")
    sub = inter.get("type")
    if not isinstance(sub, str) or not sub:
        raise ContentError("interactive.type missing")
    reader = _INTERACTIVE.get(sub)
    if reader is None:
        return UnknownContent(f"interactive.{sub}")
    part = inter.get(sub)
    if not isinstance(part, dict):
        raise ContentError(f"interactive.{sub} object missing")
    return reader(part)


def _button(msg: Mapping[str, Any]) -> Content:
    button = _obj(msg, "button")
    return TemplateButton(payload=opt_str(button, "payload"), text=opt_str(button, "text"))


def _reaction(msg: Mapping[str, Any]) -> Content:
    reaction = _obj(msg, "reaction")
    return Reaction(
        message_id=_req_str(reaction, "message_id", "reaction"),
        emoji=opt_str(reaction, "emoji") or None,
    )


def _order_item(item: object, i: int) -> OrderItem:
    where = f"order.product_items[{i}]"
    if not isinstance(item, dict):
        raise ContentError(f"{where} is not an object")
    quantity = item.get("quantity")
    if isinstance(quantity, str) and quantity.isdigit():
        quantity = int(quantity)
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        raise ContentError(f"{where}.quantity is not an integer")
    return OrderItem(
        product_retailer_id=_req_str(item, "product_retailer_id", where),
        quantity=quantity,
        item_price=_number(item, "item_price", where),
        currency=_req_str(item, "currency", where),
    )


def _order(msg: Mapping[str, Any]) -> Content:
    """An order with one unreadable item is rejected whole: half an order is worse than none."""
    order = _obj(msg, "order")
    items = order.get("product_items")
    if not isinstance(items, list):
        raise ContentError("order.product_items is not a list")
    return Order(
        catalog_id=opt_str(order, "catalog_id"),
        text=opt_str(order, "text"),
        items=tuple(_order_item(item, i) for i, item in enumerate(items)),
    )


def _system(msg: Mapping[str, Any]) -> Content:
    system = _obj(msg, "system")
    return System(
        body=opt_str(system, "body"),
        type=opt_str(system, "type"),
        wa_id=opt_str(system, "wa_id") or opt_str(system, "new_wa_id"),
        customer=opt_str(system, "customer"),
        identity=opt_str(system, "identity"),
    )


def _unsupported(msg: Mapping[str, Any]) -> Content:
    return Unsupported()


_READERS: dict[str, Callable[[Mapping[str, Any]], Content]] = {
    "text": _text,
    "location": _location,
    "contacts": _contacts,
    "interactive": _interactive,
    "button": _button,
    "reaction": _reaction,
    "order": _order,
    "system": _system,
    "unsupported": _unsupported,
    "unknown": _unsupported,  # Meta's older name for the same thing
    **{kind: _media(kind) for kind in MEDIA_KINDS},
}


def parse_content(type_: str, msg: Mapping[str, Any]) -> Content:
    """The content of ``msg`` (of type ``type_``); unknown types are kept as ``UnknownContent``."""
    reader = _READERS.get(type_)
    if reader is None:
        return UnknownContent(type_)
    return reader(msg)


def parse_context(raw: object) -> MessageContext | None:
    """Lenient: a malformed context only loses the quote, never the message."""
    if not isinstance(raw, dict):
        return None
    product = raw.get("referred_product")
    frequently = raw.get("frequently_forwarded") is True
    return MessageContext(
        from_=opt_str(raw, "from"),
        id=opt_str(raw, "id"),
        # Meta flags a message forwarded many times only as frequently_forwarded.
        forwarded=raw.get("forwarded") is True or frequently,
        frequently_forwarded=frequently,
        referred_product=product if isinstance(product, dict) else None,
    )


def parse_referral(raw: object) -> Referral | None:
    if not isinstance(raw, dict):
        return None
    welcome = raw.get("welcome_message")
    return Referral(
        source_url=opt_str(raw, "source_url"),
        source_type=opt_str(raw, "source_type"),
        source_id=opt_str(raw, "source_id"),
        headline=opt_str(raw, "headline"),
        body=opt_str(raw, "body"),
        media_type=opt_str(raw, "media_type"),
        image_url=opt_str(raw, "image_url"),
        video_url=opt_str(raw, "video_url"),
        thumbnail_url=opt_str(raw, "thumbnail_url"),
        ctwa_clid=opt_str(raw, "ctwa_clid"),
        welcome_message=opt_str(welcome, "text") if isinstance(welcome, dict) else None,
    )
