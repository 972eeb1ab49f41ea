"""Our corrections to Meta's ``Message`` schema, applied in code over the vendored OpenAPI file.

Why an overlay instead of editing the YAML: the vendored file stays byte-identical to Meta's, so
refreshing it to a newer version is a copy, and every deviation is visible here in one place.
Each numbered block below matches an entry in ``openapi/README.md``; keep them in step. The
sources are Meta's developer documentation (condensed in CLOUD_API.md) and the file's own
examples, several of which the file's schemas reject.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

# Interactive types whose message must carry a body (Meta's docs; the file never requires one).
_NEEDS_BODY = frozenset({"button", "list", "cta_url", "location_request_message"})


def patch(s: dict[str, Schema]) -> dict[str, Schema]:
    """Patch the extracted schemas ``s`` in place; return one ``InteractiveObject`` variant per
    interactive ``type`` (the validator picks one by ``interactive.type``)."""
    base = s["BaseMessageProperties"]
    props = base["properties"]
    # 1. Addressing: "to" (a phone number) or "recipient" (a business-scoped user id, BSUID),
    #    at least one. recipient_type is optional ("individual" by default) and type too
    #    (the validator treats a missing type as "text", like Meta).
    base["required"] = ["messaging_product"]
    props["recipient"] = {"type": "string", "minLength": 1}
    props["to"]["minLength"] = 1
    who = "needs 'to' (a phone number) or 'recipient' (a business-scoped user id)"
    base["allOf"] = [
        {"description": who, "anyOf": [{"required": ["to"]}, {"required": ["recipient"]}]}
    ]
    props["messaging_product"]["enum"] = ["whatsapp"]
    props["biz_opaque_callback_data"] = {"type": "string", "maxLength": 512}
    s["MessageContext"]["required"] = ["message_id"]

    # 2. Text: body required, 1..4096 characters (the file has neither).
    text = _own(s, "TextMessage")["text"]
    text["required"] = ["body"]
    text["properties"]["body"].update(minLength=1, maxLength=4096)

    # 3. Media: caption (at most 1024) and the document filename are documented but missing.
    media = s["MediaObject"]
    media["type"] = "object"
    media["description"] = "needs exactly one of 'id' (an uploaded media id) or 'link' (a URL)"
    media["properties"] = {
        "caption": {"type": "string", "maxLength": 1024},
        "filename": {"type": "string"},
    }

    # 4. Location: both coordinates required; numbers accepted as well as strings (the file
    #    types them as strings but its own examples use numbers).
    loc = _own(s, "LocationMessage")["location"]
    loc["required"] = ["latitude", "longitude"]
    for axis in ("latitude", "longitude"):
        loc["properties"][axis]["type"] = ["number", "string"]

    # 5. Reaction: message_id required (an empty emoji removes a reaction, so it may be "").
    _own(s, "ReactionMessage")["reaction"]["required"] = ["message_id"]

    # 6. Template: language.policy optional; the button index pattern "^[2-6, 11-14]$" is a
    #    broken character class that rejects index "0", and the file's examples send integers;
    #    sub_type also takes flow / copy_code / voice_call, in either case (examples: "CATALOG").
    s["LanguageObject"]["required"] = ["code"]
    component = s["TemplateComponent"]["properties"]
    component["index"].update(type=["string", "integer"], pattern="^[0-9]$", minimum=0, maximum=9)
    component["sub_type"] = {
        "type": "string",
        "pattern": "(?i)^(quick_reply|url|catalog|flow|copy_code|voice_call)$",
    }
    return _interactive_variants(s)


def _interactive_variants(s: dict[str, Schema]) -> dict[str, Schema]:
    """7. Interactive: one action schema per interactive type instead of the file's 6-way
    ``oneOf`` (whose errors name no field), plus the types the file lacks (cta_url,
    location_request_message; order_details / order_status with their action unchecked),
    a body of up to 4096 characters for lists, non-empty button and row titles and ids."""
    actions = {_action_kind(branch): branch for branch in s["ActionObject"]["oneOf"]}
    expected = {"list", "button", "product", "catalog_message", "flow", "call_permission_request"}
    if set(actions) != expected:
        raise RuntimeError(f"the vendored ActionObject changed: {sorted(actions)}")
    for branch in actions.values():
        branch["type"] = "object"
    actions["product_list"] = actions["product"]
    reply = actions["button"]["properties"]["buttons"]["items"]["properties"]["reply"]
    reply["properties"]["title"]["minLength"] = 1
    reply["properties"]["id"]["minLength"] = 1
    rows = s["SectionObject"]["properties"]["rows"]
    rows["minItems"] = 1
    rows["items"]["properties"]["title"]["minLength"] = 1
    rows["items"]["properties"]["id"]["minLength"] = 1
    actions["cta_url"] = _closed(
        name={"const": "cta_url"},
        parameters=_closed(
            display_text={"type": "string", "minLength": 1, "maxLength": 20},
            url={"type": "string", "minLength": 1},
        ),
    )
    actions["location_request_message"] = _closed(name={"const": "send_location"})
    actions["order_details"] = actions["order_status"] = {"type": "object"}

    inter = s["InteractiveObject"]
    body_1024 = inter["properties"]["body"]
    body_4096 = {**s["BodyObject"], "properties": {"text": {"type": "string", "maxLength": 4096}}}
    inter["properties"]["type"]["enum"] = sorted(actions)
    variants = {}
    for kind, action in actions.items():
        variant = {**inter, "properties": {**inter["properties"]}}
        variant["properties"].update(
            type={"const": kind},
            action=action,
            body=body_4096 if kind == "list" else body_1024,
        )
        if kind in _NEEDS_BODY:
            variant["required"] = [*inter["required"], "body"]
        variants[kind] = variant
    return variants


def _own(s: dict[str, Schema], message: str) -> dict[str, Schema]:
    """The properties of the type-specific half of ``allOf: [BaseMessageProperties, own]``."""
    props: dict[str, Schema] = s[message]["allOf"][1]["properties"]
    return props


def _closed(**properties: Schema) -> Schema:
    """An object with exactly these (all required) properties."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(properties),
        "properties": properties,
    }


def _action_kind(branch: Schema) -> str:
    """Name an ``ActionObject.oneOf`` branch by what it requires (robust to reordering)."""
    required = set(branch["required"])
    if "sections" in required:
        return "list"
    if "buttons" in required:
        return "button"
    if "catalog_id" in required:
        return "product"
    name: str = branch["properties"]["name"]["enum"][0]
    return name


def mark_read_schema() -> Schema:
    """Mark as read, optionally with a typing indicator: not in the OpenAPI file at all."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["messaging_product", "status", "message_id"],
        "properties": {
            "messaging_product": {"const": "whatsapp"},
            "status": {"const": "read"},
            "message_id": {"type": "string", "minLength": 1},
            "typing_indicator": _closed(type={"const": "text"}),
        },
    }
