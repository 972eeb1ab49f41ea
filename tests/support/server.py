"""Run our Flask app under waitress in a thread, on a free port of 127.0.0.1."""

from __future__ import annotations

import contextlib
import threading
import time

import httpx
from flask import Flask
from waitress.server import create_server


class ServerThread:
    def __init__(self, app: Flask, *, threads: int = 8, max_body: int = 4 * 1024 * 1024) -> None:
        self._server = create_server(
            app,
            host="127.0.0.1",
            port=0,
            threads=threads,
            max_request_body_size=max_body,
            ident="snakecakes-test",
            asyncore_loop_timeout=0.05,
        )
        port = self._server.effective_port  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        # close() from another thread can pull the socket from under waitress's select()
        with contextlib.suppress(OSError, ValueError):
            self._server.run()

    def __enter__(self) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + "/healthz", timeout=1)
                return self
            except httpx.TransportError:
                time.sleep(0.02)
        raise RuntimeError("test server did not start")

    def __exit__(self, *exc: object) -> None:
        self._server.close()
        self._thread.join(timeout=5)
