"""Turning parsed updates into the rows the intake stores, in the shape of our tables."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from snakecakes.bot.bots import BotDirectory
from snakecakes.bot.whatsapp.updates import Change, Rejected
from snakecakes.db.types import utcnow

_CHANGE_PATH = re.compile(r"entry\[(\d+)\]\.changes\[(\d+)\]")


def _cut(value: str | None, size: int) -> str | None:
    return value[:size] if value is not None else None


@dataclass
class Rows:
    messages: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    bot_ids: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.messages or self.statuses or self.events)

    def bot_for_rejected(self, rejected: Rejected, data: Any, bots: BotDirectory) -> int | None:
        """The bot an unparseable item belongs to: the number of its change, else the only bot."""
        found = _CHANGE_PATH.match(rejected.reason)
        if found:
            try:
                change = data["entry"][int(found[1])]["changes"][int(found[2])]
                bot = bots.get(str(change["value"]["metadata"]["phone_number_id"]))
            except (KeyError, IndexError, TypeError):
                bot = None
            return bot.id if bot is not None and bot.id in self.bot_ids else None
        return next(iter(self.bot_ids)) if len(self.bot_ids) == 1 else None


def rows_for_change(rows: Rows, bot_id: int, change: Change) -> None:
    now = utcnow()
    rows.bot_ids.add(bot_id)
    if change.field != "messages":
        rows.events.append(
            {
                "bot_id": bot_id,
                "field": change.field[:64],
                "payload": dict(change.value),
                "received_at": now,
            }
        )
        return
    meta = {
        "phone_number_id": change.phone_number_id,
        "display_phone_number": change.display_phone_number,
    }
    for msg in change.messages:
        contact = change.contact_for(msg)
        rows.messages.append(
            {
                "bot_id": bot_id,
                "wamid": msg.id[:255],
                "customer_key": msg.customer_key[:128],
                "wa_id": _cut(msg.from_, 32),
                "user_id": _cut(msg.from_user_id or (contact.user_id if contact else None), 128),
                "contact_name": _cut(contact.name if contact else None, 256),
                "type": msg.type[:32],
                "wa_timestamp": msg.timestamp,
                "payload": {
                    "message": dict(msg.raw),
                    "contact": _contact_dict(contact),
                    "metadata": meta,
                },
                "state": "pending",
                "attempts": 0,
                "received_at": now,
            }
        )
    for st in change.statuses:
        rows.statuses.append(
            {
                "bot_id": bot_id,
                "wamid": st.id[:255],
                "status": st.status[:16],
                "wa_timestamp": st.timestamp,
                "recipient_id": _cut(st.recipient_id or st.recipient_user_id, 128),
                "errors": [_err(e) for e in st.errors] or None,
                "payload": dict(st.raw),
                "applied": False,
                "received_at": now,
            }
        )
    if change.errors:
        rows.events.append(
            {
                "bot_id": bot_id,
                "field": "errors",
                "payload": {"errors": [_err(e) for e in change.errors], "metadata": meta},
                "received_at": now,
            }
        )


def _err(e: Any) -> dict[str, Any]:
    return {"code": e.code, "title": e.title, "message": e.message, "details": e.details}


def _contact_dict(contact: Any) -> dict[str, Any] | None:
    if contact is None:
        return None
    return {"wa_id": contact.wa_id, "user_id": contact.user_id, "name": contact.name}


def scrub_nul(rows: Rows) -> Rows:
    """PostgreSQL JSON cannot hold U+0000; replace it instead of refusing the webhook forever."""
    return Rows(
        messages=[_scrub(r) for r in rows.messages],
        statuses=[_scrub(r) for r in rows.statuses],
        events=[_scrub(r) for r in rows.events],
        bot_ids=rows.bot_ids,
    )


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value
