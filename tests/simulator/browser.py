"""Headless Chromium (Debian's package) driven by Playwright, against `snakecakes demo`.

Why Debian's Chromium and not `playwright install`: browsers cannot be downloaded here, and
`make test` installs the `chromium` package when it is missing (scripts/browser.sh). Without it
the browser tests skip locally and fail in CI, so they can never be silently lost there.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.process import CLI, free_port, stop

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def need_browser() -> Any:
    """The Playwright module, or a skip (a failure in CI) when it or Chromium is missing."""
    missing = None
    try:
        from playwright import sync_api
    except ImportError:
        missing = "the playwright package (pip install -e '.[dev]')"
    if not os.path.exists(CHROMIUM):
        missing = "Debian's chromium package (scripts/browser.sh installs it)"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"browser test needs {missing}")
        pytest.skip(f"browser test needs {missing}")
    return sync_api


def demo_env(**extra: str) -> dict[str, str]:
    """The environment of a fresh machine: no bot settings at all, the demo provides them."""
    prefixes = ("WHATSAPP_", "SNAKECAKES_", "OPENAI_", "DATABASE_URL", "ADMIN_API", "ORDERS_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(
        SNAKECAKES_BURST_DELAY_SECONDS="0.2",
        SNAKECAKES_QUEUE_POLL_SECONDS="0.02",
        SNAKECAKES_OUT_OF_HOURS_NOTICE="false",  # the same conversation at any time of day
    )
    env.update(extra)
    return env


@contextmanager
def demo_server(tmp_path: Path, **extra: str) -> Iterator[tuple[str, str]]:
    """`snakecakes demo` in ``tmp_path``: the server's URL and its fake Graph API's URL, once
    the banner is out (a first start migrates, stocks the catalog and indexes the documents,
    which takes a while on a busy machine)."""
    port = free_port()
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*CLI, "demo", "--host", "127.0.0.1", "--port", str(port)],
            env=demo_env(**extra),
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 120
            while not (found := re.search(r"Graph API: (http://\S+)", log.read_text())):
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            url = f"http://127.0.0.1:{port}"
            assert f"{url}/simulator" in log.read_text()  # the banner names the page
            yield url, found.group(1)
        finally:
            stop(proc)


@contextmanager
def browser_page(sync_api: Any, url: str, height: int = 820) -> Iterator[Any]:
    """A page on ``url``; a JS error or a dialog (alert: an injected script ran) fails the test."""
    errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": height})
            page.set_default_timeout(20_000)
            page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
            page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
            page.goto(url)
            yield page
        finally:
            browser.close()
    assert not errors, errors


def save_screenshot(page: Any, tmp_path: Path, name: str) -> Path:
    """Into ``tmp_path``; also to $SIMULATOR_SCREENSHOT_DIR when set (docs/ for the README)."""
    path = tmp_path / name
    page.screenshot(path=str(path))
    target = os.environ.get("SIMULATOR_SCREENSHOT_DIR")
    if target:
        shutil.copy(path, Path(target) / name)
    assert path.stat().st_size > 10_000
    return path
