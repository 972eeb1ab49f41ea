"""Status webhooks, signed by the fake Graph API, move outbox rows forward and never back."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from snakecakes.app import build_services, create_app
from snakecakes.db.models import OutboxMessage
from tests.bot.whatsapp.conftest import Outbound
from tests.conftest import APP_SECRET, PHONE_ID
from tests.support.server import ServerThread
from tests.support.waiting import eventually


def _row(out: Outbound, oid: int) -> OutboxMessage:
    with out.db.read() as s:
        row = s.get(OutboxMessage, oid)
        assert row is not None
        return row


def test_statuses_are_applied_monotonically_through_the_webhook(
    outbound_factory: Callable[..., Outbound],
) -> None:
    out = outbound_factory()
    services = build_services(out.runtime.settings, out.db, dispatcher=out.runtime.dispatcher)
    services.bots.refresh()
    with ServerThread(create_app(services)) as server:
        out.graph.connect_webhook(server.url + "/webhook", APP_SECRET)
        to = "4915100000050"
        first, second, third = (out.queue(to, t) for t in ("one", "two", "three"))
        eventually(lambda: out.all_final(3))
        w1, w2, w3 = (_row(out, i).wamid or "" for i in (first, second, third))

        def post(wamid: str, *statuses: str, errors: list | None = None) -> None:
            codes = out.graph.send_statuses(
                wamid, statuses, recipient_id=to, phone_number_id=PHONE_ID, errors=errors
            )
            assert set(codes) == {200}

        post(w1, "sent", "read")  # read without delivered
        post(w1, "delivered")  # late delivered must not move it back
        eventually(lambda: _row(out, first).delivery == "read")
        post(w2, "sent", "delivered", "sent")  # redelivered sent
        eventually(lambda: _row(out, second).delivery == "delivered")
        err = {
            "code": 131026,
            "title": "Message undeliverable",
            "message": "Message undeliverable",
            "error_data": {"details": "Receiver is incapable of receiving this message"},
        }
        post(w3, "sent", "failed", errors=[err])
        row = eventually(lambda: (r := _row(out, third)).delivery == "failed" and r)
        assert row.error_code == 131026 and "131026" in (row.last_error or "")
        metrics = httpx.get(server.url + "/metrics").text
        assert 'snakecakes_delivery_statuses_total{code="131026",status="failed"}' in metrics
        assert 'snakecakes_delivery_statuses_total{code="",status="read"}' in metrics
