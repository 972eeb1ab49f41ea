"""The database cannot take the write: 503, nothing half-written, and the redelivery is stored."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import httpx
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from snakecakes.app import build_services, create_app
from snakecakes.bot.bots import ensure_default_bot
from snakecakes.crypto import SecretBox
from snakecakes.db.database import Database
from snakecakes.db.models import InboxMessage, MessageStatus
from snakecakes.simulator import payloads as p
from tests.conftest import APP_SECRET, PHONE_ID, SECRET_KEY, make_settings
from tests.support.server import ServerThread
from tests.support.tcp_proxy import TcpProxy


def _counts(db: Database) -> tuple[int, int]:
    with db.read() as s:
        return (
            int(s.scalar(select(func.count()).select_from(InboxMessage)) or 0),
            int(s.scalar(select(func.count()).select_from(MessageStatus)) or 0),
        )


def _batch() -> dict:
    msgs = [p.text(p.new_wamid(), "4915112345678", f"m{i}") for i in range(20)]
    sts = [p.status(p.new_wamid(), "read", "4915112345678") for _ in range(5)]
    return p.envelope(p.change(PHONE_ID, messages=msgs, statuses=sts))


def _run(
    app_db: Database, truth: Database, go_down: Callable[[], None], come_back: Callable[[], None]
) -> None:
    settings = make_settings(app_db.url)
    ensure_default_bot(truth, settings, SecretBox(SECRET_KEY))
    services = build_services(settings, app_db)
    services.bots.refresh()
    raw, headers = p.signed(_batch(), APP_SECRET)
    with ServerThread(create_app(services)) as server:
        go_down()
        r = httpx.post(server.url + "/webhook", content=raw, headers=headers, timeout=20)
        assert r.status_code == 503
        if not truth.is_sqlite:  # a locked SQLite file still serves reads (WAL): it is "up"
            ready = httpx.get(server.url + "/readyz", timeout=20)
            assert ready.status_code == 503
        come_back()
        assert _counts(truth) == (0, 0)  # nothing half-written
        r = httpx.post(server.url + "/webhook", content=raw, headers=headers, timeout=20)
        assert r.status_code == 200
        assert _counts(truth) == (20, 5)
        metrics = httpx.get(server.url + "/metrics").text
        assert 'outcome="db_unavailable"' in metrics


def test_sqlite_locked_by_another_process_gives_503(sqlite_db: Database) -> None:
    db = sqlite_db
    path = make_url(db.url).database
    assert path
    blocker = sqlite3.connect(path, timeout=0.1, isolation_level=None)

    def go_down() -> None:
        blocker.execute("BEGIN EXCLUSIVE")

    def come_back() -> None:
        blocker.execute("ROLLBACK")

    try:
        _run(db, db, go_down, come_back)
    finally:
        blocker.close()


def test_postgresql_unreachable_gives_503(postgresql_db: Database) -> None:
    db = postgresql_db
    url = make_url(db.url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()
    via_proxy = Database(
        url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    )
    try:
        _run(via_proxy, db, proxy.stop, proxy.start)
    finally:
        proxy.stop()
        via_proxy.dispose()
