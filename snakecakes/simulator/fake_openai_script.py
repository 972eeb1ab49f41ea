"""What the fake OpenAI server answers: script steps, and the Chat Completions bodies they become.

Why a script of steps rather than a stub model: a test of the bot's OpenAI engine wants to say
"the model calls ``get_price``, then answers with text that quotes the tool result", or "the
first try fails with 500", and then check what the engine did. Each step answers exactly one
``POST /v1/chat/completions``, in order: ``Say``, ``CallTools`` / ``ToolCall``, ``Respond``
(decides from the request), or a fault: ``HttpError``, ``RateLimited``, ``Slow``, ``Timeout``
(no answer; the client times out), ``Drop`` (hang up unanswered; ``accepted`` means nothing
here), ``GarbledBody``, ``NoChoices``. ``Timeout`` and ``Drop`` are the fake Graph API's own.

Token counts are estimates (a quarter of the compact JSON's length), not tiktoken.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from snakecakes.simulator.fake_graph_faults import Drop, Timeout

Json = dict[str, Any]
SSE_PIECE = 16  # characters of content or arguments per stream chunk
_COMPLETION_DETAILS = "reasoning audio accepted_prediction rejected_prediction".split()
_SORRY = "The server had an error while processing your request. Sorry about that! (fake OpenAI)"


@dataclass(frozen=True)
class Say:
    """An assistant text; ``finish_reason="length"`` fakes an answer cut off by max_tokens."""

    text: str
    finish_reason: str = "stop"


@dataclass(frozen=True)
class ToolCall:
    """One function call (alone, a step of its own). ``arguments`` given as a dict is sent as
    JSON, a str verbatim: ``ToolCall("get_price", '{"cake": ')`` scripts invalid JSON. ``id``
    defaults to a fresh ``call_...``."""

    name: str
    arguments: Mapping[str, Any] | str = field(default_factory=dict)
    id: str | None = None

    def wire(self) -> Json:
        args = self.arguments
        encoded = args if isinstance(args, str) else json.dumps(dict(args), ensure_ascii=False)
        function = {"name": self.name, "arguments": encoded}
        return {
            "id": self.id or "call_" + secrets.token_hex(12),
            "type": "function",
            "function": function,
        }


@dataclass(frozen=True, init=False)
class CallTools:
    """One assistant turn calling one or more tools (in parallel), with optional text."""

    calls: tuple[ToolCall, ...]
    content: str | None = None

    def __init__(self, *calls: ToolCall, content: str | None = None) -> None:
        if not calls:
            raise ValueError("CallTools needs at least one ToolCall")
        object.__setattr__(self, "calls", calls)
        object.__setattr__(self, "content", content)


@dataclass(frozen=True)
class Respond:
    """``decide`` gets the parsed request body and returns the step to answer with (any step,
    a fault or another ``Respond`` included). If it raises, the request gets a 500 that the SDK
    does not retry, with the exception in the message."""

    decide: Callable[[Json], Step]


@dataclass(frozen=True)
class HttpError:
    """An OpenAI-shaped error answer. ``retry_after`` (seconds) sends ``Retry-After`` (whole
    seconds, rounded up) and ``retry-after-ms`` (exact, which the SDK reads first)."""

    status: int = 500
    message: str | None = None
    retry_after: float | None = None
    code: str | None = None


@dataclass(frozen=True)
class RateLimited:
    """HTTP 429 ``rate_limit_exceeded`` with a Retry-After: the SDK waits that long, retries."""

    retry_after: float = 1.0
    message: str | None = None

    def as_error(self) -> HttpError:
        text = self.message or (
            "Rate limit reached for requests. Please try again in "
            f"{self.retry_after:g}s. (fake OpenAI)"
        )
        return HttpError(429, text, self.retry_after, "rate_limit_exceeded")


@dataclass(frozen=True)
class Slow:
    """Answer ``then`` after ``seconds`` (cut short if the server stops)."""

    seconds: float
    then: Step


@dataclass(frozen=True)
class GarbledBody:
    """A 200 ``application/json`` answer whose body is ``body`` verbatim (truncated JSON by
    default): the SDK's ``response.json()`` raises ``json.JSONDecodeError``."""

    body: bytes = b'{"id": "chatcmpl-garbled", "object": "chat.completion", "choices": [{"ind'


@dataclass(frozen=True)
class NoChoices:
    """A well-formed completion with ``choices: []``."""


Answer = Say | CallTools | ToolCall | NoChoices  # the steps that become a completion
Fault = HttpError | RateLimited | Timeout | Drop | GarbledBody
Step = Answer | Fault | Respond | Slow


# -- reading requests (for Respond callables) ----------------------------------------------------


def text_of(message: Mapping[str, Any] | None) -> str:
    """A message's text: its content string, or its text parts joined."""
    content = (message or {}).get("content")
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def last_message(request: Mapping[str, Any], role: str | None = None) -> Json | None:
    """The last message of the request (with this ``role``, if given)."""
    for message in reversed(request.get("messages") or []):
        if isinstance(message, dict) and (role is None or message.get("role") == role):
            return message
    return None


def echo(request: Json) -> Step:
    """``Respond(echo)``: say back the customer's last message (the standalone server's default
    with ``--echo``; handy for the simulator and for concurrent load, where order is unknown)."""
    return Say("You said: " + text_of(last_message(request, "user")))


# -- checking requests ---------------------------------------------------------------------------

# The real API's wording, so that tests can match on it.
_AT_LEAST_ONE = "Expected an array with minimum length 1, but got an empty array instead."
_CHOICE_WITHOUT_TOOLS = (
    "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified."
)
_STRAY_TOOL_MESSAGE = (
    "Invalid parameter: messages with role 'tool' must be a response to a preceeding message "
    "with 'tool_calls'."
)
_UNANSWERED = (
    "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
    "'tool_call_id'. The following tool_call_ids did not have response messages: "
)


def problem(request: Any) -> Json | None:
    """The 400 error body the real API gives this request, for the mistakes it catches that an
    engine assembling history can make; None if the request is fine."""
    if not isinstance(request, dict):
        return _invalid("We could not parse the JSON body of your request. (fake OpenAI)", None)
    for name in ("model", "messages"):
        if name not in request:
            return _invalid(
                f"Missing required parameter: '{name}'.", name, "missing_required_parameter"
            )
    for name in ("messages", "tools"):
        if name in request and not (isinstance(request[name], list) and request[name]):
            return _invalid(f"Invalid '{name}': empty array. {_AT_LEAST_ONE}", name, "empty_array")
    if "tool_choice" in request and not request.get("tools"):
        return _invalid(_CHOICE_WITHOUT_TOOLS, "tool_choice")
    unanswered: list[str] = []
    asked_at = 0
    for index, message in enumerate(request["messages"]):
        role = message.get("role") if isinstance(message, dict) else None
        if role == "tool" and message.get("tool_call_id") in unanswered:
            unanswered.remove(message["tool_call_id"])
        elif role == "tool":
            return _invalid(_STRAY_TOOL_MESSAGE, f"messages.[{index}].role")
        elif unanswered:
            break
        elif role == "assistant":
            unanswered = [str(call.get("id")) for call in message.get("tool_calls") or []]
            asked_at = index
    if unanswered:
        return _invalid(_UNANSWERED + ", ".join(unanswered), f"messages.[{asked_at}].role")
    return None


def _invalid(message: str, param: str | None, code: str | None = None) -> Json:
    return error_body(message, "invalid_request_error", param, code)


# -- answers -------------------------------------------------------------------------------------


def estimate_tokens(value: Any) -> int:
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return math.ceil(len(value) / 4)


def error_body(message: str, type_: str, param: str | None = None, code: str | None = None) -> Json:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def http_error_body(error: HttpError) -> Json:
    if error.status >= 500:
        return error_body(error.message or _SORRY, "server_error", None, error.code)
    type_ = "requests" if error.status == 429 else "invalid_request_error"
    return error_body(error.message or f"fake OpenAI: HTTP {error.status}", type_, None, error.code)


def completion(answer: Answer, model: str, prompt_tokens: int, cached_tokens: int) -> Json:
    """The ``chat.completion`` object for ``answer``, with usage and prompt-cache details."""
    answer = CallTools(answer) if isinstance(answer, ToolCall) else answer
    message: Json = {"role": "assistant", "content": None, "refusal": None, "annotations": []}
    finish = "stop"
    if isinstance(answer, Say):
        message["content"], finish = answer.text, answer.finish_reason
    elif isinstance(answer, CallTools):
        message["content"], finish = answer.content, "tool_calls"
        message["tool_calls"] = [call.wire() for call in answer.calls]
    choices = [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}]
    if isinstance(answer, NoChoices):
        choices = []
    out = estimate_tokens(message["content"] or "") + sum(
        estimate_tokens(c["function"]) for c in message.get("tool_calls", [])
    )
    return {
        "id": "chatcmpl-" + secrets.token_urlsafe(21).replace("-", "x").replace("_", "y"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": choices,
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": out,
            "total_tokens": prompt_tokens + out,
            "prompt_tokens_details": {"cached_tokens": cached_tokens, "audio_tokens": 0},
            "completion_tokens_details": {f"{k}_tokens": 0 for k in _COMPLETION_DETAILS},
        },
        "service_tier": "default",
        "system_fingerprint": "fp_fake0penai",
    }


def sse_body(done: Json, include_usage: bool) -> bytes:
    """``done`` (a completion) as ``chat.completion.chunk`` server-sent events, all at once:
    role first, content and tool-call arguments in small pieces, then the finish reason, the
    usage chunk if ``stream_options.include_usage``, and ``data: [DONE]``."""
    head = {k: done[k] for k in ("id", "created", "model", "service_tier", "system_fingerprint")}
    events: list[Json] = []

    def chunk(delta: Json, finish: str | None = None) -> None:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        events.append({**head, "object": "chat.completion.chunk", "choices": [choice]})

    for choice in done["choices"]:
        message = choice["message"]
        content, calls = message["content"], message.get("tool_calls", [])
        opening = "" if content or not calls else None
        chunk({"role": "assistant", "content": opening, "refusal": None})
        for piece in _pieces(content or ""):
            chunk({"content": piece})
        for index, call in enumerate(calls):
            fn = call["function"]
            first = {"index": index, "id": call["id"], "type": "function"}
            chunk({"tool_calls": [{**first, "function": {"name": fn["name"], "arguments": ""}}]})
            for piece in _pieces(fn["arguments"]):
                chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
        chunk({}, choice["finish_reason"])
    if include_usage:
        for event in events:
            event["usage"] = None
        events.append(
            {**head, "object": "chat.completion.chunk", "choices": [], "usage": done["usage"]}
        )
    lines = [f"data: {json.dumps(e, ensure_ascii=False)}\n\n" for e in events]
    return ("".join(lines) + "data: [DONE]\n\n").encode()


def _pieces(text: str) -> list[str]:
    return [text[i : i + SSE_PIECE] for i in range(0, len(text), SSE_PIECE)]


class PromptCache:
    """Estimated prompt tokens of a request, and how many of them an earlier request already
    sent as the same prefix (model, tools, then messages, compared whole): what OpenAI's prompt
    cache would serve. Earlier means any earlier request, not only the previous one, so that
    interleaved conversations still share the system prompt and tools, as they do for real.
    Prefixes under ``min_tokens`` count as uncached (OpenAI: 1024; default 0 so small test
    prompts show caching). Chained hashes keep this O(messages) per request."""

    def __init__(self, min_tokens: int = 0) -> None:
        self.min_tokens = min_tokens
        self._lock = threading.Lock()
        self._seen: set[bytes] = set()

    def measure(self, request: Json) -> tuple[int, int]:
        parts: list[Any] = [request.get("tools") or [], *(request.get("messages") or [])]
        chain = hashlib.blake2b(str(request.get("model")).encode(), digest_size=16)
        total = cached = 0
        with self._lock:
            for part in parts:
                chain.update(json.dumps(part, sort_keys=True).encode())
                digest = chain.copy().digest()
                total += estimate_tokens(part) if part else 0
                if digest in self._seen:
                    cached = total
                self._seen.add(digest)
        return total, cached if cached >= self.min_tokens else 0

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()
