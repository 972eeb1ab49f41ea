"""The database side of a turn: reading pending messages, and the ONE commit of its answer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from snakecakes.bot.chat import ChatRepository, ChatView, HistoryItem, SessionView
from snakecakes.bot.llms.base import Inbound, TurnContext
from snakecakes.bot.ordering.actions import RecordEvent, Scope
from snakecakes.bot.routing import Draft
from snakecakes.bot.whatsapp import outbox
from snakecakes.bot.whatsapp.parse import PayloadError, parse_message
from snakecakes.db.database import Database
from snakecakes.db.models import Chat, InboxMessage
from snakecakes.db.types import utcnow


class TurnStore:
    def __init__(self, db: Database, chats: ChatRepository, history_window: int = 30) -> None:
        self.db = db
        self.chats = chats
        self.history_window = history_window

    def pending(self, bot_id: int, chat_key: str) -> list[Inbound]:
        with self.db.read() as session:
            rows = session.scalars(
                select(InboxMessage)
                .where(
                    InboxMessage.bot_id == bot_id,
                    InboxMessage.customer_key == chat_key,
                    InboxMessage.state == "pending",
                )
                .order_by(InboxMessage.wa_timestamp, InboxMessage.id)
            ).all()
        items, unreadable = [], []
        for row in rows:
            try:
                message = parse_message(row.payload.get("message"))
            except PayloadError as exc:
                unreadable.append((row.id, str(exc)))
                continue
            items.append(
                Inbound(row.id, row.wamid, message, row.received_at.timestamp(), row.attempts)
            )
        for row_id, reason in unreadable:  # the intake stores parsed messages only; just in case
            with self.db.transaction() as session:
                _mark(session, [row_id], state="parked", last_error=f"unreadable: {reason}")
        return items

    def open_chat(
        self, bot_id: int, chat_key: str, items: list[Inbound]
    ) -> tuple[ChatView, SessionView, list[HistoryItem]]:
        with self.db.transaction() as session:
            last = session.get(InboxMessage, items[-1].row_id)
            wa_id, user_id, name = (
                (last.wa_id, last.user_id, last.contact_name) if last else (None, None, None)
            )
            chat, view = self.chats.open(
                session, bot_id, chat_key, wa_id=wa_id, user_id=user_id, name=name, now=utcnow()
            )
            history = self.chats.history(session, view.id, self.history_window)
        return chat, view, history

    def commit(
        self, bot_id: int, chat_key: str, ctx: TurnContext, items: list[Inbound], draft: Draft
    ) -> bool:
        """Everything the turn decided, in one transaction; False (nothing written) when the
        rows were processed meanwhile by someone else."""
        now = utcnow()
        with self.db.transaction() as session:
            ids = [i.row_id for i in items]
            if _mark(session, ids, state="done", processed_at=now) != len(ids):
                session.rollback()
                return False
            view = ctx.session
            if draft.start_over:
                view = self.chats.start_over(session, ctx.chat, now)
            for role, text, meta in draft.history:
                self.chats.append(
                    session,
                    bot_id,
                    view.id,
                    role,
                    text,
                    meta=meta,
                    tool_calls=draft.tool_calls if role == "assistant" else None,
                )
            self.chats.save_state(session, view)
            if draft.hand_over is not None:
                self.chats.set_handed_over(session, bot_id, chat_key, draft.hand_over)
            scope = Scope(bot_id, chat_key, ctx.recipient, view.id)
            replies = [reply for action in draft.actions for reply in action.apply(session, scope)]
            for _body, text in replies:
                self.chats.append(session, bot_id, view.id, "assistant", text)
            if draft.usage:
                RecordEvent("llm_usage", draft.usage).apply(session, scope)
            for body in [*draft.bodies, *(body for body, _text in replies)]:
                outbox.queue_message(
                    session, bot_id=bot_id, chat_key=chat_key, recipient=ctx.recipient, body=body
                )
        return True

    def record_failure(self, items: list[Inbound], reason: str) -> int:
        with self.db.transaction() as session:
            ids = [i.row_id for i in items]
            _mark(session, ids, attempts=InboxMessage.attempts + 1, last_error=reason)
            return int(
                session.scalar(
                    select(func.max(InboxMessage.attempts)).where(InboxMessage.id.in_(ids))
                )
                or 0
            )

    def park(
        self, bot_id: int, chat_key: str, item: Inbound, reason: str, apology: dict[str, Any]
    ) -> None:
        """Set a message aside with its error visible; the customer gets an apology, not
        silence, and the chat goes on with the next message."""
        with self.db.transaction() as session:
            if (
                _mark(
                    session, [item.row_id], state="parked", last_error=reason, processed_at=utcnow()
                )
                != 1
            ):
                return
            outbox.queue_message(
                session,
                bot_id=bot_id,
                chat_key=chat_key,
                recipient=str(apology.get("to") or apology.get("recipient")),
                body=apology,
            )

    def recipient_of(self, bot_id: int, chat_key: str) -> str:
        with self.db.read() as session:
            chat = session.scalars(
                select(Chat).where(Chat.bot_id == bot_id, Chat.customer_key == chat_key)
            ).one_or_none()
        if chat is not None:
            return chat.wa_id or chat.user_id or chat_key
        return chat_key


def _mark(session: Session, ids: list[int], **values: Any) -> int:
    result = session.execute(
        update(InboxMessage)
        .where(InboxMessage.id.in_(ids), InboxMessage.state == "pending")
        .values(**values)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
