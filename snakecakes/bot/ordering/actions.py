"""What a turn decided to write beyond history and state, applied inside its ONE commit.

Engines and button handlers only describe these; TurnStore.commit applies them in the same
transaction that marks the customer's messages done. So an order exists exactly when the turn
that confirmed it committed, and a turn dropped by latest-wins or a crash leaves nothing behind.
An action may answer with messages (the order number is only known once the row exists).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

from snakecakes.db.types import utcnow
from snakecakes.shop import orders
from snakecakes.shop.catalog import Catalog
from snakecakes.shop.order_models import AnalyticsEvent

log = logging.getLogger(__name__)

Reply = tuple[dict[str, Any], str]  # a send body, and what the history remembers of it


@dataclass(frozen=True, slots=True)
class Scope:
    """Where the turn commits: its bot, chat and session (after a start over, the new one)."""

    bot_id: int
    chat_key: str
    recipient: str
    session_id: int


class Action(Protocol):
    @property
    def changes_orders(self) -> bool: ...

    def apply(self, session: Session, scope: Scope) -> list[Reply]: ...


@dataclass(frozen=True)
class PlaceOrder:
    """Turn the confirmed cart into an order; `confirmation` words the answer with its number."""

    catalog: Catalog
    cart: dict[str, Any]
    customer_phone: str | None
    prefix: str
    confirmation: Callable[[str, str], Reply]  # (number, recipient) -> reply
    changes_orders: bool = True

    def apply(self, session: Session, scope: Scope) -> list[Reply]:
        placed = orders.place_order(
            session,
            bot_id=scope.bot_id,
            catalog=self.catalog,
            cart=self.cart,
            customer_key=scope.chat_key,
            customer_phone=self.customer_phone,
            session_id=scope.session_id,
            prefix=self.prefix,
        )
        if placed.created:
            log.info("order %s placed (chat %s)", placed.number, scope.chat_key)
        return [self.confirmation(placed.number, scope.recipient)]


@dataclass(frozen=True)
class CancelOrder:
    """The customer cancels; the window and state were checked by the desk and are checked
    again here, under the row lock, because staff may have moved the order meanwhile."""

    number: str
    cancel_window_hours: int
    answer: Callable[[str, str | None], Reply]  # (number, refusal or None) -> reply
    changes_orders: bool = True

    def apply(self, session: Session, scope: Scope) -> list[Reply]:
        order = orders.find(session, scope.bot_id, self.number, for_update=True)
        if order is None or order.customer_key != scope.chat_key:
            return [self.answer(self.number, f"I can't find order {self.number} of yours.")]
        refusal = orders.customer_may_cancel(order, self.cancel_window_hours, utcnow())
        if refusal is None:
            orders.change_status(session, scope.bot_id, self.number, "cancelled", actor="customer")
        return [self.answer(self.number, refusal)]


@dataclass(frozen=True)
class RecordEvent:
    """A fact for analytics (upsell offered or accepted, tokens used, a handover)."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    changes_orders: bool = False

    def apply(self, session: Session, scope: Scope) -> list[Reply]:
        session.add(
            AnalyticsEvent(
                bot_id=scope.bot_id,
                kind=self.kind,
                customer_key=scope.chat_key,
                session_id=scope.session_id,
                data=self.data,
            )
        )
        return []
