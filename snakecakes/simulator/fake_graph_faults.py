"""Failures the fake Graph API can stage: error answers, slow or missing answers, bad tokens.

Why: the bot's sender must survive everything Meta and the network do to it (rate limits, 5xx,
timeouts that may hide a successful send, expired tokens). Tests stage exactly one of these at
a time with :meth:`FaultPlan.inject`, or a seeded random mix with :meth:`FaultPlan.fail_ratio`.

A fault's effect, as the fake server applies it:

* ``HttpStatus(s)``: answer HTTP ``s`` with a Meta-shaped error body (429 → code 4, 5xx → code 1
  or 2); the message is not accepted.
* ``MetaError(code, http_status=400, details=...)``: answer that Meta error; not accepted.
* ``Delay(seconds)``: wait, then handle the request normally (it may still be accepted).
* ``Timeout(seconds=30)``: read the request, answer nothing until ``seconds`` pass or the server
  stops, then close the connection; not accepted. A client with a shorter read timeout gives up.
* ``Drop(accepted=False)``: read the request, close the connection without answering. With
  ``accepted=True`` the message is accepted first (recorded with a wamid, status webhooks
  follow): Meta took it but the answer was lost, the case that makes resends duplicates.
"""

from __future__ import annotations

import random
import secrets
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Json = dict[str, Any]
Predicate = Callable[[Any], bool]

# Titles Meta uses for the codes tests are likely to stage (from Meta's error code reference).
ERROR_TITLES: Mapping[int, str] = {
    1: "An unknown error occurred",
    2: "Service temporarily unavailable",
    4: "Application request limit reached",
    100: "Invalid parameter",
    190: "Invalid OAuth access token",
    368: "Temporarily blocked for policies violations",
    80007: "Rate limit issues",
    130429: "Rate limit hit",
    131000: "Something went wrong",
    131005: "Access denied",
    131008: "Required parameter is missing",
    131009: "Parameter value is not valid",
    131016: "Service unavailable",
    131021: "Recipient cannot be sender",
    131026: "Message undeliverable",
    131030: "Recipient phone number not in allowed list",
    131031: "Account has been locked",
    131047: "Re-engagement message",
    131048: "Spam rate limit hit",
    131049: "Meta chose not to deliver",
    131050: "User stopped marketing messages",
    131051: "Unsupported message type",
    131053: "Media upload error",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
    131057: "Account in maintenance mode",
    132000: "Number of parameters does not match the expected number of params",
    132001: "Template does not exist",
    133010: "Phone number not registered",
}


@dataclass(frozen=True)
class HttpStatus:
    status: int


@dataclass(frozen=True)
class MetaError:
    code: int
    http_status: int = 400
    details: str | None = None
    subcode: int | None = None


@dataclass(frozen=True)
class Delay:
    seconds: float


@dataclass(frozen=True)
class Timeout:
    seconds: float = 30.0


@dataclass(frozen=True)
class Drop:
    accepted: bool = False


Fault = HttpStatus | MetaError | Delay | Timeout | Drop
# Which requests a fault may hit: message sends, mark-as-read/typing, media calls, or any.
TARGETS = ("send", "read", "media", "any")


def meta_error_body(code: int, details: str | None = None, subcode: int | None = None) -> Json:
    """``{"error": {...}}`` the way the Graph API shapes it."""
    title = ERROR_TITLES.get(code, "Error")
    error: Json = {
        "message": f"(#{code}) {title}",
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": details or title},
        "fbtrace_id": "A" + secrets.token_urlsafe(15),
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


def error_for_status(status: int) -> MetaError:
    """The Meta error behind a bare HTTP status fault."""
    code = 4 if status == 429 else 2 if status == 503 else 1 if status >= 500 else 100
    return MetaError(code, http_status=status)


@dataclass
class _Rule:
    fault: Fault
    remaining: int
    when: Predicate | None
    on: str


class FaultPlan:
    """Staged faults (first match wins, each used ``times`` times) and an optional random
    background rate of faults. Thread-safe; the random draws are seeded, so a run with the same
    request order fails the same requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._ratio = 0.0
        self._random_on = "send"
        self._rng = random.Random(0)
        self._factory: Callable[[], Fault] | None = None

    def inject(
        self, fault: Fault, *, times: int = 1, when: Predicate | None = None, on: str = "send"
    ) -> None:
        if on not in TARGETS:
            raise ValueError(f"on must be one of {TARGETS}, not {on!r}")
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._rules.append(_Rule(fault, times, when, on))

    def fail_ratio(
        self,
        ratio: float,
        faults: Fault | Sequence[Fault] | Callable[[], Fault],
        *,
        seed: int = 0,
        on: str = "send",
    ) -> None:
        """From now on, fail a ``ratio`` share of the requests (0 turns it off). ``faults`` is
        one fault, a list to pick from with the seeded generator, or a factory."""
        if not 0.0 <= ratio <= 1.0 or on not in TARGETS:
            raise ValueError("ratio must be within 0..1 and on one of " + ", ".join(TARGETS))
        rng = random.Random(seed)
        factory = _factory(faults, rng)
        with self._lock:
            self._ratio, self._rng, self._factory, self._random_on = ratio, rng, factory, on

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._ratio, self._factory = 0.0, None

    def pending(self) -> int:
        """How many staged fault uses are left."""
        with self._lock:
            return sum(rule.remaining for rule in self._rules)

    def take(self, target: str, body: Any) -> Fault | None:
        """The fault for this request, if any: staged ones first, then the random ratio."""
        with self._lock:
            for rule in self._rules:
                if rule.on in (target, "any") and (rule.when is None or _safe(rule.when, body)):
                    rule.remaining -= 1
                    if rule.remaining == 0:
                        self._rules.remove(rule)
                    return rule.fault
            factory = self._factory
            if factory and self._random_on in (target, "any") and self._rng.random() < self._ratio:
                return factory()
        return None


def _factory(
    faults: Fault | Sequence[Fault] | Callable[[], Fault], rng: random.Random
) -> Callable[[], Fault]:
    if isinstance(faults, HttpStatus | MetaError | Delay | Timeout | Drop):
        one: Fault = faults
        return lambda: one
    if callable(faults):
        return faults
    choices = list(faults)
    return lambda: rng.choice(choices)


def _safe(predicate: Predicate, body: Any) -> bool:
    """A predicate that raises (e.g. ``body["to"]`` on a media call) does not match."""
    try:
        return bool(predicate(body))
    except Exception:  # any failure of a test's predicate means "no match"
        return False


class SlidingWindow:
    """Accepted sends per phone number over the last ``window`` seconds.

    Deliberately simple: it counts only accepted sends (a refused request does not use up
    throughput), and the limit is "more than ``max_rate`` within any 1 s": the send that would
    be number ``max_rate + 1`` inside the window is refused with 130429.
    """

    def __init__(self, max_rate: float | None, window: float = 1.0) -> None:
        self.max_rate = max_rate
        self.window = window
        self._lock = threading.Lock()
        self._times: dict[str, deque[float]] = {}

    def admit(self, phone_number_id: str, now: float) -> bool:
        if self.max_rate is None:
            return True
        with self._lock:
            times = self._times.setdefault(phone_number_id, deque())
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) >= self.max_rate:
                return False
            times.append(now)
            return True

    def clear(self) -> None:
        with self._lock:
            self._times.clear()


def peak_count(times: Sequence[float], window: float = 1.0) -> int:
    """The largest number of ``times`` (sorted) that fall within any ``window`` seconds."""
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best
