"""The Graph API client against the fake Graph API over real HTTP, plus transport edge cases."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator

import httpx
import pytest

from snakecakes.bot.whatsapp import messages as m
from snakecakes.bot.whatsapp.client import GraphClient, NumberClient
from snakecakes.bot.whatsapp.errors import (
    InvalidMessageError,
    MediaTooLargeError,
    OutsideWindowError,
    PermanentError,
    RateLimitError,
    TokenExpiredError,
    TransientError,
    TransportError,
    WhatsAppError,
)
from snakecakes.simulator.fake_graph import (
    Delay,
    Drop,
    FakeGraphAPI,
    HttpStatus,
    MetaError,
    Timeout,
)

PHONE_ID = "106540352242922"
TOKEN = "EAAG-secret-token-for-tests-only"
TO = "15551234567"


@pytest.fixture
def fake() -> Iterator[FakeGraphAPI]:
    with FakeGraphAPI(tokens={PHONE_ID: TOKEN, "2000": "other-token"}) as graph:
        yield graph


@pytest.fixture
def graph(fake: FakeGraphAPI) -> Iterator[GraphClient]:
    with GraphClient(fake.url, "v23.0", connect_timeout=2.0, read_timeout=2.0) as client:
        yield client


@pytest.fixture
def wa(graph: GraphClient) -> NumberClient:
    return graph.for_number(PHONE_ID, TOKEN)


def test_send_returns_the_wamid(fake: FakeGraphAPI, wa: NumberClient) -> None:
    result = wa.send(m.text(TO, "Hello from the cake shop", reply_to="wamid.IN"))
    assert result.wamid.startswith("wamid.")
    assert (result.input, result.wa_id) == (TO, TO)
    [request] = fake.requests
    assert request.method == "POST" and request.path == f"/v23.0/{PHONE_ID}/messages"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.json["text"]["body"] == "Hello from the cake shop"
    assert fake.sent_messages()[0].wamid == result.wamid


def test_every_builder_is_accepted_by_the_fake(fake: FakeGraphAPI, wa: NumberClient) -> None:
    bodies = [
        m.text(m.address("US.13491208655302741918")["recipient"], "Hi"),
        m.media("image", TO, link="https://example.com/cake.jpg", caption="Cake"),
        m.media("document", TO, media_id="123", filename="menu.pdf"),
        m.buttons(TO, "Size?", [("s", "Small"), ("l", "Large")], header="Sizes", footer="VAT"),
        m.list_message(TO, "Pick", "Menu", [m.Section("Cakes", [m.Row("c", "Chocolate")])]),
        m.cta_url(TO, "Our menu", "Open", "https://example.com/menu"),
        m.location_request(TO, "Where to deliver?"),
        m.reaction(TO, "wamid.IN", "\U0001f382"),
        m.template(TO, "order_ready", "en_US", components=[m.body_parameters("#42")]),
    ]
    results = [wa.send(body) for body in bodies]
    assert len({r.wamid for r in results}) == len(bodies)
    assert all(r.status == 200 for r in fake.requests)


def test_two_numbers_share_one_pool(fake: FakeGraphAPI, graph: GraphClient) -> None:
    first, second = graph.for_number(PHONE_ID, TOKEN), graph.for_number("2000", "other-token")
    first.send(m.text(TO, "one"))
    second.send(m.text(TO, "two"))
    assert [r.phone_number_id for r in fake.requests] == [PHONE_ID, "2000"]
    assert fake.requests[1].headers["authorization"] == "Bearer other-token"


def test_mark_read_and_typing(fake: FakeGraphAPI, wa: NumberClient) -> None:
    assert wa.mark_read("wamid.IN", typing=True) is True
    assert fake.requests[0].json == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": "wamid.IN",
        "typing_indicator": {"type": "text"},
    }


def test_send_texts_splits_a_long_answer(fake: FakeGraphAPI, wa: NumberClient) -> None:
    text = "\n\n".join(f"Paragraph {i}. " + "cake " * 150 for i in range(15))
    assert len(text) > 10_000
    results = wa.send_texts(TO, text, reply_to="wamid.IN")
    bodies = [r.json for r in fake.requests]
    assert len(results) == len(bodies) >= 3
    assert all(len(b["text"]["body"]) <= 4096 for b in bodies)
    assert bodies[0]["context"] == {"message_id": "wamid.IN"}
    assert all("context" not in b for b in bodies[1:])


@pytest.mark.parametrize(
    ("fault", "cls", "code", "status"),
    [
        (MetaError(131047), OutsideWindowError, 131047, 400),
        (MetaError(130429, http_status=429), RateLimitError, 130429, 429),
        (MetaError(131026), PermanentError, 131026, 400),
        (HttpStatus(500), TransientError, 1, 500),
        (HttpStatus(503), TransientError, 2, 503),
        (HttpStatus(429), RateLimitError, 4, 429),
    ],
)
def test_meta_error_answers_become_our_errors(
    fake: FakeGraphAPI,
    wa: NumberClient,
    fault: MetaError | HttpStatus,
    cls: type[WhatsAppError],
    code: int,
    status: int,
) -> None:
    fake.inject(fault)
    with pytest.raises(cls) as caught:
        wa.send(m.text(TO, "Hi"))
    err = caught.value
    assert (err.code, err.http_status) == (code, status)
    assert err.fbtrace_id and err.details
    assert wa.send(m.text(TO, "again")).wamid  # the fault was used up; the pool still works


def test_expired_token_is_190_and_never_leaks(fake: FakeGraphAPI, wa: NumberClient) -> None:
    fake.expire_token(PHONE_ID)
    with pytest.raises(TokenExpiredError) as caught:
        wa.send(m.text(TO, "Hi"))
    err = caught.value
    assert err.http_status == 401 and not err.retryable
    for text in (str(err), repr(err), repr(wa), repr(caught.value.__cause__), err.details or ""):
        assert TOKEN not in text


def test_a_wrong_token_is_refused(fake: FakeGraphAPI, graph: GraphClient) -> None:
    with pytest.raises(TokenExpiredError):
        graph.for_number(PHONE_ID, "wrong").send(m.text(TO, "Hi"))


def test_fake_validation_errors_are_permanent(fake: FakeGraphAPI, wa: NumberClient) -> None:
    body = m.text(TO, "Hi")
    body["text"]["body"] = "x" * 5000  # bypassing the builder: the fake must still refuse it
    with pytest.raises(PermanentError) as caught:
        wa.send(body)
    assert caught.value.code == 100 and "4096" in str(caught.value)


def test_over_limit_bodies_never_reach_the_server(fake: FakeGraphAPI, wa: NumberClient) -> None:
    with pytest.raises(InvalidMessageError):
        wa.send(m.buttons(TO, "Which?", [("a", "Chocolate fudge delux")]))
    with pytest.raises(InvalidMessageError):
        wa.send_texts("not a number", "Hi")
    with pytest.raises(InvalidMessageError):
        wa.mark_read("")
    with pytest.raises(MediaTooLargeError):
        wa.upload_media(b"x" * (5 * 2**20 + 1), "image/jpeg", "big.jpg")
    assert fake.requests == []


def test_read_timeout_may_have_sent(fake: FakeGraphAPI) -> None:
    fake.inject(Timeout(5))
    with (
        GraphClient(fake.url, read_timeout=0.3) as graph,
        pytest.raises(TransportError) as caught,
    ):
        graph.for_number(PHONE_ID, TOKEN).send(m.text(TO, "Hi"))
    assert caught.value.maybe_sent and caught.value.retryable
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)


@pytest.mark.parametrize("accepted", [True, False])
def test_dropped_connection_may_have_sent(
    fake: FakeGraphAPI, wa: NumberClient, accepted: bool
) -> None:
    fake.inject(Drop(accepted=accepted))
    with pytest.raises(TransportError) as caught:
        wa.send(m.text(TO, "Hi"))
    assert caught.value.maybe_sent
    assert len(fake.sent_messages()) == (1 if accepted else 0)  # Meta may well have it
    assert wa.send(m.text(TO, "next")).wamid


def test_connection_refused_was_surely_not_sent() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with (
        GraphClient(f"http://127.0.0.1:{port}", connect_timeout=0.5) as graph,
        pytest.raises(TransportError) as caught,
    ):
        graph.for_number(PHONE_ID, TOKEN).send(m.text(TO, "Hi"))
    assert caught.value.maybe_sent is False and caught.value.retryable
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    ("exc", "maybe_sent"),
    [
        (httpx.ConnectError("refused"), False),
        (httpx.ConnectTimeout("slow"), False),
        (httpx.PoolTimeout("busy"), False),
        (httpx.ReadTimeout("slow"), True),
        (httpx.WriteTimeout("slow"), True),
        (httpx.ReadError("reset"), True),
        (httpx.WriteError("broken pipe"), True),
        (httpx.RemoteProtocolError("Server disconnected"), True),
    ],
)
def test_transport_failures_map_to_maybe_sent(exc: Exception, maybe_sent: bool) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise exc

    with (
        GraphClient(transport=httpx.MockTransport(fail)) as graph,
        pytest.raises(TransportError) as caught,
    ):
        graph.for_number(PHONE_ID, TOKEN).send(m.text(TO, "Hi"))
    assert caught.value.maybe_sent is maybe_sent


def test_success_without_a_wamid_may_have_sent() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, text="<html>ok</html>"))
    with (
        GraphClient(transport=transport) as graph,
        pytest.raises(TransportError) as caught,
    ):
        graph.for_number(PHONE_ID, TOKEN).send(m.text(TO, "Hi"))
    assert caught.value.maybe_sent


# --- media -----------------------------------------------------------------------------------

PICTURE = bytes(range(256)) * 40  # 10 KB


def test_upload_info_download(fake: FakeGraphAPI, wa: NumberClient) -> None:
    media_id = wa.upload_media(PICTURE, "image/jpeg", "cake.jpg")
    upload = fake.requests[0]
    assert upload.path == f"/v23.0/{PHONE_ID}/media"
    assert upload.headers["content-type"].startswith("multipart/form-data")
    info = wa.media_info(media_id)
    assert info.file_size == len(PICTURE) and info.mime_type == "image/jpeg"
    assert info.sha256 == hashlib.sha256(PICTURE).hexdigest()
    assert wa.download_media(media_id, max_bytes=len(PICTURE)) == PICTURE
    assert wa.send(m.media("image", TO, media_id=media_id, caption="Our cake")).wamid


def test_download_refuses_oversized_media_before_fetching(
    fake: FakeGraphAPI, wa: NumberClient
) -> None:
    media_id = fake.add_media(PICTURE, "image/jpeg")
    with pytest.raises(MediaTooLargeError) as caught:
        wa.download_media(media_id, max_bytes=1000)
    assert (caught.value.size, caught.value.limit) == (len(PICTURE), 1000)
    assert not caught.value.retryable
    assert [r.path for r in fake.requests] == [f"/v23.0/{media_id}"]  # info only, no download


def test_expired_download_url_is_refetched_once() -> None:
    with (
        FakeGraphAPI(tokens={PHONE_ID: TOKEN}, media_url_ttl=0.2) as short_lived,
        GraphClient(short_lived.url) as graph,
    ):
        wa = graph.for_number(PHONE_ID, TOKEN)
        media_id = short_lived.add_media(PICTURE, "audio/ogg")
        short_lived.inject(Delay(0), on="media")  # the first info call: untouched
        short_lived.inject(Delay(0.5), on="media")  # the first download: its URL has expired
        assert wa.download_media(media_id, max_bytes=10**6) == PICTURE
        statuses = [(r.path.split("/")[1], r.status) for r in short_lived.requests]
    assert statuses == [
        ("v23.0", 200),
        ("media-download", 404),
        ("v23.0", 200),
        ("media-download", 200),
    ]


def test_download_gives_up_after_one_refetch(fake: FakeGraphAPI, wa: NumberClient) -> None:
    media_id = fake.add_media(PICTURE, "image/png")
    fake.inject(Delay(0), on="media")
    fake.inject(HttpStatus(404), on="media")
    fake.inject(Delay(0), on="media")
    fake.inject(HttpStatus(404), on="media")
    with pytest.raises(PermanentError) as caught:
        wa.download_media(media_id, max_bytes=10**6)
    assert caught.value.http_status == 404
    assert len(fake.requests) == 4


def test_unknown_media_id(fake: FakeGraphAPI, wa: NumberClient) -> None:
    with pytest.raises(PermanentError) as caught:
        wa.media_info("999")
    assert caught.value.code == 100


def test_streamed_size_is_enforced_when_the_server_lies() -> None:
    """No file_size and no Content-Length: the streamed byte count still stops the download."""
    big = b"x" * 50_000

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "lookaside.example":
            return httpx.Response(200, content=iter([big[:20_000], big[20_000:]]))
        return httpx.Response(200, json={"url": "https://lookaside.example/f", "id": "1"})

    with (
        GraphClient(transport=httpx.MockTransport(handler)) as graph,
        pytest.raises(MediaTooLargeError),
    ):
        graph.for_number(PHONE_ID, TOKEN).download_media("1", max_bytes=30_000)


def test_corrupt_download_is_retryable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "lookaside.example":
            return httpx.Response(200, content=b"truncated")
        return httpx.Response(200, json={"url": "https://lookaside.example/f", "sha256": "ab"})

    with (
        GraphClient(transport=httpx.MockTransport(handler)) as graph,
        pytest.raises(TransientError, match="sha256"),
    ):
        graph.for_number(PHONE_ID, TOKEN).download_media("1", max_bytes=1000)
