"""Send-body builders: Meta's limits enforced before any request, bodies Meta's schema accepts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from snakecakes.bot.whatsapp import messages as m
from snakecakes.bot.whatsapp.errors import InvalidMessageError
from snakecakes.bot.whatsapp.messages import Row, Section
from snakecakes.simulator.openapi_validation import validate_send_body

TO = "15551234567"
BSUID = "US.13491208655302741918"
WAMID = "wamid.HBgLMTU1NTEyMzQ1NjcVAgARGBI5QTM2"


def _rows(n: int, prefix: str = "r") -> list[Row]:
    return [Row(f"{prefix}{i}", f"Cake {i}", f"Tasty cake number {i}") for i in range(n)]


# Every builder, in its fullest form: each body must pass Meta's (patched) OpenAPI schema.
VALID_BODIES: dict[str, Callable[[], dict[str, Any]]] = {
    "text": lambda: m.text(TO, "Hello *there*", preview_url=True, reply_to=WAMID),
    "text_bsuid": lambda: m.text(BSUID, "Hello"),
    "image_id": lambda: m.media("image", TO, media_id="123", caption="A cake"),
    "image_link": lambda: m.media("image", TO, link="https://example.com/cake.jpg"),
    "document": lambda: m.media(
        "document", TO, media_id="9", caption="Invoice", filename="invoice.pdf", reply_to=WAMID
    ),
    "audio": lambda: m.media("audio", TO, media_id="1"),
    "video": lambda: m.media("video", TO, link="https://example.com/v.mp4", caption="Baking"),
    "sticker": lambda: m.media("sticker", TO, media_id="7"),
    "buttons": lambda: m.buttons(
        TO,
        "Which size?",
        [("small", "Small"), ("medium", "Medium"), ("large", "Large")],
        header="Sizes",
        footer="Prices include VAT",
        reply_to=WAMID,
    ),
    "list_one_section": lambda: m.list_message(
        TO, "Pick a cake", "Menu", [Section(None, _rows(10))]
    ),
    "list_sections": lambda: m.list_message(
        TO,
        "Pick a cake",
        "Menu",
        [Section("Chocolate", _rows(4, "c")), Section("Fruit", _rows(6, "f"))],
        header="Today's cakes",
        footer="Fresh daily",
    ),
    "cta_url": lambda: m.cta_url(
        TO, "See the full menu", "Open menu", "https://example.com/menu", header="Menu", footer="x"
    ),
    "location_request": lambda: m.location_request(TO, "Where should we deliver?"),
    "reaction": lambda: m.reaction(TO, WAMID, "\U0001f382"),
    "reaction_removed": lambda: m.reaction(TO, WAMID, ""),
    "template_plain": lambda: m.template(TO, "hello_world", "en_US"),
    "template_params": lambda: m.template(
        TO,
        "order_ready",
        "en",
        components=[m.header_parameters("Ana"), m.body_parameters("#42", "5 pm")],
    ),
    "template_named": lambda: m.template(
        BSUID, "order_ready", "pt_BR", components=[m.body_parameters(first_name="Ana")]
    ),
    "mark_read": lambda: m.mark_read(WAMID),
    "mark_read_typing": lambda: m.mark_read(WAMID, typing=True),
}


@pytest.mark.parametrize("name", sorted(VALID_BODIES))
def test_every_builder_produces_a_body_the_openapi_description_accepts(name: str) -> None:
    body = VALID_BODIES[name]()
    validate_send_body(body)
    if "status" not in body:
        assert body["messaging_product"] == "whatsapp"
        assert body["recipient_type"] == "individual"
        assert body[body["type"]]


def test_text_body_shape() -> None:
    assert m.text(TO, "Hi", reply_to=WAMID) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": TO,
        "context": {"message_id": WAMID},
        "type": "text",
        "text": {"preview_url": False, "body": "Hi"},
    }


@pytest.mark.parametrize(
    ("to", "expected"),
    [
        ("15551234567", {"to": "15551234567"}),
        ("+1 (555) 123-4567", {"to": "+1 (555) 123-4567"}),
        (BSUID, {"recipient": BSUID}),
        ("BR.abc123", {"recipient": "BR.abc123"}),
    ],
)
def test_address_rule(to: str, expected: dict[str, str]) -> None:
    assert m.address(to) == expected
    body = m.text(to, "Hi")
    assert ("to" in body) != ("recipient" in body)


@pytest.mark.parametrize("to", ["", "   ", "bob", "us.123", "1234567890123456789", "12"])
def test_bad_recipients_are_refused(to: str) -> None:
    with pytest.raises(InvalidMessageError, match="recipient"):
        m.text(to, "Hi")


def test_mark_read_and_typing() -> None:
    assert m.mark_read(WAMID) == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": WAMID,
    }
    assert m.mark_read(WAMID, typing=True)["typing_indicator"] == {"type": "text"}


def test_template_components() -> None:
    body = m.template(TO, "order_ready", "en", components=[m.body_parameters("#42", "5 pm")])
    assert body["template"] == {
        "name": "order_ready",
        "language": {"code": "en", "policy": "deterministic"},
        "components": [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": "#42"}, {"type": "text", "text": "5 pm"}],
            }
        ],
    }
    named = m.body_parameters(first_name="Ana")["parameters"]
    assert named == [{"type": "text", "text": "Ana", "parameter_name": "first_name"}]


def test_limits_at_the_boundary_are_accepted() -> None:
    m.text(TO, "x" * 4096)
    m.media("image", TO, media_id="1", caption="c" * 1024)
    m.buttons(TO, "b" * 1024, [("i" * 256, "t" * 20)], header="h" * 60, footer="f" * 60)
    m.list_message(
        TO, "b" * 4096, "B" * 20, [Section("s" * 24, [Row("r" * 200, "t" * 24, "d" * 72)])]
    )
    m.cta_url(TO, "b" * 1024, "d" * 20, "https://example.com")


OVER_LIMIT: list[tuple[str, Callable[[], object], str]] = [
    ("text 4097", lambda: m.text(TO, "x" * 4097), "text body .* is 4097 characters.*at most 4096"),
    ("text empty", lambda: m.text(TO, "  "), "text body must be non-empty"),
    (
        "caption 1025",
        lambda: m.media("image", TO, media_id="1", caption="c" * 1025),
        "image caption .* is 1025 characters; WhatsApp allows at most 1024",
    ),
    (
        "caption on audio",
        lambda: m.media("audio", TO, media_id="1", caption="hi"),
        "audio messages cannot have a caption",
    ),
    (
        "caption on sticker",
        lambda: m.media("sticker", TO, media_id="1", caption="hi"),
        "sticker messages cannot have a caption",
    ),
    ("no media", lambda: m.media("image", TO), "exactly one of media_id and link"),
    (
        "id and link",
        lambda: m.media("image", TO, media_id="1", link="https://x.org/a.jpg"),
        "exactly one of media_id and link",
    ),
    ("bad kind", lambda: m.media("gif", TO, media_id="1"), "media kind 'gif'"),
    ("ftp link", lambda: m.media("image", TO, link="ftp://x.org/a.jpg"), "http\\(s\\) URL"),
    (
        "filename on image",
        lambda: m.media("image", TO, media_id="1", filename="a.jpg"),
        "only documents have a filename",
    ),
    (
        "button title 21",
        lambda: m.buttons(TO, "Which?", [("a", "Chocolate fudge delux")]),
        "button title 'Chocolate fudge delux' is 21 characters; WhatsApp allows at most 20",
    ),
    (
        "4 buttons",
        lambda: m.buttons(TO, "Which?", [(str(i), f"B{i}") for i in range(4)]),
        "4 reply buttons; WhatsApp allows 1 to 3",
    ),
    ("0 buttons", lambda: m.buttons(TO, "Which?", []), "0 reply buttons"),
    (
        "duplicate titles",
        lambda: m.buttons(TO, "Which?", [("a", "Yes"), ("b", "Yes")]),
        "button title 'Yes' is used twice",
    ),
    (
        "duplicate ids",
        lambda: m.buttons(TO, "Which?", [("a", "Yes"), ("a", "No")]),
        "button id 'a' is used twice",
    ),
    (
        "button id 257",
        lambda: m.buttons(TO, "Which?", [("i" * 257, "Yes")]),
        "button id .* is 257 characters; WhatsApp allows at most 256",
    ),
    (
        "button body 1025",
        lambda: m.buttons(TO, "b" * 1025, [("a", "Yes")]),
        "button body .* is 1025 characters; WhatsApp allows at most 1024",
    ),
    (
        "button header 61",
        lambda: m.buttons(TO, "b", [("a", "Yes")], header="h" * 61),
        "button header .* at most 60",
    ),
    (
        "button footer 61",
        lambda: m.buttons(TO, "b", [("a", "Yes")], footer="f" * 61),
        "button footer .* at most 60",
    ),
    (
        "11 rows",
        lambda: m.list_message(TO, "b", "Menu", [Section("A", _rows(5)), Section("B", _rows(6))]),
        "11 list rows in total; WhatsApp allows 1 to 10",
    ),
    (
        "no rows",
        lambda: m.list_message(TO, "b", "Menu", [Section("A", [])]),
        "0 list rows in total",
    ),
    (
        "11 sections",
        lambda: m.list_message(TO, "b", "Menu", [Section(f"S{i}", _rows(1)) for i in range(11)]),
        "11 list sections; WhatsApp allows 1 to 10",
    ),
    (
        "list button 21",
        lambda: m.list_message(TO, "b", "B" * 21, [Section(None, _rows(1))]),
        "list button .* at most 20",
    ),
    (
        "section title 25",
        lambda: m.list_message(TO, "b", "Menu", [Section("s" * 25, _rows(1))]),
        "section title .* is 25 characters; WhatsApp allows at most 24",
    ),
    (
        "row title 25",
        lambda: m.list_message(TO, "b", "Menu", [Section(None, [Row("a", "t" * 25)])]),
        "row title .* at most 24",
    ),
    (
        "row description 73",
        lambda: m.list_message(TO, "b", "Menu", [Section(None, [Row("a", "t", "d" * 73)])]),
        "row description .* at most 72",
    ),
    (
        "row id 201",
        lambda: m.list_message(TO, "b", "Menu", [Section(None, [Row("r" * 201, "t")])]),
        "row id .* at most 200",
    ),
    (
        "list body 4097",
        lambda: m.list_message(TO, "b" * 4097, "Menu", [Section(None, _rows(1))]),
        "list body .* at most 4096",
    ),
    (
        "untitled sections",
        lambda: m.list_message(TO, "b", "Menu", [Section(None, _rows(1)), Section("B", _rows(1))]),
        "every section needs a title",
    ),
    (
        "duplicate row ids",
        lambda: m.list_message(TO, "b", "Menu", [Section("A", _rows(1)), Section("B", _rows(1))]),
        "row id 'r0' is used twice",
    ),
    (
        "cta text 21",
        lambda: m.cta_url(TO, "b", "d" * 21, "https://example.com"),
        "URL button text .* at most 20",
    ),
    (
        "cta url",
        lambda: m.cta_url(TO, "b", "Open", "javascript:alert(1)"),
        "URL button link",
    ),
    (
        "location body",
        lambda: m.location_request(TO, "b" * 1025),
        "location request body .* at most 1024",
    ),
    ("reply_to empty", lambda: m.text(TO, "Hi", reply_to=""), "reply_to message id"),
    ("reaction no id", lambda: m.reaction(TO, "", "x"), "reaction message id"),
    ("template name", lambda: m.template(TO, "Hello World", "en"), "template name"),
    ("template lang", lambda: m.template(TO, "hello", "English"), "template language"),
    (
        "template mixed params",
        lambda: m.body_parameters("a", name="b"),
        "positional or named values, not both",
    ),
    ("mark_read no id", lambda: m.mark_read(""), "mark_read message id"),
]


@pytest.mark.parametrize(("case", "build", "match"), OVER_LIMIT, ids=[c[0] for c in OVER_LIMIT])
def test_over_limit_raises_naming_the_limit(
    case: str, build: Callable[[], object], match: str
) -> None:
    with pytest.raises(InvalidMessageError, match=match):
        build()


def test_limits_are_configurable() -> None:
    tight = m.Limits(button_title=5)
    with pytest.raises(InvalidMessageError, match="at most 5"):
        m.buttons(TO, "b", [("a", "Sixsix")], limits=tight)
    m.text(TO, "x" * 5000, limits=m.Limits(text_body=5000))


def test_invalid_message_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        m.text(TO, "x" * 5000)
