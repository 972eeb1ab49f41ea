"""The offline engine's hook for questions about the shop ("is it nut-free?", "do you deliver to
10115?"), and its default: the shop's own documents (snakecakes.knowledge.find_answer).

A hook is `(ctx, reply, question) -> bool`: it adds its answer to the reply and says True, or
says False and leaves the message to the order flow. The documents' answer comes with its
source and the 👍/👎 buttons; the previous question of the chat is the context of a follow-up
("and for delivery?"). Reading only: the answer row is recorded by the turn's commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from snakecakes.bot.llms.base import EngineReply, TurnContext

log = logging.getLogger(__name__)

Questions = Callable[[TurnContext, EngineReply, str], bool]


def answer_from_documents(ctx: TurnContext, reply: EngineReply, question: str) -> bool:
    """Answer from the bot's documents when one clearly does; False otherwise."""
    from snakecakes.knowledge import find_answer, offer_feedback

    db = getattr(ctx.shop, "db", None)
    if db is None:
        return False
    previous = ctx.session.state.get("last_question")
    ctx.session.set("last_question", question[:300])
    try:
        with db.read() as session:
            found = find_answer(session, ctx.bot_id, question, previous)
    except Exception:  # a search hiccup must not cost the customer the turn
        log.exception("knowledge search failed; the order flow answers instead")
        return False
    if found is None:
        return False
    reply.say_as_is(ctx, found.text)
    offer_feedback(ctx, reply, found)
    return True
