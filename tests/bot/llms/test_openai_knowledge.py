"""The OpenAI engine answering from the shop's documents: the `search_knowledge` tool, [n]
citations with the engine's *Sources* footer, and the 👍/👎 buttons after a knowledge answer.

Through the real path (signed webhooks, DBOS turns, the real SDK against the fake OpenAI server,
replies at the fake Graph API) on SQLite and PostgreSQL; the citation rules also directly."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from snakecakes import knowledge
from snakecakes.bot.bot import make_engine
from snakecakes.bot.bots import add_bot
from snakecakes.bot.llms import openai_tools
from snakecakes.bot.llms.openai_knowledge import Citations
from snakecakes.config import load_settings
from snakecakes.crypto import SecretBox
from snakecakes.db.database import Database
from snakecakes.db.models import Bot as BotRow
from snakecakes.knowledge.models import KnowledgeAnswerRow, KnowledgeAnswerSource
from snakecakes.knowledge.search import Source
from snakecakes.shop.stock import stock_catalog
from snakecakes.simulator import payloads as p
from snakecakes.simulator.fake_openai import FakeOpenAI
from snakecakes.simulator.fake_openai_script import Json, Respond, Say, Step, ToolCall
from tests.bot.conftest import Bot
from tests.conftest import (
    OTHER_ACCESS_TOKEN,
    OTHER_APP_SECRET,
    OTHER_PHONE_ID,
    PHONE_ID,
    SECRET_KEY,
    make_settings,
)
from tests.support.waiting import eventually

CUSTOMER = "4915112349101"
OTHER_CUSTOMER = "4915112349102"
ALLERGENS = "Allergens and dietary information"
ALLERGENS_URL = "https://snakecakes.example/allergens"
STAMPS = b"""---
title: Post office corner
url: https://other-shop.example/post
---
# Post office corner

## Stamps

We sell postage stamps and parcel labels at the till, Monday to Friday. Delivery of parcels to
Neukoelln costs 2.10 euros.
"""


# -- citations, directly -------------------------------------------------------------------------

FAQ = Source("FAQ", "https://x.example/faq", 11)
CARE = Source("Cake care", None, 12)
HOURS = Source("Opening hours", "https://x.example/hours", 13)
ZONES = Source("Delivery zones", None, 14)


def _citations(*sources: Source) -> Citations:
    return Citations({n: s for n, s in enumerate(sources, 1)})


def test_cited_numbers_are_renumbered_in_order_and_unknown_ones_dropped() -> None:
    text, cited = _citations(FAQ, CARE, HOURS).cite(
        "Keep it in the fridge [2]. We open at 9 [3][2], and [7] again [2, 3]."
    )
    assert text == "Keep it in the fridge [1]. We open at 9 [2][1], and again [1][2]."
    assert cited == [CARE, HOURS]


def test_at_most_three_sources_and_a_footer_the_model_wrote_is_removed() -> None:
    text, cited = _citations(FAQ, CARE, HOURS, ZONES).cite(
        "A [1], b [2], c [3], d [4].\n\n**Sources:**\n[1] FAQ - https://x.example/faq\n[2] Care"
    )
    assert text == "A [1], b [2], c [3], d."
    assert cited == [FAQ, CARE, HOURS]


def test_no_search_no_citations() -> None:
    text, cited = Citations().cite("We have 3 sizes [1]. Sources are many.")
    assert (text, cited) == ("We have 3 sizes. Sources are many.", [])
    assert Citations().cite("See [the menu](https://x.example/menu)")[1] == []
    copied = "It keeps 3 days [1].\n\n*Sources*\n[1] Cake care \N{EM DASH} https://x.example/c"
    assert Citations().cite(copied) == ("It keeps 3 days.", [])  # imitating the history


def test_the_tool_is_offered_with_a_closed_schema() -> None:
    (schema,) = [
        s for s in openai_tools.schemas() if s["function"]["name"] == openai_tools.SEARCH_KNOWLEDGE
    ]
    parameters = schema["function"]["parameters"]
    assert parameters["required"] == ["query"] and parameters["additionalProperties"] is False


# -- through the webhook path ----------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def _start(bot_factory: Callable[..., Bot], fake: FakeOpenAI, db: Database) -> tuple[Bot, int, int]:
    settings = load_settings(OPENAI_BASE_URL=fake.url + "/v1", OPENAI_API_KEY="sk-test")
    bot = bot_factory(engine=make_engine(settings))
    with db.read() as session:
        bot_a = session.scalars(select(BotRow.id).where(BotRow.phone_number_id == PHONE_ID)).one()
    bot_b = add_bot(
        db,
        SecretBox(SECRET_KEY),
        name="Post office corner",
        phone_number_id=OTHER_PHONE_ID,
        app_secret=OTHER_APP_SECRET,
        access_token=OTHER_ACCESS_TOKEN,
        verify_token="verify-token-of-bot-b",
    )
    stock_catalog(db, make_settings(db.url), bot_b)  # B sells too, so its model has tools
    with db.transaction() as session:
        knowledge.load_default_documents(session, bot_a)
        knowledge.add_document(session, bot_b, STAMPS, source="post.md")
    return bot, bot_a, bot_b


def _search_then(results: list[Json], answer: Callable[[Json], Step]) -> Respond:
    """After the search: keep its result (for the test) and answer with `answer(result)`."""

    def decide(request: Json) -> Step:
        last = request["messages"][-1]
        assert last["role"] == "tool"
        result = json.loads(last["content"])
        results.append(result)
        return answer(result)

    return Respond(decide)


def _sent(bot: Bot, customer: str, count: int) -> list[dict[str, Any]]:
    eventually(lambda: len(bot.sent_to(customer)) >= count, timeout=30)
    return bot.sent_to(customer)


def _ask_b(bot: Bot, text: str) -> None:
    message = p.text(p.new_wamid(OTHER_CUSTOMER), OTHER_CUSTOMER, text)
    body = p.envelope(
        p.change(OTHER_PHONE_ID, messages=[message], contacts=[p.contact(OTHER_CUSTOMER, "B")])
    )
    raw, headers = p.signed(body, OTHER_APP_SECRET)
    response = httpx.post(bot.url + "/webhook", content=raw, headers=headers, timeout=10)
    assert response.status_code == 200


def test_a_cited_answer_gets_its_sources_and_buttons_and_a_thumbs_up_is_stored(
    bot_factory: Callable[..., Bot], fake: FakeOpenAI, db: Database
) -> None:
    bot, bot_a, _ = _start(bot_factory, fake, db)
    results: list[Json] = []
    fake.script(
        ToolCall("search_knowledge", {"query": "Sachertorte allergens eggs"}),
        _search_then(
            results,
            lambda r: Say(
                f"Yes, the **Sachertorte** contains eggs, as well as gluten, milk and soya "
                f"[{next(s['n'] for s in r['sources'] if s['title'] == ALLERGENS)}]."
            ),
        ),
    )
    bot.send(CUSTOMER, "Does the Sachertorte contain eggs?", name="Anna")
    answer, buttons = _sent(bot, CUSTOMER, 2)
    (result,) = results
    assert result["ok"] and result["found"] and "sources_footer" not in result
    assert any("Sachertorte: gluten, eggs, milk, soya." in x["text"] for x in result["passages"])
    assert answer["text"]["body"] == (
        "Yes, the *Sachertorte* contains eggs, as well as gluten, milk and soya [1].\n\n"
        f"*Sources*\n[1] {ALLERGENS} \N{EM DASH} {ALLERGENS_URL}"
    )
    up = buttons["interactive"]["action"]["buttons"][0]["reply"]
    assert up["id"].startswith("fb:up:")

    bot.tap(CUSTOMER, up["id"], up["title"])
    eventually(lambda: "Thank you for the feedback" in bot.replies_to(CUSTOMER)[-1], timeout=30)
    with db.read() as session:
        (row,) = session.scalars(select(KnowledgeAnswerRow)).all()
        (link,) = session.scalars(select(KnowledgeAnswerSource)).all()
        counts = knowledge.feedback.counts_per_document(session, bot_a)
    assert (row.bot_id, row.customer_key, row.vote) == (bot_a, CUSTOMER, "up")
    assert row.question == "Does the Sachertorte contain eggs?"
    assert row.answer == answer["text"]["body"]
    assert row.sources == [
        {"document_id": link.document_id, "title": ALLERGENS, "url": ALLERGENS_URL}
    ]
    assert [(c.title, c.answers, c.up, c.down) for c in counts] == [(ALLERGENS, 1, 1, 0)]


def test_an_answer_citing_nothing_gets_no_footer_and_no_buttons(
    bot_factory: Callable[..., Bot], fake: FakeOpenAI, db: Database
) -> None:
    bot, _, _ = _start(bot_factory, fake, db)
    results: list[Json] = []
    fake.script(
        ToolCall("search_knowledge", {"query": "capital of Australia"}),
        _search_then(results, lambda r: Say("I'm sorry, I don't know. Shall I ask a colleague?")),
        ToolCall("search_knowledge", {"query": "how long does a cake keep in the fridge"}),
        _search_then(results, lambda r: Say("Keep it in the fridge and eat it within 3 days.")),
    )
    bot.send(CUSTOMER, "What is the capital of Australia?")
    (declined,) = _sent(bot, CUSTOMER, 1)
    bot.send(CUSTOMER, "How long does a cake keep?")
    sent = _sent(bot, CUSTOMER, 2)
    eventually(lambda: fake.pending == 0)
    assert [r["found"] for r in results] == [False, True]
    assert [b["type"] for b in bot.sent_to(CUSTOMER)] == ["text", "text"]
    assert declined["text"]["body"] == "I'm sorry, I don't know. Shall I ask a colleague?"
    assert sent[1]["text"]["body"] == "Keep it in the fridge and eat it within 3 days."
    with db.read() as session:
        assert not session.scalars(select(KnowledgeAnswerRow)).all()


def test_a_bots_search_never_returns_another_bots_documents(
    bot_factory: Callable[..., Bot], fake: FakeOpenAI, db: Database
) -> None:
    bot, _, _ = _start(bot_factory, fake, db)
    seen: list[Json] = []
    fake.script(
        ToolCall("search_knowledge", {"query": "delivery fee Neukölln"}),
        _search_then(seen, lambda r: Say("Parcels to Neukoelln: 2.10 euros [1].")),
    )
    _ask_b(bot, "How much is delivery to Neukölln?")
    (b_answer, _) = _sent(bot, OTHER_CUSTOMER, 2)
    assert b_answer["text"]["body"].endswith(
        "*Sources*\n[1] Post office corner \N{EM DASH} " "https://other-shop.example/post"
    )
    fake.script(
        ToolCall("search_knowledge", {"query": "postage stamps parcel labels"}),
        _search_then(seen, lambda r: Say("Sorry, I don't know.")),
    )
    bot.send(CUSTOMER, "Do you sell postage stamps?")
    _sent(bot, CUSTOMER, 1)
    for_b, for_a = seen
    assert {s["title"] for s in for_b["sources"]} == {"Post office corner"}
    assert "Delivery zones" not in json.dumps(for_b) and "4.90" not in json.dumps(for_b)
    assert "Post office" not in json.dumps(for_a) and "postage" not in json.dumps(for_a["passages"])
    sent_by = {r.json["to"]: r.phone_number_id for r in bot.graph.sent_messages()}
    assert sent_by == {OTHER_CUSTOMER: OTHER_PHONE_ID, CUSTOMER: PHONE_ID}


def test_two_searches_in_a_turn_number_their_sources_consistently(db: Database) -> None:
    from tests.knowledge.conftest import add_bot as add_bare_bot

    shop = add_bare_bot(db, "333")
    with db.transaction() as session:
        knowledge.load_default_documents(session, shop)
    numbered: dict[int, Source] = {}
    with db.read() as session:
        first = knowledge.search_tool_result(session, shop, "nut-free cakes", numbered)
        second = knowledge.search_tool_result(session, shop, "delivery fee Spandau nuts", numbered)
    by_number = {s["n"]: s["title"] for s in first["sources"] + second["sources"]}
    assert by_number == {n: source.title for n, source in numbered.items()}
    assert sorted(numbered) == list(range(1, len(numbered) + 1))
    assert {p["source"] for p in second["passages"]} == {s["n"] for s in second["sources"]}
