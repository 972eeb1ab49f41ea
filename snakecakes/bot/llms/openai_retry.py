"""Whether, and after how long, a failed model call is worth another try within the turn.

Why not the SDK's own retries: they wait out any Retry-After up to a minute, whatever is left of
the turn, so a rate-limited provider would keep the customer waiting far past
SNAKECAKES_OPENAI_TURN_SECONDS. The engine retries itself, with the SDK's rules (timeouts,
refused connections, 408, 409, 429, 5xx, the `x-should-retry` header, Retry-After), and only
when the wait still ends before the turn's deadline: the apology comes within the bound.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping

import openai

BACKOFF_START = 0.5
BACKOFF_MAX = 8.0
RETRY_STATUS = (408, 409, 429)


def retry_after(headers: Mapping[str, str]) -> float | None:
    """The server's wish in seconds: `retry-after-ms`, else `retry-after` (seconds or a date)."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            return max(0.0, float(headers[name]) / scale)
        except (KeyError, TypeError, ValueError):
            continue
    parsed = email.utils.parsedate_tz(headers.get("retry-after") or "")
    if parsed is None:
        return None
    return max(0.0, email.utils.mktime_tz(parsed) - time.time())


def retry_wait(exc: BaseException, attempt: int) -> float | None:
    """Seconds to wait before try number `attempt + 1`, or None: not worth retrying (bad
    requests, a wrong key, a garbled body: the same again would fail the same way)."""
    backoff = min(BACKOFF_START * 2**attempt, BACKOFF_MAX)
    if isinstance(exc, openai.APIConnectionError):  # timeouts too
        return backoff
    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    should = headers.get("x-should-retry")
    if should == "false":
        return None
    if should != "true" and exc.status_code not in RETRY_STATUS and exc.status_code < 500:
        return None
    wished = retry_after(headers)
    return backoff if wished is None else wished
