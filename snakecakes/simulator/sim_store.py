"""What the browser simulator shows: customers, and per (bot, customer) the chat as bubbles.

Why a separate store: the page polls it, the fake Graph API feeds it (the bot's sends, mark-read
and typing calls) and the status worker moves its ticks, from three different threads. Every
change takes a revision number, so a poll asks only for what changed since its last answer
(``since``) instead of the whole chat. State lives in memory: the bot's own database keeps the
real history; the simulator is a window on the wire, not a second source of truth.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]

# A tick only moves forward: a late "delivered" never turns blue ticks grey again.
_TICK_ORDER = {"pending": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}
TYPING_SECONDS = 25.0  # Meta drops the indicator after 25 s or with the next message
_WA_ID = re.compile(r"\d{6,15}")


class SimulatorError(ValueError):
    """A request the simulator cannot carry out; the message is shown to the user."""


@dataclass
class Customer:
    wa_id: str
    name: str

    def as_json(self) -> Json:
        return {"wa_id": self.wa_id, "name": self.name}


@dataclass
class Entry:
    """One bubble. ``message`` is the wire shape: the Graph API send body for the bot's messages,
    the webhook ``messages[]`` item for the customer's."""

    id: int
    rev: int
    direction: str  # "in" (customer to bot) or "out" (bot to customer)
    message: Json
    wamid: str | None
    at: float = field(default_factory=time.time)
    status: str = "pending"
    error: str | None = None
    reactions: dict[str, str] = field(default_factory=dict)  # "customer"/"bot" -> emoji
    read_queued: bool = False

    def as_json(self) -> Json:
        return {
            "id": self.id,
            "rev": self.rev,
            "dir": self.direction,
            "message": self.message,
            "wamid": self.wamid,
            "at": self.at,
            "status": self.status,
            "error": self.error,
            "reactions": dict(self.reactions),
        }


@dataclass
class Conversation:
    entries: list[Entry] = field(default_factory=list)
    typing_until: float = 0.0
    rev: int = 0


class SimStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._revs = itertools.count(1)
        self._ids = itertools.count(1)
        self._customers: dict[str, Customer] = {}
        self._chats: dict[tuple[str, str], Conversation] = {}
        self._by_wamid: dict[str, tuple[tuple[str, str], Entry]] = {}

    # -- customers ---------------------------------------------------------------------------

    def add_customer(self, wa_id: str, name: str) -> Customer:
        """Create or rename a customer; ``wa_id`` is the number in international form, digits
        only (spaces, dashes and a leading + are dropped)."""
        digits = re.sub(r"[\s\-()+]", "", wa_id or "")
        if not _WA_ID.fullmatch(digits):
            raise SimulatorError("the number must have 6 to 15 digits, country code first")
        name = (name or "").strip()[:60] or f"Customer {digits[-4:]}"
        with self._lock:
            customer = Customer(digits, name)
            self._customers[digits] = customer
            return customer

    def customer(self, wa_id: str) -> Customer:
        with self._lock:
            found = self._customers.get(wa_id)
        if found is None:
            raise SimulatorError(f"unknown customer {wa_id}")
        return found

    def ensure_customer(self, wa_id: str) -> None:
        with self._lock:
            known = wa_id in self._customers
        if not known:
            with contextlib.suppress(SimulatorError):
                self.add_customer(wa_id, "")

    def customers(self) -> list[Customer]:
        with self._lock:
            return list(self._customers.values())

    # -- bubbles -----------------------------------------------------------------------------

    def _chat(self, key: tuple[str, str]) -> Conversation:
        chat = self._chats.get(key)
        if chat is None:
            chat = self._chats[key] = Conversation()
        return chat

    def _touch(self, chat: Conversation, entry: Entry | None = None) -> None:
        rev = next(self._revs)
        chat.rev = rev
        if entry is not None:
            entry.rev = rev

    def add(
        self,
        bot: str,
        customer: str,
        direction: str,
        message: Json,
        wamid: str | None,
        *,
        error: str | None = None,
    ) -> Entry:
        """A new bubble (failed when ``error`` is given); the bot's message also ends the typing
        indicator."""
        with self._lock:
            chat = self._chat((bot, customer))
            entry = Entry(next(self._ids), 0, direction, message, wamid)
            if error is not None:
                entry.status, entry.error = "failed", error
            if direction == "out":
                chat.typing_until = 0.0
            chat.entries.append(entry)
            if wamid:
                self._by_wamid[wamid] = ((bot, customer), entry)
            self._touch(chat, entry)
            return entry

    def set_status(self, wamid: str, status: str, error: str | None = None) -> Entry | None:
        """Move a bubble's ticks forward (never back); None when the wamid is unknown."""
        with self._lock:
            found = self._by_wamid.get(wamid)
            if found is None:
                return None
            key, entry = found
            if _TICK_ORDER.get(status, 0) >= _TICK_ORDER.get(entry.status, 0):
                entry.status, entry.error = status, error
                self._touch(self._chats[key], entry)
            return entry

    def react(self, wamid: str, who: str, emoji: str) -> bool:
        """Put (or with an empty emoji, take back) a reaction on the bubble of ``wamid``."""
        with self._lock:
            found = self._by_wamid.get(wamid)
            if found is None:
                return False
            key, entry = found
            if emoji:
                entry.reactions[who] = emoji
            else:
                entry.reactions.pop(who, None)
            self._touch(self._chats[key], entry)
            return True

    def typing(self, wamid: str) -> bool:
        """The bot shows "typing..." in the chat of this (customer's) message."""
        with self._lock:
            found = self._by_wamid.get(wamid)
            if found is None:
                return False
            chat = self._chats[found[0]]
            chat.typing_until = time.monotonic() + TYPING_SECONDS
            self._touch(chat)
            return True

    def entry(self, wamid: str) -> tuple[tuple[str, str], Entry] | None:
        with self._lock:
            return self._by_wamid.get(wamid)

    def take_unread(self, bot: str, customer: str, ids: list[int]) -> list[Entry]:
        """The bot's bubbles among ``ids`` whose "read" status is still to be reported (each
        is handed out once)."""
        wanted = set(ids)
        with self._lock:
            chat = self._chats.get((bot, customer))
            if chat is None:
                return []
            out = []
            for entry in chat.entries:
                due = entry.id in wanted and entry.direction == "out" and not entry.read_queued
                if due and entry.wamid and entry.status != "failed":
                    entry.read_queued = True
                    out.append(entry)
            return out

    def changes(self, bot: str, customer: str, since: int = 0) -> Json:
        """The bubbles changed after revision ``since``, the typing state, the new revision."""
        with self._lock:
            chat = self._chats.get((bot, customer)) or Conversation()
            return {
                "rev": chat.rev,
                "typing": chat.typing_until > time.monotonic(),
                "entries": [e.as_json() for e in chat.entries if e.rev > since],
            }
