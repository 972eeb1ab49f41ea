"""What one OpenAI engine turn cost: model calls, tokens (prompt, completion, cached), tool
calls and their errors, made-up order numbers. Recorded per turn as the `llm_usage` analytics
event (TurnStore commits it with the turn) and counted in Prometheus metrics, so a shop sees
what its conversations cost and how often the model stumbles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from snakecakes import metrics


@dataclass
class Tally:
    model: str
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    tool_calls: int = 0
    tool_errors: int = 0
    invented_numbers: int = 0  # order numbers the model made up

    def add(self, usage: Any) -> None:
        """One answered call, with the usage the server reported (None if it reported none)."""
        self.calls += 1
        if usage is None:
            return
        self.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
        self.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)
        details = getattr(usage, "prompt_tokens_details", None)
        self.cached_tokens += int(getattr(details, "cached_tokens", 0) or 0)

    def finish(self, outcome: str, seconds: float) -> dict[str, Any]:
        """The turn is over: count it in the metrics, and return the analytics event's data."""
        metrics.LLM_TURNS.labels(outcome).inc()
        metrics.LLM_TURN_SECONDS.observe(seconds)
        for kind in ("prompt", "completion", "cached"):
            metrics.LLM_TOKENS.labels(kind).inc(getattr(self, f"{kind}_tokens"))
        return {
            "engine": "openai",
            "model": self.model,
            "outcome": outcome,
            "calls": self.calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "cached_tokens": self.cached_tokens,
            "tool_calls": self.tool_calls,
            "tool_errors": self.tool_errors,
            "invented_numbers": self.invented_numbers,
            "seconds": round(seconds, 3),
        }
