"""parse_envelope against hand-written, Meta-shaped fixtures and against broken input."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from snakecakes.bot.whatsapp.parse import PayloadError, parse_envelope
from snakecakes.bot.whatsapp.updates import (
    ButtonReply,
    Change,
    Contact,
    Envelope,
    ErrorDetail,
    FlowReply,
    ListReply,
    Location,
    Media,
    Message,
    MessageContext,
    Order,
    OrderItem,
    Reaction,
    SharedContacts,
    Status,
    System,
    TemplateButton,
    Text,
    UnknownContent,
    Unsupported,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "webhooks"
PNID = "106540352242922"
JUERGEN = "4915112345678"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def parse(name: str) -> Envelope:
    env = parse_envelope(load(name))
    assert env.rejected == ()
    return env


def single(name: str) -> tuple[Change, Message]:
    env = parse(name)
    assert env.message_count == 1
    [(change, msg)] = env.messages
    return change, msg


def body_with(message: dict[str, Any] | None = None, **value: Any) -> dict[str, Any]:
    """A minimal envelope around one message (or around the given value keys)."""
    if message is not None:
        value["messages"] = [message]
    value.setdefault("metadata", {"display_phone_number": "15550001111", "phone_number_id": PNID})
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }


def msg(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "from": JUERGEN,
        "id": "wamid.X",
        "timestamp": "1750000000",
        "type": "text",
        "text": {"body": "hi"},
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


# --- every fixture ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_every_fixture_parses_without_rejections(path: Path) -> None:
    env = parse_envelope(json.loads(path.read_text(encoding="utf-8")))
    assert env.object == "whatsapp_business_account"
    assert env.rejected == ()
    assert env.changes


def test_text_keeps_non_ascii_and_envelope_fields() -> None:
    change, m = single("text.json")
    assert change.waba_id == "102290129340398"
    assert change.field == "messages"
    assert change.phone_number_id == PNID
    assert change.display_phone_number == "15550001111"
    assert change.contacts == (Contact(wa_id=JUERGEN, user_id=None, name="Jürgen Schmidt"),)
    assert m.id.startswith("wamid.")
    assert m.from_ == JUERGEN and m.from_user_id is None
    assert m.timestamp == 1750000000
    assert m.type == "text"
    assert m.content == Text("Geburtstagstorte für Jürgen 🎂")
    assert m.context is None and m.referral is None and m.errors == ()
    assert m.customer_key == JUERGEN
    assert change.contact_for(m) == change.contacts[0]


def test_raw_and_value_are_the_original_objects() -> None:
    data = load("text.json")
    env = parse_envelope(data)
    value = data["entry"][0]["changes"][0]["value"]
    assert env.changes[0].value is value
    assert env.changes[0].messages[0].raw is value["messages"][0]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "image.json",
            Media(
                "image",
                "1003383421387256",
                "image/jpeg",
                "SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=",
                "So soll die Torte aussehen",
                None,
                voice=False,
                animated=False,
            ),
        ),
        (
            "video.json",
            Media(
                "video",
                "1184463466238437",
                "video/mp4",
                "d7bQ2+gWKQPVsZVbPFg1bqjz0H9X0fR0VtN+1kYm6Jc=",
                "Die Hochzeit letztes Jahr",
                None,
                voice=False,
                animated=False,
            ),
        ),
        (
            "document.json",
            Media(
                "document",
                "1299386781451003",
                "application/pdf",
                "m5B0Zr8fDhEo8ZCXJ3w7yGxH3QvD2bXbZ2aN1vHc0Yk=",
                "Unsere Gästeliste",
                "gästeliste.pdf",
                voice=False,
                animated=False,
            ),
        ),
        (
            "sticker.json",
            Media(
                "sticker",
                "1520417015484498",
                "image/webp",
                "Xq3mV0+Zo1yq8sXcH2fG9p4tU6bR7nW1eK5dJ8aL0vM=",
                None,
                None,
                voice=False,
                animated=True,
            ),
        ),
        (
            "audio_voice.json",
            Media(
                "audio",
                "1672913340222311",
                "audio/ogg; codecs=opus",
                "pX9dV5r2C0k7mQ1eZ8yB3nH6uT4sL2wF0aJ9gK5cR1o=",
                None,
                None,
                voice=True,
                animated=False,
            ),
        ),
    ],
)
def test_media(name: str, expected: Media) -> None:
    _, m = single(name)
    assert m.type == expected.kind
    assert m.content == expected


def test_location() -> None:
    _, m = single("location.json")
    assert m.content == Location(
        48.398409,
        9.991591,
        "Ulmer Münster",
        "Münsterplatz 1, 89073 Ulm",
        "https://www.ulmer-muenster.de/",
    )


def test_shared_contacts_keep_cards_as_received() -> None:
    data = load("contacts.json")
    m = parse_envelope(data).changes[0].messages[0]
    assert isinstance(m.content, SharedContacts)
    assert len(m.content.cards) == 2
    assert m.content.cards[0]["name"]["formatted_name"] == "Lucía Gómez"
    assert m.content.cards[0]["phones"][0]["wa_id"] == "4915198765432"
    assert m.content.cards[1]["name"] == {"formatted_name": "Oma Erna"}


def test_button_reply_with_context() -> None:
    _, m = single("button_reply.json")
    assert m.type == "interactive"
    assert m.content == ButtonReply("order:confirm", "Bestätigen ✅")
    assert m.context == MessageContext(
        from_="15550001111",
        id="wamid.HBgNNDkxNTExMjM0NTY3OBUCABEYEjcwQzZFQkU2QjREQ0ZBNUNGNQA=",
        forwarded=False,
        frequently_forwarded=False,
    )


def test_list_reply() -> None:
    _, m = single("list_reply.json")
    assert m.content == ListReply(
        "cake:black-forest", "Schwarzwälder", "Kirschen, Sahne, Schokolade"
    )


def test_flow_reply_decodes_response_json() -> None:
    _, m = single("nfm_reply.json")
    assert isinstance(m.content, FlowReply)
    assert m.content.response == {
        "flow_token": "order-42",
        "cake": "sachertorte",
        "servings": 12,
        "pickup_date": "2025-06-21",
        "note": "Aufschrift: Alles Gute, Jürgen!",
    }
    assert (m.content.body, m.content.name) == ("Sent", "flow")


@pytest.mark.parametrize("response_json", ["{not json", "[1, 2]", None, 42])
def test_flow_reply_with_bad_response_json_keeps_message(response_json: Any) -> None:
    inter = {"type": "nfm_reply", "nfm_reply": {"response_json": response_json, "body": "Sent"}}
    env = parse_envelope(body_with(msg(type="interactive", text=None, interactive=inter)))
    assert env.rejected == ()
    assert env.changes[0].messages[0].content == FlowReply({}, "Sent", None)


def test_template_button() -> None:
    _, m = single("template_button.json")
    assert m.type == "button"
    assert m.content == TemplateButton("pickup:reschedule", "Abholung verschieben")
    assert m.context is not None and m.context.id is not None


def test_reaction() -> None:
    _, m = single("reaction.json")
    assert m.content == Reaction(
        "wamid.HBgNNDkxNTExMjM0NTY3OBUCABEYEjRFMkQ5NzY4NURFRjlEOUY2RgA=", "😍"
    )
    assert isinstance(m.content, Reaction) and not m.content.removed


def test_reaction_removed_missing_or_empty_emoji_is_none() -> None:
    env = parse("reaction_removed.json")
    contents = [m.content for _, m in env.messages]
    assert len(contents) == 2
    for content in contents:
        assert isinstance(content, Reaction)
        assert content.emoji is None and content.removed


def test_order() -> None:
    _, m = single("order.json")
    assert m.content == Order(
        catalog_id="194836987003835",
        text="",
        items=(
            OrderItem("sachertorte-26cm", 1, 42.5, "EUR"),
            OrderItem("macarons-12", 2, 18.0, "EUR"),
        ),
    )
    assert isinstance(m.content, Order)
    assert all(isinstance(i.item_price, float) for i in m.content.items)


def test_system_message_has_no_contacts() -> None:
    change, m = single("system.json")
    assert change.contacts == ()
    assert change.contact_for(m) is None
    assert m.content == System(
        body="User Jürgen Schmidt changed from 4915112345678 to 4917612345678",
        type="user_changed_number",
        wa_id="4917612345678",
        customer=None,
    )
    assert isinstance(m.content, System) and m.content.new_wa_id == "4917612345678"


def test_unsupported_carries_errors() -> None:
    _, m = single("unsupported.json")
    assert m.content == Unsupported()
    assert m.errors == (
        ErrorDetail(
            131051,
            "Message type unknown",
            "Message type unknown",
            "Message type is currently not supported.",
        ),
    )


def test_reply_forward_and_product_contexts() -> None:
    env = parse("reply_context.json")
    reply, fwd, freq, product = (m for _, m in env.messages)
    assert reply.context is not None and reply.context.id is not None
    assert reply.context.from_ == "15550001111" and not reply.context.forwarded
    assert fwd.context == MessageContext(None, None, forwarded=True, frequently_forwarded=False)
    assert freq.context == MessageContext(None, None, forwarded=True, frequently_forwarded=True)
    assert isinstance(freq.content, Media)
    assert product.context is not None
    assert product.context.referred_product == {
        "catalog_id": "194836987003835",
        "product_retailer_id": "sachertorte-26cm",
    }


def test_referral() -> None:
    _, m = single("referral.json")
    assert m.referral is not None
    assert m.referral.source_type == "ad"
    assert m.referral.source_id == "120226305854810726"
    assert m.referral.source_url == "https://fb.me/3cr4Wqqkv"
    assert m.referral.headline == "Schreib uns"
    assert m.referral.body == "Frische Torten jeden Tag"
    assert m.referral.media_type == "image"
    assert m.referral.ctwa_clid is not None and m.referral.ctwa_clid.startswith("ARAk")
    assert m.referral.welcome_message == "Hallo! Welche Torte darf es sein?"
    assert m.referral.video_url is None
    assert m.content == Text("Bonjour, je voudrais plus d'infos")


def test_bsuid_only_user() -> None:
    env = parse("bsuid_only.json")
    change = env.changes[0]
    only_bsuid, both = change.messages
    assert only_bsuid.from_ is None
    assert only_bsuid.from_user_id == "US.13491208655302741918"
    assert only_bsuid.customer_key == "US.13491208655302741918"
    assert change.contact_for(only_bsuid) == Contact(None, "US.13491208655302741918", "Tortenfan")
    assert both.customer_key == "4917098765432"
    contact = change.contact_for(both)
    assert contact is not None and contact.name == "Anna Berg"
    [(_, status)] = env.statuses
    assert status.recipient_id is None
    assert status.recipient_user_id == "US.13491208655302741918"


def test_statuses() -> None:
    env = parse("statuses.json")
    assert env.message_count == 0 and env.status_count == 5
    sent, delivered, read, failed, played = (s for _, s in env.statuses)
    assert [s.status for s in (sent, delivered, read, failed, played)] == [
        "sent",
        "delivered",
        "read",
        "failed",
        "played",
    ]
    assert sent.timestamp == 1750000200 and sent.recipient_id == JUERGEN
    assert sent.pricing is not None and sent.pricing["category"] == "service"
    assert sent.conversation is not None and sent.conversation["origin"] == {"type": "service"}
    assert sent.biz_opaque_callback_data == "order-42"
    assert read.pricing is None and read.conversation is None and read.errors == ()
    assert failed.errors == (
        ErrorDetail(
            131047,
            "Re-engagement message",
            "Re-engagement message",
            "Message failed to send because more than 24 hours have passed since the customer "
            "last replied to this number.",
        ),
    )
    assert sent.id == delivered.id == read.id
    assert played.status == "played"


def test_value_errors() -> None:
    env = parse("errors_value.json")
    [change] = env.changes
    assert change.messages == () and change.statuses == ()
    assert [e.code for e in change.errors] == [131000, 130429]
    assert change.errors[1].details == "Cloud API message throughput has been reached."
    assert env.error_count == 2


def test_other_fields_are_kept_raw() -> None:
    data = load("template_status.json")
    env = parse_envelope(data)
    assert env.rejected == ()
    template, quality = env.changes
    assert template.field == "message_template_status_update"
    assert template.value is data["entry"][0]["changes"][0]["value"]
    assert template.value["event"] == "APPROVED"
    assert template.phone_number_id is None
    assert (template.messages, template.statuses, template.contacts) == ((), (), ())
    assert quality.field == "phone_number_quality_update"
    assert quality.value["current_limit"] == "TIER_10K"


def test_batch_yields_every_update() -> None:
    env = parse("batch.json")
    assert len(env.changes) == 4
    assert env.message_count == 5 and env.status_count == 5
    assert [m.id for _, m in env.messages] == [f"wamid.batch.m{i}" for i in range(1, 6)]
    assert [(c.waba_id, c.phone_number_id) for c in env.changes] == [
        ("102290129340398", PNID),
        ("102290129340398", PNID),
        ("102290129340999", "107000000000001"),
        ("102290129340999", "107000000000001"),
    ]
    second_number = env.changes[2]
    assert isinstance(second_number.messages[0].content, Location)
    assert second_number.messages[1].content == ButtonReply("yes", "Oui")
    contact = second_number.contact_for(second_number.messages[0])
    assert contact is not None and contact.name == "Marie Curie"
    anna = env.changes[0].messages[1]
    found = env.changes[0].contact_for(anna)
    assert found is not None and found.name == "Anna Berg"
    assert [(s.id, s.status) for _, s in env.statuses][:2] == [
        ("wamid.batch.out1", "delivered"),
        ("wamid.batch.out1", "read"),
    ]


def test_thousand_updates_are_all_returned() -> None:
    messages = [msg(id=f"wamid.{i}", text={"body": str(i)}) for i in range(1000)]
    env = parse_envelope(body_with(None, messages=messages))
    assert env.message_count == 1000
    assert env.changes[0].messages[999].content == Text("999")


# --- forward compatibility and rejections -----------------------------------------------------


def test_unknown_type_is_kept() -> None:
    env = parse_envelope(body_with(msg(type="poll", text=None, poll={"question": "?"})))
    assert env.rejected == ()
    [(_, m)] = env.messages
    assert m.type == "poll" and m.content == UnknownContent("poll")


def test_unknown_interactive_subtype_is_kept() -> None:
    inter = {"type": "call_permission_reply", "call_permission_reply": {"response": "accept"}}
    env = parse_envelope(body_with(msg(type="interactive", text=None, interactive=inter)))
    assert env.changes[0].messages[0].content == UnknownContent("interactive.call_permission_reply")


def test_numeric_timestamp_is_accepted() -> None:
    env = parse_envelope(body_with(msg(timestamp=1750000000)))
    assert env.changes[0].messages[0].timestamp == 1750000000


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"id": None}, "id missing"),
        ({"id": ""}, "id missing"),
        ({"from": None}, "neither from nor from_user_id"),
        ({"timestamp": None}, "bad timestamp"),
        ({"timestamp": "soon"}, "bad timestamp"),
        ({"timestamp": "-5"}, "bad timestamp"),
        ({"timestamp": True}, "bad timestamp"),
        ({"type": None}, "type missing"),
        ({"text": None}, "text object missing"),
        ({"text": {"body": 5}}, "text.body"),
        ({"type": "image", "image": {"mime_type": "image/jpeg"}}, "image.id"),
        ({"type": "location", "location": {"latitude": "x", "longitude": 1}}, "latitude"),
        ({"type": "reaction", "reaction": {"emoji": "👍"}}, "reaction.message_id"),
        (
            {"type": "order", "order": {"product_items": [{"product_retailer_id": "a"}]}},
            "order.product_items[0].quantity",
        ),
        ({"type": "interactive", "interactive": {"type": "button_reply"}}, "button_reply"),
        ({"type": "contacts", "contacts": "Erna"}, "contacts"),
    ],
)
def test_bad_message_is_rejected_with_reason(fields: dict[str, Any], reason: str) -> None:
    good = msg(id="wamid.good")
    bad = {**msg(), **fields}
    bad = {k: v for k, v in bad.items() if v is not None}
    env = parse_envelope(body_with(None, messages=[good, bad]))
    assert [m.id for _, m in env.messages] == ["wamid.good"]
    [rejected] = env.rejected
    assert rejected.kind == "message"
    assert rejected.reason.startswith("entry[0].changes[0].value.messages[1]: ")
    assert reason in rejected.reason
    assert rejected.raw is env.changes[0].value["messages"][1]


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"id": None}, "id missing"),
        ({"status": None}, "status missing"),
        ({"timestamp": "x"}, "bad timestamp"),
    ],
)
def test_bad_status_is_rejected(fields: dict[str, Any], reason: str) -> None:
    status = {"id": "wamid.S", "status": "sent", "timestamp": "1", "recipient_id": JUERGEN}
    bad = {k: v for k, v in {**status, **fields}.items() if v is not None}
    env = parse_envelope(body_with(None, statuses=[status, bad, "nonsense"]))
    assert [s.id for _, s in env.statuses] == ["wamid.S"]
    assert [r.kind for r in env.rejected] == ["status", "status"]
    assert reason in env.rejected[0].reason
    assert "not an object" in env.rejected[1].reason


def test_bad_items_in_lists_are_rejected_not_fatal() -> None:
    env = parse_envelope(
        body_with(
            None,
            contacts=[{"profile": {"name": "nobody"}}, "x"],
            messages=[msg(), 7],
            errors=[{"title": "no code"}, {"code": "131000", "title": "t"}],
        )
    )
    assert env.message_count == 1
    assert env.changes[0].contacts == ()
    assert env.changes[0].errors == (ErrorDetail(131000, "t", None, None),)
    assert sorted(r.kind for r in env.rejected) == ["contact", "contact", "error", "message"]


def test_bad_error_inside_a_status_is_rejected_but_status_kept() -> None:
    status = {
        "id": "wamid.S",
        "status": "failed",
        "timestamp": "1",
        "errors": [{"code": 131026, "title": "Undeliverable"}, {"code": None}],
    }
    env = parse_envelope(body_with(None, statuses=[status]))
    [(_, s)] = env.statuses
    assert s.errors == (ErrorDetail(131026, "Undeliverable", None, None),)
    [rejected] = env.rejected
    assert rejected.kind == "error"
    assert rejected.reason.startswith("entry[0].changes[0].value.statuses[0].errors[1]")


def test_non_list_collections_are_rejected() -> None:
    env = parse_envelope(body_with(None, messages={"id": "x"}, statuses="x"))
    assert env.changes[0].messages == () and env.changes[0].statuses == ()
    assert [r.kind for r in env.rejected] == ["message", "status"]


def test_broken_entries_and_changes_are_rejected() -> None:
    good = body_with(msg())
    data = {
        "object": "whatsapp_business_account",
        "entry": [
            {"changes": []},
            {"id": "2", "changes": "nope"},
            {"id": "3", "changes": [{"value": {}}, {"field": "messages", "value": []}]},
            good["entry"][0],
        ],
    }
    env = parse_envelope(data)
    assert env.message_count == 1
    assert [r.kind for r in env.rejected] == ["entry", "entry", "change", "change"]
    assert env.rejected[2].reason == "entry[2].changes[0]: field missing"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ([], "not an object"),
        ("{}", "not an object"),
        (None, "not an object"),
        ({"entry": []}, "object is None"),
        ({"object": "page", "entry": []}, "object is 'page'"),
        ({"object": "whatsapp_business_account"}, "entry"),
        ({"object": "whatsapp_business_account", "entry": {}}, "entry"),
        ({"object": "whatsapp_business_account", "entry": ["x"]}, "entry[0]"),
        (
            {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [1]}]},
            "entry[0].changes[0]",
        ),
    ],
)
def test_payload_errors(data: object, reason: str) -> None:
    with pytest.raises(PayloadError, match=reason.replace("[", r"\[").replace("]", r"\]")):
        parse_envelope(data)


def test_payload_error_is_a_value_error() -> None:
    assert issubclass(PayloadError, ValueError)


def test_empty_entry_list_is_a_valid_empty_envelope() -> None:
    env = parse_envelope({"object": "whatsapp_business_account", "entry": []})
    assert env == Envelope("whatsapp_business_account", (), ())


def test_parsing_does_not_mutate_input() -> None:
    data = load("batch.json")
    before = copy.deepcopy(data)
    parse_envelope(data)
    assert data == before


def test_models_are_frozen() -> None:
    env = parse("batch.json")
    change, m = env.messages[0]
    status: Status = env.statuses[0][1]
    targets: list[tuple[object, str]] = [
        (env, "changes"),
        (change, "messages"),
        (m, "id"),
        (m.content, "body"),
        (status, "status"),
        (change.contacts[0], "name"),
    ]
    for obj, attr in targets:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, attr, None)
    assert not hasattr(m, "__dict__")  # slots: cheap to build by the thousand


def test_customer_key_needs_a_sender() -> None:
    m = Message("w", None, None, 1, "text", Text("x"), None, None, (), {})
    with pytest.raises(ValueError, match="neither"):
        _ = m.customer_key
