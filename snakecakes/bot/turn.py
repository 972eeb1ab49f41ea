"""One turn of a chat: its pending messages in, one committed answer out.

1. load every unprocessed inbox row of the chat, in order (WhatsApp timestamp, then arrival);
   wait while the chat is still in a burst (quiet for SNAKECAKES_BURST_DELAY_SECONDS);
2. mark the latest read and show the typing indicator (best effort);
3. route each message; the engine answers what is left for it, all at once;
4. latest-wins: if a newer message arrived meanwhile, drop the draft and run again with it;
5. ONE transaction: inbox rows done (only if still pending), history, session state, outbox.
Nothing is written before step 5, so a crash anywhere leaves the rows pending, and running the
turn again answers them exactly once.
"""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from snakecakes import metrics
from snakecakes.bot.bots import BotCredentials, BotDirectory
from snakecakes.bot.chat import ChatRepository, SessionView
from snakecakes.bot.llms.base import Engine, Inbound, TurnContext
from snakecakes.bot.msg_cache import MessageCache
from snakecakes.bot.ordering import buttons as _order_buttons  # noqa: F401  (registers them)
from snakecakes.bot.ordering.shelf import Shelf
from snakecakes.bot.prompts import PromptRegistry
from snakecakes.bot.routing import Draft, route
from snakecakes.bot.turn_store import TurnStore
from snakecakes.bot.whatsapp import messages
from snakecakes.bot.whatsapp.client import GraphClient
from snakecakes.bot.whatsapp.errors import WhatsAppError
from snakecakes.config import Settings
from snakecakes.db.database import Database
from snakecakes.db.models import InboxMessage
from snakecakes.db.types import utcnow
from snakecakes.shop import about

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TurnResult:
    op: str  # idle | wait | answered | failed
    seconds: float = 0.0
    replies: int = 0
    orders: bool = False  # an order changed: its push to the shop's system is due


class TurnRunner:
    def __init__(
        self,
        db: Database,
        bots: BotDirectory,
        engine: Engine,
        cache: MessageCache,
        graph: GraphClient,
        settings: Settings,
        prompts: PromptRegistry | None = None,
        shop: Shelf | None = None,
    ) -> None:
        self.db = db
        self.bots = bots
        self.engine = engine
        self.cache = cache
        self.graph = graph
        self.settings = settings
        self.prompts = prompts or PromptRegistry()
        self.shop = shop
        self.chats = ChatRepository(settings.session_idle_seconds)
        self.store = TurnStore(db, self.chats, settings.history_window)

    def run(self, bot_id: int, chat_key: str) -> TurnResult:
        items = self.store.pending(bot_id, chat_key)
        if not items:
            return TurnResult("idle")
        wait = self._burst_wait(items)
        if wait > 0:
            return TurnResult("wait", wait)
        if items[0].attempts > 0:
            items = items[:1]  # a batch failed before: find the message that fails, alone
        bot = self.bots.by_id(bot_id)
        if bot is None:
            raise RuntimeError(f"bot {bot_id} is not active")
        self._typing(bot, items[-1].wamid)
        started = time.perf_counter()
        try:
            for restart in range(self.settings.turn_restarts + 1):
                ctx, draft = self._draft(bot, chat_key, items)
                newer = self._newer(bot_id, chat_key, items)
                if not newer:
                    break
                if restart == self.settings.turn_restarts:
                    log.info(
                        "chat %s: still new messages after %d restarts, answering",
                        chat_key,
                        restart,
                    )
                    break
                metrics.TURN_RESTARTS.inc()
                items = self.store.pending(bot_id, chat_key)
        except Exception as exc:
            return self._failed(bot, chat_key, items, exc)
        committed = self.store.commit(bot_id, chat_key, ctx, items, draft)
        metrics.TURN_SECONDS.observe(time.perf_counter() - started)
        if not committed:
            log.warning("chat %s: rows already processed elsewhere, draft dropped", chat_key)
            return TurnResult("idle")
        replies = len(draft.bodies) + sum(a.changes_orders for a in draft.actions)
        return TurnResult("answered", replies=replies, orders=draft.changes_orders)

    def _burst_wait(self, items: list[Inbound]) -> float:
        now = time.time()
        newest = max(i.received_at for i in items)
        oldest = min(i.received_at for i in items)
        quiet_for = self.settings.burst_delay_seconds - (now - newest)
        cap = self.settings.burst_max_seconds - (now - oldest)
        return max(0.0, min(quiet_for, cap))

    def _typing(self, bot: BotCredentials, wamid: str) -> None:
        try:
            self.graph.for_number(bot.phone_number_id, bot.access_token).mark_read(
                wamid, typing=True
            )
        except WhatsAppError as exc:
            log.info("typing indicator not shown: %s", exc.code or type(exc).__name__)

    def _draft(
        self, bot: BotCredentials, chat_key: str, items: list[Inbound]
    ) -> tuple[TurnContext, Draft]:
        chat, session, history = self.store.open_chat(bot.id, chat_key, items)
        ctx = TurnContext(
            bot_id=bot.id,
            bot_name=bot.name,
            chat=chat,
            session=SessionView(
                session.id,
                copy.deepcopy(session.state),
                session.version,
                session.started_at,
                session.is_new,
                session.ended_previous,
            ),
            history=history,
            now=utcnow(),
            prompts=self.prompts,
            shop=self.shop,
            order_prefix=self.settings.order_prefix,
            shop_variables=self.shop.prompt_variables(bot.id) if self.shop else {},
        )
        draft = Draft()
        if self.settings.out_of_hours_notice and ctx.session.is_new:
            self._out_of_hours(ctx, draft)
        for item in items:
            route(ctx, item, draft)
        if draft.for_engine and not chat.handed_over:
            draft.add(self.engine.respond(ctx, draft.for_engine))
        return ctx, draft

    def _out_of_hours(self, ctx: TurnContext, draft: Draft) -> None:
        """A new conversation while the shop is closed: say so once, then go on as usual."""
        catalog = self.shop.catalog(ctx.bot_id) if self.shop else None
        if catalog is None or about.open_now(catalog.shop, ctx.now):
            return
        opens = about.next_opening(catalog.shop, ctx.now)
        when = about.describe_opening(opens, ctx.now) if opens else None
        draft.say(ctx, ctx.prompt("out_of_hours", opens=when))

    def _newer(self, bot_id: int, chat_key: str, items: list[Inbound]) -> bool:
        """Latest-wins: has the customer written again since these messages were loaded?"""
        last = max(i.row_id for i in items)
        cached = self.cache.latest(bot_id, chat_key)
        if cached is not None and cached.row_id > last:
            return True
        with self.db.read() as session:
            newer = session.scalar(
                select(InboxMessage.id)
                .where(
                    InboxMessage.bot_id == bot_id,
                    InboxMessage.customer_key == chat_key,
                    InboxMessage.state == "pending",
                    InboxMessage.id > last,
                )
                .limit(1)
            )
        return newer is not None

    def _failed(
        self, bot: BotCredentials, chat_key: str, items: list[Inbound], exc: Exception
    ) -> TurnResult:
        metrics.TURN_FAILURES.inc()
        reason = f"{type(exc).__name__}: {exc}"[:2000]
        log.exception("chat %s: turn failed (%d rows)", chat_key, len(items))
        attempts = self.store.record_failure(items, reason)
        if len(items) == 1 and attempts >= self.settings.turn_max_attempts:
            apology = self._apology(bot, chat_key)
            self.store.park(bot.id, chat_key, items[0], reason, apology)
            metrics.TURNS_PARKED.inc()
            log.error(
                "chat %s: message %d parked after %d attempts", chat_key, items[0].row_id, attempts
            )
            return TurnResult("answered", replies=1)
        return TurnResult("failed", min(30.0, 0.5 * 2**attempts))

    def _apology(self, bot: BotCredentials, chat_key: str) -> dict[str, Any]:
        text = self.prompts.render("apology", bot.id, shop_name=bot.name)
        return messages.text(self.store.recipient_of(bot.id, chat_key), text)
