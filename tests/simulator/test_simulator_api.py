"""The simulator's JSON endpoints without a browser: what the page does, over HTTP.

Each test goes through the real paths: a signed webhook to ``/webhook``, the bot's turn and
sender, the fake Graph API, and status webhooks back to the bot.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from snakecakes.bot.bots import BotCredentials, add_bot
from snakecakes.bot.llms.echo import EchoEngine
from snakecakes.bot.whatsapp import messages as m
from snakecakes.bot.whatsapp.parse import parse_envelope
from snakecakes.bot.whatsapp.signature import sign
from snakecakes.crypto import SecretBox
from snakecakes.db.database import Database
from snakecakes.db.models import InboxMessage, MessageStatus
from snakecakes.simulator.sim_hub import SimulatorHub
from snakecakes.simulator.sim_store import SimulatorError
from tests.conftest import (
    ACCESS_TOKEN,
    APP_SECRET,
    OTHER_ACCESS_TOKEN,
    OTHER_APP_SECRET,
    OTHER_PHONE_ID,
    PHONE_ID,
    SECRET_KEY,
)
from tests.simulator.conftest import WebhookReceiver
from tests.simulator.sim_stack import CUSTOMER, SimStack, sim_stack
from tests.support.waiting import eventually

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e527de"
    "fc0000000049454e44ae426082"
)


@pytest.fixture
def sim(sqlite_db: Database, tmp_path: Path) -> Any:
    with sim_stack(sqlite_db, tmp_path) as stack:
        yield stack


def _inbox(stack: SimStack, wamid: str) -> InboxMessage | None:
    with stack.db.read() as session:
        return session.scalars(select(InboxMessage).where(InboxMessage.wamid == wamid)).first()


def _bot_sends(stack: SimStack, body: dict[str, Any]) -> str:
    """Send as the bot would, straight to the fake Graph API; returns the wamid."""
    url = f"{stack.graph.url}/v23.0/{PHONE_ID}/messages"
    r = httpx.post(url, json=body, headers={"Authorization": f"Bearer {ACCESS_TOKEN}"})
    assert r.status_code == 200, r.text
    return str(r.json()["messages"][0]["id"])


def test_off_by_default(sqlite_db: Database, tmp_path: Path) -> None:
    with sim_stack(sqlite_db, tmp_path, simulator=False) as stack:
        assert httpx.get(stack.url + "/simulator").status_code == 404
        assert httpx.get(stack.url + "/simulator/api/state").status_code == 404


def test_page_state_and_guards(sim: SimStack) -> None:
    page = sim.api("")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text  # scripts are files only, so the policy can forbid inline
    for name in ("simulator.js", "bubbles.js", "wa_format.js", "simulator.css"):
        assert sim.api("/static/" + name).status_code == 200
    state = sim.api("/api/state").json()
    assert state["bots"] == [
        {
            "phone_number_id": PHONE_ID,
            "name": "Snake Cakes",
            "display_phone_number": "15550001111",
            "is_default": True,
        }
    ]
    assert "app_secret" not in json.dumps(state) and APP_SECRET not in json.dumps(state)
    assert state["customers"] == [{"wa_id": CUSTOMER, "name": "Anna"}]
    # a POST without the X-Simulator header (any cross-site form) is refused
    body = {"bot": PHONE_ID, "customer": CUSTOMER, "type": "text", "text": "hi"}
    assert httpx.post(sim.url + "/simulator/api/send", json=body).status_code == 403
    bad = sim.api("/api/customers", {"wa_id": "12ab", "name": "X"})
    assert bad.status_code == 400 and "digits" in bad.json()["error"]
    ok = sim.api("/api/customers", {"wa_id": "+34 612 345 678", "name": "Lucía"})
    assert ok.json() == {"wa_id": "34612345678", "name": "Lucía"}
    assert len(sim.api("/api/state").json()["customers"]) == 2
    unknown = sim.api("/api/send", {**body, "bot": "999"})
    assert unknown.status_code == 400 and "no bot" in unknown.json()["error"]


def test_text_reaches_the_inbox_and_the_reply_moves_ticks(sim: SimStack) -> None:
    sent = sim.send("text", text="Hallo <b>*Torte*</b>")
    assert sent["dir"] == "in" and sent["status"] == "delivered"  # the webhook answered 200
    row = _inbox(sim, sent["wamid"])
    assert row is not None and row.payload["message"]["text"]["body"] == "Hallo <b>*Torte*</b>"
    assert row.contact_name == "Anna" and row.wa_id == CUSTOMER
    reply = sim.wait_bot_text("You said")
    assert reply["message"]["to"] == CUSTOMER and reply["message"]["type"] == "text"
    # the bot marked the customer's message read: blue ticks on the customer's side
    eventually(lambda: sim.entry(sent["id"])["status"] == "read")
    # the reply is sent and delivered by itself, read only once the page shows it
    eventually(lambda: sim.entry(reply["id"])["status"] == "delivered")
    assert sim.entry(reply["id"])["status"] == "delivered"
    seen = sim.api("/api/read", {"bot": PHONE_ID, "customer": CUSTOMER, "ids": [reply["id"]]})
    assert seen.json() == {"read": 1}
    again = sim.api("/api/read", {"bot": PHONE_ID, "customer": CUSTOMER, "ids": [reply["id"]]})
    assert again.json() == {"read": 0}
    eventually(lambda: sim.entry(reply["id"])["status"] == "read")

    def stored() -> set[str]:
        with sim.db.read() as session:
            rows = session.scalars(
                select(MessageStatus.status).where(MessageStatus.wamid == reply["wamid"])
            ).all()
        return set(rows)

    eventually(lambda: stored() == {"sent", "delivered", "read"})  # the bot took every status
    assert all(p.http_status == 200 for p in sim.graph.posted_statuses)
    # polling with the last revision returns nothing new
    chat = sim.chat()
    assert sim.chat(since=chat["rev"])["entries"] == []


def test_typing_indicator_shows_while_the_bot_thinks(sqlite_db: Database, tmp_path: Path) -> None:
    with sim_stack(sqlite_db, tmp_path, engine=EchoEngine(delay=1.5)) as stack:
        stack.send("text", text="Do you have vegan cakes?")
        eventually(lambda: stack.chat()["typing"], timeout=10)
        stack.wait_bot_text("You said")
        assert stack.chat()["typing"] is False  # the reply ends the indicator
    reads = [r.json for r in stack.graph.requests if (r.json or {}).get("status") == "read"]
    assert reads and reads[0]["typing_indicator"] == {"type": "text"}


def test_buttons_lists_and_reactions_round_trip(sim: SimStack) -> None:
    quoted = sim.send("text", text="hi")
    sim.wait_bot_text("You said")
    buttons_wamid = _bot_sends(
        sim, m.buttons(CUSTOMER, "Which size?", [("size:s", "Small"), ("size:l", "Large")])
    )
    shown = sim.wait_bot_text("Which size?")
    assert shown["wamid"] == buttons_wamid
    tap = sim.send("button_reply", id="size:l", title="Large", context_wamid=buttons_wamid)
    row = _inbox(sim, tap["wamid"])
    assert row is not None and row.type == "interactive"
    assert row.payload["message"]["interactive"] == {
        "type": "button_reply",
        "button_reply": {"id": "size:l", "title": "Large"},
    }
    assert row.payload["message"]["context"]["id"] == buttons_wamid
    pick = sim.send("list_reply", id="cake:sacher", title="Sachertorte", description="Vienna")
    row = _inbox(sim, pick["wamid"])
    assert row is not None
    assert row.payload["message"]["interactive"]["list_reply"] == {
        "id": "cake:sacher",
        "title": "Sachertorte",
        "description": "Vienna",
    }
    # the customer reacts to the bot's message; the bot reacts to the customer's
    reacted = sim.send("reaction", message_id=buttons_wamid, emoji="👍")
    assert reacted["id"] == shown["id"] and reacted["reactions"] == {"customer": "👍"}
    _bot_sends(sim, m.reaction(CUSTOMER, quoted["wamid"], "❤"))
    eventually(lambda: sim.entry(quoted["id"])["reactions"] == {"bot": "❤"})
    reactions = [r for r in sim.chat()["entries"] if r["message"].get("type") == "reaction"]
    assert reactions == []  # reactions decorate bubbles, they are not bubbles
    place = sim.send("location", latitude="52.52", longitude="13.405", name="Alexanderplatz")
    row = _inbox(sim, place["wamid"])
    assert row is not None and row.payload["message"]["location"]["name"] == "Alexanderplatz"
    bad = sim.api(
        "/api/send",
        {"bot": PHONE_ID, "customer": CUSTOMER, "type": "location", "latitude": "north"},
    )
    assert bad.status_code == 400


def test_uploaded_image_is_retrievable_like_metas_media(sim: SimStack) -> None:
    files = {"file": ("cake.png", PNG, "image/png")}
    form = {"bot": PHONE_ID, "customer": CUSTOMER, "caption": "like this one"}
    r = sim.api("/api/upload", data=form, files=files)
    assert r.status_code == 200, r.text
    entry = r.json()
    image = entry["message"]["image"]
    assert entry["message"]["type"] == "image" and image["caption"] == "like this one"
    # the bot's two steps: media info with a URL, then the download with its token
    auth = {"Authorization": f"Bearer {ACCESS_TOKEN}"}
    info = httpx.get(f"{sim.graph.url}/v23.0/{image['id']}", headers=auth).json()
    assert info["mime_type"] == "image/png" and info["sha256"] == image["sha256"]
    assert httpx.get(info["url"], headers=auth).content == PNG
    shown = sim.api(f"/media/{image['id']}")
    assert shown.headers["content-type"] == "image/png" and shown.content == PNG
    row = _inbox(sim, entry["wamid"])
    assert row is not None and row.type == "image"
    eventually(sim.bot_entries)  # and answered it
    # anything but a raster image is a document, and served only as a download
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
    files = {"file": ("x.svg", svg, "image/svg+xml")}
    doc = sim.api("/api/upload", data=form, files=files).json()
    assert doc["message"]["type"] == "document"
    served = sim.api(f"/media/{doc['message']['document']['id']}")
    assert served.headers["content-type"] == "application/octet-stream"
    assert served.headers["content-disposition"].startswith("attachment")
    assert sim.api("/media/123").status_code == 404


class _Bots:
    """The part of BotDirectory the hub uses."""

    def __init__(self, bot: BotCredentials) -> None:
        self.bot = bot

    def get(self, phone_number_id: str) -> BotCredentials | None:
        return self.bot if phone_number_id == self.bot.phone_number_id else None

    def all(self) -> list[BotCredentials]:
        return [self.bot]


def test_webhooks_are_signed_and_parse_like_metas(webhook_receiver: WebhookReceiver) -> None:
    creds = BotCredentials(1, "Shop", PHONE_ID, None, "777", True, "s3cret", "tok", "ver")
    hub = SimulatorHub(_Bots(creds), None)  # type: ignore[arg-type]
    try:
        hub.store.add_customer(CUSTOMER, "Anna")
        hub.store.add(PHONE_ID, CUSTOMER, "out", {"type": "text"}, "wamid.bot1")
        hub.send(webhook_receiver.url, PHONE_ID, CUSTOMER, "text", {"text": "Grüße 🎂"})
        hub.send(
            webhook_receiver.url,
            PHONE_ID,
            CUSTOMER,
            "button_reply",
            {"id": "yes", "title": "Yes", "context_wamid": "wamid.bot1"},
        )
        deliveries = webhook_receiver.wait_for(2)
        for delivery in deliveries:
            assert delivery.headers["x-hub-signature-256"] == sign(delivery.body, "s3cret")
            envelope = parse_envelope(delivery.json)
            assert not envelope.rejected
            change = envelope.changes[0]
            assert change.phone_number_id == PHONE_ID and change.waba_id == "777"
            assert change.contacts[0].wa_id == CUSTOMER
        first, second = (parse_envelope(d.json).changes[0].messages[0] for d in deliveries)
        assert first.raw["text"]["body"] == "Grüße 🎂"
        assert second.context is not None and second.context.id == "wamid.bot1"
        webhook_receiver.status = 503
        with pytest.raises(SimulatorError, match="503"):
            hub.send(webhook_receiver.url, PHONE_ID, CUSTOMER, "text", {"text": "again"})
        failed = hub.store.changes(PHONE_ID, CUSTOMER)["entries"][-1]
        assert failed["status"] == "failed" and "503" in failed["error"]
    finally:
        hub.close()


def test_switching_bots_signs_with_each_bots_secret(sim: SimStack) -> None:
    other = add_bot(
        sim.db,
        SecretBox(SECRET_KEY),
        name="Other shop",
        phone_number_id=OTHER_PHONE_ID,
        app_secret=OTHER_APP_SECRET,
        access_token=OTHER_ACCESS_TOKEN,
        verify_token="verify-b",
    )
    sim.services.bots.refresh()
    names = [b["name"] for b in sim.api("/api/state").json()["bots"]]
    assert names == ["Snake Cakes", "Other shop"]  # the default bot first
    body = {"bot": OTHER_PHONE_ID, "customer": CUSTOMER, "type": "text", "text": "hola"}
    sent = sim.api("/api/send", body).json()
    assert sent["status"] == "delivered"  # the intake accepted the other app's signature
    row = _inbox(sim, sent["wamid"])
    assert row is not None and row.bot_id == other
    # each bot has its own chat with the same customer
    reply = eventually(
        lambda: [
            e
            for e in sim.api(
                "/api/chat", params={"bot": OTHER_PHONE_ID, "customer": CUSTOMER}
            ).json()["entries"]
            if e["dir"] == "out"
        ]
    )
    assert reply[0]["message"]["text"]["body"].startswith("You said: hola")
    assert sim.chat()["entries"] == []


def test_a_send_the_graph_api_refuses_shows_why(sim: SimStack) -> None:
    """A developer sees the bot's invalid message and the schema's reason, not silence."""
    body = m.text(CUSTOMER, "hello")
    body["text"]["body"] = ""  # Meta refuses an empty text
    url = f"{sim.graph.url}/v23.0/{PHONE_ID}/messages"
    r = httpx.post(url, json=body, headers={"Authorization": f"Bearer {ACCESS_TOKEN}"})
    assert r.status_code == 400
    failed = eventually(sim.bot_entries)[0]
    assert failed["status"] == "failed" and failed["wamid"] is None
    assert failed["error"].startswith("refused by the Graph API")
