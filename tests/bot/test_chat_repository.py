"""The chat repository on the real databases (SQLite and PostgreSQL): one chat per (bot,
customer), sessions that end after an idle time or on "start over" and are kept, a bounded and
ordered history window, customers known only by their business-scoped user id (BSUID)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from snakecakes.bot.bots import add_bot, ensure_default_bot
from snakecakes.bot.chat import ChatRepository, ChatView, SessionView
from snakecakes.bot.llms.base import EngineReply, Inbound, TurnContext
from snakecakes.crypto import SecretBox
from snakecakes.db.database import Database
from snakecakes.db.models import Chat, ChatSession
from snakecakes.db.types import utcnow
from snakecakes.simulator import payloads as p
from snakecakes.simulator.fake_graph import FakeGraphAPI
from tests.bot.test_routing import shops
from tests.conftest import (
    OTHER_ACCESS_TOKEN,
    OTHER_APP_SECRET,
    OTHER_PHONE_ID,
    SECRET_KEY,
    make_settings,
)

IDLE = 3600.0
ANNA = "4915112340001"
BSUID = "US.13491208655302741918"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=utcnow().tzinfo)
SEC = timedelta(seconds=1)


@pytest.fixture
def bots(db: Database) -> tuple[int, int]:
    box = SecretBox(SECRET_KEY)
    first = ensure_default_bot(db, make_settings(db.url), box)
    assert first is not None
    second = add_bot(
        db,
        box,
        name="Other shop",
        phone_number_id=OTHER_PHONE_ID,
        app_secret=OTHER_APP_SECRET,
        access_token=OTHER_ACCESS_TOKEN,
        verify_token="verify-token-of-bot-b",
    )
    return first, second


REPO = ChatRepository(IDLE)


def _open(
    db: Database,
    bot_id: int,
    customer: str = ANNA,
    at: datetime = T0,
    *,
    wa_id: str | None = ANNA,
    user_id: str | None = None,
    name: str | None = "Anna",
) -> tuple[ChatView, SessionView]:
    with db.transaction() as s:
        return REPO.open(s, bot_id, customer, wa_id=wa_id, user_id=user_id, name=name, now=at)


def _count(db: Database, model: type) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_one_chat_per_bot_and_customer(db: Database, bots: tuple[int, int]) -> None:
    first, second = bots
    chat, _ = _open(db, first)
    again, _ = _open(db, first, at=T0 + timedelta(minutes=1), wa_id=None, name="Anna S.")
    assert again.id == chat.id
    assert again.wa_id == ANNA  # a message without the number does not forget it
    assert again.name == "Anna S."  # the newest profile name wins
    other_bot, _ = _open(db, second)
    other_customer, _ = _open(db, first, "4915112340002", wa_id="4915112340002")
    assert len({chat.id, other_bot.id, other_customer.id}) == 3
    assert _count(db, Chat) == 3
    with db.read() as s:
        row = s.get(Chat, chat.id)
        assert row is not None
        assert (row.bot_id, row.customer_key, row.profile_name) == (first, ANNA, "Anna S.")
        assert row.last_message_at == T0 + timedelta(minutes=1)


def test_first_contact_from_many_threads_makes_one_chat_and_one_session(
    db: Database, bots: tuple[int, int]
) -> None:
    start = threading.Barrier(6)
    opened: list[tuple[ChatView, SessionView]] = []

    def contact() -> None:
        start.wait()
        opened.append(_open(db, bots[0]))

    threads = [threading.Thread(target=contact) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(opened) == 6
    assert len({chat.id for chat, _ in opened}) == 1
    assert len({view.id for _, view in opened}) == 1
    assert (_count(db, Chat), _count(db, ChatSession)) == (1, 1)


def test_a_session_lasts_while_the_customer_keeps_writing(
    db: Database, bots: tuple[int, int]
) -> None:
    _, first = _open(db, bots[0])
    assert first.is_new and first.ended_previous is None
    step = timedelta(seconds=IDLE * 0.9)  # each message within the idle time of the last
    views = [_open(db, bots[0], at=T0 + step * n)[1] for n in (1, 2, 3)]
    assert {v.id for v in views} == {first.id}
    assert not any(v.is_new for v in views)
    assert _count(db, ChatSession) == 1
    with db.read() as s:
        row = s.get(ChatSession, first.id)
        assert row is not None
        assert row.last_activity_at == T0 + step * 3
        assert row.ended_at is None


def test_a_new_session_after_the_idle_time_keeps_the_old_one(
    db: Database, bots: tuple[int, int]
) -> None:
    chat, old = _open(db, bots[0])
    old.set("cart", ["lemon tart"])
    with db.transaction() as s:
        REPO.save_state(s, old)
    later = T0 + timedelta(seconds=IDLE + 1)
    _, new = _open(db, bots[0], at=later)
    assert new.id != old.id
    assert (new.is_new, new.ended_previous, new.state) == (True, "idle", {})
    with db.read() as s:
        kept = s.get(ChatSession, old.id)
        assert kept is not None
        assert (kept.ended_at, kept.end_reason) == (later, "idle")
        assert kept.state == {"cart": ["lemon tart"]}  # ended, not wiped
        row = s.get(Chat, chat.id)
        assert row is not None and row.current_session_id == new.id
    assert _count(db, ChatSession) == 2


def test_start_over_begins_a_new_session_and_keeps_the_old_one(
    db: Database, bots: tuple[int, int]
) -> None:
    chat, old = _open(db, bots[0])
    at = T0 + timedelta(minutes=5)
    with db.transaction() as s:
        REPO.append(s, bots[0], old.id, "user", "two cakes please")
        new = REPO.start_over(s, chat, at)
    assert new.id != old.id
    assert (new.is_new, new.ended_previous, new.state, new.version) == (
        True,
        "start over",
        {},
        0,
    )
    with db.read() as s:
        kept = s.get(ChatSession, old.id)
        assert kept is not None and (kept.ended_at, kept.end_reason) == (at, "start over")
        assert [e.text for e in REPO.history(s, old.id)] == ["two cakes please"]
        assert REPO.history(s, new.id) == []
    # the next message continues the new session
    _, after = _open(db, bots[0], at=at + timedelta(minutes=1))
    assert (after.id, after.is_new) == (new.id, False)


def test_the_history_window_is_the_latest_entries_oldest_first(
    db: Database, bots: tuple[int, int]
) -> None:
    _, view = _open(db, bots[0])
    _, other = _open(db, bots[0], "4915112340002", wa_id="4915112340002")
    with db.transaction() as s:
        for n in range(40):
            # created_at deliberately out of order: the window follows what was written last
            REPO.append(
                s, bots[0], view.id, ("user", "assistant")[n % 2], f"line {n}", now=T0 - n * SEC
            )
            REPO.append(s, bots[0], other.id, "user", f"other {n}")
    with db.read() as s:
        window = REPO.history(s, view.id, limit=5)
        default = REPO.history(s, view.id)
    assert [h.text for h in window] == [f"line {n}" for n in range(35, 40)]
    assert [h.role for h in window] == ["assistant", "user", "assistant", "user", "assistant"]
    assert [h.text for h in default] == [f"line {n}" for n in range(10, 40)]  # 30 by default


def test_session_state_is_written_only_when_changed(db: Database, bots: tuple[int, int]) -> None:
    _, view = _open(db, bots[0])
    with db.transaction() as s:
        REPO.save_state(s, view)  # unchanged: no write, no new version
    assert view.version == 0
    view.set("stage", "choose cake")
    with db.transaction() as s:
        REPO.save_state(s, view)
    assert (view.version, view.changed) == (1, False)
    _, again = _open(db, bots[0], at=T0 + SEC)
    assert (again.state, again.version) == ({"stage": "choose cake"}, 1)


def test_handing_over_is_per_chat(db: Database, bots: tuple[int, int]) -> None:
    _open(db, bots[0])
    _open(db, bots[1])
    with db.transaction() as s:
        assert REPO.set_handed_over(s, bots[0], ANNA, True) is True
        assert REPO.set_handed_over(s, bots[0], "4915199999999", True) is False  # no such chat
    assert _open(db, bots[0], at=T0 + SEC)[0].handed_over is True
    assert _open(db, bots[1], at=T0 + SEC)[0].handed_over is False


def test_a_customer_known_only_by_bsuid_is_addressed_by_it(
    db: Database, bots: tuple[int, int]
) -> None:
    chat, _ = _open(db, bots[0], BSUID, wa_id=None, user_id=BSUID, name="Ana")
    assert (chat.customer_key, chat.wa_id, chat.user_id) == (BSUID, None, BSUID)
    assert chat.recipient == BSUID
    # when the number is known as well, replies go to the number
    both, _ = _open(db, bots[0], ANNA, wa_id=ANNA, user_id="US.222")
    assert both.recipient == ANNA


def test_a_bsuid_only_customer_is_answered_through_a_turn(
    db: Database, bots: tuple[int, int], graph_api: FakeGraphAPI
) -> None:
    with shops(db, graph_api) as make:
        shop = make()
        shop.receive(p.text(p.new_wamid(), None, "Hallo", from_user_id=BSUID), name="Ana")
        [body] = shop.answer(BSUID)
        assert body["recipient"] == BSUID and "to" not in body
        assert body["text"]["body"] == "You said: Hallo"
        chat = shop.chat(BSUID)
    assert (chat.customer_key, chat.wa_id, chat.user_id, chat.profile_name) == (
        BSUID,
        None,
        BSUID,
        "Ana",
    )


@dataclass
class HistoryEngine:
    """Answers like the echo engine and keeps the history each turn was given."""

    name: str = "history"
    seen: list[list[str]] = field(default_factory=list)

    def respond(self, ctx: TurnContext, items: Sequence[Inbound]) -> EngineReply:
        self.seen.append([h.text for h in ctx.history])
        reply = EngineReply()
        reply.say(ctx, "You said: " + " | ".join(i.text or "" for i in items))
        return reply


def test_the_engine_sees_the_history_window_of_the_settings(
    db: Database, bots: tuple[int, int], graph_api: FakeGraphAPI
) -> None:
    engine = HistoryEngine()
    with shops(db, graph_api) as make:
        shop = make(engine, SNAKECAKES_HISTORY_WINDOW=4)
        for n in range(5):
            assert shop.says(p.text(p.new_wamid(ANNA), ANNA, f"cake {n}")) == [
                f"You said: cake {n}"
            ]
    # turn 5 comes after 4 turns of 2 entries each; it sees the newest 4, oldest first
    assert engine.seen[-1] == ["cake 2", "You said: cake 2", "cake 3", "You said: cake 3"]
