"""Shared fixtures. Storage tests run on SQLite and on the machine's real PostgreSQL server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from snakecakes.app import Services, build_services, create_app
from snakecakes.bot.bots import add_bot, ensure_default_bot
from snakecakes.config import Settings, load_settings
from snakecakes.crypto import SecretBox
from snakecakes.db import migrate
from snakecakes.db.database import Database, normalise_url
from snakecakes.db.models import Base
from snakecakes.simulator.fake_graph import FakeGraphAPI
from snakecakes.simulator.fake_orders import FakeOrderReceiver
from tests.support.server import ServerThread

PG_ADMIN_URL = os.environ.get("SNAKECAKES_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
SECRET_KEY = "test-secret-key-0123456789abcdef"
PHONE_ID = "106540352242922"
APP_SECRET = "app-secret-of-bot-a-3f9e1c"
ACCESS_TOKEN = "EAAG-access-token-of-bot-a-9d8c7b"
VERIFY_TOKEN = "verify-token-of-bot-a-5a4b"
OTHER_PHONE_ID = "206540352242933"
OTHER_APP_SECRET = "app-secret-of-bot-b-71d2aa"
OTHER_ACCESS_TOKEN = "EAAG-token-of-bot-b-0000"
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer `.env` or environment leaks into a test."""
    for name in list(os.environ):
        prefixes = ("WHATSAPP_", "OPENAI_", "SNAKECAKES_", "DATABASE_URL", "ADMIN_API")
        if name.startswith(prefixes) and name != "SNAKECAKES_TEST_PG_URL":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated to head."""
    name = f"snakecakes_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    db = Database(url)
    migrate.upgrade(db)
    db.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    db = Database(url)
    migrate.upgrade(db)
    db.dispose()
    return url


def _truncate(db: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if db.is_sqlite:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
        else:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


@contextmanager
def fresh_database(url: str) -> Iterator[Database]:
    database = Database(url, busy_timeout_ms=500)
    _truncate(database)
    yield database
    database.dispose()


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    with fresh_database(db_url) as database:
        yield database


@pytest.fixture
def sqlite_db(sqlite_url: str) -> Iterator[Database]:
    with fresh_database(sqlite_url) as database:
        yield database


@pytest.fixture
def postgresql_db(postgresql_url: str) -> Iterator[Database]:
    with fresh_database(postgresql_url) as database:
        yield database


def make_settings(db_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "DATABASE_URL": db_url,
        "SNAKECAKES_SECRET_KEY": SECRET_KEY,
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN,
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "ADMIN_API_TOKEN": "admin-token-for-tests",
        "SNAKECAKES_BOT_CACHE_SECONDS": 0.2,
    }
    values.update(overrides)
    return load_settings(**values)


@dataclass
class Stack:
    """A running bot web server over one database, with two bots of different Meta apps."""

    url: str
    services: Services
    bot_a: int
    bot_b: int


@pytest.fixture
def stack(db: Database) -> Iterator[Stack]:
    settings = make_settings(db.url)
    box = SecretBox(SECRET_KEY)
    bot_a = ensure_default_bot(db, settings, box)
    assert bot_a is not None
    bot_b = add_bot(
        db,
        box,
        name="Other shop",
        phone_number_id=OTHER_PHONE_ID,
        app_secret=OTHER_APP_SECRET,
        access_token=OTHER_ACCESS_TOKEN,
        verify_token="verify-token-of-bot-b",
    )
    services = build_services(settings, db)
    services.bots.refresh()
    with ServerThread(create_app(services)) as server:
        yield Stack(server.url, services, bot_a, bot_b)


ORDERS_SECRET = "orders-webhook-secret-for-tests"


@pytest.fixture
def order_receiver() -> Iterator[FakeOrderReceiver]:
    """The shop's internal order system; it refuses its first 3 pushes (durable retries)."""
    receiver = FakeOrderReceiver(ORDERS_SECRET, fail_first=3).start()
    yield receiver
    receiver.stop()


@pytest.fixture
def graph_api() -> Iterator[FakeGraphAPI]:
    """The fake Graph API, knowing the tokens of both test bots."""
    graph = FakeGraphAPI(tokens={PHONE_ID: ACCESS_TOKEN, OTHER_PHONE_ID: OTHER_ACCESS_TOKEN})
    graph.start()
    yield graph
    graph.stop()
