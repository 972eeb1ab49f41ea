"""The in-memory message cache: the newest message per chat (latest-wins) and the recent ones
(bursts), in arrival order, within a TTL and bounded in size; "I do not know" is None."""

from __future__ import annotations

import threading
import time

from snakecakes.bot.msg_cache import CachedMessage, MemoryMessageCache, MessageCache


def _msg(row_id: int, age: float = 0.0) -> CachedMessage:
    return CachedMessage(row_id, time.time() - age)


def test_an_unknown_chat_is_none_not_empty() -> None:
    cache: MessageCache = MemoryMessageCache()
    assert cache.latest(1, "4915100000001") is None
    assert cache.recent(1, "4915100000001") == []


def test_latest_is_the_newest_row_whatever_the_recording_order() -> None:
    cache = MemoryMessageCache()
    for row_id in (5, 3, 9, 7):  # webhook threads commit and record in any order
        cache.record(1, "a", _msg(row_id))
    assert cache.latest(1, "a") == CachedMessage(9, cache.recent(1, "a")[-1].received_at)
    assert [m.row_id for m in cache.recent(1, "a")] == [3, 5, 7, 9]


def test_chats_are_kept_apart_per_bot_and_customer() -> None:
    cache = MemoryMessageCache()
    cache.record(1, "a", _msg(1))
    cache.record(2, "a", _msg(2))  # the same customer writing to another number
    cache.record(1, "b", _msg(3))
    assert [m.row_id for m in cache.recent(1, "a")] == [1]
    assert [m.row_id for m in cache.recent(2, "a")] == [2]
    assert [m.row_id for m in cache.recent(1, "b")] == [3]
    assert cache.latest(2, "b") is None


def test_messages_older_than_the_ttl_are_forgotten() -> None:
    cache = MemoryMessageCache(ttl=60)
    cache.record(1, "a", _msg(1, age=120))
    cache.record(1, "a", _msg(2, age=30))
    assert [m.row_id for m in cache.recent(1, "a")] == [2]
    cache.record(1, "b", _msg(3, age=61))
    assert cache.latest(1, "b") is None  # all expired: the cache does not know the chat
    assert cache.recent(1, "b") == []


def test_expiry_happens_with_time_passing() -> None:
    cache = MemoryMessageCache(ttl=0.2)
    cache.record(1, "a", _msg(1))
    assert cache.latest(1, "a") is not None
    time.sleep(0.3)
    assert cache.latest(1, "a") is None


def test_a_chat_keeps_only_its_newest_messages() -> None:
    cache = MemoryMessageCache(per_chat=3)
    for row_id in (10, 1, 12, 11, 2):
        cache.record(1, "a", _msg(row_id))
    assert [m.row_id for m in cache.recent(1, "a")] == [10, 11, 12]


def test_the_chats_written_to_least_recently_are_evicted_first() -> None:
    cache = MemoryMessageCache(max_chats=2)
    cache.record(1, "a", _msg(1))
    cache.record(1, "b", _msg(2))
    cache.record(1, "a", _msg(3))  # "a" is fresh again
    cache.record(1, "c", _msg(4))  # over the bound: "b" goes
    assert cache.latest(1, "b") is None
    assert [m.row_id for m in cache.recent(1, "a")] == [1, 3]
    assert cache.latest(1, "c") is not None


def test_recording_from_many_threads_loses_nothing() -> None:
    cache = MemoryMessageCache(per_chat=1000)
    start = threading.Barrier(8)

    def write(t: int) -> None:
        start.wait()
        for n in range(100):
            cache.record(1, f"chat-{n % 4}", _msg(t * 1000 + n))

    threads = [threading.Thread(target=write, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for chat in range(4):
        rows = [m.row_id for m in cache.recent(1, f"chat-{chat}")]
        assert rows == sorted(t * 1000 + n for t in range(8) for n in range(chat, 100, 4))
