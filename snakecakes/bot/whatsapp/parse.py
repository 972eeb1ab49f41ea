"""Turning a verified webhook body into ``updates`` objects.

Two failure modes, deliberately different:

* ``PayloadError`` only when the body is not a WhatsApp envelope at all. Nothing in it can be
  trusted, and the caller decides whether Meta should redeliver.
* Anything smaller (one message without an id, a status with a bad timestamp) becomes a
  ``Rejected`` item and parsing goes on. Meta batches up to 1000 updates per POST and redelivers
  the *whole* POST on any non-200 answer, so one odd item must neither block the others nor
  vanish silently.

The hot path avoids work it does not need: no copies of the input, and location strings for
error reasons are only built when something is rejected.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from snakecakes.bot.whatsapp.parse_content import (
    ContentError,
    opt_str,
    parse_content,
    parse_context,
    parse_referral,
)
from snakecakes.bot.whatsapp.updates import (
    Change,
    Contact,
    Envelope,
    ErrorDetail,
    Message,
    Rejected,
    Status,
)

WABA_OBJECT = "whatsapp_business_account"
MESSAGES_FIELD = "messages"


class PayloadError(ValueError):
    """The body is not a WhatsApp Business Account webhook envelope."""


def parse_envelope(data: object) -> Envelope:
    """Every change, message, status and error in ``data`` (the decoded JSON body)."""
    if not isinstance(data, dict):
        raise PayloadError(f"body is a JSON {type(data).__name__}, not an object")
    obj = data.get("object")
    if obj != WABA_OBJECT:
        raise PayloadError(f"object is {obj!r}, expected {WABA_OBJECT!r}")
    entries = data.get("entry")
    if not isinstance(entries, list):
        raise PayloadError("entry is missing or not a list")

    changes: list[Change] = []
    rejected: list[Rejected] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise PayloadError(f"entry[{i}] is not an object")
        items = entry.get("changes")
        waba_id = entry.get("id")
        if isinstance(waba_id, int) and not isinstance(waba_id, bool):
            waba_id = str(waba_id)
        if not isinstance(waba_id, str) or not waba_id:
            rejected.append(Rejected("entry", f"entry[{i}]: id missing", entry))
            continue
        if not isinstance(items, list):
            rejected.append(Rejected("entry", f"entry[{i}]: changes missing or not a list", entry))
            continue
        for j, item in enumerate(items):
            if not isinstance(item, dict):
                raise PayloadError(f"entry[{i}].changes[{j}] is not an object")
            change = _change(waba_id, item, f"entry[{i}].changes[{j}]", rejected)
            if change is not None:
                changes.append(change)
    return Envelope(object=obj, changes=tuple(changes), rejected=tuple(rejected))


def _change(
    waba_id: str, item: Mapping[str, Any], where: str, rejected: list[Rejected]
) -> Change | None:
    field = item.get("field")
    value = item.get("value")
    if not isinstance(field, str) or not field:
        rejected.append(Rejected("change", f"{where}: field missing", item))
        return None
    if not isinstance(value, dict):
        rejected.append(Rejected("change", f"{where}: value missing or not an object", item))
        return None
    metadata = value.get("metadata")
    if not isinstance(metadata, dict):
        metadata = {}
    phone_number_id = _id_str(metadata.get("phone_number_id"))
    display_phone_number = _id_str(metadata.get("display_phone_number"))
    if field != MESSAGES_FIELD:
        # Template, quality and account updates: kept raw for whoever records them.
        return Change(waba_id, field, phone_number_id, display_phone_number, (), (), (), (), value)

    where = f"{where}.value"
    contacts = tuple(
        c
        for k, raw in enumerate(_items(value, "contacts", "contact", where, rejected))
        if (c := _contact(raw, k, where, rejected)) is not None
    )
    messages = tuple(
        m
        for k, raw in enumerate(_items(value, "messages", "message", where, rejected))
        if (m := _message(raw, k, where, rejected)) is not None
    )
    statuses = tuple(
        s
        for k, raw in enumerate(_items(value, "statuses", "status", where, rejected))
        if (s := _status(raw, k, where, rejected)) is not None
    )
    errors = _errors(value.get("errors"), f"{where}.errors", rejected)
    return Change(
        waba_id=waba_id,
        field=field,
        phone_number_id=phone_number_id,
        display_phone_number=display_phone_number,
        contacts=contacts,
        messages=messages,
        statuses=statuses,
        errors=errors,
        value=value,
    )


def _id_str(v: object) -> str | None:
    """Ids are strings in Meta's JSON, but a numeric one must not turn into None."""
    if isinstance(v, str):
        return v or None
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return None


def _timestamp(v: object) -> int | None:
    """Unix seconds; Meta sends them as strings, a few newer payloads as numbers."""
    if isinstance(v, str):
        return int(v) if v.isascii() and v.isdigit() else None
    if isinstance(v, int) and not isinstance(v, bool) and v >= 0:
        return v
    return None


def _items(
    value: Mapping[str, Any], key: str, kind: str, where: str, rejected: list[Rejected]
) -> list[Any]:
    items = value.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        rejected.append(Rejected(kind, f"{where}.{key}: not a list", items))
        return []
    return items


def _contact(raw: object, k: int, where: str, rejected: list[Rejected]) -> Contact | None:
    if not isinstance(raw, dict):
        rejected.append(Rejected("contact", f"{where}.contacts[{k}]: not an object", raw))
        return None
    wa_id = _id_str(raw.get("wa_id"))
    user_id = opt_str(raw, "user_id") or None
    if wa_id is None and user_id is None:
        reason = f"{where}.contacts[{k}]: neither wa_id nor user_id"
        rejected.append(Rejected("contact", reason, raw))
        return None
    profile = raw.get("profile")
    name = opt_str(profile, "name") if isinstance(profile, dict) else None
    return Contact(wa_id=wa_id, user_id=user_id, name=name)


def _message(raw: object, k: int, where: str, rejected: list[Rejected]) -> Message | None:
    problem: str
    if not isinstance(raw, dict):
        problem = "not an object"
    else:
        msg_id = raw.get("id")
        from_ = _id_str(raw.get("from"))
        from_user_id = opt_str(raw, "from_user_id") or None
        timestamp = _timestamp(raw.get("timestamp"))
        type_ = raw.get("type")
        if not isinstance(msg_id, str) or not msg_id:
            problem = "id missing"
        elif from_ is None and from_user_id is None:
            problem = "neither from nor from_user_id"
        elif timestamp is None:
            problem = f"bad timestamp {raw.get('timestamp')!r}"
        elif not isinstance(type_, str) or not type_:
            problem = "type missing"
        else:
            try:
                content = parse_content(type_, raw)
            except ContentError as exc:
                problem = str(exc)
            else:
                errors = raw.get("errors")
                return Message(
                    id=msg_id,
                    from_=from_,
                    from_user_id=from_user_id,
                    timestamp=timestamp,
                    type=type_,
                    content=content,
                    context=parse_context(raw.get("context")),
                    referral=parse_referral(raw.get("referral")),
                    errors=(
                        ()
                        if errors is None
                        else _errors(errors, f"{where}.messages[{k}].errors", rejected)
                    ),
                    raw=raw,
                )
    rejected.append(Rejected("message", f"{where}.messages[{k}]: {problem}", raw))
    return None


def _status(raw: object, k: int, where: str, rejected: list[Rejected]) -> Status | None:
    problem: str
    if not isinstance(raw, dict):
        problem = "not an object"
    else:
        status_id = raw.get("id")
        status = raw.get("status")
        timestamp = _timestamp(raw.get("timestamp"))
        if not isinstance(status_id, str) or not status_id:
            problem = "id missing"
        elif not isinstance(status, str) or not status:
            problem = "status missing"
        elif timestamp is None:
            problem = f"bad timestamp {raw.get('timestamp')!r}"
        else:
            pricing = raw.get("pricing")
            conversation = raw.get("conversation")
            errors = raw.get("errors")
            return Status(
                id=status_id,
                status=status,
                timestamp=timestamp,
                recipient_id=_id_str(raw.get("recipient_id")),
                recipient_user_id=opt_str(raw, "recipient_user_id") or None,
                errors=(
                    ()
                    if errors is None
                    else _errors(errors, f"{where}.statuses[{k}].errors", rejected)
                ),
                pricing=pricing if isinstance(pricing, dict) else None,
                conversation=conversation if isinstance(conversation, dict) else None,
                biz_opaque_callback_data=opt_str(raw, "biz_opaque_callback_data"),
                raw=raw,
            )
    rejected.append(Rejected("status", f"{where}.statuses[{k}]: {problem}", raw))
    return None


def _errors(raw: object, where: str, rejected: list[Rejected]) -> tuple[ErrorDetail, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        rejected.append(Rejected("error", f"{where}: not a list", raw))
        return ()
    out: list[ErrorDetail] = []
    for k, item in enumerate(raw):
        detail = _error(item)
        if detail is None:
            reason = f"{where}[{k}]: not an object with an integer code"
            rejected.append(Rejected("error", reason, item))
        else:
            out.append(detail)
    return tuple(out)


def _error(item: object) -> ErrorDetail | None:
    if not isinstance(item, dict):
        return None
    code = item.get("code")
    if isinstance(code, str) and code.isascii() and code.isdigit():
        code = int(code)
    if not isinstance(code, int) or isinstance(code, bool):
        return None
    data = item.get("error_data")
    return ErrorDetail(
        code=code,
        title=opt_str(item, "title") or "",
        message=opt_str(item, "message"),
        details=opt_str(data, "details") if isinstance(data, dict) else None,
    )


def parse_message(raw: object) -> Message:
    """One stored message (an inbox row's payload) back into its typed form."""
    rejected: list[Rejected] = []
    message = _message(raw, 0, "stored", rejected)
    if message is None:
        raise PayloadError(rejected[0].reason if rejected else "not a message")
    return message
