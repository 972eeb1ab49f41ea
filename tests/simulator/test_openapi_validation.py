"""validate_send_body accepts every kind of body the bot sends and rejects what Meta rejects."""

from __future__ import annotations

import time
from typing import Any

import pytest
import yaml

from snakecakes.simulator.openapi_schema import SPEC_PATH
from snakecakes.simulator.openapi_validation import (
    SendBodyInvalid,
    is_mark_read,
    validate_send_body,
    warm_up,
)


def msg(kind: str, content: Any, **extra: Any) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "15551230000",
        "type": kind,
        kind: content,
        **extra,
    }


def buttons(n: int, title: str = "Choice {i}") -> dict[str, Any]:
    return msg(
        "interactive",
        {
            "type": "button",
            "body": {"text": "Which cake?"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": f"b{i}", "title": title.format(i=i)}}
                    for i in range(n)
                ]
            },
        },
    )


def list_message(rows_per_section: int, sections: int = 1, **row: str) -> dict[str, Any]:
    return msg(
        "interactive",
        {
            "type": "list",
            "header": {"type": "text", "text": "Menu"},
            "body": {"text": "Pick a cake"},
            "footer": {"text": "Snake Cakes"},
            "action": {
                "button": "See cakes",
                "sections": [
                    {
                        "title": f"Section {s}",
                        "rows": [
                            {"id": f"r{s}.{i}", "title": f"Cake {i}", **row}
                            for i in range(rows_per_section)
                        ],
                    }
                    for s in range(sections)
                ],
            },
        },
    )


VALID: dict[str, dict[str, Any]] = {
    "text": msg("text", {"body": "Hello", "preview_url": False}),
    "text at 4096": msg("text", {"body": "x" * 4096}),
    "text by BSUID": {
        "messaging_product": "whatsapp",
        "recipient": "US.13491208655302741918",
        "type": "text",
        "text": {"body": "Hi"},
    },
    "text without type": {"messaging_product": "whatsapp", "to": "1", "text": {"body": "Hi"}},
    "image by id": msg("image", {"id": "1234", "caption": "Our cake"}),
    "image by link": msg("image", {"link": "https://example.com/cake.jpg"}),
    "document": msg("document", {"id": "42", "filename": "menu.pdf", "caption": "Menu"}),
    "audio": msg("audio", {"id": "43"}),
    "video": msg("video", {"link": "https://example.com/v.mp4", "caption": "How"}),
    "sticker": msg("sticker", {"id": "44"}),
    "reaction": msg("reaction", {"message_id": "wamid.X", "emoji": "\U0001f382"}),
    "reaction removed": msg("reaction", {"message_id": "wamid.X", "emoji": ""}),
    "location": msg("location", {"latitude": 52.5, "longitude": "13.4", "name": "Shop"}),
    "3 buttons": buttons(3),
    "button title at 20": buttons(1, title="x" * 19 + "{i}"),
    "list of 10 rows": list_message(10, description="d" * 72),
    "list over sections": list_message(5, sections=2),
    "list body 4096": {
        **list_message(1),
        "interactive": {**list_message(1)["interactive"], "body": {"text": "x" * 4096}},
    },
    "cta_url": msg(
        "interactive",
        {
            "type": "cta_url",
            "header": {"type": "text", "text": "Order online"},
            "body": {"text": "Tap to see our shop"},
            "footer": {"text": "Open 9-18"},
            "action": {
                "name": "cta_url",
                "parameters": {"display_text": "Open shop", "url": "https://example.com"},
            },
        },
    ),
    "location request": msg(
        "interactive",
        {
            "type": "location_request_message",
            "body": {"text": "Where shall we deliver?"},
            "action": {"name": "send_location"},
        },
    ),
    "template": msg(
        "template",
        {
            "name": "order_ready",
            "language": {"code": "en_US"},
            "components": [
                {"type": "body", "parameters": [{"type": "text", "text": "Anna"}]},
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": "0",
                    "parameters": [{"type": "payload", "payload": "OK"}],
                },
            ],
        },
    ),
    "contextual reply": msg("text", {"body": "Yes!"}, context={"message_id": "wamid.IN"}),
    "mark as read": {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.1"},
    "mark as read + typing": {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": "wamid.1",
        "typing_indicator": {"type": "text"},
    },
}


@pytest.mark.parametrize("name", list(VALID))
def test_accepts_documented_kinds(name: str) -> None:
    validate_send_body(VALID[name])


def _dup_titles() -> dict[str, Any]:
    body = buttons(2)
    for b in body["interactive"]["action"]["buttons"]:
        b["reply"]["title"] = "Same"
    return body


INVALID: dict[str, tuple[Any, str, str]] = {
    # name: (body, expected path, expected words in the reason)
    "4th reply button": (buttons(4), "interactive.action.buttons", "at most 3"),
    "21-char button title": (
        buttons(1, title="x" * 20 + "{i}"),
        "interactive.action.buttons[0].reply.title",
        "21 characters, at most 20",
    ),
    "duplicate button titles": (_dup_titles(), "interactive.action.buttons", "duplicate title"),
    "empty button title": (buttons(1, title=""), "interactive.action.buttons[0].reply.title", ""),
    "11th list row": (list_message(11), "interactive.action.sections[0].rows", "at most 10"),
    "11 rows over sections": (list_message(6, 2), "interactive.action.sections", "12 rows"),
    "25-char row title": (
        list_message(1, title="t" * 25),
        "interactive.action.sections[0].rows[0].title",
        "at most 24",
    ),
    "73-char row description": (
        list_message(1, description="d" * 73),
        "interactive.action.sections[0].rows[0].description",
        "at most 72",
    ),
    "text over 4096": (msg("text", {"body": "x" * 4097}), "text.body", "at most 4096"),
    "empty text": (msg("text", {"body": ""}), "text.body", "at least 1"),
    "no recipient": (
        {"messaging_product": "whatsapp", "type": "text", "text": {"body": "x"}},
        "",
        "'to'",
    ),
    "unknown type": (msg("gif", {}), "type", "is not one of"),
    "unknown interactive type": (
        msg("interactive", {"type": "carousel", "action": {}}),
        "interactive.type",
        "is not one of",
    ),
    "image with id and link": (msg("image", {"id": "1", "link": "https://x"}), "image", "'id'"),
    "caption over 1024": (msg("image", {"id": "1", "caption": "c" * 1025}), "image.caption", ""),
    "cta display text over 20": (
        msg(
            "interactive",
            {
                "type": "cta_url",
                "body": {"text": "b"},
                "action": {
                    "name": "cta_url",
                    "parameters": {"display_text": "x" * 21, "url": "https://x"},
                },
            },
        ),
        "interactive.action.parameters.display_text",
        "at most 20",
    ),
    "button without body": (
        msg("interactive", {"type": "button", "action": buttons(1)["interactive"]["action"]}),
        "interactive",
        "'body' is a required property",
    ),
    "wrong messaging_product": (
        {**msg("text", {"body": "x"}), "messaging_product": "sms"},
        "messaging_product",
        "",
    ),
    "unexpected field": (msg("text", {"body": "x"}, colour="red"), "", "colour"),
    "typing indicator of audio": (
        {**VALID["mark as read + typing"], "typing_indicator": {"type": "audio"}},
        "typing_indicator.type",
        "must be 'text'",
    ),
    "not an object": ([1, 2], "", "JSON object"),
}


@pytest.mark.parametrize("name", list(INVALID))
def test_rejects_with_path_and_reason(name: str) -> None:
    body, path, words = INVALID[name]
    with pytest.raises(SendBodyInvalid) as caught:
        validate_send_body(body)
    assert caught.value.path == path
    assert words in caught.value.reason
    assert str(caught.value).startswith(path)
    assert isinstance(caught.value, ValueError)


def test_metas_own_examples_pass() -> None:
    """The file's 50 request examples, minus its two slips (a placeholder header type and an
    interactive body without "type"), validate: the overlay does not over-tighten."""
    with SPEC_PATH.open("rb") as f:
        spec = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    op = spec["paths"]["/{Version}/{Phone-Number-ID}/messages"]["post"]
    examples = op["requestBody"]["content"]["application/json"]["examples"]
    slips = {"Send Multi-Product Message", "Send Reply to List Message"}
    assert len(examples) >= 40
    for name, example in examples.items():
        if name not in slips:
            validate_send_body(example["value"])


def test_is_mark_read() -> None:
    assert is_mark_read(VALID["mark as read"])
    assert not is_mark_read(VALID["text"])


def test_validation_is_fast() -> None:
    warm_up()
    bodies = [VALID["text"], VALID["3 buttons"], VALID["list of 10 rows"], VALID["template"]]
    start = time.perf_counter()
    for _ in range(250):
        for body in bodies:
            validate_send_body(body)
    per_body = (time.perf_counter() - start) / 1000
    assert per_body < 0.005  # typically 0.05-0.3 ms; loose for slow CI machines
