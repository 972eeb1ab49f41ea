"""The OpenAI engine against the fake OpenAI server, through the real SDK (no database here;
the webhook path is in test_openai_orders.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from snakecakes import metrics
from snakecakes.bot.bot import make_engine
from snakecakes.bot.chat import HistoryItem
from snakecakes.bot.llms.base import EngineReply, TurnContext
from snakecakes.bot.llms.openai_engine import OpenAIEngine
from snakecakes.bot.ordering.actions import RecordEvent
from snakecakes.bot.ordering.shelf import OrderInfo
from snakecakes.config import load_settings
from snakecakes.simulator.fake_openai import FakeOpenAI
from snakecakes.simulator.fake_openai_script import (
    CallTools,
    Drop,
    GarbledBody,
    HttpError,
    NoChoices,
    RateLimited,
    Say,
    Timeout,
    ToolCall,
)
from tests.bot.llms.openai_support import StubShelf, later, make_ctx, said, wanted_slot

CAKE = {"product": "sachertorte", "size": "18cm"}


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def engine_for(fake: FakeOpenAI, **settings: Any) -> OpenAIEngine:
    values: dict[str, Any] = {
        "OPENAI_BASE_URL": fake.url + "/v1",
        "SNAKECAKES_OPENAI_TIMEOUT_SECONDS": 2,
        "SNAKECAKES_OPENAI_MAX_RETRIES": 0,
        **settings,
    }
    engine = make_engine(load_settings(**values))
    assert isinstance(engine, OpenAIEngine)
    return engine


def texts(reply: EngineReply) -> list[str]:
    return [b["text"]["body"] for b in reply.bodies if b["type"] == "text"]


def events(reply: EngineReply) -> list[str]:
    return [a.kind for a in reply.actions if isinstance(a, RecordEvent)]


def test_auto_picks_openai_when_a_key_or_base_url_is_set() -> None:
    assert make_engine(load_settings(OPENAI_API_KEY="sk-test")).name == "openai"
    assert make_engine(load_settings(OPENAI_BASE_URL="http://127.0.0.1:9/v1")).name == "openai"
    assert make_engine(load_settings(SNAKECAKES_ENGINE="openai")).name == "openai"
    assert make_engine(load_settings(SNAKECAKES_ENGINE="echo", OPENAI_API_KEY="k")).name == "echo"


def _metric(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_text_answer_in_markdown_with_usage(fake: FakeOpenAI) -> None:
    fake.script(Say("**Hallo!** Wir haben Torten für jeden Anlass."))
    ctx = make_ctx()
    turns = _metric("snakecakes_llm_turns_total", outcome="answered")
    prompt = _metric("snakecakes_llm_tokens_total", kind="prompt")
    reply = engine_for(fake).respond(ctx, said("Hallo, habt ihr Torten?"))
    assert _metric("snakecakes_llm_turns_total", outcome="answered") == turns + 1
    assert reply.usage and _metric("snakecakes_llm_tokens_total", kind="prompt") == (
        prompt + reply.usage["prompt_tokens"]
    )
    assert texts(reply) == ["*Hallo!* Wir haben Torten für jeden Anlass."]  # WhatsApp's bold
    (request,) = fake.completions
    assert request.model == "gpt-4o-mini"
    assert [m["role"] for m in request.messages] == ["system", "user"]
    assert request.messages[-1]["content"] == "Hallo, habt ihr Torten?"
    answered = request.response or {}
    assert reply.usage is not None
    assert reply.usage["prompt_tokens"] == answered["usage"]["prompt_tokens"] > 0
    assert reply.usage["completion_tokens"] == answered["usage"]["completion_tokens"] > 0
    assert reply.usage["outcome"] == "answered" and reply.usage["calls"] == 1


def test_the_system_prompt_knows_the_shop_and_ends_with_the_date(fake: FakeOpenAI) -> None:
    fake.script(Say("a"), Say("b"))
    engine = engine_for(fake)
    ctx = make_ctx()
    engine.respond(ctx, said("hi"))
    engine.respond(make_ctx(now=ctx.now + timedelta(days=1)), said("hi again"))
    first, second = (r.messages[0]["content"] for r in fake.completions)
    assert "Snake Cakes" in first and "Sachertorte" in first and "Wiener Straße 14" in first
    assert "language the customer writes in" in first and "Monday: closed" in first
    assert first.splitlines()[-1].startswith("Today is ")
    assert first != second
    cut = first.rindex("Today is ")
    assert first[:cut] == second[:cut]  # only the date differs: the prefix stays cacheable
    assert fake.completions[0].tools == fake.completions[1].tools


def test_tools_change_the_cart_and_the_model_reads_their_results(fake: FakeOpenAI) -> None:
    fake.script(
        CallTools(ToolCall("add_to_cart", CAKE), ToolCall("view_cart")),
        Say("Eine Sachertorte ist im Warenkorb."),
    )
    ctx = make_ctx()
    reply = engine_for(fake).respond(ctx, said("Eine Sachertorte, 18 cm"))
    assert texts(reply) == ["Eine Sachertorte ist im Warenkorb."]
    assert ctx.session.state["cart"]["items"][0]["product"] == "sachertorte"
    second = fake.completions[1].messages
    assert [m["role"] for m in second[-3:]] == ["assistant", "tool", "tool"]
    added, cart = (json.loads(m["content"]) for m in second[-2:])
    assert added["ok"] and cart["total"] == "€36.00"
    assert [c["name"] for c in reply.tool_calls or []] == ["add_to_cart", "view_cart"]
    assert reply.usage and reply.usage["calls"] == 2 and reply.usage["tool_calls"] == 2


def test_garbled_tool_arguments_go_back_as_an_error(fake: FakeOpenAI) -> None:
    fake.script(ToolCall("add_to_cart", '{"product": "sacher'), Say("Welche Torte genau?"))
    ctx = make_ctx()
    reply = engine_for(fake).respond(ctx, said("torte"))
    assert texts(reply) == ["Welche Torte genau?"]
    assistant, tool = fake.completions[1].messages[-2:]
    assert assistant["tool_calls"][0]["function"]["arguments"] == "{}"
    assert json.loads(tool["content"])["ok"] is False
    assert "cart" not in ctx.session.state
    assert reply.usage and reply.usage["tool_errors"] == 1


@pytest.mark.parametrize(
    "fault",
    [HttpError(500), Timeout(5), GarbledBody(), NoChoices(), Say("   ")],
    ids=["500", "timeout", "garbled", "no-choices", "empty"],
)
def test_a_failed_call_is_an_apology_and_undoes_the_tools(fake: FakeOpenAI, fault: Any) -> None:
    fake.script(ToolCall("add_to_cart", CAKE), fault)
    ctx = make_ctx(state={"stage": "browsing"})
    started = time.monotonic()
    reply = engine_for(fake, SNAKECAKES_OPENAI_TIMEOUT_SECONDS=0.5).respond(ctx, said("Sacher"))
    assert time.monotonic() - started < 3
    (text,) = texts(reply)
    assert text.startswith("Sorry, I can't answer right now") and "Nothing in your order" in text
    assert ctx.session.state == {"stage": "browsing"} and not ctx.session.changed
    assert events(reply) == ["llm_error"] and reply.usage and reply.usage["outcome"] == "error"
    assert len(reply.bodies) == 1 and not reply.hand_over


@pytest.mark.parametrize(
    "fault",
    [HttpError(503), HttpError(500), HttpError(409), RateLimited(0.2), Timeout(5), Drop()],
    ids=["503", "500", "409", "429", "timeout", "dropped"],
)
def test_a_passing_fault_is_retried(fake: FakeOpenAI, fault: Any) -> None:
    fake.script(fault, Say("Gerne!"))
    engine = engine_for(
        fake, SNAKECAKES_OPENAI_MAX_RETRIES=1, SNAKECAKES_OPENAI_TIMEOUT_SECONDS=0.5
    )
    reply = engine.respond(make_ctx(), said("Hallo"))
    assert texts(reply) == ["Gerne!"] and len(fake.completions) == 2
    assert reply.usage and reply.usage["calls"] == 1  # answered calls


@pytest.mark.parametrize(
    "fault",
    [HttpError(400), HttpError(401), HttpError(404), GarbledBody(), HttpError(500, code="x")],
    ids=["400", "401", "404", "garbled", "no-retry-header"],
)
def test_what_would_fail_again_is_not_retried(fake: FakeOpenAI, fault: Any) -> None:
    if isinstance(fault, HttpError) and fault.code == "x":
        fake.script()  # the fake's exhausted script: 500 with x-should-retry: false
    else:
        fake.script(fault)
    fake.default = None
    engine = engine_for(fake, SNAKECAKES_OPENAI_MAX_RETRIES=3)
    reply = engine.respond(make_ctx(), said("Hallo"))
    assert len(fake.completions) == 1 and events(reply) == ["llm_error"]


def test_a_retry_after_past_the_turn_deadline_is_not_waited_for(fake: FakeOpenAI) -> None:
    fake.script(RateLimited(30), Say("too late"))
    engine = engine_for(fake, SNAKECAKES_OPENAI_MAX_RETRIES=3, SNAKECAKES_OPENAI_TURN_SECONDS=5)
    started = time.monotonic()
    reply = engine.respond(make_ctx(), said("Hallo"))
    assert time.monotonic() - started < 1.0
    assert len(fake.completions) == 1 and events(reply) == ["llm_error"]


def test_a_hanging_model_is_cut_at_the_turn_deadline(fake: FakeOpenAI) -> None:
    fake.script(Timeout(30), Timeout(30), Timeout(30))
    engine = engine_for(
        fake,
        SNAKECAKES_OPENAI_TIMEOUT_SECONDS=10,
        SNAKECAKES_OPENAI_MAX_RETRIES=2,
        SNAKECAKES_OPENAI_TURN_SECONDS=1,
    )
    started = time.monotonic()
    reply = engine.respond(make_ctx(), said("Hallo"))
    took = time.monotonic() - started
    assert 0.9 < took < 2.0, took
    assert events(reply) == ["llm_error"] and len(fake.completions) == 1


def test_the_tool_loop_is_bounded(fake: FakeOpenAI) -> None:
    fake.default = ToolCall("view_cart")
    ctx = make_ctx()
    engine = engine_for(fake, SNAKECAKES_OPENAI_MAX_TOOL_ROUNDS=2)
    reply = engine.respond(ctx, said("add a sachertorte and show me"))
    assert len(fake.completions) == 3  # two rounds of tools, then one last chance to answer
    (text,) = texts(reply)
    assert "I changed nothing" in text or "changed nothing" in text
    assert events(reply) == ["llm_muddled"] and reply.usage and reply.usage["outcome"] == "muddled"


def test_the_turn_deadline_stops_new_calls(fake: FakeOpenAI) -> None:
    fake.default = CallTools(ToolCall("view_cart"))
    engine = engine_for(
        fake, SNAKECAKES_OPENAI_TURN_SECONDS=0.3, SNAKECAKES_OPENAI_MAX_TOOL_ROUNDS=30
    )
    ticks = iter(range(100))
    engine.clock = lambda: next(ticks) * 0.1  # each look at the clock: 0.1 s later
    reply = engine.respond(make_ctx(), said("hi"))
    assert reply.usage and reply.usage["outcome"] == "error"
    assert 1 <= len(fake.completions) <= 3


def test_hand_over_ends_the_turn(fake: FakeOpenAI) -> None:
    fake.script(ToolCall("hand_over_to_human", {"reason": "complaint"}))
    reply = engine_for(fake).respond(make_ctx(), said("I want to speak to the manager!"))
    assert reply.hand_over and texts(reply) == [
        "Thank you! A person from Snake Cakes will answer you here as soon as possible."
    ]
    assert len(fake.completions) == 1 and fake.pending == 0


def test_history_is_windowed_by_tokens(fake: FakeOpenAI) -> None:
    history = [
        HistoryItem(
            "user" if i % 2 == 0 else "assistant", f"{i} " + "w" * 700, None, make_ctx().now
        )
        for i in range(30)
    ]
    fake.script(Say("ok"), Say("ok"))
    engine_for(fake, SNAKECAKES_OPENAI_CONTEXT_TOKENS=100_000).respond(
        make_ctx(history=history), said("x")
    )
    engine_for(fake, SNAKECAKES_OPENAI_CONTEXT_TOKENS=9000).respond(
        make_ctx(history=history), said("x")
    )
    roomy, tight = (r.messages for r in fake.completions)
    assert len(roomy) == 32
    assert 3 < len(tight) < 32 and tight[1]["role"] == "user" and tight[-1]["content"] == "x"
    assert tight[-2]["content"].startswith("29 ")  # the newest history stays


def test_without_a_catalog_the_model_talks_without_tools(fake: FakeOpenAI) -> None:
    fake.script(Say("We open soon!"))
    ctx: TurnContext = make_ctx(shelf=StubShelf(catalog_=None))
    reply = engine_for(fake).respond(ctx, said("menu?"))
    assert texts(reply) == ["We open soon!"] and fake.completions[0].tools == []


def _order(number: str) -> OrderInfo:
    return OrderInfo(number, "new", 4200, "EUR", "2026-12-05", "14:00", make_ctx().now)


def test_a_made_up_order_number_undoes_the_turn(fake: FakeOpenAI) -> None:
    fake.script(ToolCall("add_to_cart", CAKE), Say("Done! Your order **SC-1043** is placed."))
    ctx = make_ctx()
    reply = engine_for(fake).respond(ctx, said("a sachertorte 18 cm, order it"))
    (text,) = texts(reply)
    assert "SC-1043" not in text and "changed nothing" in text
    assert "cart" not in ctx.session.state and events(reply) == ["llm_muddled"]
    assert reply.usage and reply.usage["invented_numbers"] == 1


def test_known_order_numbers_may_be_mentioned(fake: FakeOpenAI) -> None:
    fake.script(
        Say("Your order SC-1001 is being baked."),
        Say("I can't find SC-1077 among your orders; SC-1001 is yours."),
    )
    shelf = StubShelf(orders=[_order("SC-1001")])
    first = engine_for(fake).respond(make_ctx(shelf=shelf), said("how is my order?"))
    assert texts(first) == ["Your order SC-1001 is being baked."]
    second = engine_for(fake).respond(make_ctx(shelf=shelf), said("and sc-1077?"))
    assert texts(second) == ["I can't find SC-1077 among your orders; SC-1001 is yours."]


def test_after_place_order_a_guessed_number_is_only_removed(fake: FakeOpenAI) -> None:
    day, at = wanted_slot()
    fake.script(
        CallTools(
            ToolCall("add_to_cart", CAKE),
            ToolCall("set_date_time", {"date": day, "time": at}),
            ToolCall("set_pickup_or_delivery", {"method": "pickup"}),
            ToolCall("set_customer_name", {"name": "Anna Schmidt"}),
            ToolCall("show_order_summary"),
        ),
        Say("Please confirm."),
        ToolCall("place_order"),
        Say("Thank you! Order SC-1044 is placed."),
    )
    engine = engine_for(fake)
    ctx = make_ctx()
    engine.respond(ctx, said("Sachertorte 18 cm, pickup, Anna Schmidt"))
    reply = engine.respond(later(ctx), said("yes"))
    assert texts(reply) == ["Thank you! Order is placed."]
    assert [type(a).__name__ for a in reply.actions] == ["PlaceOrder"]
