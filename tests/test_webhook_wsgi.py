"""The WSGI fast path in front of Flask for POST /webhook (snakecakes.bot.intake_wsgi)."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest

from snakecakes.bot.intake import IntakeResult
from snakecakes.bot.intake_wsgi import WebhookFastPath
from snakecakes.logs import request_id_var


class FakeIntake:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[bytes, str | None, str]] = []
        self.fail = fail

    def receive(self, body: bytes, signature: str | None) -> IntakeResult:
        if self.fail:
            raise RuntimeError("boom")
        self.calls.append((body, signature, request_id_var.get()))
        return IntakeResult(200, "stored", "ok")


def flask_stand_in(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("299 FLASK", [])
    return [b"flask"]


def call(app: WebhookFastPath, body: bytes, **env: Any) -> tuple[str, dict[str, str], bytes]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/webhook",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "HTTP_X_HUB_SIGNATURE_256": "sha256=abc",
        **env,
    }
    got: list[Any] = []
    out = app(environ, lambda status, headers: got.extend([status, dict(headers)]))
    return got[0], got[1], b"".join(out)


def test_post_webhook_is_answered_without_flask() -> None:
    intake = FakeIntake()
    app = WebhookFastPath(flask_stand_in, intake, max_body=100)  # type: ignore[arg-type]
    status, headers, body = call(app, b'{"a": 1}', HTTP_X_REQUEST_ID="req-1")
    assert (status, body) == ("200 OK", b"ok")
    assert headers == {"Content-Type": "text/plain; charset=utf-8", "Content-Length": "2"}
    assert intake.calls == [(b'{"a": 1}', "sha256=abc", "req-1")]
    assert request_id_var.get() == "-"  # reset after the request
    call(app, b"{}")
    assert intake.calls[-1][2] not in ("-", "req-1")  # a fresh request id


@pytest.mark.parametrize(
    "env",
    [
        {"REQUEST_METHOD": "GET"},
        {"PATH_INFO": "/webhook/"},
        {"PATH_INFO": "/healthz"},
        {"CONTENT_LENGTH": ""},  # chunked: the Flask route reads it
        {"CONTENT_LENGTH": "x"},
    ],
)
def test_everything_else_goes_to_flask(env: dict[str, str]) -> None:
    intake = FakeIntake()
    app = WebhookFastPath(flask_stand_in, intake, max_body=100)  # type: ignore[arg-type]
    status, _, body = call(app, b"{}", **env)
    assert (status, body) == ("299 FLASK", b"flask")
    assert intake.calls == []


def test_oversized_body_is_413_unread() -> None:
    intake = FakeIntake()
    app = WebhookFastPath(flask_stand_in, intake, max_body=10)  # type: ignore[arg-type]
    status, _, body = call(app, b"x" * 11)
    assert (status, body) == ("413 REQUEST ENTITY TOO LARGE", b"payload too large")
    assert intake.calls == []


def test_unexpected_error_is_logged_and_500(caplog: pytest.LogCaptureFixture) -> None:
    app = WebhookFastPath(flask_stand_in, FakeIntake(fail=True), max_body=100)  # type: ignore[arg-type]
    with caplog.at_level(logging.ERROR):
        status, _, body = call(app, b"{}")
    assert (status, body) == ("500 INTERNAL SERVER ERROR", b"internal error")
    assert "unhandled error on POST /webhook" in caplog.text
