"""The OpenAI engine: a language model holds the conversation and sells through the order desk.

Chat Completions with tools, through the `openai` SDK, so any OpenAI-compatible server works
(OPENAI_BASE_URL). The model reads the system prompt, recent history and this turn's messages;
it acts only through tools (openai_tools), which the order desk checks: the model never sets a
price, and an order exists only when the customer confirmed a summary they saw. An order number
in the model's words must be one the conversation knows; a made-up one undoes the turn.

A turn either completes or changes nothing. When the model cannot be reached or answers
nonsense (timeout, 5xx, garbled body, no choices, an empty answer), or loops over tools past
SNAKECAKES_OPENAI_MAX_TOOL_ROUNDS, the session state the tools edited is restored and the
customer gets one fixed apology instead. Why an apology from the engine rather than raising:
a raised turn is retried and parked only after SNAKECAKES_TURN_MAX_ATTEMPTS, each attempt
waiting out the model again; the customer would wait minutes. This way they wait at most
about SNAKECAKES_OPENAI_TURN_SECONDS, and their next message is answered normally.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import openai

from snakecakes.bot.llms import openai_history, openai_knowledge, openai_tools
from snakecakes.bot.llms.base import EngineReply, Inbound, TurnContext
from snakecakes.bot.llms.openai_prompt import system_prompt
from snakecakes.bot.llms.openai_retry import retry_wait
from snakecakes.bot.llms.openai_usage import Tally
from snakecakes.bot.ordering.actions import RecordEvent
from snakecakes.bot.ordering.desk import NoCatalog, OrderDesk
from snakecakes.bot.whatsapp.updates import ButtonReply, ListReply, TemplateButton
from snakecakes.config import Settings

log = logging.getLogger(__name__)
KEYLESS = "not-needed"  # local OpenAI-compatible servers take any key; the SDK wants one
ARGUMENTS_KEPT = 500  # characters of a tool call's arguments kept in the history


class ModelFailed(Exception):
    """The model could not be asked, or its answer is unusable; the message says which."""


@dataclass
class Exchange:
    """One turn's conversation with the model: the messages so far and the deadline."""

    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None
    deadline: float
    tally: Tally
    calls: list[dict[str, Any]] = field(default_factory=list)  # for the history
    placed: bool = False  # place_order succeeded: its confirmation carries the number
    question: str = ""  # what the customer said this turn (for a knowledge answer's record)
    citations: openai_knowledge.Citations = field(default_factory=openai_knowledge.Citations)


class OpenAIEngine:
    name = "openai"

    def __init__(
        self,
        client: openai.OpenAI,
        model: str,
        *,
        timeout: float = 20.0,
        max_retries: int = 1,
        max_tool_rounds: int = 6,
        turn_seconds: float = 60.0,
        context_tokens: int = 12000,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.model = model
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_tool_rounds = max_tool_rounds
        self.turn_seconds = turn_seconds
        self.context_tokens = context_tokens
        self.clock, self.sleep = clock, sleep
        self.tools = openai_tools.schemas()
        _ = client.chat.completions  # its lazy imports take ~0.5 s: at start, not in a turn
        self.tools_tokens = openai_history.estimate_tokens(self.tools)

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIEngine:
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else KEYLESS
        client = openai.OpenAI(
            api_key=key,
            base_url=settings.openai_base_url,
            timeout=settings.openai_timeout_seconds,
            max_retries=0,  # the engine retries, within the turn's deadline (openai_retry)
        )
        return cls(
            client,
            settings.openai_model,
            timeout=settings.openai_timeout_seconds,
            max_retries=settings.openai_max_retries,
            max_tool_rounds=settings.openai_max_tool_rounds,
            turn_seconds=settings.openai_turn_seconds,
            context_tokens=settings.openai_context_tokens,
        )

    # -- a turn ------------------------------------------------------------------------------

    def respond(self, ctx: TurnContext, items: Sequence[Inbound]) -> EngineReply:
        started = self.clock()
        reply = EngineReply()
        try:
            desk: OrderDesk | None = OrderDesk(ctx, reply)
        except NoCatalog:
            desk = None
        tools = self.tools if desk is not None else None
        current = [{"role": "user", "content": _said(item)} for item in items]
        messages = openai_history.build(
            system_prompt(ctx, desk.catalog if desk else None),
            ctx.history,
            current,
            self.context_tokens,
            self.tools_tokens if tools else 0,
        )
        talk = Exchange(messages, tools, started + self.turn_seconds, Tally(self.model))
        talk.question = "\n".join(str(m["content"]) for m in current)
        before = copy.deepcopy(ctx.session.state), ctx.session.changed
        try:
            outcome = self._converse(ctx, desk, reply, talk)
        except ModelFailed as exc:
            log.warning("chat %s: the model failed: %s", ctx.chat.customer_key, exc)
            outcome, reason = "error", str(exc)[:300]
        else:
            reason = ""
        if outcome in ("error", "muddled"):  # nothing the tools did stays
            ctx.session.state, ctx.session.changed = before
            reply = EngineReply()
            apology = "llm_unavailable" if outcome == "error" else "llm_muddled"
            reply.say_as_is(ctx, ctx.prompt(apology))
            reply.actions.append(RecordEvent("llm_" + outcome, {"reason": reason or outcome}))
        reply.tool_calls = talk.calls or None
        reply.usage = talk.tally.finish(outcome, self.clock() - started)
        return reply

    def _converse(
        self, ctx: TurnContext, desk: OrderDesk | None, reply: EngineReply, talk: Exchange
    ) -> str:
        """Ask, run the tools the model calls, ask again; 'answered', 'handed_over' or
        'muddled' (still calling tools after the last round)."""
        for _round in range(self.max_tool_rounds + 1):
            message = self._ask(talk)
            calls = [c for c in message.tool_calls or [] if c.type == "function"]
            if not calls:
                text = (message.content or "").strip()
                text, invented = openai_tools.scrub_order_numbers(
                    text, ctx.order_prefix, lambda: _known_numbers(ctx, talk)
                )
                if invented:
                    log.warning("chat %s: the model made up an order number", ctx.chat.customer_key)
                    talk.tally.invented_numbers += invented
                    if not talk.placed:  # it claims an order that does not exist: undo, apologise
                        return "muddled"
                if not text:
                    raise ModelFailed("an empty answer")
                openai_knowledge.answer(ctx, reply, text, talk.citations, talk.question)
                return "answered"
            if _round == self.max_tool_rounds:
                break
            talk.messages.append(_assistant(message.content, calls))
            for call in calls:
                result = self._run(ctx, desk, call.function.name, call.function.arguments, talk)
                talk.messages.append(_tool_message(call.id, result))
                if call.function.name == openai_tools.HAND_OVER and result.get("ok"):
                    reply.say_as_is(ctx, str(result["message"]))
                    return "handed_over"
        log.warning("chat %s: still calling tools after %d rounds", ctx.chat.customer_key, _round)
        return "muddled"

    def _ask(self, talk: Exchange) -> Any:
        """One chat completion within what is left of the turn, retried while worth it and
        time allows; its message, or ModelFailed."""
        request: dict[str, Any] = {"model": self.model, "messages": talk.messages}
        if talk.tools:
            request["tools"] = talk.tools
        for attempt in range(self.max_retries + 1):
            left = talk.deadline - self.clock()
            if left <= 0:
                raise ModelFailed("out of time for this turn")
            try:
                completion = self.client.chat.completions.create(
                    **request, timeout=min(self.timeout, left)
                )
                break
            except Exception as exc:  # timeouts, 4xx/5xx, refused connections, garbled bodies
                wait = retry_wait(exc, attempt) if attempt < self.max_retries else None
                if wait is None or self.clock() + wait >= talk.deadline:
                    raise ModelFailed(f"{type(exc).__name__}: {exc}") from exc
                log.info("model call failed (%s), retrying in %.2f s", type(exc).__name__, wait)
                self.sleep(wait)
        talk.tally.add(getattr(completion, "usage", None))
        choices = getattr(completion, "choices", None)
        if not choices or getattr(choices[0], "message", None) is None:
            raise ModelFailed("an answer without choices")
        return choices[0].message

    def _run(
        self,
        ctx: TurnContext,
        desk: OrderDesk | None,
        name: str,
        arguments: str | None,
        talk: Exchange,
    ) -> dict[str, Any]:
        if desk is None:
            result: dict[str, Any] = {"ok": False, "message": "This shop sells nothing yet."}
        elif name == openai_tools.SEARCH_KNOWLEDGE:
            result = talk.citations.search(ctx, arguments)
        else:
            result = openai_tools.run_tool(desk, name, arguments)
        talk.tally.tool_calls += 1
        talk.placed |= name == "place_order" and bool(result.get("ok"))
        talk.tally.tool_errors += 0 if result.get("ok") else 1
        kept = (arguments or "")[:ARGUMENTS_KEPT]
        talk.calls.append({"name": name, "arguments": kept, "ok": bool(result.get("ok"))})
        return result


def _known_numbers(ctx: TurnContext, talk: Exchange) -> set[str]:
    """Order numbers the model may mention: the customer's orders, and any the customer wrote."""
    said = " ".join(str(m["content"]) for m in talk.messages if m["role"] == "user")
    known = openai_tools.order_numbers_in(said, ctx.order_prefix)
    if ctx.shop is not None:
        mine = ctx.shop.orders_of(ctx.bot_id, ctx.chat.customer_key, 50)
        known |= {str(o.number).upper() for o in mine}
    return known


def _said(item: Inbound) -> str:
    text = item.text
    if text and isinstance(item.message.content, ButtonReply | ListReply | TemplateButton):
        return f"[tapped] {text}"
    return text or f"[{item.message.type}]"


def _assistant(content: str | None, calls: Sequence[Any]) -> dict[str, Any]:
    """The model's tool-calling message as the next request must repeat it. Arguments that are
    not a JSON object are sent back as `{}` (some servers refuse them); the tool result tells
    the model what was wrong."""
    return {
        "role": "assistant",
        "content": content,
        "tool_calls": [
            {
                "id": call.id,
                "type": "function",
                "function": {
                    "name": call.function.name,
                    "arguments": call.function.arguments
                    if openai_tools.parse_arguments(call.function.arguments) is not None
                    else "{}",
                },
            }
            for call in calls
        ],
    }


def _tool_message(call_id: str, result: dict[str, Any]) -> dict[str, Any]:
    content = json.dumps(result, ensure_ascii=False, default=str)
    return {"role": "tool", "tool_call_id": call_id, "content": content}
