"""What the webhook intake tells the rest of the bot after its commit."""

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
    messages: tuple[tuple[int, str, int, float], ...] = ()  # (bot, chat, row id, received at)

    def __bool__(self) -> bool:
        return bool(self.chats or self.status_bots)


class Dispatcher(Protocol):
    def notify(self, stored: StoredUpdates) -> None:
        """Called after the commit; must be quick and must not raise for the webhook's sake."""


class NullDispatcher:
    """Used when no workers run in this process: updates wait, safely stored."""

    def notify(self, stored: StoredUpdates) -> None:
        log.debug("stored %d chats, %d status bots", len(stored.chats), len(stored.status_bots))
