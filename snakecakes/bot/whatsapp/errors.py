"""One exception tree for everything that can go wrong talking to the WhatsApp Cloud API.

The sender has to make one decision per failure: try again later, or give up (and maybe pause a
number or tell a human). Meta says to branch on the error ``code``, not on the HTTP status, so the
codes from Meta's documentation are mapped to exception classes in exactly one table,
``_CODE_CLASSES``; everything else in the project asks ``retryable`` or catches a class.

Unknown codes fall back on the HTTP status: 429 and 5xx are transient, anything else permanent.
Errors that arrive later as ``failed`` status webhooks go through the same table.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any

_TEXT_LIMIT = 500  # characters of a non-JSON error body kept in the message


class ErrorKind(enum.Enum):
    """Whether trying the same request again later can succeed."""

    TRANSIENT = "transient"
    PERMANENT = "permanent"


class WhatsAppError(Exception):
    """Root of all WhatsApp API errors.

    ``kind`` is fixed by the subclass where there is one; the root class itself is only raised
    for codes we do not know, and then ``kind`` comes from ``classify``.
    """

    default_kind: ErrorKind | None = None

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        title: str | None = None,
        details: str | None = None,
        http_status: int | None = None,
        fbtrace_id: str | None = None,
        subcode: int | None = None,
        kind: ErrorKind | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.title = title
        self.details = details
        self.http_status = http_status
        self.fbtrace_id = fbtrace_id
        self.subcode = subcode
        self.kind: ErrorKind = kind or self.default_kind or classify(code, http_status)

    @property
    def retryable(self) -> bool:
        return self.kind is ErrorKind.TRANSIENT

    def __str__(self) -> str:
        head = []
        if self.code is not None:
            head.append(f"code {self.code}")
        if self.http_status is not None:
            head.append(f"HTTP {self.http_status}")
        text = self.message
        if self.details and self.details not in text:
            text = f"{text} ({self.details})"
        return f"[{', '.join(head)}] {text}" if head else text

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class TransientError(WhatsAppError):
    """Retry later with backoff; the request was refused for reasons that pass."""

    default_kind = ErrorKind.TRANSIENT


class PermanentError(WhatsAppError):
    """Retrying the same request will fail again: fix the request, the number or the account."""

    default_kind = ErrorKind.PERMANENT


class RateLimitError(TransientError):
    """Too many calls for the app, the WABA or the business number: slow the whole number down."""


class PairRateLimitError(TransientError):
    """Too many messages to one customer (131056): delay that recipient only, not the queue."""


class TokenExpiredError(PermanentError):
    """The access token is invalid or expired (190): alert someone and pause the number."""


class OutsideWindowError(PermanentError):
    """The 24-hour customer service window is closed (131047): only a template may be sent."""


class TransportError(TransientError):
    """No usable answer from Meta: a timeout or a broken connection.

    The Graph API has no idempotency key, so ``maybe_sent`` tells the sender whether the request
    may have reached Meta (a read timeout can hide a successful send) or surely did not (the
    connection was never made). Resending when ``maybe_sent`` is true risks a duplicate.
    """

    def __init__(self, message: str, *, maybe_sent: bool) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent

    def __repr__(self) -> str:
        return f"TransportError(maybe_sent={self.maybe_sent!r}, message={self.message!r})"


class InvalidMessageError(PermanentError, ValueError):
    """A body we built breaks one of Meta's limits; raised before any request is made.

    It is a ``PermanentError`` too, so a sender that drops permanent failures drops these, and a
    ``ValueError`` for code that only cares that an argument was wrong.
    """


class MediaTooLargeError(PermanentError):
    """A media file is bigger than we agreed to handle (or than Meta accepts)."""

    def __init__(self, message: str, *, size: int | None, limit: int) -> None:
        super().__init__(message)
        self.size = size
        self.limit = limit


_TRANSIENT_CODES = (1, 2, 131000, 131016, 131057, 133004)
_RATE_LIMIT_CODES = (4, 80007, 130429)
_PERMANENT_CODES = (
    *(10, 100, 368),
    *(131005, 131008, 131009, 131021, 131026, 131030, 131031),
    *(131048, 131049, 131050, 131051, 131053, 133010),
    *range(132000, 132017),
)

# The one table: Meta error code -> exception class (and with it, the kind).
_CODE_CLASSES: dict[int, type[WhatsAppError]] = {
    **dict.fromkeys(_TRANSIENT_CODES, TransientError),
    **dict.fromkeys(_RATE_LIMIT_CODES, RateLimitError),
    **dict.fromkeys(_PERMANENT_CODES, PermanentError),
    131056: PairRateLimitError,
    131047: OutsideWindowError,
    190: TokenExpiredError,
}


def _class_for(code: int | None, http_status: int | None) -> type[WhatsAppError]:
    if code is not None and code in _CODE_CLASSES:
        return _CODE_CLASSES[code]
    if http_status == 429:
        return RateLimitError
    if http_status is not None and http_status >= 500:
        return TransientError
    return PermanentError


def classify(code: int | None, http_status: int | None = None) -> ErrorKind:
    """TRANSIENT or PERMANENT for a Meta error code, falling back on the HTTP status."""
    kind = _class_for(code, http_status).default_kind
    assert kind is not None  # every class _class_for returns has one
    return kind


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _details(error: Mapping[str, Any]) -> str | None:
    data = error.get("error_data")
    return _str_or_none(data.get("details")) if isinstance(data, Mapping) else None


def error_from_response(http_status: int, body: Any) -> WhatsAppError:
    """The exception for an error answer: a parsed JSON body, raw text/bytes, or None."""
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        text = body if isinstance(body, str) else ("" if body is None else repr(body))
        text = " ".join(text.split())[:_TEXT_LIMIT]
        message = f"unexpected error answer: {text}" if text else "empty error answer"
        return _class_for(None, http_status)(message, http_status=http_status)
    code = _int_or_none(error.get("code"))
    return _class_for(code, http_status)(
        _str_or_none(error.get("message")) or f"error {code}",
        code=code,
        title=_str_or_none(error.get("error_user_title")) or _str_or_none(error.get("title")),
        details=_details(error),
        http_status=http_status,
        fbtrace_id=_str_or_none(error.get("fbtrace_id")),
        subcode=_int_or_none(error.get("error_subcode")),
    )


def error_from_status(errors: Sequence[Mapping[str, Any]]) -> WhatsAppError:
    """The exception for the ``errors[]`` of a ``failed`` status webhook (first error wins)."""
    first = errors[0] if errors else {}
    code = _int_or_none(first.get("code"))
    title = _str_or_none(first.get("title"))
    return _class_for(code, None)(
        _str_or_none(first.get("message")) or title or "message failed without a reason",
        code=code,
        title=title,
        details=_details(first),
    )
