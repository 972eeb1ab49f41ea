"""The routing table, in the order it is tried. The first row whose test matches handles the
message. Delivery statuses never reach this table: the intake stores them apart, and the
delivery tracker (bot/whatsapp/delivery.py) applies them to our sent messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from snakecakes.bot.llms.base import Inbound, TurnContext
from snakecakes.bot.routing import handlers
from snakecakes.bot.routing.commands import command_of
from snakecakes.bot.routing.draft import Draft
from snakecakes.bot.whatsapp.updates import (
    ButtonReply,
    ListReply,
    Location,
    Media,
    Reaction,
    SharedContacts,
    System,
    Text,
    Unsupported,
)
from snakecakes.knowledge import feedback_routes


@dataclass(frozen=True, slots=True)
class Route:
    name: str
    test: Callable[[TurnContext, Inbound], bool]
    handle: Callable[[TurnContext, Inbound, Draft], None]


def _is(*kinds: type) -> Callable[[TurnContext, Inbound], bool]:
    return lambda ctx, item: isinstance(item.message.content, kinds)


ROUTES: tuple[Route, ...] = (
    Route(
        "handed over to staff: store, stay silent",
        lambda c, i: c.chat.handed_over,
        handlers.record_only,
    ),
    Route("reaction: record", _is(Reaction), handlers.reaction),
    Route("button or list reply: its owner", _is(ButtonReply, ListReply), handlers.interactive),
    Route("command in words", lambda c, i: _is_command(i), handlers.command),
    Route("photo, video, audio, document, sticker", _is(Media), handlers.media),
    Route("location", _is(Location), handlers.location),
    Route("shared contacts", _is(SharedContacts), handlers.contacts),
    Route("system notice: record", _is(System), handlers.record_only),
    Route("unsupported", _is(Unsupported), handlers.unsupported),
    Route(  # lambdas: feedback_routes imports this package (it registers the "fb" buttons)
        "reason after a thumbs-down on an answer",
        lambda c, i: feedback_routes.awaiting_reason(c, i),
        lambda c, i, d: feedback_routes.take_reason(c, i, d),
    ),
    Route("everything else: the engine", lambda c, i: True, handlers.to_engine),
)


def _is_command(item: Inbound) -> bool:
    """Typed words only: a photo captioned "menu" is still a photo."""
    return isinstance(item.message.content, Text) and command_of(item.text) is not None


def route(ctx: TurnContext, item: Inbound, draft: Draft) -> str:
    for candidate in ROUTES:
        if candidate.test(ctx, item):
            candidate.handle(ctx, item, draft)
            draft.routes.append(candidate.name)
            return candidate.name
    raise AssertionError("the last route matches everything")
