"""The offline engine: takes a complete cake order without a language model, deterministically.

Used when neither OPENAI_API_KEY nor OPENAI_BASE_URL is set (and by `make demo`). It reads each
message with the offline_nlu toolkit (cakes with typos, sizes, "for 12 people", dates such as
"next friday 3pm", quantities, the inscription, pickup or delivery, an address or a shared
location, a name), shows the menu and every choice as lists and buttons to tap, and moves the
order on through the order desk, which checks and prices everything. Each turn ends with the
next missing thing asked (offline_steps); the summary's Confirm button places the order through
the desk's own button handler, a typed "yes" after the summary through the desk here.

Module map: offline_flow (state and the cake being chosen), offline_words (reading a message for
the order), offline_steps (the next question), offline_taps (our buttons and rows),
offline_views (lists and buttons within WhatsApp's limits).

Questions about the shop ("is it nut-free?") go to `questions` (offline_questions: a hook
`(ctx, reply, question) -> bool`); `from_settings` plugs in the shop's documents. A question
that is really an order ("can I order a sachertorte?") or names a cake without asking about
its ingredients goes to the order flow instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from snakecakes.bot.llms import offline_details as details
from snakecakes.bot.llms import offline_steps as steps
from snakecakes.bot.llms.base import EngineReply, Inbound, TurnContext
from snakecakes.bot.llms.offline_flow import Flow
from snakecakes.bot.llms.offline_nlu import Intent, ProductName, detect_intents, match_product
from snakecakes.bot.llms.offline_nlu.text import fold
from snakecakes.bot.llms.offline_questions import Questions, answer_from_documents
from snakecakes.bot.llms.offline_taps import handle_tap
from snakecakes.bot.llms.offline_views import NS
from snakecakes.bot.llms.offline_words import read_order
from snakecakes.bot.ordering.actions import RecordEvent
from snakecakes.bot.ordering.desk import NoCatalog, OrderDesk
from snakecakes.bot.routing.buttons import parse_id
from snakecakes.bot.whatsapp.updates import ButtonReply, ListReply, Location
from snakecakes.config import Settings

_MY_ORDERS = re.compile(r"\b(?:my orders?|meine bestellung\w*|mis pedidos|order history)\b")
_CART = re.compile(r"^\W*(?:show |see |view )?(?:my |the )?(?:cart|basket|warenkorb|carrito)\W*$")
_QUESTION = re.compile(
    r"\?\s*$|^\s*(?:is|are|do|does|did|can|could|will|would|what|which|how|when|where|why|who|"
    r"ist|sind|habt|hast|gibt|kann|konnt|wie|was|wann|wo|welche|tienen|hay|puedo|cuanto|donde)\b",
    re.IGNORECASE,
)
_ABOUT_CAKE = re.compile(
    r"\b(?:free|allerg\w*|contain\w*|vegan|vegetarian|gluten|nuts?|lactose|dairy|egg|halal|"
    r"alcohol|ingredients?|gelatine|frei|enthalt\w*|sin|lleva|contiene)\b"
)
_WANTS_CAKE = re.compile(
    r"\b(?:cakes?|torten?|kuchen|tartas?|pasteles?|order|bestell\w*|pedido|pedir)\b"
)
_ORDERING = re.compile(  # a wish, not a question: "can I order a sachertorte?"
    r"\b(?:i(?:'d| would)? like|i want|i'?ll (?:take|have)|(?:can|could|may) i (?:order|get|have)|"
    r"i'?d love|id like|ich mochte|ich hatte gern|kann ich \w+ bestellen|quiero|quisiera)\b"
)


class OfflineEngine:
    name = "offline"

    def __init__(self, questions: Questions | None = None) -> None:
        self.questions = questions

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> OfflineEngine:
        """The engine of a running bot: questions answered from the shop's documents (no
        setting changes the offline engine yet)."""
        return cls(questions=answer_from_documents)

    def respond(self, ctx: TurnContext, items: Sequence[Inbound]) -> EngineReply:
        reply = EngineReply()
        try:
            desk = OrderDesk(ctx, reply)
        except NoCatalog:
            reply.say_as_is(ctx, ctx.prompt("help"))
            return reply
        flow = Flow(ctx, reply, desk)
        done = False
        for item in items:
            done = self._one(flow, item) or done
        if not done:
            flow.commit()
            details.settle_date(flow)
            steps.ask_next(flow)
        flow.flush()
        flow.save()
        return reply

    def _one(self, flow: Flow, item: Inbound) -> bool:
        """Handle one message; True when the turn must not ask anything more."""
        content = item.message.content
        if isinstance(content, ButtonReply | ListReply):
            tap = parse_id(content.id)
            if tap is not None and tap.namespace == NS and handle_tap(flow, tap):
                return False
        if isinstance(content, Location):
            if flow.desk.cart["items"] or flow.state.get("pending"):
                flow.delivery(location=(content.latitude, content.longitude))
            return False
        return self._text(flow, item.text or "")

    def _text(self, flow: Flow, text: str) -> bool:
        ctx, desk, state = flow.ctx, flow.desk, flow.state
        intents = set(detect_intents(text))
        folded = fold(text)
        asking = flow.asking
        if Intent.HUMAN in intents:
            flow.tell(desk.hand_over())
            state["asking"] = None
            return True
        if Intent.START_OVER in intents:
            desk.start_new_cart()
            flow.fresh()
            flow.say("Sure, let's start over.")
            read_order(flow, text)
            if not flow.acted:
                steps.show_menu(flow)
            return False
        if asking == "cancel" and intents & {Intent.YES, Intent.NO, Intent.CANCEL}:
            if Intent.NO in intents:
                flow.say("Okay, your order stays as it is.")
            else:
                flow.tell(desk.cancel_order(state.get("cancel")))
            state["asking"] = None
            return True
        if Intent.CANCEL in intents and not intents & {Intent.NO}:
            return self._cancel(flow, text)
        if Intent.ORDER_STATUS in intents or _MY_ORDERS.search(folded):
            flow.tell(desk.my_orders())
            flow.acted = True
            flow.asked = not desk.cart["items"]
            return False
        if _CART.match(folded):
            flow.tell(desk.view_cart())
            flow.acted = True
            return False
        if Intent.MENU in intents and not flow.state.get("pending"):
            steps.show_menu(flow)
            return True
        if asking == "confirm" and Intent.YES in intents:
            outcome = desk.place_order()
            if not outcome.ok:
                flow.say(outcome.message)
                return False
            flow.fresh()  # the next cake starts a new order
            return True
        if asking == "confirm" and Intent.NO in intents and len(text.split()) <= 3:
            flow.say(ctx.prompt("order_change"))
            state["asking"] = None
            return True
        if asking == "inscription" and Intent.NO in intents and len(text.split()) <= 3:
            flow.say("No inscription, noted.")
            flow.acted = True
            return False
        if self._addon_words(flow, text):
            return False
        if self._is_question(flow, text) and self._answer(flow, text):
            return False
        if _QUESTION.search(text) and _ABOUT_CAKE.search(folded) and not _ORDERING.search(folded):
            self._about_cake(flow, text)  # what is in a cake, the documents did not say
            return False
        read_order(flow, text)
        if flow.acted or steps.change_request(flow, text):
            return False
        return self._small_talk(flow, text, intents)

    def _small_talk(self, flow: Flow, text: str, intents: set[Intent]) -> bool:
        ctx = flow.ctx
        if self._extras(flow, text, intents):
            return False
        empty = not flow.desk.cart["items"] and not flow.state.get("pending")
        if intents & {Intent.GREETING, Intent.YES} and not flow.state.get("greeted") and empty:
            steps.greet(flow)
            return True
        if Intent.GREETING in intents and not flow.desk.cart["items"]:
            steps.greet(flow)
            return True
        if Intent.THANKS in intents or Intent.GREETING in intents:
            flow.say(ctx.prompt("offline_thanks") if Intent.THANKS in intents else "Hello again!")
            flow.asked = not flow.desk.cart["items"] and not flow.state.get("pending")
            return False
        if intents & {Intent.YES, Intent.NO} and not empty:
            return False  # nothing to say yes or no to: the open question again
        if steps.category_named(flow, text):
            return True
        if _WANTS_CAKE.search(fold(text)) and not flow.state.get("pending"):
            steps.ask_cake(flow)  # "I'd like to order a cake": which one?
            return True
        if _QUESTION.search(text):
            flow.say(ctx.prompt("offline_unknown_question"))
            flow.asked = flow.asked or not flow.desk.cart["items"]
            return False
        flow.say(ctx.prompt("offline_fallback"))
        return False

    def _extras(self, flow: Flow, text: str, intents: set[Intent]) -> bool:
        """An extra by name ("add candles"), or a typed yes or no to the suggestion."""
        desk, state = flow.desk, flow.state
        if not desk.cart["items"]:
            return False
        offered = list(desk.cart.get("upsell_offered") or [])
        names = [ProductName(a.slug, a.name) for a in flow.catalog.addons if a.available]
        found = match_product(text, names)
        slug = found.slug if found is not None and not found.ambiguous else None
        if slug is None and offered and not state.get("upsell_done"):
            if Intent.NO in intents:
                state["upsell_done"] = True
                flow.say(flow.ctx.prompt("upsell_declined"))
                return True
            if Intent.YES in intents and len(offered) == 1:
                slug = offered[0]
            elif Intent.YES in intents:
                flow.say("Which one? Tap its *Add* button above, or write its name.")
                return True
        if slug is None:
            return False
        state["upsell_done"] = True
        outcome = desk.accept_upsell(slug) if slug in offered else desk.add_addon(slug)
        flow.tell(outcome)
        addon = flow.catalog.addon(slug)
        if not outcome.ok and addon is not None and addon.text is not None:
            flow.asked = True  # "What should the card say?" alone: the answer is its text
        return True

    def _addon_words(self, flow: Flow, text: str) -> bool:
        """The words an extra needs ("What should the card say?" after its Add button)."""
        last = next((h.text for h in reversed(flow.ctx.history) if h.role == "assistant"), None)
        addon = next((a for a in flow.catalog.addons if a.text and a.text.prompt == last), None)
        if addon is None or not text.strip():
            return False
        outcome = flow.tell(flow.desk.add_addon(addon.slug, text=text.strip()))
        if outcome.ok and addon.slug in (flow.desk.cart.get("upsell_offered") or []):
            flow.reply.actions.append(RecordEvent("upsell_accepted", {"addon": addon.slug}))
        flow.acted = True
        return True

    def _is_question(self, flow: Flow, text: str) -> bool:
        """A question for the documents: not an order, and about a cake only when it asks
        what is in it ("is the sachertorte nut-free?", not "do you have sachertorte?")."""
        folded = fold(text)
        if self.questions is None or not _QUESTION.search(text) or _ORDERING.search(folded):
            return False
        names = [ProductName(p.slug, p.name) for p in flow.catalog.available_products()]
        return match_product(text, names) is None or bool(_ABOUT_CAKE.search(folded))

    def _about_cake(self, flow: Flow, text: str) -> None:
        names = [ProductName(p.slug, p.name) for p in flow.catalog.available_products()]
        found = match_product(text, names)
        product = flow.product(found.slug) if found and not found.ambiguous else None
        if product is not None:
            flow.say(steps.product_intro(flow.catalog, product))
        else:
            flow.say(flow.ctx.prompt("offline_unknown_question"))
        flow.acted = True
        flow.asked = flow.asked or not flow.desk.cart["items"]

    def _answer(self, flow: Flow, question: str) -> bool:
        assert self.questions is not None
        flow.flush()
        if not self.questions(flow.ctx, flow.reply, question):
            return False
        flow.acted = True
        flow.asked = flow.asked or not flow.desk.cart["items"]  # no nagging after an answer
        return True

    def _cancel(self, flow: Flow, text: str) -> bool:
        ctx, desk = flow.ctx, flow.desk
        prefix = re.escape(ctx.order_prefix.strip("-"))
        number = re.search(rf"\b{prefix}-?\s?\d+\b", text, re.IGNORECASE)
        if number:
            flow.tell(desk.cancel_order(number.group(0).replace(" ", "").upper()))
            return True
        if desk.cart["items"] or flow.state.get("pending"):
            desk.start_new_cart()
            flow.fresh()
            flow.say(ctx.prompt("offline_cart_emptied"))
            return True
        assert ctx.shop is not None
        mine = ctx.shop.orders_of(ctx.bot_id, ctx.chat.customer_key)
        open_orders = [o for o in mine if o.status in ("new", "confirmed")]
        if not open_orders:
            flow.say("You have no open order to cancel.")
            return True
        order = open_orders[0]
        text = ctx.prompt("offline_ask_cancel", number=order.number)
        flow.state["cancel"] = order.number
        steps.ask_cancel(flow, order.number, text)
        return True
