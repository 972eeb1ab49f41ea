"""The customer's cart: a plain JSON-able dict kept in the chat session state.

Why plain data: the session state is stored as JSON, so the cart must survive a round trip
unchanged. It holds keys and words only, never a price: snakecakes.shop.pricing computes every
figure from the catalog, so a stale or tampered cart cannot change what is charged.
Every function returns a new cart with `version` bumped and leaves its input alone (a draft
dropped by latest-wins leaves no trace), or raises CartError with a message for the customer.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

from snakecakes.shop.catalog import Catalog, Choice, Product, Size
from snakecakes.shop.delivery import DeliveryError, resolve_zone
from snakecakes.shop.pricing import format_money
from snakecakes.shop.schedule import ScheduleError, check_wanted, parse_date, parse_time

Cart = dict[str, Any]
MAX_LINES = 20
NOTE_LIMIT = 500
NAME_LIMIT = 80
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class CartError(ValueError):
    """A change the cart refuses; the message is for the customer. `suggestions` are slots
    offered instead of a refused date (aware datetimes in the shop's time zone)."""

    def __init__(self, message: str, suggestions: Sequence[datetime] = ()) -> None:
        super().__init__(message)
        self.suggestions = tuple(suggestions)


def new_cart() -> Cart:
    return {
        "version": 0,
        "next_id": 1,
        "items": [],
        "addons": [],
        "wanted": None,
        "fulfilment": None,
        "customer": None,
        "notes": "",
        "allergies": "",
    }


def _edit(cart: Cart | None) -> Cart:
    return {**new_cart(), **copy.deepcopy(cart or {})}


def _done(cart: Cart) -> Cart:
    cart["version"] = int(cart.get("version", 0)) + 1
    return cart


def _clean(text: str, limit: int, what: str) -> str:
    text = " ".join(_CONTROL.sub(" ", text).split())
    if len(text) > limit:
        raise CartError(
            f"The {what} can have up to {limit} characters; this one has {len(text)}. "
            "Could you shorten it?"
        )
    return text


def _norm(text: str) -> str:
    return re.sub(r"[\s_-]+", "", text).casefold()


def _describe(option: Size | Choice, currency: str) -> str:
    if isinstance(option, Size):
        return f"{option.label} (serves {option.servings}, {format_money(option.price, currency)})"
    extra = f" (+{format_money(option.surcharge, currency)})" if option.surcharge else ""
    return f"{option.label}{extra}"


def _choose(
    catalog: Catalog, product: Product, kind: str, wanted: str | None, current: str | None
) -> str | None:
    """The option key for a size, flavour or filling given as key or label (any case)."""
    options: Sequence[Size | Choice] = getattr(product, f"{kind}s")
    if wanted is None:
        if current is not None or not options:
            return current
        if len(options) == 1:
            return options[0].key
    elif not options:
        raise CartError(f"The {product.name} has no choice of {kind}.")
    else:
        key = _norm(wanted)
        for option in options:
            if key in (_norm(option.key), _norm(option.label)):
                return option.key
    listing = "; ".join(_describe(option, catalog.shop.currency) for option in options)
    ask = f"Which {kind} would you like for the {product.name}?"
    prefix = "" if wanted is None else "We don't have that. "
    raise CartError(f"{prefix}{ask} {listing}.")


def _product(catalog: Catalog, name: str) -> Product:
    key = _norm(name)
    product = next((p for p in catalog.products if key in (_norm(p.slug), _norm(p.name))), None)
    if product is None:
        raise CartError("Sorry, we don't have that cake. Shall I show you our range?")
    if not product.available:
        raise CartError(f"Sorry, the {product.name} isn't available at the moment.")
    return product


def _line(cart: Cart, item_id: int | str) -> tuple[str, dict[str, Any]]:
    for kind in ("items", "addons"):
        for line in cart[kind]:
            if str(line.get("id")) == str(item_id).strip():
                return kind, line
    raise CartError("I can't find that item in your cart any more.")


def _check_quantity(quantity: int, limit: int) -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise CartError("The quantity must be a whole number of at least 1.")
    if quantity > limit:
        raise CartError(f"We can take up to {limit} of these per order; for more, please call us.")


def _new_id(cart: Cart) -> int:
    if len(cart["items"]) + len(cart["addons"]) >= MAX_LINES:
        raise CartError(f"A cart can hold up to {MAX_LINES} lines.")
    item_id = int(cart["next_id"])
    cart["next_id"] = item_id + 1
    return item_id


def add_item(
    cart: Cart | None,
    catalog: Catalog,
    product: str,
    *,
    size: str | None = None,
    flavour: str | None = None,
    filling: str | None = None,
    quantity: int = 1,
    inscription: str | None = None,
) -> Cart:
    """Add a product (slug or name); options left out are asked for unless there is only one."""
    cart = _edit(cart)
    found = _product(catalog, product)
    line: dict[str, Any] = {
        "product": found.slug,
        "size": _choose(catalog, found, "size", size, None),
        "flavour": _choose(catalog, found, "flavour", flavour, None),
        "filling": _choose(catalog, found, "filling", filling, None),
        "quantity": quantity,
        "inscription": _inscription(catalog, found, inscription),
    }
    limit = catalog.shop.max_item_quantity
    _check_quantity(quantity, limit)
    for same in cart["items"]:  # the same thing again: one line with a larger quantity
        if all(same.get(k) == v for k, v in line.items() if k != "quantity"):
            _check_quantity(int(same["quantity"]) + quantity, limit)
            same["quantity"] = int(same["quantity"]) + quantity
            return _done(cart)
    cart["items"].append({"id": _new_id(cart), **line})
    return _done(cart)


def add_addon(
    cart: Cart | None, catalog: Catalog, addon: str, *, quantity: int = 1, text: str | None = None
) -> Cart:
    """Add an extra (candles, a card with its message, ...)."""
    cart = _edit(cart)
    key = _norm(addon)
    found = next((a for a in catalog.addons if key in (_norm(a.slug), _norm(a.name))), None)
    if found is None or not found.available:
        raise CartError("Sorry, we don't offer that extra at the moment.")
    _check_quantity(quantity, found.max_quantity)
    words = _addon_text(found.name, found.text, text)
    for same in cart["addons"]:
        if same.get("addon") == found.slug and same.get("text") == words:
            _check_quantity(int(same["quantity"]) + quantity, found.max_quantity)
            same["quantity"] = int(same["quantity"]) + quantity
            return _done(cart)
    line = {"id": _new_id(cart), "addon": found.slug, "quantity": quantity, "text": words}
    cart["addons"].append(line)
    return _done(cart)


def _addon_text(name: str, spec: Any, text: str | None) -> str | None:
    if spec is None:
        if text:
            raise CartError(f"The {name} doesn't take a text.")
        return None
    words = _clean(text or "", spec.max_length, f"text for the {name}")
    if not words:
        raise CartError(spec.prompt)
    return words


def _inscription(catalog: Catalog, product: Product, text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    if not product.inscription:
        raise CartError(f"Sorry, the {product.name} can't carry an inscription.")
    words = text.strip().strip("\"'\u201c\u201d")  # quotes the customer typed around it
    return _clean(words, catalog.shop.inscription_max_length, "inscription") or None


def change_item(
    cart: Cart | None,
    catalog: Catalog,
    item_id: int | str,
    *,
    size: str | None = None,
    flavour: str | None = None,
    filling: str | None = None,
    quantity: int | None = None,
    text: str | None = None,
) -> Cart:
    """Change options or quantity of a line (an add-on's `text` too); None leaves a field as is."""
    cart = _edit(cart)
    kind, line = _line(cart, item_id)
    if kind == "addons":
        addon = catalog.addon(str(line.get("addon")))
        if addon is None or not addon.available:
            raise CartError("Sorry, that extra isn't available any more; please remove it.")
        if quantity is not None:
            _check_quantity(quantity, addon.max_quantity)
            line["quantity"] = quantity
        if text is not None:
            line["text"] = _addon_text(addon.name, addon.text, text)
        return _done(cart)
    product = _product(catalog, str(line.get("product")))
    for option, wanted in (("size", size), ("flavour", flavour), ("filling", filling)):
        line[option] = _choose(catalog, product, option, wanted, line.get(option))
    if quantity is not None:
        _check_quantity(quantity, catalog.shop.max_item_quantity)
        line["quantity"] = quantity
    return _done(cart)


def remove_item(cart: Cart | None, item_id: int | str) -> Cart:
    cart = _edit(cart)
    kind, line = _line(cart, item_id)
    cart[kind] = [other for other in cart[kind] if other is not line]
    return _done(cart)


def set_inscription(
    cart: Cart | None, catalog: Catalog, item_id: int | str, text: str | None
) -> Cart:
    """Set the words piped on a cake (None or blank removes them)."""
    cart = _edit(cart)
    kind, line = _line(cart, item_id)
    if kind != "items":
        raise CartError("Only cakes can carry an inscription.")
    line["inscription"] = _inscription(catalog, _product(catalog, str(line["product"])), text)
    return _done(cart)


def cart_products(catalog: Catalog, cart: Mapping[str, Any] | None) -> list[Product]:
    """The catalog products the cart's lines name (unknown ones left out)."""
    found = (catalog.product(str(line.get("product"))) for line in (cart or {}).get("items", []))
    return [product for product in found if product is not None]


def set_date(
    cart: Cart | None, catalog: Catalog, day: str | date, at: str | time, now: datetime
) -> Cart:
    """Set the wanted pickup or delivery date and time, checked against lead times, opening
    hours and closed days (CartError with `suggestions` when refused)."""
    cart = _edit(cart)
    try:
        wanted_day, wanted_at = parse_date(day), parse_time(at)
        check_wanted(catalog, cart_products(catalog, cart), wanted_day, wanted_at, now)
    except ScheduleError as exc:
        raise CartError(str(exc), exc.suggestions) from None
    cart["wanted"] = {"date": wanted_day.isoformat(), "time": f"{wanted_at:%H:%M}"}
    return _done(cart)


def set_fulfilment(
    cart: Cart | None,
    catalog: Catalog,
    method: str,
    *,
    address: str | None = None,
    location: tuple[float, float] | None = None,
) -> Cart:
    """Pickup, or delivery to a typed address or a shared location (latitude, longitude)
    inside a delivery zone."""
    cart = _edit(cart)
    method = method.strip().casefold()
    if method == "pickup":
        cart["fulfilment"] = {"method": "pickup"}
        return _done(cart)
    if method != "delivery":
        raise CartError("Would you like to pick up your order or have it delivered?")
    words = _clean(address or "", 300, "address") or None
    try:
        resolve_zone(catalog.shop, address=words, location=location)
    except DeliveryError as exc:
        raise CartError(str(exc)) from None
    place = {"latitude": location[0], "longitude": location[1]} if location else None
    cart["fulfilment"] = {"method": "delivery", "address": words, "location": place}
    return _done(cart)


def set_customer(cart: Cart | None, name: str) -> Cart:
    """The name the order goes under (the phone number is the chat's own)."""
    cart = _edit(cart)
    words = _clean(name, NAME_LIMIT, "name")
    if len(words) < 2 or not any(ch.isalpha() for ch in words):
        raise CartError("Under which name should we put the order?")
    cart["customer"] = {"name": words}
    return _done(cart)


def set_notes(cart: Cart | None, *, notes: str | None = None, allergies: str | None = None) -> Cart:
    """Free-text notes and allergies for the bakers; None leaves a field, "" clears it."""
    cart = _edit(cart)
    if notes is not None:
        cart["notes"] = _clean(notes, NOTE_LIMIT, "note")
    if allergies is not None:
        cart["allergies"] = _clean(allergies, NOTE_LIMIT, "allergy note")
    return _done(cart)
