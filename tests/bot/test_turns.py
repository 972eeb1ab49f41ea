"""Turns through the real path: signed webhook, DBOS job per chat, engine, outbox, fake Graph."""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import select

from snakecakes.db.models import InboxMessage
from snakecakes.simulator import payloads as p
from tests.bot.conftest import Bot
from tests.conftest import APP_SECRET, PHONE_ID
from tests.support.waiting import eventually


def test_a_message_gets_an_answer(bot_factory: Callable[..., Bot]) -> None:
    bot = bot_factory()
    bot.send("4915100000001", "Hallo, habt ihr Torten?")
    assert eventually(lambda: bot.replies_to("4915100000001")) == [
        "You said: Hallo, habt ihr Torten?"
    ]


def test_200_chats_x_5_messages_concurrently_in_random_order(
    bot_factory: Callable[..., Bot],
) -> None:
    bot = bot_factory(SNAKECAKES_BURST_DELAY_SECONDS=0.2, SNAKECAKES_WORKER_THREADS=16)
    customers = [f"4917{i:08d}" for i in range(200)]
    base = int(time.time()) - 100
    bodies = []
    for c in customers:
        for i in range(5):
            msg = p.text(p.new_wamid(c), c, f"{c} m{i}", timestamp=base + i)
            bodies.append(p.envelope(p.change(PHONE_ID, messages=[msg])))
    random.Random(4).shuffle(bodies)

    def deliver(body: dict) -> int:
        raw, headers = p.signed(body, APP_SECRET)
        return httpx.post(
            bot.url + "/webhook", content=raw, headers=headers, timeout=30
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(deliver, bodies)) == {200}

    def answered(c: str) -> list[list[str]]:
        return [r.removeprefix("You said: ").split(" | ") for r in bot.replies_to(c)]

    def all_answered() -> bool:
        return all(sum(len(r) for r in answered(c)) >= 5 for c in customers)

    eventually(all_answered, timeout=300, interval=0.5)
    time.sleep(1.0)  # nothing more may come
    for c in customers:
        replies = answered(c)
        assert sorted(t for r in replies for t in r) == [f"{c} m{i}" for i in range(5)]
        for texts in replies:  # each turn saw its messages in WhatsApp timestamp order
            assert texts == sorted(texts)
    spans: dict[str, list[tuple[float, float]]] = {}
    for chat, start, end, _ in list(bot.engine.turns):
        spans.setdefault(chat, []).append((start, end))
    for chat_spans in spans.values():  # no two turns of one chat overlap (dropped drafts too)
        for (_, end), (start, _) in itertools.pairwise(sorted(chat_spans)):
            assert start >= end


def test_a_burst_of_three_messages_gets_one_answer(bot_factory: Callable[..., Bot]) -> None:
    bot = bot_factory(SNAKECAKES_BURST_DELAY_SECONDS=1.0)
    bot.send("4915100000002", "Hi", "I need a cake", "for Saturday")
    eventually(lambda: bot.replies_to("4915100000002"), timeout=20)
    time.sleep(1.5)  # nothing else may follow
    assert bot.replies_to("4915100000002") == ["You said: Hi | I need a cake | for Saturday"]


def test_latest_wins_drops_the_stale_draft(bot_factory: Callable[..., Bot]) -> None:
    bot = bot_factory(delay=1.0)
    bot.send("4915100000003", "first")
    eventually(lambda: bot.engine.turns or _engine_busy(bot), timeout=10, interval=0.01)
    time.sleep(0.3)  # the engine is working on "first"
    bot.send("4915100000003", "second")
    eventually(lambda: bot.replies_to("4915100000003"), timeout=20)
    time.sleep(1.5)
    assert bot.replies_to("4915100000003") == ["You said: first | second"]
    assert [t[3] for t in bot.engine.turns] == [["first"], ["first", "second"]]


def _engine_busy(bot: Bot) -> bool:
    return any(r.json.get("status") == "read" for r in bot.graph.requests if r.json)


def test_a_poison_message_is_parked_and_the_chat_goes_on(bot_factory: Callable[..., Bot]) -> None:
    bot = bot_factory(SNAKECAKES_TURN_MAX_ATTEMPTS=2)
    customer = "4915100000004"
    bot.send(customer, "POISON pill")
    apology = eventually(lambda: bot.replies_to(customer), timeout=30)
    assert "Sorry, something went wrong" in apology[0]
    bot.send(customer, "hello again")
    eventually(lambda: "You said: hello again" in bot.replies_to(customer), timeout=30)
    with bot.db.read() as s:
        rows = {r.payload["message"]["text"]["body"]: r for r in s.scalars(select(InboxMessage))}
    assert rows["POISON pill"].state == "parked"
    assert "poison" in (rows["POISON pill"].last_error or "")
    assert rows["hello again"].state == "done"
