"""A stand-in for the shop's internal order system: it receives the bot's order pushes.

It checks each push's signature like a careful receiver would, can refuse the first N pushes
(HTTP 503) to exercise the bot's durable retries, and records what it accepted, so tests can
assert "each order change arrived once, signed". Used by tests and by `make demo` alike.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, request
from waitress.server import create_server


@dataclass(frozen=True)
class Push:
    event: str
    signature_ok: bool
    body: dict[str, Any]
    attempt: int


@dataclass
class FakeOrderReceiver:
    secret: str
    fail_first: int = 0
    received: list[Push] = field(default_factory=list)  # every push, refused ones included
    accepted: list[Push] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        app = Flask("fake-orders")
        app.add_url_rule("/orders", view_func=self._receive, methods=["POST"])
        app.add_url_rule("/healthz", view_func=lambda: "ok")
        self._server = create_server(app, host="127.0.0.1", port=0, threads=4)
        port = self._server.effective_port  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/orders"
        self._thread = threading.Thread(target=self._run, daemon=True, name="fake-orders")

    def _run(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._server.run()

    def start(self) -> FakeOrderReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.close()
        self._thread.join(timeout=5)

    def _receive(self) -> Response:
        raw = request.get_data()
        expected = "sha256=" + hmac.new(self.secret.encode(), raw, hashlib.sha256).hexdigest()
        given = request.headers.get("X-Snakecakes-Signature", "")
        push = Push(
            request.headers.get("X-Snakecakes-Event", ""),
            hmac.compare_digest(expected, given),
            json.loads(raw),
            int(request.headers.get("X-Snakecakes-Attempt", "0")),
        )
        with self._lock:
            self.received.append(push)
            if not push.signature_ok:
                return Response("bad signature", 401)
            if len(self.received) <= self.fail_first:
                return Response("not now", 503)
            if any(p.event == push.event for p in self.accepted):
                return Response("duplicate", 200)  # idempotent, as a receiver should be
            self.accepted.append(push)
        return Response("ok", 200)

    def events(self) -> list[str]:
        with self._lock:
            return [p.event for p in self.accepted]
