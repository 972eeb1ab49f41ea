"""Interactive reply ids are namespaced, `namespace:action:session:args...`, so a tap goes to
the handler that owns it, and a tap on a button from an earlier session is recognised as stale
(a handler may check more, e.g. the cart version in `order:confirm:<session>:<version>`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from snakecakes.bot.llms.base import Inbound, TurnContext
from snakecakes.bot.routing.draft import Draft


@dataclass(frozen=True, slots=True)
class ButtonId:
    namespace: str
    action: str
    session_id: int | None
    args: tuple[str, ...]


def make_id(namespace: str, action: str, session_id: int, *args: object) -> str:
    return ":".join([namespace, action, str(session_id), *(str(a) for a in args)])


def parse_id(raw: str) -> ButtonId | None:
    parts = raw.split(":")
    if len(parts) < 3 or not parts[0] or not parts[1]:
        return None
    session = int(parts[2]) if parts[2].isdigit() else None
    return ButtonId(parts[0], parts[1], session, tuple(parts[3:]))


# A handler answers True when it acted, False when it found the button stale.
ButtonHandler = Callable[[TurnContext, Inbound, ButtonId, Draft], bool]

HANDLERS: dict[str, ButtonHandler] = {}


def owns(namespace: str) -> Callable[[ButtonHandler], ButtonHandler]:
    """Register the handler of a namespace (the shop registers `order`, `cart`, ...)."""

    def register(handler: ButtonHandler) -> ButtonHandler:
        HANDLERS[namespace] = handler
        return handler

    return register
