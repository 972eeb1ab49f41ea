"""When a failed model call is retried, and after how long (the engine's own retries, bounded
by the turn's deadline)."""

from __future__ import annotations

import email.utils
import time

import httpx
import openai
import pytest

from snakecakes.bot.llms.openai_retry import retry_after, retry_wait

REQUEST = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")


def status(code: int, **headers: str) -> openai.APIStatusError:
    response = httpx.Response(code, headers=headers, request=REQUEST)
    return openai.APIStatusError("failed", response=response, body=None)


def test_retry_after_headers() -> None:
    assert retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after({"retry-after": "2"}) == 2.0
    assert retry_after({"retry-after": "1.5"}) == 1.5
    assert retry_after({"retry-after": "-3"}) == 0.0
    assert retry_after({}) is None
    assert retry_after({"retry-after": "soon"}) is None
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 28 <= (retry_after({"retry-after": later}) or 0) <= 30


@pytest.mark.parametrize("code", [408, 409, 429, 500, 502, 503, 504])
def test_passing_failures_back_off(code: int) -> None:
    assert retry_wait(status(code), 0) == 0.5
    assert retry_wait(status(code), 2) == 2.0
    assert retry_wait(status(code), 10) == 8.0
    assert retry_wait(status(code, **{"retry-after": "3"}), 0) == 3.0


@pytest.mark.parametrize("code", [400, 401, 403, 404, 422])
def test_refusals_are_final(code: int) -> None:
    assert retry_wait(status(code), 0) is None
    assert retry_wait(status(code, **{"x-should-retry": "true"}), 0) == 0.5


def test_the_server_s_word_wins_and_connection_problems_are_retried() -> None:
    assert retry_wait(status(500, **{"x-should-retry": "false"}), 0) is None
    assert retry_wait(openai.APITimeoutError(REQUEST), 1) == 1.0
    assert retry_wait(openai.APIConnectionError(request=REQUEST), 0) == 0.5
    assert retry_wait(ValueError("garbled JSON"), 0) is None
