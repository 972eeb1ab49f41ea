"""POST/GET /webhook over real HTTP, signed exactly as Meta signs, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx
from sqlalchemy import func, select

from snakecakes.db.models import InboxMessage, MessageStatus, WebhookEvent
from snakecakes.simulator import payloads as p
from tests.conftest import (
    APP_SECRET,
    OTHER_APP_SECRET,
    OTHER_PHONE_ID,
    PHONE_ID,
    VERIFY_TOKEN,
    Stack,
)

FIXTURES = Path(__file__).parent / "fixtures" / "webhooks"
CUSTOMER = "4915112345678"


def post(stack: Stack, body: dict | bytes, secret: str = APP_SECRET) -> httpx.Response:
    raw, headers = p.signed(body, secret)
    return httpx.post(stack.url + "/webhook", content=raw, headers=headers, timeout=10)


def count(stack: Stack, model: type) -> int:
    with stack.services.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def inbox(stack: Stack) -> list[InboxMessage]:
    with stack.services.db.read() as s:
        return list(s.scalars(select(InboxMessage).order_by(InboxMessage.id)))


def one_text(body: str = "Hallo") -> dict:
    return p.envelope(p.change(PHONE_ID, messages=[p.text(p.new_wamid(), CUSTOMER, body)]))


# --- handshake ---------------------------------------------------------------------------------


def test_handshake_right_token_echoes_raw_challenge(stack: Stack) -> None:
    params = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    r = httpx.get(stack.url + "/webhook", params=params)
    assert r.status_code == 200
    assert r.text == "1158201444"
    assert r.headers["content-type"].startswith("text/plain")


def test_handshake_wrong_token_or_mode_is_403(stack: Stack) -> None:
    for mode, token in (("subscribe", "nope"), ("unsubscribe", VERIFY_TOKEN), (None, None)):
        params = {"hub.challenge": "42"}
        if mode:
            params["hub.mode"] = mode
        if token:
            params["hub.verify_token"] = token
        r = httpx.get(stack.url + "/webhook", params=params)
        assert r.status_code == 403, (mode, token)
        assert "42" not in r.text


# --- signature ---------------------------------------------------------------------------------


def test_missing_signature_is_401_and_stores_nothing(stack: Stack) -> None:
    raw = p.encode(one_text())
    r = httpx.post(
        stack.url + "/webhook", content=raw, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 401
    assert count(stack, InboxMessage) == 0


def test_wrong_signature_is_403_and_stores_nothing(stack: Stack) -> None:
    raw, headers = p.signed(one_text(), "not-the-app-secret")
    r = httpx.post(stack.url + "/webhook", content=raw, headers=headers)
    assert r.status_code == 403
    headers["X-Hub-Signature-256"] = "sha256=zz"
    assert httpx.post(stack.url + "/webhook", content=raw, headers=headers).status_code == 403
    assert count(stack, InboxMessage) == 0


def test_signature_over_raw_non_ascii_bytes(stack: Stack) -> None:
    text = "Geburtstagstorte für Jürgen 🎂, bitte mit „Überraschung“"
    raw, headers = p.signed(one_text(text), APP_SECRET)
    assert "ü".encode() in raw  # sent raw, not \u-escaped: the hash must be over these bytes
    r = httpx.post(stack.url + "/webhook", content=raw, headers=headers)
    assert r.status_code == 200
    [row] = inbox(stack)
    assert row.payload["message"]["text"]["body"] == text
    # the same document re-serialised with escapes has another signature: refused
    reencoded = json.dumps(json.loads(raw)).encode()
    assert reencoded != raw
    r = httpx.post(stack.url + "/webhook", content=reencoded, headers=headers)
    assert r.status_code == 403


# --- storage -----------------------------------------------------------------------------------


def test_batch_with_entries_changes_messages_statuses_stores_each_once(stack: Stack) -> None:
    msgs = [p.text(p.new_wamid(), f"49151000000{i}", f"m{i}") for i in range(6)]
    sts = [p.status(p.new_wamid(), s, "4915100000001") for s in ("sent", "delivered", "read")]
    body = p.envelope(
        p.entry("waba-1", p.change(PHONE_ID, messages=msgs[:2]), p.change(PHONE_ID, statuses=sts)),
        p.entry("waba-1", p.change(PHONE_ID, messages=msgs[2:4], statuses=sts[:1])),
        p.entry("waba-2", p.change(OTHER_PHONE_ID, messages=msgs[4:])),
    )
    # bot B is of another app: its change needs its own signature, so split the third entry off
    body_a = {"object": body["object"], "entry": body["entry"][:2]}
    body_b = {"object": body["object"], "entry": body["entry"][2:]}
    assert post(stack, body_a).status_code == 200
    assert post(stack, body_b, OTHER_APP_SECRET).status_code == 200
    rows = inbox(stack)
    assert sorted(r.wamid for r in rows) == sorted(m["id"] for m in msgs)
    by_bot = {r.wamid: r.bot_id for r in rows}
    assert {by_bot[m["id"]] for m in msgs[:4]} == {stack.bot_a}
    assert {by_bot[m["id"]] for m in msgs[4:]} == {stack.bot_b}
    assert count(stack, MessageStatus) == 3  # the repeated "sent" is one row


def test_thousand_updates_in_one_post_are_all_stored(stack: Stack) -> None:
    msgs = [p.text(p.new_wamid(), f"4915{i:09d}", f"order {i}") for i in range(800)]
    sts = [p.status(p.new_wamid(), "delivered", "4915100000001") for _ in range(200)]
    r = post(stack, p.envelope(p.change(PHONE_ID, messages=msgs, statuses=sts)))
    assert r.status_code == 200
    assert count(stack, InboxMessage) == 800
    assert count(stack, MessageStatus) == 200


def test_same_payload_three_times_concurrently_gives_one_row_per_message(stack: Stack) -> None:
    msgs = [p.text(p.new_wamid(), CUSTOMER, f"part {i}") for i in range(5)]
    raw, headers = p.signed(p.envelope(p.change(PHONE_ID, messages=msgs)), APP_SECRET)
    barrier = threading.Barrier(3)
    codes: list[int] = []

    def deliver() -> None:
        barrier.wait()
        codes.append(httpx.post(stack.url + "/webhook", content=raw, headers=headers).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200, 200, 200]
    assert sorted(r.wamid for r in inbox(stack)) == sorted(m["id"] for m in msgs)


def test_every_inbound_fixture_is_stored_with_its_type(stack: Stack) -> None:
    stored_types = set()
    for path in sorted(FIXTURES.glob("*.json")):
        raw = path.read_bytes()
        data = json.loads(raw)
        for entry in data["entry"]:  # the fixtures use Meta's sample number; point it at bot A
            for change in entry["changes"]:
                meta = change["value"].get("metadata")
                if meta:
                    meta["phone_number_id"] = PHONE_ID
        r = post(stack, data)
        assert r.status_code == 200, path.name
    for row in inbox(stack):
        stored_types.add(row.type)
        assert row.payload["message"]["id"] == row.wamid
    expected = {
        "text", "image", "video", "document", "sticker", "audio", "location", "contacts",
        "interactive", "button", "reaction", "order", "system", "unsupported",
    }  # fmt: skip
    assert expected <= stored_types
    assert count(stack, MessageStatus) >= 5
    with stack.services.db.read() as s:
        fields = set(s.scalars(select(WebhookEvent.field)))
    assert "message_template_status_update" in fields
    assert "errors" in fields


def test_bsuid_only_customer_is_keyed_by_user_id(stack: Stack) -> None:
    msg = p.text(p.new_wamid(), None, "hi", from_user_id="US.13491208655302741918")  # type: ignore[arg-type]
    body = p.envelope(
        p.change(
            PHONE_ID, messages=[msg], contacts=[p.contact(None, "Ana", "US.13491208655302741918")]
        )
    )
    assert post(stack, body).status_code == 200
    [row] = inbox(stack)
    assert row.customer_key == "US.13491208655302741918"
    assert row.wa_id is None
    assert row.contact_name == "Ana"


# --- what we refuse or ignore ------------------------------------------------------------------


def test_other_fields_are_acknowledged_and_recorded(stack: Stack) -> None:
    quality = p.field_change(
        "phone_number_quality_update",
        {"display_phone_number": "15550001111", "event": "FLAGGED", "current_limit": "TIER_1K"},
    )
    invented = p.field_change("some_future_field", {"anything": [1, 2, 3]})
    assert post(stack, p.envelope(quality, invented)).status_code == 200
    with stack.services.db.read() as s:
        events = {e.field: e for e in s.scalars(select(WebhookEvent))}
    assert set(events) == {"phone_number_quality_update", "some_future_field"}
    # account-level changes name no number: the only bot that this app secret signs for owns them
    assert {e.bot_id for e in events.values()} == {stack.bot_a}
    assert count(stack, InboxMessage) == 0


def test_unknown_phone_number_is_200_warning_metric_nothing_stored(stack: Stack, caplog) -> None:  # type: ignore[no-untyped-def]
    body = p.envelope(p.change("999999999999", messages=[p.text(p.new_wamid(), CUSTOMER, "hi")]))
    r = post(stack, body)
    assert r.status_code == 200
    assert count(stack, InboxMessage) == 0
    assert any("unknown phone_number_id 999999999999" in m for m in caplog.messages)
    metrics = httpx.get(stack.url + "/metrics").text
    assert "snakecakes_webhook_unknown_numbers_total" in metrics


def test_oversized_body_is_413_and_stores_nothing(stack: Stack) -> None:
    limit = stack.services.settings.max_body_bytes
    big = one_text("x" * (limit + 10))
    r = post(stack, big)
    assert r.status_code == 413
    assert count(stack, InboxMessage) == 0


def test_malformed_json_with_valid_signature_is_400_and_logged(stack: Stack, caplog) -> None:  # type: ignore[no-untyped-def]
    for raw in (b"{not json", b'{"object": "page", "entry": []}', b"[1, 2]"):
        r = post(stack, raw)
        assert r.status_code == 400, raw
    assert count(stack, InboxMessage) == 0
    assert sum("malformed webhook body" in m for m in caplog.messages) == 3


def test_one_bots_signature_cannot_carry_another_bots_number(stack: Stack) -> None:
    attack = p.envelope(
        p.change(PHONE_ID, messages=[p.text(p.new_wamid(), CUSTOMER, "mine")]),
        p.change(OTHER_PHONE_ID, messages=[p.text(p.new_wamid(), CUSTOMER, "injected")]),
    )
    r = post(stack, attack, OTHER_APP_SECRET)  # bot B's app signs a message for bot A's number
    assert r.status_code == 403
    r = post(stack, attack, APP_SECRET)
    assert r.status_code == 403
    assert count(stack, InboxMessage) == 0
    ok = post(
        stack,
        p.envelope(p.change(OTHER_PHONE_ID, messages=[p.text(p.new_wamid(), CUSTOMER, "b")])),
        OTHER_APP_SECRET,
    )
    assert ok.status_code == 200
    assert [r.bot_id for r in inbox(stack)] == [stack.bot_b]


def test_secrets_never_appear_in_logs(stack: Stack, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level("DEBUG")
    post(stack, one_text())
    post(stack, one_text(), "wrong")
    post(stack, b"{oops")
    httpx.get(stack.url + "/webhook", params={"hub.mode": "subscribe", "hub.verify_token": "x"})
    settings = stack.services.settings
    text = caplog.text + repr(settings) + str(settings.model_dump())
    for secret in (APP_SECRET, VERIFY_TOKEN, settings.whatsapp_access_token, settings.secret_key):
        value = secret if isinstance(secret, str) else secret.get_secret_value()  # type: ignore[union-attr]
        assert value not in text
    assert repr(stack.services.bots.all())
    assert APP_SECRET not in repr(stack.services.bots.all())


def test_readyz_is_degraded_while_a_bot_cannot_send(stack: Stack) -> None:
    from snakecakes.bot.whatsapp.outbox import pause_bot, resume_bot

    assert httpx.get(stack.url + "/readyz").json()["status"] == "ready"
    pause_bot(stack.services.db, stack.bot_a, "access token rejected (190): expired")
    ready = httpx.get(stack.url + "/readyz")
    assert ready.status_code == 200  # still taking webhooks
    assert ready.json()["status"] == "degraded"
    assert "access token rejected" in ready.json()["checks"]["sending"][f"bot {stack.bot_a}"]
    resume_bot(stack.services.db, stack.bot_a)
    assert httpx.get(stack.url + "/readyz").json()["status"] == "ready"
