"""A whole bot in this process: webhook server, turns and sender on DBOS, fake Graph API."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from snakecakes.app import build_services, create_app
from snakecakes.bot.bot import Runtime
from snakecakes.bot.bots import prepare_default_bot
from snakecakes.bot.llms.base import EngineReply, Inbound, TurnContext
from snakecakes.bot.llms.echo import EchoEngine
from snakecakes.crypto import SecretBox
from snakecakes.db.database import Database
from snakecakes.simulator import payloads as p
from snakecakes.simulator.fake_graph import FakeGraphAPI
from tests.conftest import APP_SECRET, PHONE_ID, SECRET_KEY, make_settings
from tests.support.server import ServerThread


@dataclass
class RecordingEngine:
    """The echo engine, remembering when each turn ran and what it saw."""

    delay: float = 0.0
    name: str = "recording"
    turns: list[tuple[str, float, float, list[str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def respond(self, ctx: TurnContext, items: Sequence[Inbound]) -> EngineReply:
        started = time.monotonic()
        reply = EchoEngine(self.delay).respond(ctx, items)
        with self.lock:
            self.turns.append(
                (ctx.chat.customer_key, started, time.monotonic(), [i.text or "" for i in items])
            )
        return reply


@dataclass
class Bot:
    url: str
    db: Database
    graph: FakeGraphAPI
    runtime: Runtime
    engine: Any

    def post(self, customer: str, message: dict[str, Any], name: str = "Kunde") -> str:
        """One customer message (a payloads.* message dict) as a signed webhook."""
        body = p.envelope(
            p.change(PHONE_ID, messages=[message], contacts=[p.contact(customer, name)])
        )
        raw, headers = p.signed(body, APP_SECRET)
        r = httpx.post(self.url + "/webhook", content=raw, headers=headers, timeout=10)
        assert r.status_code == 200
        return str(message["id"])

    def send(self, customer: str, *texts: str, name: str = "Kunde") -> list[str]:
        """Customer messages as one webhook each; returns their wamids."""
        return [
            self.post(customer, p.text(p.new_wamid(customer), customer, text), name)
            for text in texts
        ]

    def tap(self, customer: str, reply_id: str, title: str, *, row: bool = False) -> str:
        """A tap on a reply button (or a list row) the bot sent."""
        make = p.list_reply if row else p.button_reply
        return self.post(customer, make(p.new_wamid(customer), customer, reply_id, title))

    def share_location(self, customer: str, latitude: float, longitude: float) -> str:
        wamid = p.new_wamid(customer)
        return self.post(customer, p.location(wamid, customer, latitude, longitude))

    def sent_to(self, customer: str) -> list[dict[str, Any]]:
        """Every message body the fake Graph API accepted for this customer, in order."""
        return [r.json for r in self.graph.sent_messages() if r.json.get("to") == customer]

    def replies_to(self, customer: str) -> list[str]:
        return [
            r.json["text"]["body"]
            for r in self.graph.sent_messages()
            if r.json.get("to") == customer and r.json.get("type") == "text"
        ]


@pytest.fixture
def bot_factory(
    db: Database, graph_api: FakeGraphAPI, tmp_path: Any
) -> Iterator[Callable[..., Bot]]:
    stack: list[tuple[ServerThread, Runtime, Database]] = []

    def start(delay: float = 0.0, engine: Any = None, **overrides: Any) -> Bot:
        """A running bot; `engine` replaces the recording echo engine (its catalog is stocked)."""
        values: dict[str, Any] = {
            "WHATSAPP_API_BASE_URL": graph_api.url,
            "SNAKECAKES_QUEUE_POLL_SECONDS": 0.02,
            "SNAKECAKES_EXECUTOR_ID": "test-bot",
            "SNAKECAKES_BURST_DELAY_SECONDS": 0.0,
            "SNAKECAKES_SEND_RATE": 500,
            "SNAKECAKES_PAIR_BURST": 50,
            "SNAKECAKES_OUT_OF_HOURS_NOTICE": False,  # replies must not depend on the clock
        }
        if db.is_sqlite:
            values["SNAKECAKES_DBOS_DATABASE_URL"] = f"sqlite:///{tmp_path / 'dbos.db'}"
        values.update(overrides)
        settings = make_settings(db.url, **values)
        database = Database(db.url)
        box = SecretBox(SECRET_KEY)
        prepare_default_bot(database, settings, box)
        engine = engine or RecordingEngine(delay)
        runtime = Runtime(settings, database, box, role="test", engine=engine)
        services = build_services(
            settings,
            database,
            dispatcher=runtime.dispatcher,
            prompts=runtime.prompts,
            order_changed=runtime.order_changed,
        )
        services.bots.refresh()
        runtime.start(reset=True)
        server = ServerThread(create_app(services)).__enter__()
        stack.append((server, runtime, database))
        return Bot(server.url, database, graph_api, runtime, engine)

    yield start
    for server, runtime, database in stack:
        server.__exit__(None, None, None)
        runtime.stop()
        database.dispose()
