"""Recent messages per chat, in memory: "is this still the latest?" and burst grouping."""

from snakecakes.bot.msg_cache.base import CachedMessage, MessageCache
from snakecakes.bot.msg_cache.memory import MemoryMessageCache

__all__ = ["CachedMessage", "MemoryMessageCache", "MessageCache"]
