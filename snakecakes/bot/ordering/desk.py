"""The order desk: every cart and order operation an engine may perform, checked by the shop.

Both engines sell through this one object (the OpenAI engine as tools, the offline engine from
its parsed words), so prices, dates, zones and the rule "an order only after the customer
confirmed the summary" hold whatever the engine is. It edits the cart in the turn's session
state and describes writes as actions; nothing is written until the turn commits. Every method
answers an Outcome: `message` is for the customer (or the model), `data` is structured detail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from snakecakes.bot.llms.base import EngineReply, TurnContext
from snakecakes.bot.ordering import views
from snakecakes.bot.ordering.actions import CancelOrder, PlaceOrder, RecordEvent, Reply
from snakecakes.shop import cart as carts
from snakecakes.shop.catalog import Catalog, Product
from snakecakes.shop.pricing import PricingError, format_money, price_cart
from snakecakes.shop.schedule import describe_slot
from snakecakes.shop.summary import checkout_problems, order_summary


class NoCatalog(RuntimeError):
    """This bot sells nothing yet (no catalog loaded)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    message: str
    data: dict[str, Any] = field(default_factory=dict)

    def as_tool_result(self) -> dict[str, Any]:
        return {"ok": self.ok, "message": self.message, **self.data}


class OrderDesk:
    def __init__(self, ctx: TurnContext, reply: EngineReply) -> None:
        catalog = ctx.shop.catalog(ctx.bot_id) if ctx.shop is not None else None
        if catalog is None:
            raise NoCatalog(f"bot {ctx.bot_id} has no catalog")
        self.ctx = ctx
        self.reply = reply
        self.catalog: Catalog = catalog

    # -- reading ---------------------------------------------------------------------------

    @property
    def cart(self) -> dict[str, Any]:
        return dict(self.ctx.session.state.get("cart") or carts.new_cart())

    def money(self, amount: Decimal) -> str:
        return format_money(amount, self.catalog.shop.currency)

    def product(self, name: str) -> Product | None:
        key = carts._norm(name)
        return next(
            (p for p in self.catalog.products if key in (carts._norm(p.slug), carts._norm(p.name))),
            None,
        )

    def menu(self, category: str | None = None) -> Outcome:
        products = self.catalog.available_products(category)
        data = [views.product_brief(p, self.money) for p in products]
        text = views.menu_text(self.catalog, products, self.money)
        return Outcome(True, text, {"products": data})

    def product_details(self, name: str) -> Outcome:
        found = self.product(name)
        if found is None or not found.available:
            return Outcome(False, "Sorry, we don't have that cake. Shall I show you our range?")
        return Outcome(True, views.product_text(found, self.money), views.product_data(found))

    def view_cart(self) -> Outcome:
        cart = self.cart
        try:
            text = order_summary(self.catalog, cart, title="Your cart")
            quote = price_cart(self.catalog, cart)
        except PricingError as exc:
            return Outcome(False, str(exc))
        problems = checkout_problems(self.catalog, cart, self.ctx.now)
        data = {
            "version": cart["version"],
            "items": [dict(line) for line in cart["items"]],
            "addons": [dict(line) for line in cart["addons"]],
            "wanted": cart.get("wanted"),
            "fulfilment": cart.get("fulfilment"),
            "customer": cart.get("customer"),
            "total": self.money(quote.total),
            "still_needed": problems,
        }
        return Outcome(True, text, data)

    def my_orders(self) -> Outcome:
        assert self.ctx.shop is not None
        found = self.ctx.shop.orders_of(self.ctx.bot_id, self.ctx.chat.customer_key)
        if not found:
            return Outcome(True, "You have no orders with us yet.", {"orders": []})
        lines = [views.order_line(o) for o in found]
        data = [{"number": o.number, "status": o.status} for o in found]
        return Outcome(True, "Your orders:\n" + "\n".join(lines), {"orders": data})

    # -- changing the cart -----------------------------------------------------------------

    def _change(self, done: str, change: Any, *args: Any, **kwargs: Any) -> Outcome:
        try:
            cart = change(self.cart, *args, **kwargs)
        except carts.CartError as exc:
            slots = [describe_slot(s) for s in exc.suggestions]
            return Outcome(False, str(exc), {"suggestions": slots} if slots else {})
        self.ctx.session.set("cart", cart)
        return Outcome(True, done, {"cart_version": cart["version"]})

    def add_item(self, product: str, **options: Any) -> Outcome:
        outcome = self._change("", carts.add_item, self.catalog, product, **options)
        if not outcome.ok:
            return outcome
        line = max(self.cart["items"], key=lambda item: int(item["id"]))
        name = views.line_name(self.catalog, line)
        data = {**outcome.data, "item_id": line["id"]}
        return Outcome(True, f"Added to your cart: {name}.", data)

    def change_item(self, item_id: int | str, **changes: Any) -> Outcome:
        return self._change("Changed.", carts.change_item, self.catalog, item_id, **changes)

    def remove_item(self, item_id: int | str) -> Outcome:
        return self._change("Removed from your cart.", carts.remove_item, item_id)

    def set_inscription(self, item_id: int | str, text: str | None) -> Outcome:
        done = f"The inscription will read “{text}”." if text else "No inscription."
        return self._change(done, carts.set_inscription, self.catalog, item_id, text)

    def add_addon(self, addon: str, quantity: int = 1, text: str | None = None) -> Outcome:
        found = self.catalog.addon(addon) or next(
            (a for a in self.catalog.addons if carts._norm(a.name) == carts._norm(addon)), None
        )
        name = found.name if found else addon
        done = f"Added: {quantity} x {name}."
        return self._change(
            done, carts.add_addon, self.catalog, addon, quantity=quantity, text=text
        )

    def set_date(self, day: str, at: str) -> Outcome:
        outcome = self._change("", carts.set_date, self.catalog, day, at, self.ctx.now)
        if not outcome.ok:
            return outcome
        wanted = self.cart["wanted"]
        return Outcome(True, f"Noted for {wanted['date']} at {wanted['time']}.", outcome.data)

    def set_fulfilment(
        self, method: str, address: str | None = None, location: tuple[float, float] | None = None
    ) -> Outcome:
        if method == "delivery" and not address and location is None:
            shared = self.ctx.session.state.get("shared_location")
            if shared:
                location = (float(shared["latitude"]), float(shared["longitude"]))
                address = shared.get("address")
        done = "Pickup at our shop." if method == "pickup" else "Delivery noted."
        return self._change(
            done, carts.set_fulfilment, self.catalog, method, address=address, location=location
        )

    def set_customer(self, name: str) -> Outcome:
        return self._change(f"The order goes under the name {name}.", carts.set_customer, name)

    def set_notes(self, notes: str | None = None, allergies: str | None = None) -> Outcome:
        return self._change("Noted.", carts.set_notes, notes=notes, allergies=allergies)

    def start_new_cart(self) -> None:
        """An empty cart whose version continues the old one: buttons of the old cart go stale."""
        self.ctx.session.set("cart", {**carts.new_cart(), "version": int(self.cart["version"]) + 1})

    # -- checkout --------------------------------------------------------------------------

    def show_checkout(self) -> Outcome:
        """The summary with Confirm and Change buttons, when nothing is missing."""
        cart = self.cart
        problems = checkout_problems(self.catalog, cart, self.ctx.now)
        if problems:
            return Outcome(False, " ".join(problems), {"still_needed": problems})
        summary = self.ctx.prompt("order_summary", summary=order_summary(self.catalog, cart))
        self.reply.send(views.checkout_buttons(self.ctx, summary, cart["version"]), summary)
        self.ctx.session.set(
            "checkout", {"version": cart["version"], "shown_at": self.ctx.now.isoformat()}
        )
        return Outcome(True, "The summary with a Confirm button was sent.", {"sent": True})

    def place_order(self, version: int | None = None) -> Outcome:
        """Only the cart the customer saw summarised, in an earlier message, becomes an order
        (`version` is the one on the Confirm button when the customer tapped it)."""
        cart = self.cart
        shown = self.ctx.session.state.get("checkout") or {}
        if version is not None and version != cart["version"]:
            return Outcome(False, "Your order changed since that summary.", {"stale": True})
        if shown.get("version") != cart["version"] or not _before(shown, self.ctx.now):
            return Outcome(
                False, "The customer must first see the summary and confirm it.", {"stale": True}
            )
        problems = checkout_problems(self.catalog, cart, self.ctx.now)
        if problems:
            return Outcome(False, " ".join(problems), {"still_needed": problems})
        self.reply.actions.append(
            PlaceOrder(
                self.catalog,
                cart,
                self.ctx.chat.wa_id,
                self.ctx.order_prefix,
                self._confirmation(cart),
            )
        )
        self.start_new_cart()
        self.ctx.session.set("checkout", None)
        return Outcome(True, "The order is placed; its number is sent to the customer.")

    def _confirmation(self, cart: dict[str, Any]) -> Any:
        quote = price_cart(self.catalog, cart)
        wanted, method = cart["wanted"], cart["fulfilment"]["method"]
        ctx = self.ctx

        def confirmation(number: str, recipient: str) -> Reply:
            text = ctx.prompt(
                "order_placed",
                number=number,
                total=self.money(quote.total),
                date=wanted["date"],
                time=wanted["time"],
                method=method,
                cancel_hours=self.catalog.shop.cancel_window_hours,
            )
            return views.text_body(recipient, text), text

        return confirmation

    def cancel_order(self, number: str | None = None) -> Outcome:
        assert self.ctx.shop is not None
        mine = self.ctx.shop.orders_of(self.ctx.bot_id, self.ctx.chat.customer_key)
        wanted = (number or "").strip().upper()
        order = next((o for o in mine if o.number == wanted), None) if wanted else None
        if order is None and not wanted:
            order = next((o for o in mine if o.status in ("new", "confirmed")), None)
        if order is None:
            return Outcome(False, "I can't find that order of yours.")
        ctx, hours = self.ctx, self.catalog.shop.cancel_window_hours

        def answer(num: str, refusal: str | None) -> Reply:
            text = refusal or ctx.prompt("order_cancelled", number=num)
            return views.text_body(ctx.recipient, text), text

        self.reply.actions.append(CancelOrder(order.number, hours, answer))
        return Outcome(True, f"Cancelling order {order.number}; the customer gets the answer.")

    def hand_over(self) -> Outcome:
        self.reply.hand_over = True
        self.reply.actions.append(RecordEvent("handover", {"by": "engine"}))
        return Outcome(True, self.ctx.prompt("handoff"))

    # -- upsell ----------------------------------------------------------------------------

    def offer_upsell(self) -> Outcome:
        """One suggestion of fitting extras per order, once a cake is in the cart."""
        cart = self.cart
        if cart.get("upsell_offered") or not cart["items"]:
            return Outcome(False, "No suggestion now.")
        in_cart = [str(line["addon"]) for line in cart["addons"]]
        fitting = self.catalog.suggestions([str(i["product"]) for i in cart["items"]], in_cart)
        if not fitting:
            return Outcome(False, "Nothing fits.")
        picks = fitting[:2]
        self.reply.send(views.upsell_buttons(self.ctx, picks, self.money), "[suggested extras]")
        self.ctx.session.set("cart", {**cart, "upsell_offered": [a.slug for a in picks]})
        offered = [a.slug for a in picks]
        self.reply.actions.append(RecordEvent("upsell_offered", {"addons": offered}))
        return Outcome(True, "Suggested: " + ", ".join(a.name for a in picks), {"sent": True})

    def accept_upsell(self, slug: str) -> Outcome:
        outcome = self.add_addon(slug)
        if outcome.ok:
            self.reply.actions.append(RecordEvent("upsell_accepted", {"addon": slug}))
        return outcome


def _before(shown: dict[str, Any], now: datetime) -> bool:
    at = shown.get("shown_at")
    return bool(at) and datetime.fromisoformat(str(at)) < now
