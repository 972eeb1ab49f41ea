"""Wiring between the webhook intake and the workers that answer.

The intake commits updates first and only then tells the dispatcher, so a lost notification can
never lose a message: the inbox is the truth, and a periodic sweep re-dispatches whatever stayed
pending too long. This module holds the hook; the workers plug into it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StoredUpdates:
    """What one webhook POST newly stored (redeliveries are not in here)."""

    chats: frozenset[tuple[int, str]]  # (bot_id, customer_key) with new inbox rows
    status_bots: frozenset[int]  # bots with new delivery statuses

    def __bool__(self) -> bool:
        return bool(self.chats or self.status_bots)


class Dispatcher(Protocol):
    def notify(self, stored: StoredUpdates) -> None:
        """Called after the commit; must be quick and must not raise for the webhook's sake."""


class NullDispatcher:
    """Used until workers run: messages wait, safely stored, in the inbox."""

    def notify(self, stored: StoredUpdates) -> None:
        log.debug("stored %d chats, %d status bots", len(stored.chats), len(stored.status_bots))
