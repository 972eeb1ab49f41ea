"""Bearer tokens of the fake Graph API: which token each business number accepts, and expiry.

Why: Meta answers 401 with code 190 when a token is wrong or has expired, and the bot must then
pause that number and alert rather than retry. Tests expire a number's token on demand and later
install a new one, the way an operator would after rotating it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class AuthFailure:
    """Why a request is refused: HTTP status, Meta code and subcode, details."""

    http_status: int
    code: int
    subcode: int | None
    details: str


class TokenBook:
    """``tokens`` maps phone_number_id to its token; ``None`` accepts any non-empty token for
    any number (until :meth:`expire` or :meth:`set` pins a number down)."""

    def __init__(self, tokens: Mapping[str, str] | None) -> None:
        self._lock = threading.Lock()
        self._accept_any = tokens is None
        self._tokens = dict(tokens or {})
        self._expired_numbers: set[str] = set()
        self._expired_tokens: set[str] = set()
        self._last_seen: dict[str, str] = {}

    def expire(self, phone_number_id: str) -> None:
        """Every call for this number (and media calls with its token) answers 401 code 190."""
        with self._lock:
            self._expired_numbers.add(phone_number_id)
            token = self._tokens.get(phone_number_id) or self._last_seen.get(phone_number_id)
            if token:
                self._expired_tokens.add(token)

    def set(self, phone_number_id: str, token: str) -> None:
        """Accept ``token`` (only) for this number from now on; lifts an expiry."""
        with self._lock:
            self._tokens[phone_number_id] = token
            self._expired_numbers.discard(phone_number_id)
            self._expired_tokens.discard(token)

    def check_number(self, phone_number_id: str, token: str | None) -> AuthFailure | None:
        """Authorise a call on a business number (``/{phone_number_id}/messages`` and media)."""
        with self._lock:
            if phone_number_id in self._expired_numbers:
                return _expired()
            if not token:
                return _missing()
            expected = self._tokens.get(phone_number_id)
            if expected is None and not self._accept_any:
                return AuthFailure(
                    400,
                    100,
                    33,
                    f"Unsupported post request. Object with ID '{phone_number_id}' does not "
                    "exist, cannot be loaded due to missing permissions, or does not support "
                    "this operation",
                )
            if expected is not None and token != expected:
                return _invalid()
            self._last_seen[phone_number_id] = token
            return None

    def check_token(self, token: str | None) -> AuthFailure | None:
        """Authorise a call that names no number (``GET /{media_id}``, media downloads)."""
        with self._lock:
            if not token:
                return _missing()
            if token in self._expired_tokens:
                return _expired()
            valid = {t for n, t in self._tokens.items() if n not in self._expired_numbers}
            return None if self._accept_any or token in valid else _invalid()


def _missing() -> AuthFailure:
    return AuthFailure(401, 190, None, "An active access token must be used")


def _invalid() -> AuthFailure:
    return AuthFailure(401, 190, None, "Invalid OAuth access token - Cannot parse access token")


def _expired() -> AuthFailure:
    return AuthFailure(401, 190, 463, "Error validating access token: Session has expired")
