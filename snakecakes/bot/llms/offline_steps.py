"""The offline engine's questions: at the end of every turn, the next thing the order still
needs, asked once, with buttons or a list to tap, and the typed answer understood as well.

The order of the questions: the cake (and which one, when a name fits several), its size,
flavour and filling, the inscription (once per cake), one suggestion of extras (once per order,
beside the next question), the day, the time, pickup or delivery, the address, the name; then
the summary with the Confirm button (the desk's checkout, which checks everything again).
"""

from __future__ import annotations

import re
from datetime import date

from snakecakes.bot.llms import offline_views as views
from snakecakes.bot.llms.offline_flow import OPTION_KINDS, Flow
from snakecakes.bot.llms.offline_nlu.text import fold
from snakecakes.shop.catalog import ALLERGENS, Catalog, Product
from snakecakes.shop.schedule import describe_day
from snakecakes.shop.summary import checkout_problems


def greet(flow: Flow) -> None:
    ctx = flow.ctx
    name = ctx.chat.name if ctx.chat.name and len(ctx.chat.name) <= 40 else None
    text = ctx.prompt("offline_greeting", name=name)  # the turn adds the out-of-hours notice
    flow.state["greeted"] = True
    flow.send(views.categories_list(ctx, flow.catalog, text), text)
    flow.state["asking"] = "product"


def show_menu(flow: Flow) -> None:
    text = flow.ctx.prompt("offline_menu")
    flow.send(views.categories_list(flow.ctx, flow.catalog, text), text)
    flow.state["asking"] = "product"


def show_category(flow: Flow, key: str) -> bool:
    category = flow.catalog.category(key)
    products = flow.catalog.available_products(key)
    if category is None or not products:
        return False
    text = f"*{category.name}*\n{category.description}\nTap a cake to choose it."
    flow.send(views.products_list(flow.ctx, flow.catalog, products, text), text)
    flow.state["asking"] = "product"
    return True


def ask_next(flow: Flow) -> None:
    """Ask for the next missing thing, unless this turn already asked something."""
    if flow.asked:
        return
    ctx, catalog, desk, state = flow.ctx, flow.catalog, flow.desk, flow.state
    cart = desk.cart
    pending = state.get("pending")
    kind = flow.missing()
    product = catalog.product(pending["product"]) if pending else None
    if pending and product is None:  # gone from a reloaded catalog
        state["pending"] = pending = None
    if pending and kind and product is not None:
        options = getattr(product, f"{kind}s")
        text = ctx.prompt(
            "offline_ask_option",
            option=kind,
            product=product.name,
            options=views.option_lines(catalog, options),
        )
        if not pending.get("shown"):
            pending["shown"] = True
            text = product_intro(catalog, product) + "\n\n" + text
        flow.ask(kind, views.options_picker(ctx, catalog, product, kind, text), text)
        return
    asked = set(map(str, state.get("ins_asked") or []))
    for line in cart["items"]:
        product = catalog.product(str(line["product"]))
        if product and product.inscription and str(line["id"]) not in asked:
            state.setdefault("ins_asked", []).append(line["id"])
            state["focus"] = line["id"]
            text = ctx.prompt(
                "offline_ask_inscription",
                product=product.name,
                inscription_max=catalog.shop.inscription_max_length,
            )
            body = views.single_button(ctx, text, "noins", "No inscription")
            flow.ask("inscription", body, text)
            return
    if not cart["items"]:
        text = ctx.prompt("offline_ask_cake")
        flow.ask("product", views.categories_list(ctx, catalog, text), text)
        return
    if not cart.get("upsell_offered") and desk.offer_upsell().ok:
        flow.lead_last()  # one suggestion of extras, before the next question
    if not cart.get("wanted") or state.get("want_day"):
        ask_when(flow)
        return
    fulfilment = cart.get("fulfilment")
    if not fulfilment and state.get("delivery"):
        text = ctx.prompt("offline_ask_address")
        flow.ask("address", views.location_request(ctx, text), text)
        return
    if not fulfilment:
        text = ctx.prompt(
            "offline_ask_fulfilment",
            pickup_address=str(catalog.shop.pickup_address),
            zones=zones_text(catalog),
        )
        flow.ask("fulfilment", views.fulfilment_buttons(ctx, text), text)
        return
    if not cart.get("customer"):
        text = ctx.prompt("offline_ask_name")
        name = ctx.chat.name if ctx.chat.name and len(ctx.chat.name.strip()) >= 2 else None
        flow.ask("name", views.name_buttons(ctx, text, name), text)
        return
    problems = checkout_problems(catalog, cart, ctx.now)
    if problems:
        flow.say(" ".join(problems))
        state["asking"] = None
        return
    outcome = desk.show_checkout()
    flow.lead_last()
    if outcome.ok:
        state["asking"] = "confirm"
        flow.asked = True
    else:
        flow.say(outcome.message)


def ask_when(flow: Flow) -> None:
    ctx, catalog, state = flow.ctx, flow.catalog, flow.state
    day = state.get("want_day")
    if day:
        chosen = date.fromisoformat(day)
        text = ctx.prompt("offline_ask_time", day=describe_day(chosen))
        flow.ask("time", views.times_list(ctx, catalog, chosen, text), text)
        return
    text = ctx.prompt("offline_ask_day")
    products = flow.products_in_play()
    flow.ask("day", views.days_list(ctx, catalog, products, text), text)


def zones_text(catalog: Catalog) -> str:
    zones = catalog.shop.delivery_zones
    if not zones:
        return "sorry, pickup only."
    parts = [f"{z.name} {views.money(catalog, z.fee)}" for z in zones]
    return "within about {:g} km ({}).".format(max(z.radius_km for z in zones), "; ".join(parts))


def stage(flow: Flow) -> str:
    from snakecakes.bot.llms.offline_flow import STAGES

    return STAGES.get(flow.asking or "", "order")


def category_named(flow: Flow, text: str) -> bool:
    """ "cheesecakes", "tortes", "vegan": the cakes of that category to choose from."""
    from snakecakes.bot.llms.offline_nlu import ProductName, canonical_words, match_product

    categories = flow.catalog.categories
    names = [ProductName(c.key, c.name, (c.key.replace("-", " "),)) for c in categories]
    said = [w for w in canonical_words(text) if w != "cake"]  # "a cake" names no category
    if len(text.split()) > 4 or any(ch.isdigit() for ch in text) or not said:
        return False
    found = match_product(" ".join(said), names)
    if found is None or found.ambiguous or found.score < 0.5:
        return False
    return show_category(flow, found.slug)


def ask_cake(flow: Flow) -> None:
    text = flow.ctx.prompt("offline_ask_cake")
    flow.ask("product", views.categories_list(flow.ctx, flow.catalog, text), text)


def ask_cancel(flow: Flow, number: str, text: str) -> None:
    options = [
        (views.shop_id(flow.ctx, "cancel", number), "Yes, cancel it", None),
        (views.shop_id(flow.ctx, "keep"), "No, keep it", None),
    ]
    flow.ask("cancel", views.choices(flow.ctx, text, options), text)


def product_intro(catalog: Catalog, product: Product) -> str:
    allergens = ", ".join(ALLERGENS[a] for a in product.allergens) or "none of the 14"
    lines = [
        f"*{product.name}*, from {views.money(catalog, product.price_from)}",
        product.description,
        f"Allergens: {allergens}.",
    ]
    dietary = [tag for tag in product.dietary if tag != "vegetarian"]
    if dietary:
        lines.append("Also: " + ", ".join(tag.replace("-", " ") for tag in dietary) + ".")
    if product.lead_time_days:
        days = product.lead_time_days
        lines.append(f"Please order {days} day{'s' if days != 1 else ''} ahead.")
    return "\n".join(lines)


_CHANGE = re.compile(r"\b(?:change|different|another|other|wrong|andern|ander\w*|cambiar|otra?)\b")
_FIELDS = (
    ("day", re.compile(r"\b(?:date|day|time|when|datum|tag|uhrzeit|zeit|fecha|dia|hora)\b")),
    ("name", re.compile(r"\b(?:name|nombre)\b")),
    ("fulfilment", re.compile(r"\b(?:address|adresse|direccion|where)\b")),
    ("size", re.compile(r"\b(?:size|grosse|tamano)\b")),
    ("flavour", re.compile(r"\b(?:flavou?r|geschmack|sabor)\b")),
    ("filling", re.compile(r"\b(?:filling|fullung|relleno)\b")),
)


def change_request(flow: Flow, text: str) -> bool:
    """ "I want to change the date": ask that question again, with its buttons."""
    folded = fold(text)
    if not _CHANGE.search(folded):
        return False
    field = next((name for name, words in _FIELDS if words.search(folded)), None)
    cart, state = flow.desk.cart, flow.state
    line = flow.focus_line()
    product = flow.product(str(line["product"])) if line else None
    if field in OPTION_KINDS and product is not None:
        options = getattr(product, f"{field}s")
        if len(options) < 2:
            flow.say(f"The {product.name} comes in one {field} only.")
            return True
        text = f"Which {field} would you like for the {product.name} instead?"
        flow.ask(field, views.options_picker(flow.ctx, flow.catalog, product, field, text), text)
        return True
    if field == "day" and cart["items"]:
        state["want_day"] = state["want_time"] = None
        text = flow.ctx.prompt("offline_ask_day")
        body = views.days_list(flow.ctx, flow.catalog, flow.products_in_play(), text)
        flow.ask("day", body, text)
        return True
    if field == "name":
        flow.ask("name", None, flow.ctx.prompt("offline_ask_name"))
        return True
    if field == "fulfilment":
        state["delivery"] = True
        text = flow.ctx.prompt("offline_ask_address")
        flow.ask("address", views.location_request(flow.ctx, text), text)
        return True
    return False
