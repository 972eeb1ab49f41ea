"""Wires the bot's services and runs the workers of a process.

Three roles, one code base:
- `serve` (embedded, the default): takes webhooks AND runs the workers (turns and sending) as
  threads, with DBOS in this process;
- `web` (`serve --web-only`): takes webhooks, stores them and answers; nothing more;
- `worker`: finds new inbox rows (bot/inbox_watch.py), runs turns and sending for every chat,
  no web server.
The intake commits first and only then notifies (hooks.Dispatcher), so a lost notification never
loses a message: sweeps pick up whatever a lost wake-up or a dead process left behind.
"""

from __future__ import annotations

import logging

from snakecakes.bot import dispatch, durable
from snakecakes.bot.background import BackgroundLoop
from snakecakes.bot.bots import BotDirectory
from snakecakes.bot.hooks import Dispatcher, NullDispatcher, StoredUpdates
from snakecakes.bot.inbox_watch import InboxWatch
from snakecakes.bot.llms.base import Engine
from snakecakes.bot.llms.echo import EchoEngine
from snakecakes.bot.msg_cache import MemoryMessageCache
from snakecakes.bot.ordering.shelf import Shelf
from snakecakes.bot.prompts import PromptRegistry
from snakecakes.bot.prompts.overrides import DatabaseOverrides
from snakecakes.bot.recovery import Heartbeats, stale_chats
from snakecakes.bot.turn import TurnRunner
from snakecakes.bot.whatsapp.client import GraphClient
from snakecakes.bot.whatsapp.delivery import apply_statuses
from snakecakes.bot.whatsapp.sender import Sender
from snakecakes.config import Settings
from snakecakes.crypto import SecretBox
from snakecakes.db.database import Database
from snakecakes.shop.order_push import OrderPusher

__all__ = ["Dispatcher", "NullDispatcher", "Runtime", "StoredUpdates", "make_engine"]

log = logging.getLogger(__name__)

ROLES = ("serve", "web", "worker")


def make_engine(settings: Settings) -> Engine:
    """The engine the settings ask for; `auto` picks the best one available."""
    llm = settings.openai_api_key is not None or settings.openai_base_url is not None
    if settings.engine == "openai" or (settings.engine == "auto" and llm):
        from snakecakes.bot.llms.openai_engine import OpenAIEngine  # the SDK loads only if used

        return OpenAIEngine.from_settings(settings)
    if settings.engine in ("offline", "auto"):
        from snakecakes.bot.llms.offline import OfflineEngine

        return OfflineEngine.from_settings(settings)
    if settings.engine == "echo":
        return EchoEngine(delay=settings.echo_delay_seconds)
    raise ValueError(f"SNAKECAKES_ENGINE: unknown engine {settings.engine!r}")


class Runtime:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        box: SecretBox,
        *,
        role: str,
        engine: Engine | None = None,
    ) -> None:
        if role not in ROLES and role != "test":
            raise ValueError(f"unknown role {role}")
        self.settings = settings
        self.db = db
        self.role = role
        self.runs_workers = role != "web"
        self.graph = GraphClient(
            settings.whatsapp_api_base_url,
            settings.whatsapp_api_version,
            read_timeout=settings.graph_timeout_seconds,
        )
        self.bots = BotDirectory(db, box, ttl=settings.bot_cache_seconds)
        self.sender = Sender(db, box, self.graph, settings)
        self.cache = MemoryMessageCache()
        self.engine = engine or make_engine(settings)
        self.shelf = Shelf(db)
        self.prompts = PromptRegistry(DatabaseOverrides(db))
        self.turns = TurnRunner(
            db,
            self.bots,
            self.engine,
            self.cache,
            self.graph,
            settings,
            prompts=self.prompts,
            shop=self.shelf,
        )
        self.order_push = OrderPusher(db, settings)
        self.background = BackgroundLoop()
        # A web-only process stores and answers, nothing else: the workers apply the statuses
        # (every second; an embedded process also as soon as a webhook brings some).
        self.dispatcher = dispatch.TurnDispatcher(
            self.cache,
            dispatch.enqueue_turns if self.runs_workers else None,
            self.background.poke if self.runs_workers else lambda: None,
            track_active=role in ("serve", "test"),
        )
        if self.runs_workers:
            every_status = 1.0 if role == "worker" else 2.0
            self.background.add("delivery statuses", lambda: apply_statuses(db), every_status, True)
        self.executor_id = settings.executor_id or durable.default_executor_id(role)
        if self.runs_workers:
            every, grace = settings.sweep_seconds, settings.sweep_grace_seconds
            self.background.add("outbox sweep", self.sender.sweep, every, False)
            self.background.add("inbox sweep", lambda: self.sweep_inbox(grace), every, False)
            self.background.add("order push sweep", self.order_push.sweep, every, False)
            self.heartbeats = Heartbeats(db, self.executor_id, role, dead_after=grace * 2)
            self.background.add("heartbeat", self.heartbeats.beat, max(1.0, every / 2), False)
            if role == "worker":  # rows stored by web-only processes, which enqueue nothing
                watch = InboxWatch(db, dispatch.enqueue_turns_as)
                self.background.add("inbox watch", watch.poll, settings.inbox_poll_seconds, False)
            if not db.is_sqlite:  # several worker processes share PostgreSQL
                self.background.add("dead workers", self.heartbeats.recover_dead, every, False)

    def sweep_inbox(self, grace: float) -> int:
        chats = stale_chats(self.db, grace)
        for chat in chats:
            self.dispatcher.force(chat)
        if chats:
            log.warning("inbox sweep re-dispatched %d chats", len(chats))
        return len(chats)

    def start(self, *, reset: bool = False) -> None:
        if self.runs_workers:
            # before launch: DBOS recovers this executor's pending workflows at once
            self.sender.install()
            self.order_push.install()
            dispatch.install(self.turns, self.dispatcher if self.role != "worker" else None)
            durable.launch(self.settings, role=self.role, reset=reset)
        self.dispatcher.start()
        self.background.start()

    def stop(self) -> None:
        self.background.stop()
        self.dispatcher.stop()
        if self.runs_workers:
            durable.shutdown()
        self.graph.close()
        self.order_push.close()

    def order_changed(self, bot_id: int, chat_key: str) -> None:
        """Staff changed an order (admin API): push it and send the customer's notice now.
        Without workers in this process the sweeps pick both up."""
        if self.runs_workers:
            self.order_push.wake(bot_id)
            self.sender.wake(bot_id, chat_key)
