"""The buttons the order desk sends, and what a tap on each does. A tap acts whatever the
engine: confirming an order is never left to a language model's reading of "Confirm order".
A button of an older cart (its version is on the id) gets a clear answer instead of acting."""

from __future__ import annotations

from snakecakes.bot.llms.base import EngineReply, Inbound, TurnContext
from snakecakes.bot.ordering.desk import NoCatalog, OrderDesk
from snakecakes.bot.routing.buttons import ButtonId, owns
from snakecakes.bot.routing.draft import Draft


def _desk(ctx: TurnContext, draft: Draft) -> tuple[OrderDesk, EngineReply] | None:
    reply = EngineReply()
    try:
        return OrderDesk(ctx, reply), reply
    except NoCatalog:
        return None


@owns("order")
def order_button(ctx: TurnContext, item: Inbound, tap: ButtonId, draft: Draft) -> bool:
    opened = _desk(ctx, draft)
    if opened is None or not tap.args or not tap.args[0].isdigit():
        return False
    desk, reply = opened
    version = int(tap.args[0])
    if version != desk.cart["version"]:
        return False
    if tap.action == "confirm":
        outcome = desk.place_order(version)
        if not outcome.ok:
            reply.say_as_is(ctx, outcome.message)
    elif tap.action == "change":
        reply.say_as_is(ctx, ctx.prompt("order_change"))
    else:
        return False
    draft.add(reply)
    return True


@owns("upsell")
def upsell_button(ctx: TurnContext, item: Inbound, tap: ButtonId, draft: Draft) -> bool:
    opened = _desk(ctx, draft)
    if opened is None:
        return False
    desk, reply = opened
    if tap.action == "add" and tap.args:
        outcome = desk.accept_upsell(tap.args[0])
        reply.say_as_is(ctx, outcome.message)
    elif tap.action == "no":
        reply.say_as_is(ctx, ctx.prompt("upsell_declined"))
    else:
        return False
    draft.add(reply)
    return True
