"""The admin JSON API over real HTTP: bearer auth, order filters, state changes refused or
allowed, handover release, and a bot's prompt override winning over the file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from snakecakes.app import build_services, create_app
from snakecakes.bot.bots import prepare_default_bot
from snakecakes.crypto import SecretBox
from snakecakes.db.database import Database
from snakecakes.db.models import OutboxMessage
from snakecakes.shop import orders
from snakecakes.shop.catalog import load_default_catalog
from snakecakes.shop.order_models import OrderEventRow
from tests.conftest import SECRET_KEY, make_settings
from tests.support.server import ServerThread

TOKEN = {"Authorization": "Bearer admin-token-for-tests"}


def _cart(day: str, method: str = "pickup") -> dict[str, object]:
    return {
        "version": 3,
        "items": [{"id": 1, "product": "sachertorte", "size": "18cm", "quantity": 1}],
        "addons": [],
        "wanted": {"date": day, "time": "12:00"},
        "fulfilment": {"method": method},
        "customer": {"name": "Ben"},
        "notes": "",
        "allergies": "",
    }


@pytest.fixture
def api(db: Database) -> Iterator[tuple[str, Database, int]]:
    settings = make_settings(db.url)
    bot_id = prepare_default_bot(db, settings, SecretBox(SECRET_KEY))
    assert bot_id is not None
    catalog = load_default_catalog()
    with db.transaction() as session:
        for n, day in enumerate(("2026-12-02", "2026-12-05", "2026-12-09")):
            orders.place_order(
                session,
                bot_id=bot_id,
                catalog=catalog,
                cart={**_cart(day), "version": n},
                customer_key=f"49151000000{n}",
                customer_phone=f"49151000000{n}",
                session_id=100 + n,
                prefix="SC-",
            )
    services = build_services(settings, db)
    services.bots.refresh()
    with ServerThread(create_app(services)) as server:
        yield server.url + "/api", db, bot_id


def test_a_token_is_required(api: tuple[str, Database, int]) -> None:
    url, _db, _bot = api
    assert httpx.get(url + "/orders", timeout=5).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert httpx.get(url + "/orders", headers=wrong, timeout=5).status_code == 401
    assert httpx.get(url + "/orders", headers=TOKEN, timeout=5).status_code == 200


def test_orders_filter_by_status_and_date(api: tuple[str, Database, int]) -> None:
    url, _db, _bot = api
    every = httpx.get(url + "/orders", headers=TOKEN, timeout=5).json()["orders"]
    assert [o["wanted"]["date"] for o in every] == ["2026-12-02", "2026-12-05", "2026-12-09"]
    assert every[0]["total"] == "36.00" and every[0]["currency"] == "EUR"
    window = httpx.get(
        url + "/orders?date_from=2026-12-03&date_to=2026-12-09", headers=TOKEN, timeout=5
    ).json()["orders"]
    assert [o["wanted"]["date"] for o in window] == ["2026-12-05", "2026-12-09"]
    number = every[0]["number"]
    r = httpx.patch(url + f"/orders/{number}", json={"status": "confirmed"}, headers=TOKEN)
    assert r.status_code == 200
    confirmed = httpx.get(url + "/orders?status=confirmed", headers=TOKEN, timeout=5).json()
    assert [o["number"] for o in confirmed["orders"]] == [number]
    assert httpx.get(url + "/orders?status=eaten", headers=TOKEN).status_code == 400
    assert httpx.get(url + "/orders?date_from=tomorrow", headers=TOKEN).status_code == 400


def test_state_changes_notify_and_refuse_what_makes_no_sense(
    api: tuple[str, Database, int],
) -> None:
    url, db, bot_id = api
    number = httpx.get(url + "/orders", headers=TOKEN).json()["orders"][0]["number"]
    patch = lambda body: httpx.patch(url + f"/orders/{number}", json=body, headers=TOKEN)  # noqa: E731
    assert patch({"status": "out_for_delivery"}).status_code == 409  # a pickup order
    assert patch({"status": "baked"}).status_code == 409
    assert patch({"nonsense": 1}).status_code == 400
    assert (
        httpx.patch(url + "/orders/SC-9", json={"status": "done"}, headers=TOKEN).status_code == 404
    )
    assert patch({"status": "ready"}).json()["version"] == 2
    assert patch({"status": "ready"}).json()["version"] == 2  # the same again: no new event
    assert patch({"status": "picked_up"}).status_code == 200
    assert patch({"status": "new"}).status_code == 409  # never backwards
    with db.read() as session:
        texts = [m.body["text"]["body"] for m in session.scalars(select(OutboxMessage))]
        events = session.scalars(select(OrderEventRow.status).order_by(OrderEventRow.id)).all()
    assert len(texts) == 2 and "is ready for pickup" in texts[0] and "picked up" in texts[1]
    assert events[-3:] == ["new", "ready", "picked_up"]


def test_customer_cancel_window(db: Database) -> None:
    catalog = load_default_catalog()
    settings = make_settings(db.url)
    bot_id = prepare_default_bot(db, settings, SecretBox(SECRET_KEY))
    assert bot_id is not None
    with db.transaction() as session:
        placed = orders.place_order(
            session, bot_id=bot_id, catalog=catalog, cart=_cart("2026-12-05"),
            customer_key="c", customer_phone=None, session_id=1, prefix="SC-",
        )  # fmt: skip
        again = orders.place_order(
            session, bot_id=bot_id, catalog=catalog, cart=_cart("2026-12-05"),
            customer_key="c", customer_phone=None, session_id=1, prefix="SC-",
        )  # fmt: skip
        assert (again.number, again.created) == (placed.number, False)
        order = orders.find(session, bot_id, placed.number)
        assert order is not None
        now = datetime.now(UTC)
        assert orders.customer_may_cancel(order, 48, now) is None
        assert "no longer" in str(orders.customer_may_cancel(order, 0, now))
        orders.change_status(session, bot_id, placed.number, "in_progress", actor="staff")
        assert "in progress" in str(orders.customer_may_cancel(order, 48, now))


def test_handover_release_and_prompt_override(api: tuple[str, Database, int]) -> None:
    url, _db, _bot = api
    assert httpx.post(url + "/chats/491510000000/release", headers=TOKEN).status_code == 404
    listed = httpx.get(url + "/prompts", headers=TOKEN).json()["prompts"]
    assert {"name": "greeting", "overridden": False} in listed
    bad = httpx.put(url + "/prompts/greeting", json={"source": "{% if %}"}, headers=TOKEN)
    assert bad.status_code == 400 and "template error" in bad.json()["error"]
    ok = httpx.put(url + "/prompts/greeting", json={"source": "Moin!"}, headers=TOKEN)
    assert ok.status_code == 200
    listed = httpx.get(url + "/prompts", headers=TOKEN).json()["prompts"]
    assert {"name": "greeting", "overridden": True} in listed
    assert httpx.delete(url + "/prompts/greeting", headers=TOKEN).json()["removed"] is True
