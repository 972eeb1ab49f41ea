"""The fake Graph API over real HTTP: sends, faults, tokens, media, statuses, lifecycle."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from snakecakes.bot.whatsapp.signature import matching_secrets
from snakecakes.simulator.fake_graph import (
    Delay,
    Drop,
    FakeGraphAPI,
    Fault,
    HttpStatus,
    MetaError,
    Timeout,
)
from tests.simulator.conftest import (
    ACCESS_TOKEN,
    APP_SECRET,
    OTHER_ACCESS_TOKEN,
    OTHER_PHONE_NUMBER_ID,
    PHONE_NUMBER_ID,
    WebhookReceiver,
)

MESSAGES = f"/v23.0/{PHONE_NUMBER_ID}/messages"
Factory = Callable[..., FakeGraphAPI]


def text(to: str = "4915112345678", body: str = "Hallo") -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": body}}


READ = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN"}


@pytest.fixture
def client(fake_graph: FakeGraphAPI) -> Iterator[httpx.Client]:
    auth = {"Authorization": f"Bearer {ACCESS_TOKEN}"}
    with httpx.Client(base_url=fake_graph.url, headers=auth, timeout=5) as c:
        yield c


def error_of(response: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


# -- sending ---------------------------------------------------------------------------------


def test_valid_sends_get_fresh_wamids(fake_graph: FakeGraphAPI, client: httpx.Client) -> None:
    first = client.post(MESSAGES, json=text("+49 151 12345678"))
    second = client.post("/v19.0/" + PHONE_NUMBER_ID + "/messages", json=text())
    assert first.status_code == second.status_code == 200
    answer = first.json()
    assert answer["messaging_product"] == "whatsapp"
    assert answer["contacts"] == [{"input": "+49 151 12345678", "wa_id": "4915112345678"}]
    ids = [answer["messages"][0]["id"], second.json()["messages"][0]["id"]]
    assert ids[0].startswith("wamid.") and ids[0] != ids[1]
    sent = fake_graph.sent_messages(PHONE_NUMBER_ID)
    assert [s.wamid for s in sent] == ids
    assert sent[0].json == text("+49 151 12345678") and sent[0].at <= sent[1].at
    assert sent[0].headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert fake_graph.sent_messages(OTHER_PHONE_NUMBER_ID) == []


def test_bsuid_recipient(client: httpx.Client) -> None:
    body = {**text(), "recipient": "US.13491208655302741918"}
    del body["to"]
    answer = client.post(MESSAGES, json=body).json()
    assert answer["contacts"] == [
        {"input": "US.13491208655302741918", "user_id": "US.13491208655302741918"}
    ]


def test_mark_as_read_and_typing(fake_graph: FakeGraphAPI, client: httpx.Client) -> None:
    typing = {**READ, "typing_indicator": {"type": "text"}}
    for body in (READ, typing):
        response = client.post(MESSAGES, json=body)
        assert (response.status_code, response.json()) == (200, {"success": True})
    assert fake_graph.sent_messages() == []
    assert [r.status for r in fake_graph.requests] == [200, 200]


def test_invalid_body_is_refused_with_reason(client: httpx.Client) -> None:
    buttons = [{"type": "reply", "reply": {"id": f"b{i}", "title": f"B{i}"}} for i in range(4)]
    body = {
        **text(),
        "type": "interactive",
        "interactive": {"type": "button", "body": {"text": "?"}, "action": {"buttons": buttons}},
    }
    del body["text"]
    response = client.post(MESSAGES, json=body)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == 100 and error["type"] == "OAuthException" and error["fbtrace_id"]
    assert error["error_data"]["details"].startswith("interactive.action.buttons:")
    assert client.post(MESSAGES, content=b"{not json").status_code == 400


def test_validation_can_be_off(fake_graph_factory: Factory) -> None:
    graph = fake_graph_factory(validate=False)
    body = text(body="x" * 5000)
    response = httpx.post(graph.url + MESSAGES, json=body, headers=_auth())
    assert response.status_code == 200


def test_unknown_path(client: httpx.Client) -> None:
    response = client.post(f"/v23.0/{PHONE_NUMBER_ID}/nothing", json={})
    assert response.status_code == 400 and error_of(response)["code"] == 100


# -- tokens ----------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "wrong", OTHER_ACCESS_TOKEN])
def test_bad_tokens_get_401_code_190(fake_graph: FakeGraphAPI, token: str | None) -> None:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    response = httpx.post(fake_graph.url + MESSAGES, json=text(), headers=headers)
    assert response.status_code == 401 and error_of(response)["code"] == 190
    assert fake_graph.sent_messages() == []


def test_unknown_number(fake_graph: FakeGraphAPI) -> None:
    response = httpx.post(fake_graph.url + "/v23.0/999/messages", json=text(), headers=_auth())
    assert response.status_code == 400 and error_of(response)["error_subcode"] == 33


def test_token_expiry_and_replacement(fake_graph: FakeGraphAPI, client: httpx.Client) -> None:
    fake_graph.expire_token(PHONE_NUMBER_ID)
    for _ in range(2):
        response = client.post(MESSAGES, json=text())
        assert response.status_code == 401
        assert (error_of(response)["code"], error_of(response)["error_subcode"]) == (190, 463)
    other = httpx.post(
        f"{fake_graph.url}/v23.0/{OTHER_PHONE_NUMBER_ID}/messages",
        json=text(),
        headers=_auth(OTHER_ACCESS_TOKEN),
    )
    assert other.status_code == 200
    fake_graph.set_token(PHONE_NUMBER_ID, "EAAG-rotated")
    assert client.post(MESSAGES, json=text()).status_code == 401  # the old token stays dead
    rotated = httpx.post(fake_graph.url + MESSAGES, json=text(), headers=_auth("EAAG-rotated"))
    assert rotated.status_code == 200


def test_any_token_mode(fake_graph_factory: Factory) -> None:
    graph = fake_graph_factory(tokens=None)
    url = f"{graph.url}/v23.0/555/messages"
    assert httpx.post(url, json=text(), headers=_auth("anything")).status_code == 200
    assert httpx.post(url, json=text()).status_code == 401
    graph.expire_token("555")
    assert httpx.post(url, json=text(), headers=_auth("anything")).status_code == 401
    graph.set_token("555", "new")
    assert httpx.post(url, json=text(), headers=_auth("new")).status_code == 200


# -- faults ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "code"), [(429, 4), (500, 1), (503, 2)])
def test_http_status_fault(
    fake_graph: FakeGraphAPI, client: httpx.Client, status: int, code: int
) -> None:
    fake_graph.inject(HttpStatus(status))
    failed = client.post(MESSAGES, json=text())
    assert failed.status_code == status and error_of(failed)["code"] == code
    assert client.post(MESSAGES, json=text()).status_code == 200  # consumed
    assert len(fake_graph.sent_messages()) == 1


@pytest.mark.parametrize("code", [130429, 131056, 131047, 131026, 190])
def test_meta_error_fault(fake_graph: FakeGraphAPI, client: httpx.Client, code: int) -> None:
    http_status = 401 if code == 190 else 400
    fake_graph.inject(MetaError(code, http_status=http_status, details="staged"))
    response = client.post(MESSAGES, json=text())
    assert response.status_code == http_status
    assert error_of(response)["code"] == code
    assert error_of(response)["error_data"]["details"] == "staged"
    assert fake_graph.requests[0].fault == MetaError(code, http_status, "staged")


def test_faults_in_order_times_and_when(fake_graph: FakeGraphAPI, client: httpx.Client) -> None:
    fake_graph.inject(MetaError(131056), times=2, when=lambda body: body["to"] == "111")
    fake_graph.inject(HttpStatus(500))
    assert client.post(MESSAGES, json=text("222")).status_code == 500  # only rule that fits
    assert client.post(MESSAGES, json=text("222")).status_code == 200
    assert client.post(MESSAGES, json=READ).status_code == 200  # sends only by default
    codes = [error_of(client.post(MESSAGES, json=text("111")))["code"] for _ in range(2)]
    assert codes == [131056, 131056]
    assert client.post(MESSAGES, json=text("111")).status_code == 200
    assert fake_graph.faults.pending() == 0


def test_delay(fake_graph: FakeGraphAPI, client: httpx.Client) -> None:
    fake_graph.inject(Delay(0.3))
    start = time.monotonic()
    response = client.post(MESSAGES, json=text())
    assert time.monotonic() - start >= 0.3
    assert response.status_code == 200 and len(fake_graph.sent_messages()) == 1


def test_timeout_fault(fake_graph: FakeGraphAPI, client: httpx.Client) -> None:
    fake_graph.inject(Timeout())
    with pytest.raises(httpx.ReadTimeout):
        client.post(MESSAGES, json=text(), timeout=0.3)
    assert fake_graph.sent_messages() == []
    assert [(r.status, r.fault) for r in fake_graph.requests] == [(0, Timeout())]
    assert client.post(MESSAGES, json=text()).status_code == 200  # the next one is fine


@pytest.mark.parametrize("accepted", [False, True])
def test_drop_fault(fake_graph: FakeGraphAPI, client: httpx.Client, accepted: bool) -> None:
    fake_graph.inject(Drop(accepted=accepted))
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.post(MESSAGES, json=text())
    assert len(fake_graph.sent_messages()) == int(accepted)
    assert fake_graph.requests[0].status == 0
    assert client.post(MESSAGES, json=text()).status_code == 200


def test_fault_on_media_and_read(fake_graph: FakeGraphAPI, client: httpx.Client) -> None:
    media_id = fake_graph.add_media(b"x", "image/jpeg")
    fake_graph.inject(HttpStatus(500), on="media")
    fake_graph.inject(MetaError(131000), on="read")
    assert client.post(MESSAGES, json=text()).status_code == 200
    assert client.get(f"/v23.0/{media_id}").status_code == 500
    assert error_of(client.post(MESSAGES, json=READ))["code"] == 131000


def _outcomes(graph: FakeGraphAPI, n: int) -> list[int]:
    with httpx.Client(base_url=graph.url, headers=_auth()) as c:
        return [
            c.post(MESSAGES, json=text()).json().get("error", {}).get("code", 0) for _ in range(n)
        ]


def test_fail_ratio_is_seeded(fake_graph_factory: Factory) -> None:
    faults: list[Fault] = [HttpStatus(500), MetaError(130429)]
    runs = []
    for _ in range(2):
        graph = fake_graph_factory()
        graph.fail_ratio(0.3, faults, seed=42)
        runs.append(_outcomes(graph, 100))
    assert runs[0] == runs[1]
    failures = [code for code in runs[0] if code]
    assert 10 <= len(failures) <= 50 and set(failures) == {1, 130429}
    graph.fail_ratio(0.0, faults)
    assert _outcomes(graph, 20) == [0] * 20


def test_rate_limit_per_number(fake_graph_factory: Factory) -> None:
    graph = fake_graph_factory(max_rate_per_number=5)
    start = time.monotonic()
    codes = _outcomes(graph, 8)
    if time.monotonic() - start < 1.0:  # the window is 1 s; localhost is far faster
        assert codes == [0] * 5 + [130429] * 3
    assert graph.peak_rate(PHONE_NUMBER_ID) == 5
    time.sleep(1.0)
    assert _outcomes(graph, 1) == [0]


# -- media -----------------------------------------------------------------------------------


def test_media_upload_info_download(fake_graph: FakeGraphAPI, client: httpx.Client) -> None:
    data = bytes(range(256)) * 10
    upload = client.post(
        f"/v23.0/{PHONE_NUMBER_ID}/media",
        files={"file": ("cake.png", data, "image/png")},
        data={"type": "image/png", "messaging_product": "whatsapp"},
    )
    assert upload.status_code == 200
    media_id = upload.json()["id"]
    info = client.get(f"/v23.0/{media_id}").json()
    assert (info["id"], info["mime_type"], info["file_size"]) == (media_id, "image/png", 2560)
    assert info["url"].startswith(fake_graph.url + "/media-download/")
    download = client.get(info["url"])
    assert download.content == data and download.headers["content-type"] == "image/png"
    assert httpx.get(info["url"]).status_code == 401  # the bearer token is needed
    assert client.get("/v23.0/404404").json()["error"]["error_subcode"] == 33
    no_product = client.post(
        f"/v23.0/{PHONE_NUMBER_ID}/media", files={"file": ("a", b"a", "text/plain")}
    )
    assert no_product.status_code == 400


def test_media_url_expires(fake_graph_factory: Factory) -> None:
    graph = fake_graph_factory(media_url_ttl=0.2)
    media_id = graph.add_media(b"voice", "audio/ogg")
    with httpx.Client(base_url=graph.url, headers=_auth()) as c:
        url = c.get(f"/v23.0/{media_id}").json()["url"]
        assert c.get(url).content == b"voice"
        time.sleep(0.3)
        assert c.get(url).status_code == 404
        fresh = c.get(f"/v23.0/{media_id}").json()["url"]
        assert fresh != url and c.get(fresh).content == b"voice"


# -- status webhooks -------------------------------------------------------------------------


def test_send_statuses_signed(
    fake_graph_factory: Factory, webhook_receiver: WebhookReceiver
) -> None:
    graph = fake_graph_factory(webhook_url=webhook_receiver.url, app_secret=APP_SECRET)
    codes = graph.send_statuses(
        "wamid.X", recipient_id="4915112345678", phone_number_id=PHONE_NUMBER_ID
    )
    assert codes == [200, 200, 200]
    failed_error = {"code": 131026, "title": "Message undeliverable"}
    graph.send_statuses(
        "wamid.Y",
        ["failed"],
        recipient_id="1",
        phone_number_id=PHONE_NUMBER_ID,
        errors=[failed_error],
    )
    deliveries = webhook_receiver.wait_for(4)
    for d in deliveries:
        assert matching_secrets(d.headers["x-hub-signature-256"], d.body, [APP_SECRET])
    value = deliveries[0].json["entry"][0]["changes"][0]["value"]
    assert value["metadata"]["phone_number_id"] == PHONE_NUMBER_ID
    statuses = [d.json["entry"][0]["changes"][0]["value"]["statuses"][0] for d in deliveries]
    assert [s["status"] for s in statuses] == ["sent", "delivered", "read", "failed"]
    assert statuses[0]["recipient_id"] == "4915112345678" and "errors" not in statuses[0]
    assert statuses[3]["errors"] == [failed_error]
    assert deliveries[0].json["object"] == "whatsapp_business_account"


def test_auto_status(fake_graph_factory: Factory, webhook_receiver: WebhookReceiver) -> None:
    graph = fake_graph_factory(
        webhook_url=webhook_receiver.url, app_secret=APP_SECRET, auto_status=True
    )
    response = httpx.post(graph.url + MESSAGES, json=text("+1 555 0100"), headers=_auth())
    wamid = response.json()["messages"][0]["id"]
    deliveries = webhook_receiver.wait_for(3)
    statuses = [d.json["entry"][0]["changes"][0]["value"]["statuses"][0] for d in deliveries]
    assert [(s["id"], s["status"], s["recipient_id"]) for s in statuses] == [
        (wamid, "sent", "15550100"),
        (wamid, "delivered", "15550100"),
        (wamid, "read", "15550100"),
    ]
    deadline = time.monotonic() + 5  # the poster records an attempt after the answer
    while len(graph.posted_statuses) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [p.http_status for p in graph.posted_statuses] == [200, 200, 200]


def test_send_statuses_needs_webhook_url(fake_graph: FakeGraphAPI) -> None:
    with pytest.raises(RuntimeError):
        fake_graph.send_statuses("wamid.X", recipient_id="1", phone_number_id=PHONE_NUMBER_ID)


# -- recording and lifecycle -----------------------------------------------------------------


def test_recording_and_clear(fake_graph: FakeGraphAPI, client: httpx.Client) -> None:
    client.post(MESSAGES, json=text())
    [request] = fake_graph.requests
    assert (request.method, request.path, request.phone_number_id) == (
        "POST",
        MESSAGES,
        PHONE_NUMBER_ID,
    )
    assert request.json == text() and request.body and request.status == 200
    fake_graph.clear()
    assert fake_graph.requests == [] and fake_graph.sent_messages() == []


def test_keep_alive(client: httpx.Client) -> None:
    responses = [client.post(MESSAGES, json=text()) for _ in range(3)]
    assert all(r.http_version == "HTTP/1.1" for r in responses)
    assert all(r.headers.get("connection", "").lower() != "close" for r in responses)


def test_stop_releases_held_requests_and_threads() -> None:
    graph = FakeGraphAPI().start()
    graph.inject(Timeout(seconds=60))
    errors: list[BaseException] = []

    def held() -> None:
        try:
            httpx.post(graph.url + MESSAGES, json=text(), headers=_auth(), timeout=30)
        except httpx.HTTPError as exc:
            errors.append(exc)

    caller = threading.Thread(target=held)
    caller.start()
    while not graph.requests:
        time.sleep(0.01)
    start = time.monotonic()
    graph.stop()
    caller.join(timeout=5)
    assert time.monotonic() - start < 5 and errors and not caller.is_alive()
    assert not [t for t in threading.enumerate() if t.name.startswith("fake-graph")]


def test_main_serves_standalone() -> None:
    command = [sys.executable, "-m", "snakecakes.simulator.fake_graph", "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        response = httpx.post(url + MESSAGES, json=text(), headers=_auth("any"), timeout=10)
        assert response.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)


def _auth(token: str = ACCESS_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
