"""A small engine for tests and load measurements: it answers with a summary of what it got.

A configurable delay stands in for a slow language model (latest-wins tests), and a marker word
makes it fail (poison-message tests).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from snakecakes.bot.llms.base import EngineReply, Inbound, TurnContext


class EchoEngine:
    name = "echo"

    def __init__(self, delay: float = 0.0, poison: str = "POISON") -> None:
        self.delay = delay
        self.poison = poison

    def respond(self, ctx: TurnContext, items: Sequence[Inbound]) -> EngineReply:
        if self.delay:
            time.sleep(self.delay)
        said = [item.text or f"[{item.message.type}]" for item in items]
        if self.poison and any(self.poison in s for s in said):
            raise RuntimeError("the echo engine was given a poison message")
        reply = EngineReply()
        reply.say(ctx, "You said: " + " | ".join(said))
        return reply
