"""The HTTP plumbing of the fake Graph API: a threaded stdlib server that can also misbehave.

Why stdlib and not Flask/waitress: the fake must be able to hold a request without answering,
or read it and hang up, at the socket level; with ``http.server`` that is a plain ``return``.
It speaks HTTP/1.1 with keep-alive (so httpx connection pooling behaves as it does against
Meta), and it tracks every connection so :meth:`GraphServer.stop` can close idle keep-alive
sockets and join every handler thread instead of leaking them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

log = logging.getLogger(__name__)

MAX_BODY = 120 * 1024 * 1024  # a 100 MB document upload plus multipart overhead


@dataclass(frozen=True)
class Incoming:
    """A request as read off the wire. ``headers`` keys are lower case."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when the request line arrived


@dataclass(frozen=True)
class Reply:
    """What to do with a request: answer ``status`` with ``json`` (or raw ``body``), or, with
    ``status == 0``, answer nothing: hold the connection ``hold`` seconds (or until the server
    stops) and close it, or close it at once (``hold == 0``)."""

    status: int
    json: Any = None
    body: bytes | None = None
    content_type: str = "application/json"
    hold: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


Responder = Callable[[Incoming], Reply]


class GraphHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: GraphServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        at = time.monotonic()
        body = self._read_body()
        if body is None:
            return
        split = urlsplit(self.path)
        incoming = Incoming(
            method=self.command,
            path=split.path,
            query=dict(parse_qsl(split.query)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            at=at,
        )
        try:
            reply = self.server.respond(incoming)
        except Exception:
            log.exception("fake Graph API failed on %s %s", self.command, self.path)
            reply = Reply(500, {"error": {"message": "fake Graph API bug", "code": 1}})
        if reply.status == 0:  # Timeout or Drop: no answer at all
            if reply.hold > 0:
                self.server.stopping.wait(reply.hold)
            self.close_connection = True
            return
        payload = reply.body if reply.body is not None else json.dumps(reply.json).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.send_error(413)
            return None
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        chunks = []
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline().strip():  # trailers
            pass
        return b"".join(chunks)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)


class GraphServer(ThreadingHTTPServer):
    """One thread per connection; every connection and thread is tracked for :meth:`stop`."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], respond: Responder) -> None:
        super().__init__(address, GraphHandler)
        self.respond = respond
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._connections: dict[threading.Thread, socket.socket] = {}

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._work, args=(request, client_address), name="fake-graph-conn", daemon=True
        )
        with self._lock:
            self._connections[thread] = request
        thread.start()

    def _work(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            with self._lock:
                self._connections.pop(threading.current_thread(), None)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection from %s ended with an error", client_address, exc_info=True)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, wake held requests, close every connection, join every thread."""
        self.stopping.set()
        self.shutdown()
        with self._lock:
            connections = dict(self._connections)
        for sock in connections.values():
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for thread in connections:
            thread.join(max(0.0, deadline - time.monotonic()))
        self.server_close()
