"""The order summary a customer reads on WhatsApp before confirming, and staff read afterwards;
and what still keeps a cart from being confirmed.

Why its own module: the summary is what the customer agrees to, so every figure in it comes from
pricing (the server's own computation) and every detail from the cart as stored; nothing the
conversation said is repeated unchecked. It uses WhatsApp's own markup (*bold*, _italic_) and
lists the allergens of exactly the chosen items, options and add-ons.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from snakecakes.shop.cart import cart_products
from snakecakes.shop.catalog import ALLERGENS, Catalog
from snakecakes.shop.pricing import (
    AddonLine,
    ItemLine,
    PricingError,
    Quote,
    format_money,
    price_cart,
)
from snakecakes.shop.schedule import (
    ScheduleError,
    check_wanted,
    describe_day,
    parse_date,
    parse_time,
)

TIMES = "\N{MULTIPLICATION SIGN}"
DASH = "\N{EM DASH}"
DOT = "\N{MIDDLE DOT}"


def _quoted(text: str) -> str:
    return f"\N{LEFT DOUBLE QUOTATION MARK}{text}\N{RIGHT DOUBLE QUOTATION MARK}"


def _price(line: ItemLine | AddonLine, currency: str) -> str:
    total = format_money(line.total, currency)
    if line.quantity == 1:
        return total
    return f"{total} ({format_money(line.unit_price, currency)} each)"


def _item(line: ItemLine, currency: str) -> list[str]:
    head = f"*{line.quantity}{TIMES} {line.name}* {DASH} {_price(line, currency)}"
    # "Box of 6" says it already; "18 cm" needs "serves 8 to 10".
    serves = "" if line.servings in line.size else f", serves {line.servings}"
    details = [f"{line.size}{serves}"]
    details += [choice for choice in (line.flavour, line.filling) if choice]
    out = [head, f" {DOT} ".join(details)]
    if line.inscription:
        out.append(f"Inscription: {_quoted(line.inscription)}")
    return out


def _addon(line: AddonLine, currency: str) -> list[str]:
    out = [f"*{line.quantity}{TIMES} {line.name}* {DASH} {_price(line, currency)}"]
    if line.text:
        out.append(f"Text: {_quoted(line.text)}")
    return out


def _totals(quote: Quote) -> list[str]:
    money = quote.currency
    out = [f"Subtotal: {format_money(quote.subtotal, money)}"]
    zone = quote.delivery_zone
    if zone is not None:
        fee = format_money(quote.delivery_fee, money) if quote.delivery_fee else "free"
        out.append(f"Delivery ({zone.name}): {fee}")
        if quote.min_order_shortfall:
            minimum = format_money(zone.min_order, money)
            out.append(f"_Delivery there needs a minimum order of {minimum}._")
    out.append(f"*Total: {format_money(quote.total, money)}*")
    return out


def _when(cart: Mapping[str, Any]) -> str:
    wanted = cart.get("wanted")
    if not wanted:
        return "\N{CALENDAR} Date and time: _not chosen yet_"
    day = describe_day(date.fromisoformat(wanted["date"]))
    return f"\N{CALENDAR} {day} at {wanted['time']}"


def _where(catalog: Catalog, cart: Mapping[str, Any]) -> str:
    fulfilment = cart.get("fulfilment") or {}
    if fulfilment.get("method") == "pickup":
        return f"\N{HOUSE BUILDING} Pickup at {catalog.shop.name}, {catalog.shop.pickup_address}"
    if fulfilment.get("method") == "delivery":
        place = fulfilment.get("address") or "the location you shared"
        return f"\N{DELIVERY TRUCK} Delivery to {place}"
    return "\N{HOUSE BUILDING} Pickup or delivery: _not chosen yet_"


def _about(cart: Mapping[str, Any]) -> list[str]:
    customer = cart.get("customer") or {}
    out = [f"\N{BUST IN SILHOUETTE} {customer.get('name') or '_name not given yet_'}"]
    if cart.get("notes"):
        out.append(f"\N{MEMO} Notes: {cart['notes']}")
    if cart.get("allergies"):
        out.append(
            f"\N{WARNING SIGN}\N{VARIATION SELECTOR-16} Allergies you told us: {cart['allergies']}"
        )
    return out


def _allergens(catalog: Catalog, quote: Quote) -> list[str]:
    names = [ALLERGENS[name] for name in quote.allergens]
    line = "Allergens: " + (", ".join(names) if names else "none of the 14 to declare") + "."
    note = catalog.shop.allergen_note
    return [line, f"_{note}_"] if note else [line]


def order_summary(catalog: Catalog, cart: Mapping[str, Any], *, title: str = "Your order") -> str:
    """The whole order as one WhatsApp message; PricingError when the cart cannot be priced
    (an item no longer available, say), so a wrong total is never shown."""
    quote = price_cart(catalog, cart)
    if not quote.items and not quote.addons:
        return f"*{title}*\n\nYour cart is empty."
    blocks: list[list[str]] = [[f"*{title} at {catalog.shop.name}*"]]
    blocks += [_item(line, quote.currency) for line in quote.items]
    blocks += [_addon(line, quote.currency) for line in quote.addons]
    blocks.append(_totals(quote))
    blocks.append([_when(cart), _where(catalog, cart), *_about(cart)])
    blocks.append(_allergens(catalog, quote))
    return "\n\n".join("\n".join(block) for block in blocks)


def checkout_problems(catalog: Catalog, cart: Mapping[str, Any] | None, now: datetime) -> list[str]:
    """What still stands between this cart and an order, as questions for the customer;
    an empty list means it can be confirmed."""
    cart = cart or {}
    if not cart.get("items"):
        return ["Your cart is empty. Which cake would you like?"]
    problems: list[str] = []
    try:
        quote = price_cart(catalog, cart)
    except PricingError as exc:
        return [str(exc)]
    wanted = cart.get("wanted")
    if not wanted:
        problems.append("For which day and time would you like your order?")
    else:
        try:
            day, at = parse_date(wanted["date"]), parse_time(wanted["time"])
            check_wanted(catalog, cart_products(catalog, cart), day, at, now)
        except ScheduleError as exc:
            problems.append(str(exc))
    zone = quote.delivery_zone
    if not cart.get("fulfilment"):
        problems.append("Would you like to pick up your order or have it delivered?")
    elif zone is not None and quote.min_order_shortfall:
        minimum = format_money(zone.min_order, quote.currency)
        problems.append(f"Delivery there needs a minimum order of {minimum}.")
    if not cart.get("customer"):
        problems.append("Under which name should we put the order?")
    return problems
