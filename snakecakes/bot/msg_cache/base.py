"""The interface: small on purpose, so a shared implementation (say, Redis) can replace the
in-memory one when several processes serve one chat. The database stays the truth: a cache that
does not know a chat says so (None), and the caller asks the database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class CachedMessage:
    row_id: int  # the inbox row: arrival order
    received_at: float  # epoch seconds


class MessageCache(Protocol):
    def record(self, bot_id: int, chat_key: str, message: CachedMessage) -> None:
        """Remember a message that was just committed to the inbox."""

    def latest(self, bot_id: int, chat_key: str) -> CachedMessage | None:
        """The newest message known for the chat, or None when the cache does not know."""

    def recent(self, bot_id: int, chat_key: str) -> list[CachedMessage]:
        """The chat's messages still within the TTL, oldest first."""
