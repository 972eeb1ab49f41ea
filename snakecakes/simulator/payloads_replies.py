"""Builders of inbound ``messages[]`` items that answer something or report something:
interactive replies, template buttons, reactions, orders, system notices, unsupported types.

Part of ``payloads`` (import from there); split off only to keep modules small.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from snakecakes.simulator.payloads_messages import Json, error, raw_message, reply_context


def _ctx(context_id: str | None) -> Json | None:
    return None if context_id is None else reply_context(context_id)


def _interactive(
    wamid: str,
    from_: str | None,
    sub: str,
    part: Json,
    context_id: str | None,
    timestamp: int | str | None,
    from_user_id: str | None,
) -> Json:
    return raw_message(
        wamid,
        from_,
        "interactive",
        {"type": sub, sub: part},
        timestamp=timestamp,
        context=_ctx(context_id),
        from_user_id=from_user_id,
    )


def button_reply(
    wamid: str,
    from_: str | None,
    reply_id: str,
    title: str,
    *,
    context_id: str | None = None,
    timestamp: int | str | None = None,
    from_user_id: str | None = None,
) -> Json:
    part = {"id": reply_id, "title": title}
    return _interactive(wamid, from_, "button_reply", part, context_id, timestamp, from_user_id)


def list_reply(
    wamid: str,
    from_: str | None,
    reply_id: str,
    title: str,
    description: str | None = None,
    *,
    context_id: str | None = None,
    timestamp: int | str | None = None,
    from_user_id: str | None = None,
) -> Json:
    part: Json = {"id": reply_id, "title": title}
    if description is not None:
        part["description"] = description
    return _interactive(wamid, from_, "list_reply", part, context_id, timestamp, from_user_id)


def flow_reply(
    wamid: str,
    from_: str | None,
    response: Mapping[str, Any] | str,
    *,
    body: str = "Sent",
    name: str = "flow",
    context_id: str | None = None,
    timestamp: int | str | None = None,
    from_user_id: str | None = None,
) -> Json:
    """A WhatsApp Flow answer; a str ``response`` is sent verbatim (to test broken JSON)."""
    response_json = response if isinstance(response, str) else json.dumps(response)
    part = {"response_json": response_json, "body": body, "name": name}
    return _interactive(wamid, from_, "nfm_reply", part, context_id, timestamp, from_user_id)


def template_button(
    wamid: str,
    from_: str | None,
    payload: str,
    text: str,
    *,
    context_id: str | None = None,
    timestamp: int | str | None = None,
    from_user_id: str | None = None,
) -> Json:
    return raw_message(
        wamid,
        from_,
        "button",
        {"payload": payload, "text": text},
        timestamp=timestamp,
        context=_ctx(context_id),
        from_user_id=from_user_id,
    )


def reaction(
    wamid: str,
    from_: str | None,
    message_id: str,
    emoji: str | None,
    *,
    timestamp: int | str | None = None,
    from_user_id: str | None = None,
) -> Json:
    """``emoji=None`` leaves the key out: that is how a removed reaction arrives."""
    content: Json = {"message_id": message_id}
    if emoji is not None:
        content["emoji"] = emoji
    return raw_message(
        wamid, from_, "reaction", content, timestamp=timestamp, from_user_id=from_user_id
    )


def order_item(
    product_retailer_id: str, quantity: int, item_price: float, currency: str = "EUR"
) -> Json:
    return {
        "product_retailer_id": product_retailer_id,
        "quantity": quantity,
        "item_price": item_price,
        "currency": currency,
    }


def order(
    wamid: str,
    from_: str | None,
    catalog_id: str,
    items: Iterable[Mapping[str, Any]],
    *,
    text: str = "",
    timestamp: int | str | None = None,
    from_user_id: str | None = None,
) -> Json:
    content = {"catalog_id": catalog_id, "text": text, "product_items": [dict(i) for i in items]}
    return raw_message(
        wamid, from_, "order", content, timestamp=timestamp, from_user_id=from_user_id
    )


def system(
    wamid: str,
    from_: str,
    body: str,
    *,
    type_: str = "user_changed_number",
    new_wa_id: str | None = None,
    customer: str | None = None,
    timestamp: int | str | None = None,
) -> Json:
    """A number change notice; ``change`` sends no contacts for these, like Meta."""
    content: Json = {"body": body}
    if new_wa_id is not None:
        content["wa_id"] = new_wa_id
    if customer is not None:
        content["customer"] = customer
    content["type"] = type_
    return raw_message(wamid, from_, "system", content, timestamp=timestamp)


def unsupported(
    wamid: str,
    from_: str | None,
    *,
    errors: Sequence[Mapping[str, Any]] | None = None,
    timestamp: int | str | None = None,
    from_user_id: str | None = None,
) -> Json:
    msg = raw_message(wamid, from_, "unsupported", timestamp=timestamp, from_user_id=from_user_id)
    if errors is None:
        errors = [
            error(
                131051, "Message type unknown", details="Message type is currently not supported."
            )
        ]
    msg["errors"] = [dict(e) for e in errors]
    return msg
