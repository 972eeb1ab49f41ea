"""`snakecakes serve` with SNAKECAKES_SIMULATOR=true: the page, and a bot that talks to the
in-process fake Graph API instead of the configured one (here an address nobody listens on)."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import PHONE_ID
from tests.support.process import env_for, running
from tests.support.waiting import eventually

CUSTOMER = "4915123456789"


def test_serve_with_the_simulator_setting(tmp_path: Path) -> None:
    env = env_for(
        tmp_path,
        SNAKECAKES_SIMULATOR="true",
        WHATSAPP_API_BASE_URL="http://127.0.0.1:9",  # replaced by the in-process fake
        SNAKECAKES_OUT_OF_HOURS_NOTICE="false",
        SNAKECAKES_BURST_DELAY_SECONDS="0",
    )
    with running(["serve"], env, tmp_path) as (url, _log, _proc):
        page = httpx.get(url + "/simulator")
        assert page.status_code == 200 and "WhatsApp simulator" in page.text
        body = {"bot": PHONE_ID, "customer": CUSTOMER, "type": "text", "text": "Hello"}
        sent = httpx.post(
            url + "/simulator/api/send", json=body, headers={"X-Simulator": "1"}, timeout=30
        )
        assert sent.status_code == 200 and sent.json()["status"] == "delivered", sent.text

        def replies() -> list[dict[str, object]]:
            params = {"bot": PHONE_ID, "customer": CUSTOMER}
            chat = httpx.get(url + "/simulator/api/chat", params=params).json()
            return [e for e in chat["entries"] if e["dir"] == "out" and e["status"] != "failed"]

        assert eventually(replies, timeout=30)  # the bot answered through the fake
