"""The offline engine's order flow: what it remembers between turns and how a choice, typed or
tapped, moves the order on.

State (session key `offline`, JSON): `pending` is the cake being chosen (the desk only takes a
cake with every option, so size, flavour and filling gather here first); `focus` the cart line
the customer last spoke about ("make it chocolate" changes that one); `want_day`/`want_time` a
date waiting for the cake or the time; `asking` what the last question was, so that a bare "2",
"yes" or "Anna" has a meaning; `choices` the products of an ambiguous name; `ins_asked` the
lines whose inscription was asked once. Nothing here writes: the desk edits the cart in the
session state and the turn commits it all at once.
"""

from __future__ import annotations

from typing import Any

from snakecakes.bot.llms import offline_views as views
from snakecakes.bot.llms.base import EngineReply, TurnContext
from snakecakes.bot.ordering.desk import OrderDesk, Outcome
from snakecakes.shop.catalog import Product

OPTION_KINDS = ("size", "flavour", "filling")
STAGES = {
    "product": "choosing a cake",
    "choice": "choosing a cake",
    "size": "size",
    "flavour": "flavour",
    "filling": "filling",
    "inscription": "inscription",
    "day": "date",
    "time": "time",
    "fulfilment": "pickup or delivery",
    "address": "delivery address",
    "name": "name",
    "confirm": "order summary",
    "cancel": "cancelling",
}


class Flow:
    def __init__(self, ctx: TurnContext, reply: EngineReply, desk: OrderDesk) -> None:
        self.ctx, self.reply, self.desk, self.catalog = ctx, reply, desk, desk.catalog
        state = dict(ctx.session.state.get("offline") or {})
        cart = desk.cart
        seen = state.get("cart_version")
        self.state: dict[str, Any] = state
        if seen is not None and seen != cart["version"] and not cart["items"]:
            self.fresh()  # an order was placed (or the cart emptied) outside the engine
        self.notes: list[str] = []  # lines said, not sent yet
        self.asked = False  # a question (with its buttons) is already in this turn's reply
        self.acted = False  # something in the message moved the order on

    def fresh(self) -> None:
        """Forget the order in the making (a new cart begins); the greeting stays done."""
        greeted = self.state.get("greeted", False)
        self.state.clear()
        self.state["greeted"] = greeted

    # -- reading -----------------------------------------------------------------------------

    @property
    def asking(self) -> str | None:
        return self.state.get("asking")

    def product(self, slug: str | None) -> Product | None:
        return self.catalog.product(slug) if slug else None

    def line(self, item_id: Any) -> dict[str, Any] | None:
        return next((i for i in self.desk.cart["items"] if str(i["id"]) == str(item_id)), None)

    def focus_line(self) -> dict[str, Any] | None:
        items = self.desk.cart["items"]
        return self.line(self.state.get("focus")) or (items[-1] if items else None)

    def products_in_play(self) -> list[Product]:
        slugs = [str(i["product"]) for i in self.desk.cart["items"]]
        pending = self.state.get("pending")
        if pending:
            slugs.append(pending["product"])
        return [p for p in (self.product(s) for s in slugs) if p is not None]

    # -- speaking ----------------------------------------------------------------------------

    def say(self, text: str) -> None:
        """A line for the customer; lines go out with the next question, in one message
        where it fits (WhatsApp paces messages per customer: fewer is faster)."""
        if text:
            self.notes.append(text)

    def tell(self, outcome: Outcome) -> Outcome:
        self.say(outcome.message)
        return outcome

    def flush(self) -> None:
        """Send the lines said so far (before a message the desk sends, and at the end)."""
        if self.notes:
            self.reply.say_as_is(self.ctx, "\n".join(self.notes))
            self.notes.clear()

    def lead_last(self) -> None:
        """Put the lines said so far on top of the message the desk just sent, if it fits."""
        bodies, texts = self.reply.bodies, self.reply.history_text
        holder = bodies[-1].get("interactive", {}).get("body") if bodies else None
        if not self.notes or holder is None or not texts:
            return
        lead = "\n".join(self.notes)
        if len(lead) + 2 + len(holder["text"]) <= views.BUTTONS_BODY:
            holder["text"] = f"{lead}\n\n{holder['text']}"
            texts[-1] = f"{lead}\n\n{texts[-1]}"
            self.notes.clear()

    def send(self, body: dict[str, Any] | None, history: str) -> bool:
        if body is None:
            return False
        if self.notes:
            lead = "\n".join(self.notes)
            holder = body.get("interactive", {}).get("body")
            if holder is not None and len(lead) + 2 + len(holder["text"]) <= views.LIST_BODY:
                holder["text"] = f"{lead}\n\n{holder['text']}"
                history = f"{lead}\n\n{history}"
                self.notes.clear()
            else:
                self.flush()
        self.reply.send(body, history)
        self.asked = True
        return True

    def ask(self, asking: str, body: dict[str, Any] | None, text: str) -> None:
        self.state["asking"] = asking
        if not self.send(body, text):
            self.say(text)
        self.asked = True

    def save(self) -> None:
        self.state["cart_version"] = self.desk.cart["version"]
        if self.state.get("ins_asked"):
            self.state["ins_asked"] = sorted(set(self.state["ins_asked"]), key=str)
        self.ctx.session.set("offline", self.state)
        self.ctx.session.set("stage", STAGES.get(self.asking or "", None))

    # -- the cake being chosen ---------------------------------------------------------------

    def start(
        self,
        product: Product,
        quantity: int | None = None,
        replace: bool = True,
        also: bool = False,
    ) -> None:
        """The customer named or tapped a cake: gather its options, then add it. A cake still
        being chosen is replaced ("instead"), or waits its turn ("and a ...")."""
        pending = self.state.get("pending")
        if pending and pending["product"] != product.slug:
            old = self.product(pending["product"])
            if also:
                self.state.setdefault("queue", []).append(pending)
                pending = None
            elif replace and old is not None:
                self.say(f"Okay, the {product.name} instead of the {old.name}.")
        if not pending or pending["product"] != product.slug:
            pending = {"product": product.slug, "quantity": 1}
        quantity = quantity or self.state.pop("choice_quantity", None)
        if quantity:
            pending["quantity"] = quantity
        self.state["pending"] = pending
        self.state.pop("choices", None)
        servings = self.state.get("servings")
        if servings and not pending.get("size"):
            self.size_for(product, int(servings))
        self.acted = True

    def size_for(self, product: Product, people: int) -> None:
        fitting = [s for s in product.sizes if s.servings_max >= people]
        size = fitting[0] if fitting else product.sizes[-1]
        if not fitting and len(product.sizes) > 0:
            self.say(
                f"Our largest {product.name} ({size.label}) serves {size.servings}; for "
                f"{people} people you could add a second cake."
            )
        self.choose("size", size.key, product=product)

    def choose(self, kind: str, key: str, product: Product | None = None) -> bool:
        """A size, flavour or filling for the cake being chosen, else for the focus line."""
        pending = self.state.get("pending")
        if pending and (product is None or product.slug == pending["product"]):
            pending[kind] = key
            self.acted = True
            return True
        line = self.focus_line()
        if product is not None:
            same = [i for i in self.desk.cart["items"] if i["product"] == product.slug]
            line = line if line in same else (same[-1] if same else None)
        if line is None:
            if product is None:
                return False
            self.start(product)
            return self.choose(kind, key, product)
        outcome = self.desk.change_item(line["id"], **{kind: key})
        if outcome.ok:
            self.state["focus"] = line["id"]
            self.say(self.describe_change(line["id"]))
        else:
            self.say(outcome.message)
        self.acted = True
        return outcome.ok

    def describe_change(self, item_id: Any) -> str:
        line = self.line(item_id)
        if line is None:
            return "Changed."
        from snakecakes.bot.ordering.views import line_name

        return f"Changed: {line_name(self.catalog, line)}."

    def missing(self) -> str | None:
        pending = self.state.get("pending")
        product = self.product(pending["product"]) if pending else None
        if pending is None or product is None:
            return None
        for kind in OPTION_KINDS:
            options = getattr(product, f"{kind}s")
            if len(options) > 1 and not pending.get(kind):
                return kind
        return None

    def commit(self) -> None:
        """Add the cake being chosen once nothing is missing."""
        pending = self.state.get("pending")
        if not pending or self.missing() is not None:
            return
        self.state["pending"] = None
        options = {k: pending[k] for k in OPTION_KINDS if pending.get(k)}
        outcome = self.desk.add_item(
            pending["product"],
            quantity=int(pending.get("quantity") or 1),
            inscription=pending.get("inscription"),
            **options,
        )
        if not outcome.ok and pending.get("inscription"):
            self.say(outcome.message)  # too long an inscription: the cake without it, asked again
            outcome = self.desk.add_item(
                pending["product"], quantity=int(pending.get("quantity") or 1), **options
            )
            pending["inscription"] = None
        self.say(outcome.message)
        queue = self.state.get("queue")
        if queue:  # back to the cake the customer began before this one
            self.state["pending"] = queue.pop(0)
        if outcome.ok:
            item_id = outcome.data["item_id"]
            self.state["focus"] = item_id
            if pending.get("inscription") or pending.get("no_inscription"):
                self.state.setdefault("ins_asked", []).append(item_id)
        self.acted = True

    # -- the rest of the order ---------------------------------------------------------------

    def delivery(
        self, address: str | None = None, location: tuple[float, float] | None = None
    ) -> None:
        shared = self.ctx.session.state.get("shared_location")
        if not address and location is None and not shared:
            self.state["delivery"] = True
            self.acted = True
            return
        outcome = self.desk.set_fulfilment("delivery", address=address, location=location)
        if outcome.ok:
            self.state["delivery"] = False
            self.say(self.where_text())
        else:
            self.say(outcome.message)
            if address or location is not None:
                self.state["delivery"] = True
        self.acted = True

    def pickup(self) -> None:
        if self.desk.set_fulfilment("pickup").ok:
            self.state["delivery"] = False
            self.say(f"Pickup at our shop, {self.catalog.shop.pickup_address}.")
        self.acted = True

    def where_text(self) -> str:
        from snakecakes.shop.pricing import price_cart

        fulfilment = self.desk.cart.get("fulfilment") or {}
        place = fulfilment.get("address") or "the location you shared"
        quote = price_cart(self.catalog, self.desk.cart)
        zone = quote.delivery_zone
        if zone is None:
            return f"Delivery to {place}."
        fee = views.money(self.catalog, quote.delivery_fee) if quote.delivery_fee else None
        cost = f"the delivery fee is {fee}" if fee else "delivery is free for this order"
        return f"Delivery to {place} ({zone.name}): {cost}."

    def name(self, name: str) -> None:
        self.tell(self.desk.set_customer(name))
        self.acted = True
