"""The chat repository: one chat per (bot, customer), sessions within it, history within those.

Every method works inside the caller's transaction (a turn writes history, state, inbox and
outbox in ONE commit). A session ends after SNAKECAKES_SESSION_IDLE_SECONDS without activity or
when the customer starts over; ended sessions are kept, never deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from snakecakes.db.inserts import insert_new
from snakecakes.db.models import Chat, ChatEntry, ChatSession


@dataclass(frozen=True, slots=True)
class ChatView:
    id: int
    bot_id: int
    customer_key: str
    wa_id: str | None
    user_id: str | None
    name: str | None
    handed_over: bool

    @property
    def recipient(self) -> str:
        """Address replies by number when there is one, else by business-scoped user id."""
        return self.wa_id or self.user_id or self.customer_key


@dataclass(slots=True)
class SessionView:
    id: int
    state: dict[str, Any]
    version: int
    started_at: datetime
    is_new: bool
    ended_previous: str | None = None  # why the previous session ended, when this one is new
    changed: bool = field(default=False)

    def set(self, key: str, value: Any) -> None:
        self.state[key] = value
        self.changed = True


@dataclass(frozen=True, slots=True)
class HistoryItem:
    role: str
    text: str
    tool_calls: list[dict[str, Any]] | None
    created_at: datetime


class ChatRepository:
    def __init__(self, idle_seconds: float) -> None:
        self.idle = timedelta(seconds=idle_seconds)

    def open(
        self,
        session: Session,
        bot_id: int,
        customer_key: str,
        *,
        wa_id: str | None,
        user_id: str | None,
        name: str | None,
        now: datetime,
    ) -> tuple[ChatView, SessionView]:
        """Continue the customer's session, or start one (first contact, or idle too long)."""
        insert_new(
            session,
            Chat,
            [
                {
                    "bot_id": bot_id,
                    "customer_key": customer_key,
                    "handed_over": False,
                    "created_at": now,
                }
            ],
            ("bot_id", "customer_key"),
        )
        chat = session.scalars(
            select(Chat).where(Chat.bot_id == bot_id, Chat.customer_key == customer_key)
        ).one()
        chat.wa_id = wa_id or chat.wa_id
        chat.user_id = user_id or chat.user_id
        chat.profile_name = name or chat.profile_name
        chat.last_message_at = now
        current = (
            session.get(ChatSession, chat.current_session_id) if chat.current_session_id else None
        )
        ended = None
        if current is not None and now - current.last_activity_at > self.idle:
            current.ended_at, current.end_reason = now, "idle"
            ended, current = "idle", None
        if current is None:
            current = self._start(session, chat, now)
            view = SessionView(current.id, {}, 0, now, True, ended)
        else:
            current.last_activity_at = now
            view = SessionView(
                current.id, dict(current.state or {}), current.version, current.started_at, False
            )
        return _chat_view(chat), view

    def start_over(
        self, session: Session, chat: ChatView, now: datetime, reason: str = "start over"
    ) -> SessionView:
        row = session.get(Chat, chat.id)
        assert row is not None
        if row.current_session_id:
            session.execute(
                update(ChatSession)
                .where(ChatSession.id == row.current_session_id)
                .values(ended_at=now, end_reason=reason)
            )
        new = self._start(session, row, now)
        return SessionView(new.id, {}, 0, now, True, reason)

    @staticmethod
    def _start(session: Session, chat: Chat, now: datetime) -> ChatSession:
        new = ChatSession(
            bot_id=chat.bot_id,
            chat_id=chat.id,
            state={},
            version=0,
            started_at=now,
            last_activity_at=now,
        )
        session.add(new)
        session.flush()
        chat.current_session_id = new.id
        return new

    @staticmethod
    def append(
        session: Session,
        bot_id: int,
        session_id: int,
        role: str,
        text: str,
        *,
        tool_calls: list[dict[str, Any]] | None = None,
        wamids: list[str] | None = None,
        meta: dict[str, Any] | None = None,
        now: datetime | None = None,
    ) -> None:
        entry = ChatEntry(
            bot_id=bot_id,
            session_id=session_id,
            role=role,
            text=text,
            tool_calls=tool_calls,
            wamids=wamids,
            meta=meta,
        )
        if now is not None:
            entry.created_at = now
        session.add(entry)

    @staticmethod
    def history(session: Session, session_id: int, limit: int = 30) -> list[HistoryItem]:
        """The last `limit` entries of a session, oldest first: a bounded window for engines."""
        rows = session.scalars(
            select(ChatEntry)
            .where(ChatEntry.session_id == session_id)
            .order_by(ChatEntry.id.desc())
            .limit(limit)
        ).all()
        return [HistoryItem(r.role, r.text, r.tool_calls, r.created_at) for r in reversed(rows)]

    @staticmethod
    def save_state(session: Session, view: SessionView) -> None:
        if view.changed:
            session.execute(
                update(ChatSession)
                .where(ChatSession.id == view.id)
                .values(state=view.state, version=ChatSession.version + 1)
            )
            view.version += 1
            view.changed = False

    @staticmethod
    def set_handed_over(session: Session, bot_id: int, customer_key: str, value: bool) -> bool:
        done = session.execute(
            update(Chat)
            .where(Chat.bot_id == bot_id, Chat.customer_key == customer_key)
            .values(handed_over=value)
        )
        return bool(done.rowcount)  # type: ignore[attr-defined]


def _chat_view(chat: Chat) -> ChatView:
    return ChatView(
        chat.id,
        chat.bot_id,
        chat.customer_key,
        chat.wa_id,
        chat.user_id,
        chat.profile_name,
        chat.handed_over,
    )
