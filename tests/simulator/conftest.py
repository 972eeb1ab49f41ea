"""Fixtures for tests that talk to the fake Graph API over real HTTP.

``fake_graph``: one running FakeGraphAPI per test that accepts ``ACCESS_TOKEN`` for
``PHONE_NUMBER_ID``; ``fake_graph_factory(**kwargs)`` starts more (or differently configured)
ones; ``webhook_receiver`` is a tiny HTTP server that records what the fake posts back.
Everything started here is stopped at the end of the test.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from snakecakes.simulator.fake_graph import FakeGraphAPI

PHONE_NUMBER_ID = "106540352242922"
OTHER_PHONE_NUMBER_ID = "206540352242933"
ACCESS_TOKEN = "EAAG-fake-graph-token-1"
OTHER_ACCESS_TOKEN = "EAAG-fake-graph-token-2"
APP_SECRET = "fake-graph-app-secret"


@pytest.fixture
def fake_graph_factory() -> Iterator[Callable[..., FakeGraphAPI]]:
    started: list[FakeGraphAPI] = []

    def start(**kwargs: Any) -> FakeGraphAPI:
        kwargs.setdefault(
            "tokens", {PHONE_NUMBER_ID: ACCESS_TOKEN, OTHER_PHONE_NUMBER_ID: OTHER_ACCESS_TOKEN}
        )
        graph = FakeGraphAPI(**kwargs).start()
        started.append(graph)
        return graph

    yield start
    for graph in started:
        graph.stop()


@pytest.fixture
def fake_graph(fake_graph_factory: Callable[..., FakeGraphAPI]) -> FakeGraphAPI:
    return fake_graph_factory()


@dataclass(frozen=True)
class Delivery:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver:
    """Records every POST; answers ``status`` (200 by default)."""

    def __init__(self) -> None:
        self.status = 200
        self.deliveries: list[Delivery] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.arrived:
                    receiver.deliveries.append(
                        Delivery({k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    receiver.arrived.notify_all()
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/webhook"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Delivery]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.deliveries) >= count, timeout)
            return list(self.deliveries)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()
