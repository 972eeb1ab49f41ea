"""A whole bot with the simulator on, in this process: web server, turns, sender, fake Graph API.

The simulator's endpoints are exercised over HTTP exactly as the page uses them; the bot behind
them is the real one (intake, DBOS turns, outbox, sender) with the echo engine unless a test
passes another.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from snakecakes.app import Services, build_services, create_app
from snakecakes.bot.bot import Runtime
from snakecakes.bot.bots import prepare_default_bot
from snakecakes.bot.llms.echo import EchoEngine
from snakecakes.crypto import SecretBox
from snakecakes.db.database import Database
from snakecakes.simulator.fake_graph import FakeGraphAPI
from snakecakes.simulator.sim_hub import SimulatorHub
from tests.conftest import APP_SECRET, PHONE_ID, SECRET_KEY, make_settings
from tests.support.server import ServerThread
from tests.support.waiting import eventually

CUSTOMER = "4915123456789"  # the simulator's default customer
HEADERS = {"X-Simulator": "1"}


@dataclass
class SimStack:
    url: str
    db: Database
    graph: FakeGraphAPI
    hub: SimulatorHub
    services: Services

    def api(self, path: str, json: dict[str, Any] | None = None, **kw: Any) -> httpx.Response:
        if json is None and "files" not in kw:
            return httpx.get(self.url + "/simulator" + path, timeout=10, **kw)
        return httpx.post(
            self.url + "/simulator" + path, json=json, headers=HEADERS, timeout=30, **kw
        )

    def send(self, kind: str, **data: Any) -> dict[str, Any]:
        body = {"bot": PHONE_ID, "customer": CUSTOMER, "type": kind, **data}
        r = self.api("/api/send", body)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def chat(self, since: int = 0) -> dict[str, Any]:
        r = self.api("/api/chat", params={"bot": PHONE_ID, "customer": CUSTOMER, "since": since})
        assert r.status_code == 200
        return dict(r.json())

    def bot_entries(self) -> list[dict[str, Any]]:
        return [e for e in self.chat()["entries"] if e["dir"] == "out"]

    def wait_bot_text(self, needle: str, timeout: float = 20) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            for entry in self.bot_entries():
                if needle in str(entry["message"]):
                    return entry
            return None

        return eventually(found, timeout=timeout)

    def entry(self, entry_id: int) -> dict[str, Any]:
        return next(e for e in self.chat()["entries"] if e["id"] == entry_id)


@contextlib.contextmanager
def sim_stack(
    db: Database, tmp_path: Path, *, engine: Any = None, simulator: bool = True, **overrides: Any
) -> Iterator[SimStack]:
    graph = FakeGraphAPI().start()  # any token, like the demo's
    values: dict[str, Any] = {
        "WHATSAPP_API_BASE_URL": graph.url,
        "SNAKECAKES_SIMULATOR": simulator,
        "SNAKECAKES_QUEUE_POLL_SECONDS": 0.02,
        "SNAKECAKES_EXECUTOR_ID": "test-simulator",
        "SNAKECAKES_BURST_DELAY_SECONDS": 0.0,
        "SNAKECAKES_SEND_RATE": 500,
        "SNAKECAKES_PAIR_BURST": 50,
        "SNAKECAKES_OUT_OF_HOURS_NOTICE": False,  # the same answers at any time of day
        "SNAKECAKES_DBOS_DATABASE_URL": f"sqlite:///{tmp_path / 'dbos.db'}",
        **overrides,
    }
    settings = make_settings(db.url, **values)
    database = Database(db.url)
    box = SecretBox(SECRET_KEY)
    prepare_default_bot(database, settings, box)
    runtime = Runtime(settings, database, box, role="test", engine=engine or EchoEngine())
    services = build_services(settings, database, dispatcher=runtime.dispatcher)
    services.bots.refresh()
    app = create_app(services, fake_graph=graph)
    runtime.start(reset=True)
    hub = app.extensions.get("simulator")
    try:
        with ServerThread(app) as server:
            graph.connect_webhook(server.url + "/webhook", APP_SECRET)
            try:
                yield SimStack(server.url, database, graph, hub, services)
            finally:
                if hub is not None:
                    hub.close()  # its last statuses still reach the server
                graph.stop()  # and its keep-alive connections would hold the server open
    finally:
        runtime.stop()
        graph.stop()
        database.dispose()
