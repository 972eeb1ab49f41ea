"""Taps on the offline engine's own buttons and list rows, `shop:<action>:<session>:<args>`.

Why inside the engine and not a routing handler (`buttons.owns`): a tap and a typed answer move
the same order flow, which lives in the engine with its state; the routing table passes taps of
namespaces nobody registered to the engine, which reads them here. A tap from an older session
gets the usual "earlier step" answer; a tap on an older message of this session still means
what its title says (the product is on the id), so it acts on the current order.
"""

from __future__ import annotations

from datetime import date, time

from snakecakes.bot.llms import offline_details as details
from snakecakes.bot.llms import offline_steps as steps
from snakecakes.bot.llms.offline_flow import Flow
from snakecakes.bot.routing.buttons import ButtonId

KINDS = {"size": "size", "flav": "flavour", "fill": "filling"}


def handle_tap(flow: Flow, tap: ButtonId) -> bool:
    """Act on a tap; False when the tap is not understood (the caller then reads its title)."""
    ctx, args = flow.ctx, tap.args
    if tap.session_id is not None and tap.session_id != ctx.session.id:
        where = f"we are at the {steps.stage(flow)} step." if flow.asking else "write *menu*."
        flow.say(ctx.prompt("stale_button", where=where))
        flow.asked = True
        return True
    action = tap.action
    if action == "menu":
        steps.show_menu(flow)
    elif action == "cat" and args:
        return steps.show_category(flow, args[0])
    elif action == "prod" and args:
        product = flow.product(args[0])
        if product is None or not product.available:
            return False
        flow.start(product)
    elif action in KINDS and len(args) >= 2:
        product = flow.product(args[0])
        if product is None:
            return False
        flow.choose(KINDS[action], args[1], product)
    elif action == "noins":
        flow.say("No inscription, noted.")
        pending = flow.state.get("pending")
        if pending:
            pending["inscription"] = None
    elif action in ("day", "time", "slot") and args:
        try:
            day = date.fromisoformat(args[0])
            at = time(int(args[1][:2]), int(args[1][2:])) if len(args) > 1 else None
        except ValueError:
            return False
        details.want(flow, day, at)
    elif action == "pickup":
        flow.pickup()
    elif action == "delivery":
        flow.delivery()
    elif action == "name" and ctx.chat.name:
        flow.name(ctx.chat.name)
    elif action == "cancel" and args:
        flow.tell(flow.desk.cancel_order(args[0]))
        flow.state["asking"] = None
        flow.asked = True
    elif action == "keep":
        flow.say("Okay, your order stays as it is.")
        flow.state["asking"] = None
        flow.asked = True
    else:
        return False
    flow.acted = True
    return True
