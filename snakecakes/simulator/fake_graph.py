"""A fake WhatsApp Cloud (Graph) API on 127.0.0.1 for tests, benchmarks and the simulator.

Why a real HTTP server rather than mocked calls: the bot's client, its connection pool, its
timeouts and its retry logic are exactly what we want to test, and they only meet reality over
a socket. The fake answers what our bot uses, the way Meta does:

* ``POST /{version}/{phone_number_id}/messages``: bearer token check (401, code 190), mark as
  read / typing (``{"success": true}``), send bodies validated against Meta's OpenAPI schema
  (400, code 100, the reason in ``error_data.details``), else a fresh wamid.
* ``POST /{version}/{phone_number_id}/media`` (multipart) → ``{"id"}``;
  ``GET /{version}/{media_id}`` → info with a download URL valid for ``media_url_ttl`` seconds;
  ``GET /media-download/{media_id}?...`` with the bearer token → the bytes.
* Faults on demand (see :mod:`snakecakes.simulator.fake_graph_faults` for what each does),
  token expiry, an optional per-number rate limit, and status webhooks back to the bot.

Every request is recorded (:attr:`FakeGraphAPI.requests`). Any version prefix works ("/v23.0").
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

from snakecakes.simulator.fake_graph_auth import TokenBook
from snakecakes.simulator.fake_graph_faults import (
    Delay,
    Drop,
    Fault,
    FaultPlan,
    HttpStatus,
    MetaError,
    Predicate,
    SlidingWindow,
    Timeout,
    peak_count,
)
from snakecakes.simulator.fake_graph_http import GraphServer
from snakecakes.simulator.fake_graph_media import MediaStore
from snakecakes.simulator.fake_graph_routes import RecordedRequest, Routes, new_wamid
from snakecakes.simulator.fake_graph_webhooks import (
    DEFAULT_DISPLAY_PHONE_NUMBER,
    DEFAULT_WABA_ID,
    PostedStatus,
    StatusPoster,
)
from snakecakes.simulator.openapi_validation import warm_up

__all__ = [
    "Delay",
    "Drop",
    "FakeGraphAPI",
    "Fault",
    "HttpStatus",
    "MetaError",
    "RecordedRequest",
    "Timeout",
    "main",
    "new_wamid",
]


class FakeGraphAPI:
    """The fake Graph API server. Use as ``with FakeGraphAPI(...).start() as graph:`` or call
    :meth:`start` / :meth:`stop`; ``port=0`` picks a free port (see :attr:`url`)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        validate: bool = True,
        tokens: dict[str, str] | None = None,
        webhook_url: str | None = None,
        app_secret: str | None = None,
        auto_status: bool = False,
        media_url_ttl: float = 300.0,
        max_rate_per_number: float | None = None,
        status_gap: float = 0.0,
        waba_id: str = DEFAULT_WABA_ID,
        display_phone_number: str = DEFAULT_DISPLAY_PHONE_NUMBER,
    ) -> None:
        self.host, self.port = host, port
        self.validate = validate
        self.auto_status = auto_status
        self.faults = FaultPlan()
        self.tokens = TokenBook(tokens)
        self.media = MediaStore(media_url_ttl)
        self.rate_window = SlidingWindow(max_rate_per_number)
        self.poster = StatusPoster(
            webhook_url,
            app_secret,
            waba_id=waba_id,
            display_phone_number=display_phone_number,
            gap=status_gap,
        )
        self._lock = threading.Lock()
        self._log: list[RecordedRequest] = []
        self._listeners: list[Callable[[RecordedRequest], None]] = []
        self._server: GraphServer | None = None
        self._thread: threading.Thread | None = None
        self._routes = Routes(self)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeGraphAPI:
        if self._server is not None:
            raise RuntimeError("already started")
        if self.validate:
            warm_up()  # parse the OpenAPI file now, not inside the first (timed) request
        self._server = GraphServer((self.host, self.port), self._routes.respond)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-graph",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, release held requests, close connections, stop the status worker."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.stop()
        if thread is not None:
            thread.join(timeout=5)
        self.poster.close()

    def __enter__(self) -> FakeGraphAPI:
        return self if self._server is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, the base URL to give the client (no version)."""
        return f"http://{self.host}:{self.port}"

    @property
    def stopping(self) -> threading.Event:
        return self._server.stopping if self._server is not None else threading.Event()

    # -- faults and tokens -------------------------------------------------------------------

    def inject(
        self, fault: Fault, *, times: int = 1, when: Predicate | None = None, on: str = "send"
    ) -> None:
        """Stage ``fault`` for the next ``times`` matching requests (staged faults are used in
        the order injected). ``when`` tests the parsed JSON body (e.g. ``lambda b: b["to"] ==
        X``); ``on`` picks requests: "send" (messages, the default), "read" (mark as read /
        typing), "media" (upload, info, download) or "any"."""
        self.faults.inject(fault, times=times, when=when, on=on)

    def fail_ratio(
        self,
        ratio: float,
        fault_factory: Fault | Sequence[Fault] | Callable[[], Fault],
        *,
        seed: int = 0,
        on: str = "send",
    ) -> None:
        """Fail a ``ratio`` share of requests at random (seeded), after staged faults."""
        self.faults.fail_ratio(ratio, fault_factory, seed=seed, on=on)

    def expire_token(self, phone_number_id: str) -> None:
        self.tokens.expire(phone_number_id)

    def set_token(self, phone_number_id: str, token: str) -> None:
        self.tokens.set(phone_number_id, token)

    # -- media and statuses ------------------------------------------------------------------

    def add_media(self, data: bytes, mime_type: str, filename: str | None = None) -> str:
        """Plant media (as if a customer had sent it); returns its media id."""
        return self.media.add(data, mime_type, filename)

    def connect_webhook(self, webhook_url: str, app_secret: str) -> None:
        """Where status webhooks go, and the app secret that signs them (for a bot started
        after this server, whose URL was not known at construction)."""
        self.poster.webhook_url = webhook_url
        self.poster.app_secret = app_secret

    def send_statuses(
        self,
        wamid: str,
        statuses: Sequence[str] = ("sent", "delivered", "read"),
        *,
        recipient_id: str,
        phone_number_id: str,
        errors: Sequence[dict[str, Any]] | None = None,
    ) -> list[int]:
        """Post one signed status webhook per status, now; the receiver's HTTP statuses."""
        return self.poster.post(
            wamid,
            statuses,
            recipient_id=recipient_id,
            phone_number_id=phone_number_id,
            errors=errors,
        )

    @property
    def posted_statuses(self) -> list[PostedStatus]:
        return self.poster.posted

    # -- recording ---------------------------------------------------------------------------

    def record(self, entry: RecordedRequest) -> None:
        with self._lock:
            self._log.append(entry)
            listeners = list(self._listeners)
        for listener in listeners:
            listener(entry)

    def subscribe(self, listener: Callable[[RecordedRequest], None]) -> None:
        """Call ``listener`` with every request as it is recorded (before the answer goes out),
        in the server's thread: it must be quick and must not raise (the browser simulator uses
        this to show replies without scanning the whole log)."""
        with self._lock:
            self._listeners.append(listener)

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request so far, in arrival order."""
        with self._lock:
            return sorted(self._log, key=lambda r: r.at)

    def sent_messages(self, phone_number_id: str | None = None) -> list[RecordedRequest]:
        """Accepted message sends (with their wamid), in arrival order."""
        return [
            r
            for r in self.requests
            if r.wamid is not None
            and (phone_number_id is None or r.phone_number_id == phone_number_id)
        ]

    def peak_rate(self, phone_number_id: str, window: float = 1.0) -> int:
        """The most accepted sends of this number within any ``window`` seconds."""
        return peak_count([r.at for r in self.sent_messages(phone_number_id)], window)

    def clear(self) -> None:
        """Forget recorded requests and posted statuses (faults and tokens stay)."""
        with self._lock:
            self._log.clear()
        self.poster.clear()


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m snakecakes.simulator.fake_graph --port 8081``: serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--no-validate", action="store_true", help="accept any send body")
    parser.add_argument("--token", action="append", default=[], metavar="PHONE_NUMBER_ID=TOKEN")
    parser.add_argument("--webhook-url", help="where to post status webhooks")
    parser.add_argument("--app-secret", help="signs the status webhooks")
    parser.add_argument("--auto-status", action="store_true", help="sent/delivered/read")
    parser.add_argument("--max-rate", type=float, help="sends per second per number (130429)")
    args = parser.parse_args(argv)
    tokens = dict(item.split("=", 1) for item in args.token) or None
    graph = FakeGraphAPI(
        args.host,
        args.port,
        validate=not args.no_validate,
        tokens=tokens,
        webhook_url=args.webhook_url,
        app_secret=args.app_secret,
        auto_status=args.auto_status,
        max_rate_per_number=args.max_rate,
    )
    with graph.start():
        print(graph.url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
