"""From "a message was stored" to a durable per-chat job, and the job itself.

`process_chat` runs on the DBOS queue `turns`, partitioned by chat: at most one runs per chat,
across every process, and different chats run in parallel. It loops turn after turn until the
chat has nothing pending, then ends.

In the embedded process the dispatcher also knows which chats have a job queued or running, so
a burst of webhooks for one chat costs one job, not one per message. The rule that makes this
safe: each chat has a generation counter, bumped (under a lock) for every stored message; a job
may end only if the generation did not move since its last look at the inbox, otherwise it
loops. A process that only takes webhooks (`serve --web-only`) enqueues nothing: the worker
processes find its rows (bot/inbox_watch.py).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from dbos import DBOS, SetEnqueueOptions, SetWorkflowID

from snakecakes import metrics
from snakecakes.bot import durable
from snakecakes.bot.durable import TURNS_QUEUE
from snakecakes.bot.hooks import StoredUpdates
from snakecakes.bot.msg_cache import CachedMessage, MessageCache
from snakecakes.bot.turn import TurnRunner
from snakecakes.bot.whatsapp.sender import enqueue_drain, partition_key
from snakecakes.shop import order_push

log = logging.getLogger(__name__)

WORKFLOW_NAME = "snakecakes.process_chat"
TURNS_PER_JOB = 50

Chat = tuple[int, str]

_runner: TurnRunner | None = None
_dispatcher: TurnDispatcher | None = None


def install(runner: TurnRunner, dispatcher: TurnDispatcher | None) -> None:
    global _runner, _dispatcher
    _runner, _dispatcher = runner, dispatcher


@DBOS.workflow(name=WORKFLOW_NAME)
def process_chat(bot_id: int, chat_key: str) -> int:
    answered = 0
    for _ in range(TURNS_PER_JOB):
        result = run_turn(bot_id, chat_key)
        if result["op"] == "answered":
            answered += 1
            if result["replies"]:
                enqueue_drain(bot_id, chat_key)
            if result["orders"] and order_push.enabled():
                order_push.enqueue_push(bot_id)
        elif result["op"] in ("wait", "failed"):
            DBOS.sleep(result["seconds"])
        elif _dispatcher is None or _dispatcher.try_finish((bot_id, chat_key), result["gen"]):
            return answered
    enqueue_turns(bot_id, chat_key)  # a very busy chat continues in a fresh job
    return answered


@durable.retrying_step("snakecakes.run_turn")
def run_turn(bot_id: int, chat_key: str) -> dict[str, Any]:
    if _runner is None:
        raise RuntimeError("turns used before dispatch.install()")
    gen = _dispatcher.generation((bot_id, chat_key)) if _dispatcher else 0
    result = _runner.run(bot_id, chat_key)
    return {
        "op": result.op,
        "seconds": result.seconds,
        "replies": result.replies,
        "orders": result.orders,
        "gen": gen,
    }


def enqueue_turns(bot_id: int, chat_key: str) -> None:
    with SetEnqueueOptions(queue_partition_key=partition_key(bot_id, chat_key)):
        DBOS.enqueue_workflow(TURNS_QUEUE, process_chat, bot_id, chat_key)


def enqueue_turns_as(bot_id: int, chat_key: str, workflow_id: str) -> None:
    """Enqueue under a chosen id: a second enqueue with the same id is the same job."""
    with (
        SetWorkflowID(workflow_id),
        SetEnqueueOptions(queue_partition_key=partition_key(bot_id, chat_key)),
    ):
        DBOS.enqueue_workflow(TURNS_QUEUE, process_chat, bot_id, chat_key)


class TurnDispatcher:
    """Called by the webhook path after its commit: records the messages in the cache, and hands
    the chats to a thread that enqueues jobs, so the webhook never waits for a queue."""

    def __init__(
        self,
        cache: MessageCache,
        enqueue: Callable[[int, str], None] | None,
        on_statuses: Callable[[], None],
        *,
        track_active: bool,
    ) -> None:
        self.cache = cache
        self.enqueue = enqueue
        self.on_statuses = on_statuses
        self.track_active = track_active
        self._lock = threading.Lock()
        self._generation: dict[Chat, int] = {}
        self._active: set[Chat] = set()
        self._todo: queue.Queue[Chat | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.enqueue is None:
            return
        self._thread = threading.Thread(target=self._run, name="snakecakes-dispatch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._todo.put(None)
        if self._thread is not None:
            self._thread.join(timeout=10)

    def notify(self, stored: StoredUpdates) -> None:
        if stored.status_bots:
            self.on_statuses()
        if self.enqueue is None:  # a web-only process: the workers' inbox watch takes it
            return
        for bot_id, chat_key, row_id, received_at in stored.messages:
            self.cache.record(bot_id, chat_key, CachedMessage(row_id, received_at))
        with self._lock:
            for chat in stored.chats:
                self._generation[chat] = self._generation.get(chat, 0) + 1
                if self.track_active and chat in self._active:
                    continue
                self._active.add(chat)
                self._todo.put(chat)

    def force(self, chat: Chat) -> None:
        """Enqueue even if a job seems active (the sweep's way to unstick a chat)."""
        with self._lock:
            self._active.add(chat)
        self._todo.put(chat)

    def generation(self, chat: Chat) -> int:
        with self._lock:
            return self._generation.get(chat, 0)

    def try_finish(self, chat: Chat, seen: int) -> bool:
        with self._lock:
            if self._generation.get(chat, 0) != seen:
                return False
            self._active.discard(chat)
            self._generation.pop(chat, None)
            return True

    def _run(self) -> None:
        while (chat := self._todo.get()) is not None and self.enqueue is not None:
            try:
                self.enqueue(*chat)
            except Exception:
                metrics.DISPATCH_ERRORS.inc()
                with self._lock:
                    self._active.discard(chat)
                log.exception("could not enqueue chat %s; the pending sweep will", chat[1])
