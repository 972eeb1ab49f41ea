"""Server-side prices: what an order costs, computed from the catalog and nothing else.

Why: a cart lives in the chat state and passes through the language model's hands; whatever
figure appears in it (or in a conversation) is never trusted. `price_cart` reads only product,
option and add-on keys and quantities from the cart, looks every price up in the catalog, and
refuses anything it does not know, so the total a customer confirms is the one we charge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from snakecakes.shop.catalog import ALLERGENS, Catalog, Choice
from snakecakes.shop.delivery import DeliveryError, resolve_zone
from snakecakes.shop.profile import CENT, DeliveryZone

ZERO = Decimal("0.00")
SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}


class PricingError(ValueError):
    """The cart names something the catalog cannot price; `item_id` is the line to fix."""

    def __init__(self, message: str, item_id: int | None = None) -> None:
        super().__init__(message)
        self.item_id = item_id


@dataclass(frozen=True, slots=True)
class ItemLine:
    id: int
    product: str
    name: str
    size: str
    servings: str
    flavour: str | None
    filling: str | None
    quantity: int
    unit_price: Decimal
    total: Decimal
    inscription: str | None
    allergens: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AddonLine:
    id: int
    addon: str
    name: str
    quantity: int
    unit_price: Decimal
    total: Decimal
    text: str | None
    allergens: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Quote:
    items: tuple[ItemLine, ...]
    addons: tuple[AddonLine, ...]
    subtotal: Decimal
    delivery_zone: DeliveryZone | None  # None: pickup, or not chosen yet
    delivery_fee: Decimal
    total: Decimal
    currency: str

    @property
    def allergens(self) -> tuple[str, ...]:
        """Every allergen of the chosen items and add-ons, in the EU list's order."""
        lines: tuple[ItemLine | AddonLine, ...] = (*self.items, *self.addons)
        found = {allergen for line in lines for allergen in line.allergens}
        return tuple(name for name in ALLERGENS if name in found)

    @property
    def min_order_shortfall(self) -> Decimal:
        """How much is missing to reach the delivery zone's minimum order (0 when none)."""
        if self.delivery_zone is None:
            return ZERO
        return max(ZERO, self.delivery_zone.min_order - self.subtotal)


def format_money(amount: Decimal, currency: str) -> str:
    value = f"{amount.quantize(CENT):,.2f}"
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{value}" if symbol else f"{value} {currency}"


def _id(line: Mapping[str, Any]) -> int:
    value = line.get("id")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _quantity(line: Mapping[str, Any], limit: int, item_id: int) -> int:
    quantity = line.get("quantity", 1)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= limit:
        raise PricingError(f"invalid quantity {quantity!r}", item_id)
    return quantity


def _choice(options: tuple[Choice, ...], key: Any, what: str, item_id: int) -> Choice | None:
    if not options and key is None:
        return None
    found = next((option for option in options if option.key == key), None)
    if found is None:
        raise PricingError(f"unknown {what} {key!r}", item_id)
    return found


def _item(catalog: Catalog, line: Mapping[str, Any]) -> ItemLine:
    item_id = _id(line)
    product = catalog.product(str(line.get("product")))
    if product is None:
        raise PricingError(f"unknown product {line.get('product')!r}", item_id)
    if not product.available:
        raise PricingError(f"Sorry, the {product.name} isn't available any more.", item_id)
    size = next((s for s in product.sizes if s.key == line.get("size")), None)
    if size is None:
        raise PricingError(f"unknown size {line.get('size')!r} of {product.slug}", item_id)
    flavour = _choice(product.flavours, line.get("flavour"), "flavour", item_id)
    filling = _choice(product.fillings, line.get("filling"), "filling", item_id)
    quantity = _quantity(line, catalog.shop.max_item_quantity, item_id)
    unit = size.price + sum((c.surcharge for c in (flavour, filling) if c), ZERO)
    return ItemLine(
        id=item_id,
        product=product.slug,
        name=product.name,
        size=size.label,
        servings=size.servings,
        flavour=flavour.label if flavour else None,
        filling=filling.label if filling else None,
        quantity=quantity,
        unit_price=unit,
        total=unit * quantity,
        inscription=line.get("inscription") or None,
        allergens=product.allergens_with(flavour, filling),
    )


def _addon(catalog: Catalog, line: Mapping[str, Any]) -> AddonLine:
    item_id = _id(line)
    addon = catalog.addon(str(line.get("addon")))
    if addon is None:
        raise PricingError(f"unknown add-on {line.get('addon')!r}", item_id)
    if not addon.available:
        raise PricingError(f"Sorry, the {addon.name} isn't available any more.", item_id)
    quantity = _quantity(line, addon.max_quantity, item_id)
    return AddonLine(
        id=item_id,
        addon=addon.slug,
        name=addon.name,
        quantity=quantity,
        unit_price=addon.price,
        total=addon.price * quantity,
        text=line.get("text") or None,
        allergens=addon.allergens,
    )


def delivery_zone_of(catalog: Catalog, cart: Mapping[str, Any]) -> DeliveryZone | None:
    """The zone of the cart's delivery address, found afresh (zones may have changed)."""
    fulfilment = cart.get("fulfilment") or {}
    if fulfilment.get("method") != "delivery":
        return None
    place = fulfilment.get("location")
    location = (float(place["latitude"]), float(place["longitude"])) if place else None
    try:
        match = resolve_zone(catalog.shop, address=fulfilment.get("address"), location=location)
    except DeliveryError as exc:
        raise PricingError(str(exc)) from None
    return match.zone


def price_cart(catalog: Catalog, cart: Mapping[str, Any]) -> Quote:
    """Price a cart from the catalog alone; PricingError for anything unknown or unavailable."""
    items = tuple(_item(catalog, line) for line in cart.get("items") or ())
    addons = tuple(_addon(catalog, line) for line in cart.get("addons") or ())
    subtotal = sum((line.total for line in items), ZERO) + sum((a.total for a in addons), ZERO)
    zone = delivery_zone_of(catalog, cart)
    fee = ZERO
    if zone is not None and not (zone.free_from is not None and subtotal >= zone.free_from):
        fee = zone.fee
    return Quote(
        items=items,
        addons=addons,
        subtotal=subtotal,
        delivery_zone=zone,
        delivery_fee=fee,
        total=subtotal + fee,
        currency=catalog.shop.currency,
    )
