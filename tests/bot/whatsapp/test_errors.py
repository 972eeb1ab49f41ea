"""The error table: Meta codes and HTTP statuses to exception classes and retry decisions."""

from __future__ import annotations

import pytest

from snakecakes.bot.whatsapp import errors
from snakecakes.bot.whatsapp.errors import (
    ErrorKind,
    InvalidMessageError,
    OutsideWindowError,
    PairRateLimitError,
    PermanentError,
    RateLimitError,
    TokenExpiredError,
    TransientError,
    TransportError,
    WhatsAppError,
    classify,
    error_from_response,
    error_from_status,
)


def meta_error(code: int, message: str = "boom", **extra: object) -> dict[str, object]:
    return {"error": {"message": message, "type": "OAuthException", "code": code, **extra}}


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (130429, RateLimitError),
        (80007, RateLimitError),
        (4, RateLimitError),
        (131056, PairRateLimitError),
        (1, TransientError),
        (2, TransientError),
        (131000, TransientError),
        (131016, TransientError),
        (131057, TransientError),
        (133004, TransientError),
        (190, TokenExpiredError),
        (131047, OutsideWindowError),
        (100, PermanentError),
        (10, PermanentError),
        (131026, PermanentError),
        (131048, PermanentError),
        (132000, PermanentError),
        (132016, PermanentError),
        (133010, PermanentError),
        (368, PermanentError),
    ],
)
def test_documented_codes_map_to_their_class(code: int, cls: type[WhatsAppError]) -> None:
    err = error_from_response(400, meta_error(code))
    assert type(err) is cls
    assert err.code == code
    assert err.retryable is issubclass(cls, TransientError)
    assert classify(code) is err.kind


def test_code_wins_over_http_status() -> None:
    # Meta says branch on the code: a 131047 is permanent even if a proxy said 503.
    assert type(error_from_response(503, meta_error(131047))) is OutsideWindowError
    assert type(error_from_response(400, meta_error(130429))) is RateLimitError


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (500, ErrorKind.TRANSIENT),
        (503, ErrorKind.TRANSIENT),
        (429, ErrorKind.TRANSIENT),
        (400, ErrorKind.PERMANENT),
        (404, ErrorKind.PERMANENT),
        (401, ErrorKind.PERMANENT),
    ],
)
def test_unknown_codes_fall_back_on_http_status(status: int, kind: ErrorKind) -> None:
    assert classify(999999, status) is kind
    err = error_from_response(status, meta_error(999999))
    assert err.kind is kind
    assert isinstance(err, TransientError if kind is ErrorKind.TRANSIENT else PermanentError)


def test_http_429_without_known_code_is_a_rate_limit() -> None:
    assert isinstance(error_from_response(429, "Too Many Requests"), RateLimitError)


def test_all_fields_are_read_from_a_meta_error_body() -> None:
    body = {
        "error": {
            "message": "(#131047) Re-engagement message",
            "type": "OAuthException",
            "code": 131047,
            "error_subcode": 2494010,
            "error_user_title": "Re-engagement message",
            "error_data": {"messaging_product": "whatsapp", "details": "More than 24 hours"},
            "fbtrace_id": "AbCdEf123",
        }
    }
    err = error_from_response(400, body)
    assert isinstance(err, OutsideWindowError)
    assert (err.code, err.http_status, err.fbtrace_id, err.subcode) == (
        131047,
        400,
        "AbCdEf123",
        2494010,
    )
    assert err.title == "Re-engagement message"
    assert err.message == "(#131047) Re-engagement message"
    assert err.details == "More than 24 hours"
    assert "131047" in str(err) and "More than 24 hours" in str(err)
    assert err.kind is ErrorKind.PERMANENT and not err.retryable


def test_code_given_as_string_is_understood() -> None:
    body = {"error": {"message": "Invalid OAuth access token", "code": "190"}}
    assert isinstance(error_from_response(401, body), TokenExpiredError)


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (502, "<html><body>Bad Gateway</body></html>", TransientError),
        (502, b"upstream \xff error", TransientError),
        (400, None, PermanentError),
        (500, {"unexpected": True}, TransientError),
        (400, ["not", "a", "mapping"], PermanentError),
        (400, {"error": "just a string"}, PermanentError),
    ],
)
def test_non_meta_bodies(status: int, body: object, cls: type[WhatsAppError]) -> None:
    err = error_from_response(status, body)
    assert type(err) is cls
    assert err.code is None and err.http_status == status
    assert str(err)


def test_long_non_json_bodies_are_truncated() -> None:
    err = error_from_response(500, "x" * 100_000)
    assert len(err.message) < 1000


def test_failed_status_errors() -> None:
    err = error_from_status(
        [
            {
                "code": 131026,
                "title": "Message undeliverable",
                "message": "Message undeliverable",
                "error_data": {"details": "Receiver is incapable of receiving this message"},
            }
        ]
    )
    assert type(err) is PermanentError
    assert err.code == 131026 and err.title == "Message undeliverable"
    assert err.details == "Receiver is incapable of receiving this message"
    assert err.http_status is None

    assert isinstance(error_from_status([{"code": 131056, "title": "pair"}]), PairRateLimitError)
    assert isinstance(error_from_status([{"code": 131047}]), OutsideWindowError)
    assert isinstance(error_from_status([{"code": 131000, "title": "x"}]), TransientError)
    unknown = error_from_status([])
    assert type(unknown) is PermanentError and unknown.message


def test_transport_and_invalid_message_errors() -> None:
    lost = TransportError("read timeout", maybe_sent=True)
    assert lost.retryable and lost.maybe_sent and isinstance(lost, TransientError)
    assert "maybe_sent=True" in repr(lost)
    invalid = InvalidMessageError("too long")
    assert isinstance(invalid, ValueError) and isinstance(invalid, WhatsAppError)
    assert invalid.kind is ErrorKind.PERMANENT and not invalid.retryable


def test_every_exception_is_a_whatsapp_error() -> None:
    for name in dir(errors):
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, WhatsAppError)
