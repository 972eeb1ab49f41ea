"""The in-memory message cache: per chat a short list with a TTL, guarded by one lock."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from snakecakes.bot.msg_cache.base import CachedMessage


class MemoryMessageCache:
    def __init__(self, ttl: float = 120.0, max_chats: int = 100_000, per_chat: int = 20) -> None:
        self.ttl = ttl
        self.max_chats = max_chats
        self.per_chat = per_chat
        self._chats: OrderedDict[tuple[int, str], list[CachedMessage]] = OrderedDict()
        self._lock = threading.Lock()

    def record(self, bot_id: int, chat_key: str, message: CachedMessage) -> None:
        key = (bot_id, chat_key)
        with self._lock:
            items = self._chats.pop(key, [])
            items.append(message)
            items.sort(key=lambda m: m.row_id)
            self._chats[key] = items[-self.per_chat :]
            while len(self._chats) > self.max_chats:
                self._chats.popitem(last=False)

    def latest(self, bot_id: int, chat_key: str) -> CachedMessage | None:
        items = self.recent(bot_id, chat_key)
        return items[-1] if items else None

    def recent(self, bot_id: int, chat_key: str) -> list[CachedMessage]:
        cutoff = time.time() - self.ttl
        key = (bot_id, chat_key)
        with self._lock:
            items = [m for m in self._chats.get(key, []) if m.received_at >= cutoff]
            if items:
                self._chats[key] = items
            else:
                self._chats.pop(key, None)
            return list(items)
