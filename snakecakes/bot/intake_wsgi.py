"""POST /webhook straight from WSGI, in front of Flask: the acknowledgement path Meta times.

Flask's request context, URL routing, request and response objects cost about a fifth of the
webhook path's CPU, and every other route needs them, this one does not. This middleware
answers ``POST /webhook`` with a ``Content-Length`` itself and hands every other request to
Flask, including the webhook route there (``app.py``), which keeps the same behaviour for the
rare request without a length (chunked) and stays the reference.

Same guarantees as the Flask route: the body size limit (413 before anything is read), the
request id on every log line, the ack-latency histogram, and an unexpected error logged and
answered 500.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.http import HTTP_STATUS_CODES

from snakecakes import metrics
from snakecakes.bot.intake import WebhookIntake
from snakecakes.logs import new_request_id, request_id_var

log = logging.getLogger("snakecakes.app")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
PATH = "/webhook"
_STATUS = {code: f"{code} {name.upper()}" for code, name in HTTP_STATUS_CODES.items()}


class WebhookFastPath:
    def __init__(self, app: WSGIApp, intake: WebhookIntake, max_body: int) -> None:
        self.app = app
        self.intake = intake
        self.max_body = max_body
        self._ack_seconds = metrics.WEBHOOK_ACK_SECONDS

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        length = environ.get("CONTENT_LENGTH")
        if not length or not length.isdigit():
            return self.app(environ, start_response)  # chunked or odd: Flask's route
        started = time.perf_counter()
        token = request_id_var.set(environ.get("HTTP_X_REQUEST_ID") or new_request_id())
        try:
            status, body = self._answer(environ, int(length), started)
        except Exception:
            log.exception("unhandled error on POST %s", PATH)
            status, body = 500, b"internal error"
        finally:
            request_id_var.reset(token)
        start_response(
            _STATUS.get(status) or f"{status} UNKNOWN",
            [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [body]

    def _answer(self, environ: dict[str, Any], length: int, started: float) -> tuple[int, bytes]:
        if length > self.max_body:
            log.warning("webhook body over the size limit refused")
            metrics.WEBHOOK_REQUESTS.labels("POST", "too_large").inc()
            self._ack_seconds.observe(time.perf_counter() - started)
            return 413, b"payload too large"
        body = environ["wsgi.input"].read(length) if length else b""
        result = self.intake.receive(body, environ.get("HTTP_X_HUB_SIGNATURE_256"))
        self._ack_seconds.observe(time.perf_counter() - started)
        return result.status, result.body.encode()
