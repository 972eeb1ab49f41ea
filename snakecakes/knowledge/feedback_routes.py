"""The taps on 👍/👎 and the optional reason after 👎, as the routing table sees them.

Kept apart from feedback.py because it imports the routing package, which imports this module
from its table: the knowledge package itself must stay importable without the bot.
"""

from __future__ import annotations

from snakecakes.bot.llms.base import EngineReply, Inbound, TurnContext
from snakecakes.bot.routing import handlers
from snakecakes.bot.routing.buttons import ButtonId, owns
from snakecakes.bot.routing.draft import Draft
from snakecakes.bot.whatsapp.updates import Text
from snakecakes.knowledge.feedback import (
    NAMESPACE,
    REASON_STATE,
    VOTES,
    RecordReason,
    RecordVote,
)

THANKS = "Thank you for the feedback! \N{SMILING FACE WITH SMILING EYES}"
ASK_REASON = (
    "Sorry that didn't help. If you like, tell me in one message what was missing, and I'll "
    "pass it on to the team. You can also write *human* to talk to a person."
)
REASON_NOTED = "Thank you, I've passed that on to the team."


@owns(NAMESPACE)
def feedback_button(ctx: TurnContext, item: Inbound, tap: ButtonId, draft: Draft) -> bool:
    if tap.action not in VOTES or len(tap.args) != 1 or not tap.args[0].isalnum():
        return False
    ref = tap.args[0]
    reply = EngineReply(actions=[RecordVote(ref, tap.action)])
    if tap.action == "up":
        ctx.session.set(REASON_STATE, None)
        reply.say_as_is(ctx, THANKS)
    else:
        ctx.session.set(REASON_STATE, ref)
        reply.say_as_is(ctx, ASK_REASON)
    draft.add(reply)
    return True


def awaiting_reason(ctx: TurnContext, item: Inbound) -> bool:
    """The customer tapped 👎 and now writes: maybe the reason."""
    return bool(ctx.session.state.get(REASON_STATE)) and isinstance(item.message.content, Text)


def take_reason(ctx: TurnContext, item: Inbound, draft: Draft) -> None:
    """A statement is the reason; a question is a new question for the engine (a customer who
    asks again has moved on, and a reason rarely ends in a question mark)."""
    ref = str(ctx.session.state.get(REASON_STATE))
    ctx.session.set(REASON_STATE, None)
    said = (item.text or "").strip()
    if not said or said.endswith("?"):
        handlers.to_engine(ctx, item, draft)
        return
    draft.heard(item, said, feedback_reason=ref)
    reply = EngineReply(actions=[RecordReason(ref, said)])
    reply.say_as_is(ctx, REASON_NOTED)
    draft.add(reply)
