"""The fake OpenAI server through the real ``openai`` SDK: answers, tools, faults, records."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import openai
import pytest
from openai import OpenAI

from snakecakes.simulator.fake_openai import FakeOpenAI
from snakecakes.simulator.fake_openai_script import (
    CallTools,
    Drop,
    GarbledBody,
    HttpError,
    NoChoices,
    RateLimited,
    Respond,
    Say,
    Slow,
    Timeout,
    ToolCall,
    echo,
    last_message,
    text_of,
)

MODEL = "gpt-4o-mini"
SYSTEM: Any = {"role": "system", "content": "You are the Snake Cakes shop assistant."}
HELLO: Any = {"role": "user", "content": "Hallo, was kostet der Zitronenkuchen?"}
TOOLS: list[Any] = [
    {
        "type": "function",
        "function": {
            "name": "get_price",
            "description": "Price of a cake in EUR",
            "parameters": {
                "type": "object",
                "properties": {"cake": {"type": "string"}},
                "required": ["cake"],
            },
        },
    }
]


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def sdk(fake: FakeOpenAI, **kwargs: Any) -> OpenAI:
    kwargs.setdefault("max_retries", 0)
    kwargs.setdefault("timeout", 5.0)
    return OpenAI(base_url=fake.url + "/v1", api_key="test", **kwargs)


def ask(client: OpenAI, messages: list[Any], **kwargs: Any) -> Any:
    return client.chat.completions.create(model=MODEL, messages=messages, **kwargs)


def test_text_answer_usage_and_record(fake: FakeOpenAI) -> None:
    fake.script(Say("Der Zitronenkuchen kostet 24 €."))
    with sdk(fake) as client:
        answer = ask(client, [SYSTEM, HELLO], tools=TOOLS, tool_choice="auto")
    assert answer.object == "chat.completion" and answer.id.startswith("chatcmpl-")
    assert answer.model == MODEL
    choice = answer.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    assert choice.message.content == "Der Zitronenkuchen kostet 24 €."
    assert choice.message.tool_calls is None
    usage = answer.usage
    assert usage is not None and usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    (request,) = fake.completions
    assert request.status == 200 and request.model == MODEL
    assert request.messages == [SYSTEM, HELLO]
    assert request.tools == TOOLS and request.tool_choice == "auto"
    assert request.headers["authorization"] == "Bearer test"
    assert request.response == answer.model_dump(mode="json", exclude_unset=True)
    assert fake.pending == 0


def test_tool_call_round_trip(fake: FakeOpenAI) -> None:
    def quote(request: dict[str, Any]) -> Say:
        result = json.loads(text_of(last_message(request, "tool")))
        return Say(f"Er kostet {result['price']} €.")

    fake.script(CallTools(ToolCall("get_price", {"cake": "Zitrone"})), Respond(quote))
    messages: list[Any] = [SYSTEM, HELLO]
    with sdk(fake) as client:
        first = ask(client, messages, tools=TOOLS)
        assert first.choices[0].finish_reason == "tool_calls"
        (call,) = first.choices[0].message.tool_calls or []
        assert call.type == "function" and call.id.startswith("call_")
        assert call.function.name == "get_price"
        assert json.loads(call.function.arguments) == {"cake": "Zitrone"}
        messages.append(first.choices[0].message.model_dump(exclude_none=True))
        messages.append({"role": "tool", "tool_call_id": call.id, "content": '{"price": 24}'})
        second = ask(client, messages, tools=TOOLS)
    assert second.choices[0].message.content == "Er kostet 24 €."
    shown = fake.completions[1].messages
    assert [m["role"] for m in shown] == ["system", "user", "assistant", "tool"]
    assert shown[2]["tool_calls"][0]["id"] == shown[3]["tool_call_id"] == call.id


def test_history_mistakes_get_400_and_keep_the_step(fake: FakeOpenAI) -> None:
    fake.script(Say("ok"))
    stray_tool = [SYSTEM, HELLO, {"role": "tool", "tool_call_id": "call_x", "content": "{}"}]
    with sdk(fake) as client:
        with pytest.raises(openai.BadRequestError, match="preceeding message with 'tool_calls'"):
            ask(client, stray_tool, tools=TOOLS)
        with pytest.raises(openai.BadRequestError, match="only allowed when 'tools'"):
            ask(client, [HELLO], tool_choice="auto")
        assert fake.pending == 1
        assert ask(client, [HELLO]).choices[0].message.content == "ok"


def test_server_error_then_success_through_sdk_retries(fake: FakeOpenAI) -> None:
    fake.script(HttpError(500, retry_after=0.01), HttpError(503, retry_after=0.01), Say("ok"))
    with sdk(fake, max_retries=2) as client:
        assert ask(client, [HELLO]).choices[0].message.content == "ok"
    assert [r.status for r in fake.completions] == [500, 503, 200]
    assert [r.headers["x-stainless-retry-count"] for r in fake.completions] == ["0", "1", "2"]


def test_rate_limit_honours_retry_after(fake: FakeOpenAI) -> None:
    fake.script(RateLimited(retry_after=0.3), Say("ok"), RateLimited(retry_after=0.01))
    with sdk(fake, max_retries=1) as client:
        started = time.monotonic()
        assert ask(client, [HELLO]).choices[0].message.content == "ok"
        assert time.monotonic() - started >= 0.3
        with sdk(fake) as no_retries, pytest.raises(openai.RateLimitError) as caught:
            ask(no_retries, [HELLO])
    assert caught.value.code == "rate_limit_exceeded"
    assert caught.value.response.headers["retry-after"] == "1"


def test_timeout_and_dropped_connection(fake: FakeOpenAI) -> None:
    fake.script(Timeout(30), Drop(), Slow(0.2, Say("late but fine")))
    with sdk(fake, timeout=0.3) as client:
        with pytest.raises(openai.APITimeoutError):
            ask(client, [HELLO])
        with pytest.raises(openai.APIConnectionError):
            ask(client, [HELLO])
        patient = client.with_options(timeout=5)  # Slow(0.2) must not race the 0.3 s timeout
        started = time.monotonic()
        assert ask(patient, [HELLO]).choices[0].message.content == "late but fine"
        assert time.monotonic() - started >= 0.2
    assert [r.status for r in fake.completions] == [0, 0, 200]
    started = time.monotonic()
    fake.stop()  # the held Timeout connection must not hold up the shutdown
    assert time.monotonic() - started < 2
    names = [t.name for t in threading.enumerate()]
    assert "fake-openai" not in names and "fake-graph-conn" not in names


def test_garbled_output(fake: FakeOpenAI) -> None:
    fake.script(GarbledBody(), ToolCall("get_price", '{"cake": '), NoChoices())
    with sdk(fake) as client:
        with pytest.raises(json.JSONDecodeError):
            ask(client, [HELLO])
        (call,) = ask(client, [HELLO], tools=TOOLS).choices[0].message.tool_calls or []
        with pytest.raises(json.JSONDecodeError):
            json.loads(call.function.arguments)
        assert ask(client, [HELLO]).choices == []


def test_exhausted_script_fails_at_once_or_uses_default() -> None:
    with FakeOpenAI() as fake, sdk(fake, max_retries=2) as client:
        with pytest.raises(openai.InternalServerError, match="script ran out"):
            ask(client, [HELLO])
        assert len(fake.completions) == 1  # x-should-retry: false stopped the SDK's retries
    with FakeOpenAI(default=Say("default")) as fake, sdk(fake) as client:
        fake.script(Say("scripted"))
        replies = [ask(client, [HELLO]).choices[0].message.content for _ in range(3)]
        assert replies == ["scripted", "default", "default"]


def test_concurrent_chats_with_an_echo_default() -> None:
    with FakeOpenAI(default=Respond(echo)) as fake, sdk(fake) as client:

        def chat(n: int) -> str | None:
            user = {"role": "user", "content": f"Kunde {n}"}
            return ask(client, [SYSTEM, user]).choices[0].message.content

        with ThreadPoolExecutor(4) as pool:
            replies = list(pool.map(chat, range(4)))
        assert replies == [f"You said: Kunde {n}" for n in range(4)]
        assert len(fake.wait_for(4, timeout=1)) == 4


def test_crashing_respond_is_reported(fake: FakeOpenAI) -> None:
    fake.script(Respond(lambda request: Say(request["no such key"])))
    with sdk(fake, max_retries=2) as client, pytest.raises(openai.InternalServerError) as caught:
        ask(client, [HELLO])
    assert "no such key" in str(caught.value) and len(fake.completions) == 1


def test_prompt_cache_counts_the_repeated_prefix(fake: FakeOpenAI) -> None:
    fake.script(Say("24 €."), Say("Gern!"))
    with sdk(fake) as client:
        first = ask(client, [SYSTEM, HELLO], tools=TOOLS)
        more = [SYSTEM, HELLO, {"role": "assistant", "content": "24 €."}, HELLO]
        second = ask(client, more, tools=TOOLS)
    assert first.usage and first.usage.prompt_tokens_details
    assert second.usage and second.usage.prompt_tokens_details
    assert first.usage.prompt_tokens_details.cached_tokens == 0
    assert second.usage.prompt_tokens_details.cached_tokens == first.usage.prompt_tokens
    assert second.usage.prompt_tokens > first.usage.prompt_tokens


def test_streaming_text_and_tool_calls(fake: FakeOpenAI) -> None:
    text = "Der Zitronenkuchen kostet 24 € und ist heute frisch."
    fake.script(Say(text), ToolCall("get_price", {"cake": "Zitrone"}))
    options: Any = {"include_usage": True}
    with sdk(fake) as client:
        chunks = list(ask(client, [HELLO], stream=True, stream_options=options))
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == text
        assert chunks[-2].choices[0].finish_reason == "stop"
        assert chunks[-1].choices == [] and chunks[-1].usage is not None
        with client.chat.completions.stream(model=MODEL, messages=[HELLO], tools=TOOLS) as s:
            done = s.get_final_completion()
    (call,) = done.choices[0].message.tool_calls or []
    assert json.loads(call.function.arguments) == {"cake": "Zitrone"}
    assert done.choices[0].finish_reason == "tool_calls"
    assert fake.completions[0].json["stream"] is True


def test_models_and_api_key() -> None:
    with FakeOpenAI(api_key="sk-right", models=["gpt-4o-mini", "gpt-4o"]) as fake:
        with sdk(fake) as wrong, pytest.raises(openai.AuthenticationError):
            ask(wrong, [HELLO])
        with OpenAI(base_url=fake.url + "/v1", api_key="sk-right", max_retries=0) as client:
            assert [m.id for m in client.models.list()] == ["gpt-4o-mini", "gpt-4o"]
        assert [r.status for r in fake.requests] == [401, 200]


def test_standalone_server_echoes() -> None:
    command = [sys.executable, "-m", "snakecakes.simulator.fake_openai", "--port", "0", "--echo"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            with OpenAI(base_url=url + "/v1", api_key="test", max_retries=0, timeout=5) as client:
                answer = ask(client, [HELLO])
            assert answer.choices[0].message.content == "You said: " + HELLO["content"]
        finally:
            process.send_signal(signal.SIGINT)  # Ctrl-C: the server stops cleanly
        assert process.wait(timeout=10) == 0
