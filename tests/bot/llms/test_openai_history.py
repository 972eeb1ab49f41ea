"""The model's reading window: system prompt first, newest history that fits, this turn whole."""

from __future__ import annotations

from datetime import UTC, datetime

from snakecakes.bot.chat import HistoryItem
from snakecakes.bot.llms.openai_history import (
    build,
    estimate_tokens,
    history_messages,
    message_tokens,
    window,
)

AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def item(role: str, text: str) -> HistoryItem:
    return HistoryItem(role, text, None, AT)


def msg(role: str, text: str) -> dict[str, str]:
    return {"role": role, "content": text}


def test_estimates_count_bytes_so_other_scripts_are_not_undercounted() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("a" * 35) == 10
    assert estimate_tokens("ü" * 35) == 20  # two bytes each
    assert estimate_tokens("蛋糕" * 7) >= 12  # three bytes each: about one token per character
    assert estimate_tokens({"a": 1}) == estimate_tokens('{"a":1}')
    assert message_tokens(msg("user", "")) == 4
    with_calls = {"role": "assistant", "content": None, "tool_calls": [{"id": "c", "x": "y" * 70}]}
    assert message_tokens(with_calls) > 20


def test_history_keeps_customer_and_assistant_words_only() -> None:
    history = [
        item("user", "Hi"),
        item("system", "session started"),
        item("assistant", "Hello!"),
        item("assistant", "   "),
        item("tool", "{}"),
    ]
    assert history_messages(history) == [msg("user", "Hi"), msg("assistant", "Hello!")]


def test_the_window_drops_the_oldest_first_and_never_this_turn() -> None:
    older = [
        msg("user" if i % 2 == 0 else "assistant", f"message {i:02d} " + "x" * 30)
        for i in range(20)
    ]
    now = [msg("user", "and for saturday please")]
    per = message_tokens(older[0])
    kept = window(older, now, budget=per * 5 + message_tokens(now[0]))
    assert kept[-1] == now[0]
    assert kept[:-1] == older[-4:]  # five fit, but the window starts with a customer message
    assert kept[0]["role"] == "user"
    assert window(older, now, budget=0) == now  # over budget: this turn alone, still whole
    huge = [msg("user", "y" * 10_000)]
    assert window(older, huge, budget=100) == huge
    assert window(older, now, budget=10**6) == [*older, *now]


def test_build_puts_the_system_prompt_first_and_counts_the_tools() -> None:
    history = [item("user" if i % 2 == 0 else "assistant", "z" * 350) for i in range(10)]
    now = [msg("user", "yes")]
    roomy = build("You sell cakes.", history, now, budget=10_000)
    assert roomy[0] == msg("system", "You sell cakes.") and roomy[-1] == now[0]
    assert len(roomy) == 12
    tight = build("You sell cakes.", history, now, budget=10_000, fixed_tokens=9_700)
    assert tight[0]["role"] == "system" and tight[-1] == now[0]
    assert 2 < len(tight) < 12
    assert sum(message_tokens(m) for m in tight) <= 300
    assert tight[1]["role"] == "user"
