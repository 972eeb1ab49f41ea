"""The handlers the routing table points to. Each records what the customer sent in the
history and adds replies to the draft; none writes or sends anything itself."""

from __future__ import annotations

from snakecakes.bot.llms.base import Inbound, TurnContext
from snakecakes.bot.routing import buttons
from snakecakes.bot.routing.commands import command_of
from snakecakes.bot.routing.draft import Draft
from snakecakes.bot.whatsapp.updates import (
    ButtonReply,
    ListReply,
    Location,
    Media,
    Reaction,
    SharedContacts,
)


def record_only(ctx: TurnContext, item: Inbound, draft: Draft) -> None:
    draft.heard(item, item.text or f"[{item.message.type}]", silent=True)


def reaction(ctx: TurnContext, item: Inbound, draft: Draft) -> None:
    content = item.message.content
    assert isinstance(content, Reaction)
    text = f"[reaction {content.emoji or 'removed'} to {content.message_id}]"
    draft.heard(item, text, reaction=content.emoji, reacted_to=content.message_id)


def interactive(ctx: TurnContext, item: Inbound, draft: Draft) -> None:
    content = item.message.content
    assert isinstance(content, ButtonReply | ListReply)
    draft.heard(item, f"[tapped] {content.title}", reply_id=content.id)
    parsed = buttons.parse_id(content.id)
    handler = buttons.HANDLERS.get(parsed.namespace) if parsed else None
    if parsed is None or handler is None:
        draft.for_engine.append(item)  # not ours to decode: the engine reads the title
        return
    if parsed.session_id is not None and parsed.session_id != ctx.session.id:
        draft.say(ctx, ctx.prompt("stale_button", where=_where(ctx)))
        return
    if not handler(ctx, item, parsed, draft):
        draft.say(ctx, ctx.prompt("stale_button", where=_where(ctx)))


def command(ctx: TurnContext, item: Inbound, draft: Draft) -> None:
    name = command_of(item.text)
    draft.heard(item, item.text or "", command=name)
    if name == "start_over":
        draft.start_over = True
        draft.say(ctx, ctx.prompt("start_over", greeting=ctx.prompt("greeting", name=None)))
    elif name == "help":
        draft.say(ctx, ctx.prompt("help"))
    elif name == "human":
        draft.hand_over = True
        draft.say(ctx, ctx.prompt("handoff"))
    else:  # menu: the engine knows the catalog
        draft.for_engine.append(item)


def media(ctx: TurnContext, item: Inbound, draft: Draft) -> None:
    content = item.message.content
    assert isinstance(content, Media)
    draft.heard(
        item,
        f"[{content.kind}] {content.caption or ''}".strip(),
        media_id=content.id,
        mime_type=content.mime_type,
    )
    draft.say(ctx, ctx.prompt("media_received", kind=_kind_word(content), caption=content.caption))


def location(ctx: TurnContext, item: Inbound, draft: Draft) -> None:
    content = item.message.content
    assert isinstance(content, Location)
    shared = {
        "latitude": content.latitude,
        "longitude": content.longitude,
        "name": content.name,
        "address": content.address,
    }
    draft.heard(
        item, f"[location] {content.name or ''} {content.address or ''}".strip(), location=shared
    )
    ctx.session.set("shared_location", shared)
    draft.say(ctx, ctx.prompt("location_received", name=content.name))
    if (ctx.session.state.get("cart") or {}).get("items"):
        draft.for_engine.append(item)  # an order is under way: the engine takes it as the place


def contacts(ctx: TurnContext, item: Inbound, draft: Draft) -> None:
    content = item.message.content
    assert isinstance(content, SharedContacts)
    draft.heard(item, f"[contacts] {len(content.cards)}", cards=[dict(c) for c in content.cards])
    draft.say(ctx, ctx.prompt("contacts_received", count=len(content.cards)))


def unsupported(ctx: TurnContext, item: Inbound, draft: Draft) -> None:
    draft.heard(item, f"[{item.message.type}]")
    draft.say(ctx, ctx.prompt("unsupported"))


def to_engine(ctx: TurnContext, item: Inbound, draft: Draft) -> None:
    draft.heard(item, item.text or f"[{item.message.type}]")
    draft.for_engine.append(item)


def _kind_word(content: Media) -> str:
    if content.kind == "audio" and content.voice:
        return "voice message"
    return {"image": "photo", "sticker": "sticker", "video": "video"}.get(content.kind, "file")


def _where(ctx: TurnContext) -> str:
    stage = ctx.session.state.get("stage")
    return f"we are at the {stage} step." if stage else "write *menu* to see our cakes."
