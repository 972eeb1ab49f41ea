"""What a turn intends to do, gathered by the handlers and the engine before anything is
written: the turn commits it in one transaction, or drops it for a newer message."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from snakecakes.bot.llms.base import EngineReply, Inbound, TurnContext
from snakecakes.bot.ordering.actions import Action


@dataclass
class Draft:
    bodies: list[dict[str, Any]] = field(default_factory=list)
    history: list[tuple[str, str, dict[str, Any] | None]] = field(default_factory=list)
    for_engine: list[Inbound] = field(default_factory=list)
    start_over: bool = False
    hand_over: bool | None = None
    tool_calls: list[dict[str, Any]] | None = None
    usage: dict[str, Any] | None = None
    routes: list[str] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)  # applied in the turn's commit

    def heard(self, item: Inbound, text: str, **meta: Any) -> None:
        """Remember what the customer sent, in the history."""
        self.history.append(("user", text, {"wamid": item.wamid, **meta}))

    def say(self, ctx: TurnContext, text: str) -> None:
        """A fixed answer from a prompt template, written in WhatsApp's syntax already."""
        reply = EngineReply()
        reply.say_as_is(ctx, text)
        self.add(reply)

    def add(self, reply: EngineReply) -> None:
        self.bodies.extend(reply.bodies)
        self.history.extend(("assistant", text, None) for text in reply.history_text)
        if reply.tool_calls:
            self.tool_calls = (self.tool_calls or []) + reply.tool_calls
        if reply.usage:
            self.usage = reply.usage
        if reply.hand_over:
            self.hand_over = True
        self.actions.extend(reply.actions)

    @property
    def changes_orders(self) -> bool:
        return any(action.changes_orders for action in self.actions)
