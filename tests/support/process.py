"""Running `snakecakes` as a subprocess, the way an operator does."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.conftest import ACCESS_TOKEN, APP_SECRET, PHONE_ID, SECRET_KEY, VERIFY_TOKEN

CLI = [sys.executable, "-m", "snakecakes.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WHATSAPP_", "SNAKECAKES_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}",
        SNAKECAKES_SECRET_KEY=SECRET_KEY,
        WHATSAPP_PHONE_NUMBER_ID=PHONE_ID,
        WHATSAPP_APP_SECRET=APP_SECRET,
        WHATSAPP_ACCESS_TOKEN=ACCESS_TOKEN,
        WHATSAPP_VERIFY_TOKEN=VERIFY_TOKEN,
        SNAKECAKES_LOG_FORMAT="json",
        SNAKECAKES_LOG_LEVEL="DEBUG",
        SNAKECAKES_OUT_OF_HOURS_NOTICE="false",  # replies must not depend on the clock
    )
    env.update(extra)
    return env


@contextmanager
def running(
    args: list[str], env: dict[str, str], cwd: Path, *, log_name: str = "server.log"
) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    port = free_port()
    log_path = cwd / log_name
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [*CLI, *args, "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(url + "/healthz", timeout=1)
                    break
                except httpx.TransportError:
                    assert proc.poll() is None, log_path.read_text()
                    assert time.monotonic() < deadline, "server did not start"
                    time.sleep(0.1)
            yield url, log_path, proc
        finally:
            stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it will not go; nothing if it is already gone."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
