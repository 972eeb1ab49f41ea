"""Fixtures for the outbound side: a running sender (DBOS) against the fake Graph API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from snakecakes.bot.bot import Runtime
from snakecakes.bot.bots import add_bot, ensure_default_bot
from snakecakes.bot.whatsapp import messages, outbox
from snakecakes.crypto import SecretBox
from snakecakes.db.database import Database
from snakecakes.db.models import OutboxMessage
from snakecakes.simulator.fake_graph import FakeGraphAPI
from tests.conftest import OTHER_ACCESS_TOKEN, OTHER_PHONE_ID, SECRET_KEY, make_settings


@dataclass
class Outbound:
    db: Database
    graph: FakeGraphAPI
    runtime: Runtime
    bot_a: int
    bot_b: int

    def queue(self, to: str, text: str, bot: int | None = None) -> int:
        bot_id = bot or self.bot_a
        with self.db.transaction() as s:
            oid = outbox.queue_message(
                s, bot_id=bot_id, chat_key=to, recipient=to, body=messages.text(to, text)
            )
        self.runtime.sender.wake(bot_id, to)
        return oid

    def rows(self) -> list[OutboxMessage]:
        with self.db.read() as s:
            return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    def all_final(self, n: int) -> list[OutboxMessage] | None:
        rows = self.rows()
        done = [r for r in rows if r.state in ("sent", "failed")]
        return rows if len(rows) == n and len(done) == n else None

    def texts_sent_to(self, to: str) -> list[str]:
        return [r.json["text"]["body"] for r in self.graph.sent_messages() if r.json["to"] == to]


@pytest.fixture
def outbound_factory(
    db: Database, graph_api: FakeGraphAPI, tmp_path: Any
) -> Iterator[Callable[..., Outbound]]:
    started: list[Runtime] = []
    databases: list[Database] = []

    def start(**overrides: Any) -> Outbound:
        values: dict[str, Any] = {
            "WHATSAPP_API_BASE_URL": graph_api.url,
            "SNAKECAKES_QUEUE_POLL_SECONDS": 0.02,
            "SNAKECAKES_SEND_BACKOFF_SECONDS": 0.2,
            "SNAKECAKES_SEND_RATE": 200,
            "SNAKECAKES_EXECUTOR_ID": "test-sender",
            "SNAKECAKES_GRAPH_TIMEOUT_SECONDS": 2,
        }
        if db.is_sqlite:
            values["SNAKECAKES_DBOS_DATABASE_URL"] = f"sqlite:///{tmp_path / 'dbos.db'}"
        values.update(overrides)
        settings = make_settings(db.url, **values)
        box = SecretBox(SECRET_KEY)
        bot_a = ensure_default_bot(db, settings, box)
        assert bot_a is not None
        bot_b = add_bot(db, box, name="B", phone_number_id=OTHER_PHONE_ID, app_secret="s" * 12,
                        access_token=OTHER_ACCESS_TOKEN, verify_token="v" * 12)  # fmt: skip
        database = Database(db.url)  # production busy timeout; the fixture's is short on purpose
        databases.append(database)
        runtime = Runtime(settings, database, box, role="test")
        runtime.start(reset=True)
        started.append(runtime)
        return Outbound(db, graph_api, runtime, bot_a, bot_b)

    yield start
    for runtime in started:
        runtime.stop()
    for database in databases:
        database.dispose()
