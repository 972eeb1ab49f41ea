"""The engine interface. An engine reads the turn's context and returns replies and actions;
it never writes to the database or sends anything itself: the turn commits its draft in one
transaction, or drops it when a newer message arrived meanwhile (latest-wins)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from snakecakes.bot.chat import ChatView, HistoryItem, SessionView
from snakecakes.bot.ordering.actions import Action
from snakecakes.bot.ordering.shelf import Shelf
from snakecakes.bot.prompts import PromptRegistry
from snakecakes.bot.whatsapp import formatting, messages
from snakecakes.bot.whatsapp.updates import (
    ButtonReply,
    ListReply,
    Media,
    Message,
    TemplateButton,
    Text,
)


@dataclass(frozen=True, slots=True)
class Inbound:
    """One customer message of this turn (an inbox row)."""

    row_id: int
    wamid: str
    message: Message
    received_at: float
    attempts: int = 0

    @property
    def text(self) -> str | None:
        """What the customer said in words, whatever the message kind."""
        content = self.message.content
        if isinstance(content, Text):
            return content.body
        if isinstance(content, ButtonReply | ListReply):
            return content.title
        if isinstance(content, TemplateButton):
            return content.text
        if isinstance(content, Media):
            return content.caption
        return None


@dataclass
class TurnContext:
    bot_id: int
    bot_name: str
    chat: ChatView
    session: SessionView
    history: list[HistoryItem]
    now: datetime
    prompts: PromptRegistry
    shop: Shelf | None = None  # None: this deployment sells nothing (tests of the core)
    order_prefix: str = "SC-"
    shop_variables: dict[str, Any] = field(default_factory=dict)  # hours, menu summary, ...

    @property
    def recipient(self) -> str:
        return self.chat.recipient

    def prompt(self, template: str, /, **variables: Any) -> str:
        merged = {
            **self.shop_variables,
            "shop_name": self.bot_name,
            "today": f"{self.now:%A %d %B %Y}",
            **variables,
        }
        return self.prompts.render(template, self.bot_id, **merged)


@dataclass
class EngineReply:
    """Send bodies (built with snakecakes.bot.whatsapp.messages for ctx.recipient) and what the
    history should remember of them."""

    bodies: list[dict[str, Any]] = field(default_factory=list)
    history_text: list[str] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] | None = None
    usage: dict[str, Any] | None = None
    hand_over: bool = False
    actions: list[Action] = field(default_factory=list)

    def say(self, ctx: TurnContext, markdown: str) -> None:
        """Text as language models write it: converted to WhatsApp's syntax, split at 4096."""
        self.say_as_is(ctx, formatting.to_whatsapp(markdown))

    def say_as_is(self, ctx: TurnContext, text: str) -> None:
        """Text already in WhatsApp's syntax (our prompt templates): only split at 4096."""
        for part in formatting.split_text(text):
            self.bodies.append(messages.text(ctx.recipient, part))
        self.history_text.append(text)

    def send(self, body: dict[str, Any], history: str) -> None:
        self.bodies.append(body)
        self.history_text.append(history)


class Engine(Protocol):
    name: str

    def respond(self, ctx: TurnContext, items: Sequence[Inbound]) -> EngineReply:
        """Answer the customer's messages of this turn (all of a burst at once)."""
