"""What the model reads each turn: the static system prompt first, then as much recent history
as fits a token budget, then this turn's messages.

Why this order: providers cache the longest prompt prefix they saw before. The system prompt
and the tools are the same every turn (the date, their only changing part, comes last in the
system prompt), and the history grows at its end, so a turn mostly re-reads a cached prefix.
The window drops the oldest entries first and never this turn's messages.

Why an estimate, not tiktoken: tiktoken downloads its tables at run time, which fails on a
server without internet access, and differs per model anyway. UTF-8 bytes / 3.5 over-counts
English a little and counts other scripts more generously; over-counting only shortens the
window, never overflows the context.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from snakecakes.bot.chat import HistoryItem

Message = dict[str, Any]
MESSAGE_OVERHEAD = 4  # role and separators, per message
BYTES_PER_TOKEN = 3.5
ROLES = ("user", "assistant")


def estimate_tokens(value: Any) -> int:
    """A cautious token count of a string (or of any JSON value, as compact JSON)."""
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return math.ceil(len(value.encode("utf-8")) / BYTES_PER_TOKEN)


def message_tokens(message: Message) -> int:
    tokens = MESSAGE_OVERHEAD + estimate_tokens(message.get("content") or "")
    if message.get("tool_calls"):
        tokens += estimate_tokens(message["tool_calls"])
    return tokens


def history_messages(history: Sequence[HistoryItem]) -> list[Message]:
    """Stored history as chat messages: customer and assistant words only. Tool calls are not
    replayed: their effects live in the cart, which the model reads with view_cart."""
    return [
        {"role": item.role, "content": item.text}
        for item in history
        if item.role in ROLES and item.text and item.text.strip()
    ]


def window(older: Sequence[Message], current: Sequence[Message], budget: int) -> list[Message]:
    """`current` whole, preceded by the newest `older` messages that fit `budget` tokens; the
    kept part starts with a customer message, as chat models expect after the system prompt."""
    left = budget - sum(message_tokens(m) for m in current)
    kept: list[Message] = []
    for message in reversed(older):
        cost = message_tokens(message)
        if cost > left:
            break
        kept.append(message)
        left -= cost
    kept.reverse()
    while kept and kept[0]["role"] != "user":
        kept.pop(0)
    return [*kept, *current]


def build(
    system: str,
    history: Sequence[HistoryItem],
    current: Sequence[Message],
    budget: int,
    fixed_tokens: int = 0,
) -> list[Message]:
    """The messages of a request: system prompt, windowed history, this turn. `budget` is the
    whole prompt; `fixed_tokens` what else it carries (the tools' schemas)."""
    head: Message = {"role": "system", "content": system}
    left = budget - fixed_tokens - message_tokens(head)
    return [head, *window(history_messages(history), current, left)]
