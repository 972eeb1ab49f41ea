"""The builders must produce what Meta sends: same shape as the fixtures, and readable back."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from snakecakes.bot.whatsapp.parse import parse_envelope
from snakecakes.bot.whatsapp.signature import matching_secrets, sign
from snakecakes.bot.whatsapp.updates import (
    ButtonReply,
    Contact,
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
    System,
    TemplateButton,
    Text,
    UnknownContent,
    Unsupported,
)
from snakecakes.simulator import payloads as p

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks"
PNID = "106540352242922"
JUERGEN = "4915112345678"
JUERGEN_CONTACT = p.contact(JUERGEN, "Jürgen Schmidt")


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def fixture_message(name: str, index: int = 0) -> dict[str, Any]:
    msg: dict[str, Any] = load(name)["entry"][0]["changes"][0]["value"]["messages"][index]
    return msg


def one(*messages: dict[str, Any], **change_kw: Any) -> list[Message]:
    env = parse_envelope(p.envelope(p.change(PNID, messages=messages, **change_kw)))
    assert env.rejected == ()
    return [m for _, m in env.messages]


# --- ids --------------------------------------------------------------------------------------


def test_new_wamid_is_unique_and_realistic() -> None:
    ids = {p.new_wamid() for _ in range(1000)}
    assert len(ids) == 1000
    for wamid in list(ids)[:20]:
        assert wamid.startswith("wamid.HBgL")
        record = base64.b64decode(wamid.removeprefix("wamid."))
        assert b"16505551234" in record


def test_new_wamid_embeds_the_given_number() -> None:
    record = base64.b64decode(p.new_wamid("4915112345678").removeprefix("wamid."))
    assert record[2] == 13 and record[3:16] == b"4915112345678"


# --- builders reproduce the hand-written fixtures exactly --------------------------------------


def _single(name: str, message: dict[str, Any], **change_kw: Any) -> None:
    change_kw.setdefault("contacts", [JUERGEN_CONTACT])
    built = p.envelope(p.change(PNID, messages=[message], **change_kw))
    assert built == load(name)


def test_text_fixture() -> None:
    wamid = fixture_message("text.json")["id"]
    msg = p.text(wamid, JUERGEN, "Geburtstagstorte für Jürgen 🎂", timestamp=1750000000)
    _single("text.json", msg)


@pytest.mark.parametrize(
    ("name", "kind", "voice", "animated"),
    [
        ("image.json", "image", False, False),
        ("video.json", "video", False, False),
        ("document.json", "document", False, False),
        ("sticker.json", "sticker", False, True),
        ("audio_voice.json", "audio", True, False),
    ],
)
def test_media_fixtures(name: str, kind: str, voice: bool, animated: bool) -> None:
    raw = fixture_message(name)
    part = raw[kind]
    msg = p.media(
        kind,
        raw["id"],
        JUERGEN,
        media_id=part["id"],
        mime_type=part["mime_type"],
        sha256=part["sha256"],
        caption=part.get("caption"),
        filename=part.get("filename"),
        voice=voice,
        animated=animated,
        timestamp=raw["timestamp"],
    )
    _single(name, msg)


def test_location_contacts_and_reply_fixtures() -> None:
    raw = fixture_message("location.json")
    loc = raw["location"]
    msg = p.location(
        raw["id"],
        JUERGEN,
        loc["latitude"],
        loc["longitude"],
        name=loc["name"],
        address=loc["address"],
        url=loc["url"],
        timestamp=raw["timestamp"],
    )
    _single("location.json", msg)

    raw = fixture_message("contacts.json")
    lucia = p.contact_card("Lucía Gómez", phone="+49 151 98765432", wa_id="4915198765432")
    lucia["org"] = {"company": "Konditorei Gómez"}
    erna = {"name": {"formatted_name": "Oma Erna"}, "emails": raw["contacts"][1]["emails"]}
    msg = p.shared_contacts(raw["id"], JUERGEN, [lucia, erna], timestamp=raw["timestamp"])
    _single("contacts.json", msg)


def test_interactive_fixtures() -> None:
    raw = fixture_message("button_reply.json")
    msg = p.button_reply(
        raw["id"],
        JUERGEN,
        "order:confirm",
        "Bestätigen ✅",
        context_id=raw["context"]["id"],
        timestamp=raw["timestamp"],
    )
    _single("button_reply.json", msg)

    raw = fixture_message("list_reply.json")
    msg = p.list_reply(
        raw["id"],
        JUERGEN,
        "cake:black-forest",
        "Schwarzwälder",
        "Kirschen, Sahne, Schokolade",
        context_id=raw["context"]["id"],
        timestamp=raw["timestamp"],
    )
    _single("list_reply.json", msg)

    raw = fixture_message("nfm_reply.json")
    response_json = raw["interactive"]["nfm_reply"]["response_json"]
    msg = p.flow_reply(
        raw["id"],
        JUERGEN,
        response_json,
        context_id=raw["context"]["id"],
        timestamp=raw["timestamp"],
    )
    _single("nfm_reply.json", msg)

    raw = fixture_message("template_button.json")
    msg = p.template_button(
        raw["id"],
        JUERGEN,
        "pickup:reschedule",
        "Abholung verschieben",
        context_id=raw["context"]["id"],
        timestamp=raw["timestamp"],
    )
    _single("template_button.json", msg)


def test_reaction_order_system_unsupported_fixtures() -> None:
    raw = fixture_message("reaction.json")
    msg = p.reaction(
        raw["id"], JUERGEN, raw["reaction"]["message_id"], "😍", timestamp=raw["timestamp"]
    )
    _single("reaction.json", msg)

    removed = [fixture_message("reaction_removed.json", i) for i in (0, 1)]
    built = [
        p.reaction(r["id"], JUERGEN, r["reaction"]["message_id"], e, timestamp=r["timestamp"])
        for r, e in zip(removed, [None, ""], strict=True)
    ]
    assert p.envelope(p.change(PNID, messages=built, contacts=[JUERGEN_CONTACT])) == load(
        "reaction_removed.json"
    )

    raw = fixture_message("order.json")
    items = [p.order_item("sachertorte-26cm", 1, 42.5), p.order_item("macarons-12", 2, 18)]
    msg = p.order(raw["id"], JUERGEN, "194836987003835", items, timestamp=raw["timestamp"])
    _single("order.json", msg)

    raw = fixture_message("system.json")
    msg = p.system(
        raw["id"],
        JUERGEN,
        raw["system"]["body"],
        new_wa_id="4917612345678",
        timestamp=raw["timestamp"],
    )
    assert p.envelope(p.change(PNID, messages=[msg])) == load("system.json")  # no contacts

    raw = fixture_message("unsupported.json")
    _single("unsupported.json", p.unsupported(raw["id"], JUERGEN, timestamp=raw["timestamp"]))


def test_referral_fixture() -> None:
    raw = fixture_message("referral.json")
    msg = p.text(
        raw["id"],
        "33612345678",
        "Bonjour, je voudrais plus d'infos",
        timestamp=raw["timestamp"],
        referral=p.referral(welcome_message="Hallo! Welche Torte darf es sein?"),
    )
    _single("referral.json", msg, contacts=[p.contact("33612345678", "Marie Curie")])


def test_reply_context_fixture() -> None:
    raws = [fixture_message("reply_context.json", i) for i in range(4)]
    img = raws[2]["image"]
    built = [
        p.text(
            raws[0]["id"],
            JUERGEN,
            "Ja, Samstag um 10 Uhr passt",
            timestamp=raws[0]["timestamp"],
            context=p.reply_context(raws[0]["context"]["id"]),
        ),
        p.text(
            raws[1]["id"],
            JUERGEN,
            "Schau mal, diese Torte!",
            timestamp=raws[1]["timestamp"],
            context=p.reply_context(forwarded=True),
        ),
        p.media(
            "image",
            raws[2]["id"],
            JUERGEN,
            media_id=img["id"],
            mime_type=img["mime_type"],
            sha256=img["sha256"],
            timestamp=raws[2]["timestamp"],
            context=p.reply_context(frequently_forwarded=True),
        ),
        p.text(
            raws[3]["id"],
            JUERGEN,
            "Gibt es die auch glutenfrei?",
            timestamp=raws[3]["timestamp"],
            context={**p.reply_context(raws[3]["context"]["id"]), **raws[3]["context"]},
        ),
    ]
    body = p.envelope(p.change(PNID, messages=built, contacts=[JUERGEN_CONTACT]))
    assert body == load("reply_context.json")


def test_status_and_error_fixtures() -> None:
    fixture = load("statuses.json")
    raws = fixture["entry"][0]["changes"][0]["value"]["statuses"]
    built = []
    for raw in raws:
        errors = None
        if "errors" in raw:
            e = raw["errors"][0]
            errors = [{**p.error(e["code"], e["title"], details=e["error_data"]["details"])}]
            errors[0]["href"] = e["href"]
        built.append(
            p.status(
                raw["id"],
                raw["status"],
                JUERGEN,
                timestamp=raw["timestamp"],
                errors=errors,
                pricing=raw.get("pricing"),
                conversation=raw.get("conversation"),
                biz_opaque_callback_data=raw.get("biz_opaque_callback_data"),
            )
        )
    assert p.envelope(p.change(PNID, statuses=built)) == fixture

    errors_fixture = load("errors_value.json")
    raw_errors = errors_fixture["entry"][0]["changes"][0]["value"]["errors"]
    errors = [
        p.error(e["code"], e["title"], details=e["error_data"]["details"]) for e in raw_errors
    ]
    errors[0]["href"] = raw_errors[0]["href"]
    assert p.envelope(p.change(PNID, errors=errors)) == errors_fixture


def test_template_status_fixture_via_entries() -> None:
    fixture = load("template_status.json")
    changes = fixture["entry"][0]["changes"]
    ent = p.entry(
        "102290129340398",
        p.field_change("message_template_status_update", changes[0]["value"]),
        p.field_change("phone_number_quality_update", changes[1]["value"]),
    )
    ent["time"] = 1750000260
    assert p.envelope(ent) == fixture


def test_bsuid_fixture() -> None:
    fixture = load("bsuid_only.json")
    value = fixture["entry"][0]["changes"][0]["value"]
    a, b = value["messages"]
    bsuid_a, bsuid_b = "US.13491208655302741918", "US.27718293847561029384"
    messages = [
        p.text(a["id"], None, a["text"]["body"], timestamp=a["timestamp"], from_user_id=bsuid_a),
        p.text(
            b["id"],
            "4917098765432",
            b["text"]["body"],
            timestamp=b["timestamp"],
            from_user_id=bsuid_b,
        ),
    ]
    contacts = [
        p.contact(None, "Tortenfan", bsuid_a),
        p.contact("4917098765432", "Anna Berg", bsuid_b),
    ]
    s = fixture["entry"][0]["changes"][1]["value"]["statuses"][0]
    status = p.status(
        s["id"], "delivered", None, timestamp=s["timestamp"], recipient_user_id=bsuid_a
    )
    body = p.envelope(
        p.change(PNID, messages=messages, contacts=contacts), p.change(PNID, statuses=[status])
    )
    assert body == fixture


def test_batch_fixture_via_entries() -> None:
    fixture = load("batch.json")
    second = "107000000000001"
    body = p.envelope(
        p.entry(
            "102290129340398",
            p.change(
                PNID,
                messages=[
                    p.text("wamid.batch.m1", JUERGEN, "Hallo", timestamp=1750000300),
                    p.text("wamid.batch.m2", "4917098765432", "Guten Morgen", timestamp=1750000301),
                    p.reaction(
                        "wamid.batch.m3", JUERGEN, "wamid.batch.out1", "👍", timestamp=1750000302
                    ),
                ],
                contacts=[JUERGEN_CONTACT, p.contact("4917098765432", "Anna Berg")],
            ),
            p.change(
                PNID,
                statuses=[
                    p.status("wamid.batch.out1", "delivered", JUERGEN, timestamp=1750000303),
                    p.status("wamid.batch.out1", "read", JUERGEN, timestamp=1750000304),
                    p.status("wamid.batch.out2", "sent", "4917098765432", timestamp=1750000305),
                ],
            ),
        ),
        p.entry(
            "102290129340999",
            p.change(
                second,
                display_phone_number="15550002222",
                messages=[
                    p.location(
                        "wamid.batch.m4", "33612345678", 48.8584, 2.2945, timestamp=1750000306
                    ),
                    p.button_reply(
                        "wamid.batch.m5", "33612345678", "yes", "Oui", timestamp=1750000307
                    ),
                ],
                contacts=[p.contact("33612345678", "Marie Curie")],
            ),
            p.change(
                second,
                display_phone_number="15550002222",
                statuses=[
                    p.status("wamid.batch.out3", "sent", "33612345678", timestamp=1750000308),
                    p.status("wamid.batch.out3", "delivered", "33612345678", timestamp=1750000309),
                ],
            ),
        ),
    )
    assert body == fixture


# --- round trips through parse_envelope --------------------------------------------------------


def test_round_trip_every_content_kind() -> None:
    w = [p.new_wamid() for _ in range(14)]
    card = p.contact_card("Oma Erna", phone="+49 170 1", wa_id="491701")
    built = [
        p.text(w[0], JUERGEN, "Käsekuchen? 🍰", timestamp=1),
        p.media(
            "image", w[1], JUERGEN, media_id="m1", mime_type="image/png", sha256="h", caption="c"
        ),
        p.media(
            "document", w[2], JUERGEN, media_id="m2", mime_type="a/b", sha256="h", filename="f"
        ),
        p.media(
            "audio", w[3], JUERGEN, media_id="m3", mime_type="audio/ogg", sha256="h", voice=True
        ),
        p.location(w[4], JUERGEN, 1.5, -2.25, name="n", address="a"),
        p.shared_contacts(w[5], JUERGEN, [card]),
        p.button_reply(w[6], JUERGEN, "b1", "Ja", context_id="wamid.out"),
        p.list_reply(w[7], JUERGEN, "r1", "Row"),
        p.flow_reply(w[8], JUERGEN, {"servings": 8, "name": "Jürgen"}),
        p.template_button(w[9], JUERGEN, "pl", "Text"),
        p.reaction(w[10], JUERGEN, "wamid.out", "❤️"),
        p.order(w[11], JUERGEN, "cat", [p.order_item("sku", 3, 9.99)]),
        p.unsupported(w[12], JUERGEN),
        p.raw_message(w[13], JUERGEN, "poll", {"question": "?"}),
    ]
    messages = one(*built)
    assert [m.id for m in messages] == w
    contents = [m.content for m in messages]
    assert contents == [
        Text("Käsekuchen? 🍰"),
        Media("image", "m1", "image/png", "h", "c", None, voice=False, animated=False),
        Media("document", "m2", "a/b", "h", None, "f", voice=False, animated=False),
        Media("audio", "m3", "audio/ogg", "h", None, None, voice=True, animated=False),
        Location(1.5, -2.25, "n", "a", None),
        SharedContacts((card,)),
        ButtonReply("b1", "Ja"),
        ListReply("r1", "Row", None),
        FlowReply({"servings": 8, "name": "Jürgen"}, "Sent", "flow"),
        TemplateButton("pl", "Text"),
        Reaction("wamid.out", "❤️"),
        Order("cat", "", (OrderItem("sku", 3, 9.99, "EUR"),)),
        Unsupported(),
        UnknownContent("poll"),
    ]
    assert messages[0].timestamp == 1
    assert messages[6].context == MessageContext("15550001111", "wamid.out", False, False)
    assert messages[12].errors[0].code == 131051


def test_round_trip_system_and_statuses() -> None:
    sys_msg = p.system("wamid.s", JUERGEN, "changed", new_wa_id="49170", timestamp=5)
    err = p.error(131026, "Message undeliverable", details="d")
    body = p.envelope(
        p.change(PNID, messages=[sys_msg]),
        p.change(
            PNID,
            statuses=[
                p.status("wamid.o", "sent", JUERGEN, timestamp=7, biz_opaque_callback_data="x"),
                p.status("wamid.o", "failed", JUERGEN, timestamp=8, errors=[err]),
            ],
        ),
    )
    env = parse_envelope(body)
    assert env.rejected == ()
    [(change, m)] = env.messages
    assert change.contacts == ()
    assert m.content == System("changed", "user_changed_number", "49170", None)
    sent, failed = (s for _, s in env.statuses)
    assert (sent.status, sent.timestamp, sent.biz_opaque_callback_data) == ("sent", 7, "x")
    assert failed.errors == (
        ErrorDetail(131026, "Message undeliverable", "Message undeliverable", "d"),
    )


def test_default_timestamp_is_now_as_string() -> None:
    msg = p.text("wamid.t", JUERGEN, "x")
    assert isinstance(msg["timestamp"], str) and int(msg["timestamp"]) > 1_700_000_000


def test_change_derives_contacts_from_senders() -> None:
    change = p.change(
        PNID,
        messages=[
            p.text("w1", JUERGEN, "a"),
            p.text("w2", JUERGEN, "b"),
            p.text("w3", None, "c", from_user_id="US.1"),
            p.system("w4", "49999", "changed"),
        ],
    )
    contacts = change["value"]["contacts"]
    assert [(c.get("wa_id"), c.get("user_id")) for c in contacts] == [
        (JUERGEN, None),
        (None, "US.1"),
    ]
    env = parse_envelope(p.envelope(change))
    parsed = env.changes[0]
    assert parsed.contact_for(parsed.messages[2]) == Contact(
        None, "US.1", contacts[1]["profile"]["name"]
    )


def test_change_without_updates_has_no_empty_lists() -> None:
    value = p.change(PNID)["value"]
    assert set(value) == {"messaging_product", "metadata"}


def test_envelope_with_several_entries() -> None:
    body = p.envelope(
        p.entry("1", p.change("A", messages=[p.text("w1", JUERGEN, "x")])),
        p.entry("2", p.change("B", messages=[p.text("w2", JUERGEN, "y")])),
    )
    env = parse_envelope(body)
    assert [(c.waba_id, c.phone_number_id) for c in env.changes] == [("1", "A"), ("2", "B")]
    assert env.message_count == 2


def test_envelope_refuses_mixing_changes_and_entries() -> None:
    with pytest.raises(ValueError, match="mix"):
        p.envelope(p.change(PNID), p.entry("1", p.change(PNID)))


def test_media_refuses_unknown_kind() -> None:
    with pytest.raises(ValueError, match="gif"):
        p.media("gif", "w", JUERGEN, media_id="1", mime_type="x", sha256="y")


def test_flow_reply_with_invalid_json_string() -> None:
    [m] = one(p.flow_reply("w", JUERGEN, "{broken"))
    assert m.content == FlowReply({}, "Sent", "flow")


# --- signing ----------------------------------------------------------------------------------


def test_signed_body_verifies_on_the_exact_bytes() -> None:
    body_obj = p.envelope(p.change(PNID, messages=[p.text("w", JUERGEN, "Grüße 🎂")]))
    raw, headers = p.signed(body_obj, "app-secret")
    assert headers == {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": sign(raw, "app-secret"),
    }
    assert "Grüße 🎂".encode() in raw  # sent raw, not \u-escaped
    assert json.loads(raw) == body_obj
    assert matching_secrets(headers["X-Hub-Signature-256"], raw, ["other", "app-secret"]) == [
        "app-secret"
    ]
    assert sign(raw + b" ", "app-secret") != headers["X-Hub-Signature-256"]


def test_signed_passes_bytes_through_unchanged() -> None:
    raw = (FIXTURES / "text.json").read_bytes()
    out, headers = p.signed(raw, "s")
    assert out is raw
    assert headers["X-Hub-Signature-256"] == sign(raw, "s")
