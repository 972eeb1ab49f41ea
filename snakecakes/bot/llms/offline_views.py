"""What the offline engine shows: the menu as lists, options as buttons or lists, day and time
pickers, pickup or delivery, the name button. Every id is `shop:<action>:<session>:<args>`
(see offline_taps), every title within WhatsApp's limits (20 characters on a button, 24 on a list
row, 72 in a row description), whatever the catalog's names are.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from snakecakes.bot.llms.base import TurnContext
from snakecakes.bot.routing.buttons import make_id
from snakecakes.bot.whatsapp import messages
from snakecakes.bot.whatsapp.messages_interactive import Row, Section, buttons, list_message
from snakecakes.shop.catalog import Catalog, Choice, Product, Size
from snakecakes.shop.pricing import format_money
from snakecakes.shop.schedule import earliest_date, slots_on

NS = "shop"
BUTTON_TITLE, ROW_TITLE, ROW_TEXT, LIST_BODY, BUTTONS_BODY = 20, 24, 72, 1024, 1024
_SHORTER = (
    ("Celebration ", ""),
    ("Birthday ", ""),
    (" and ", " & "),
    ("Gluten-Free", "GF"),
    (" the ", " "),
    (" Cake", ""),
)


def shop_id(ctx: TurnContext, action: str, *args: object) -> str:
    return make_id(NS, action, ctx.session.id, *args)


def fit(text: str, limit: int) -> str:
    """A title within `limit` characters: shortened by known words, then at a word, with '…'."""
    for old, new in _SHORTER:
        if len(text) <= limit:
            return text
        text = text.replace(old, new)
    if len(text) <= limit:
        return text
    if "(" in text and text.index("(") > 2:
        return fit(text[: text.index("(")].strip(), limit)
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,&+-")
    return cut + "…"


def money(catalog: Catalog, amount: Any) -> str:
    return format_money(amount, catalog.shop.currency)


def _unique(titles: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for title in titles:
        seen[title] = seen.get(title, 0) + 1
        out.append(title if seen[title] == 1 else fit(f"{title[:-3]} {seen[title]}", len(title)))
    return out


def choices(
    ctx: TurnContext,
    body: str,
    options: Sequence[tuple[str, str, str | None]],
    button: str = "Choose",
    *,
    section: str | None = None,
) -> dict[str, Any]:
    """Reply buttons for up to three (id, title, description) options, else a list."""
    short = [fit(title, BUTTON_TITLE) for _, title, _ in options]
    if (
        len(options) <= 3
        and not any(t.endswith("…") for t in short)
        and len(set(short)) == len(short)
    ):
        return buttons(
            ctx.recipient,
            body[:LIST_BODY],
            [(o[0], t) for o, t in zip(options, short, strict=True)],
        )
    titles = _unique([fit(title, ROW_TITLE) for _, title, _ in options[:10]])
    rows = []
    for (i, full, text), title in zip(options[:10], titles, strict=True):
        if title != full:  # the whole name, where the title had to be shortened
            text = f"{full} · {text}" if text else full
        rows.append(Row(i, title, fit(text, ROW_TEXT) if text else None))
    head = fit(section, ROW_TITLE) if section else None
    return list_message(ctx.recipient, body[:LIST_BODY], fit(button, 20), [Section(head, rows)])


def serves(product: Product) -> str:
    low = min(s.servings_min for s in product.sizes)
    high = max(s.servings_max for s in product.sizes)
    return str(low) if low == high else f"{low}\N{EN DASH}{high}"


def categories_list(ctx: TurnContext, catalog: Catalog, body: str) -> dict[str, Any]:
    options = []
    for category in catalog.categories:
        inside = catalog.available_products(category.key)
        if inside:
            low = money(catalog, min(p.price_from for p in inside))
            count = f"{len(inside)} cake{'s' if len(inside) != 1 else ''}"
            text = f"{count} from {low}. {category.description}"
            options.append((shop_id(ctx, "cat", category.key), category.name, text))
    return choices(ctx, body, options, "See our cakes", section="Categories")


def products_list(
    ctx: TurnContext, catalog: Catalog, products: Sequence[Product], body: str
) -> dict[str, Any]:
    options = []
    for product in products[:10]:
        tags = [t for t in product.dietary if t in ("vegan", "gluten-free", "nut-free")]
        text = f"from {money(catalog, product.price_from)} · serves {serves(product)}"
        text += "".join(f" · {t}" for t in tags)
        options.append((shop_id(ctx, "prod", product.slug), product.name, text))
    return choices(ctx, body, options, "Choose a cake", section="Cakes")


def _option_text(catalog: Catalog, option: Size | Choice) -> str:
    if isinstance(option, Size):
        return f"serves {option.servings}, {money(catalog, option.price)}"
    return f"+{money(catalog, option.surcharge)}" if option.surcharge else ""


def option_lines(catalog: Catalog, options: Sequence[Size | Choice]) -> str:
    lines = []
    for option in options:
        extra = _option_text(catalog, option)
        lines.append(f"• {option.label}" + (f": {extra}" if extra else ""))
    return "\n".join(lines)


def options_picker(
    ctx: TurnContext,
    catalog: Catalog,
    product: Product,
    kind: str,
    body: str,
) -> dict[str, Any]:
    """The sizes, flavours or fillings of a product to tap (`kind`: size, flavour, filling)."""
    found: Sequence[Size | Choice] = getattr(product, f"{kind}s")
    action = {"size": "size", "flavour": "flav", "filling": "fill"}[kind]
    options = [
        (shop_id(ctx, action, product.slug, o.key), o.label, _option_text(catalog, o) or None)
        for o in found
    ]
    return choices(ctx, body, options, f"Choose {kind}", section=f"{kind.title()}s")


def open_days(
    catalog: Catalog, products: Sequence[Product], now: datetime, count: int
) -> list[date]:
    first = earliest_date(catalog, products, now)
    days: list[date] = []
    day = first
    while len(days) < count and day <= first + timedelta(days=60):
        if slots_on(catalog.shop, day, now):
            days.append(day)
        day += timedelta(days=1)
    return days


def days_list(
    ctx: TurnContext, catalog: Catalog, products: Sequence[Product], body: str
) -> dict[str, Any] | None:
    options = []
    for day in open_days(catalog, products, ctx.now, 8):
        spans = " and ".join(
            f"{h.opens:%H:%M}\N{EN DASH}{h.closes:%H:%M}" for h in catalog.shop.hours_on(day)
        )
        title = f"{day:%A} {day.day} {day:%b}"
        options.append((shop_id(ctx, "day", day.isoformat()), title, f"open {spans}"))
    if not options:
        return None
    return choices(ctx, body, options, "Choose a day", section="Days")


def hour_slots(catalog: Catalog, day: date, now: datetime) -> list[time]:
    """Bookable times of a day on the full hour (or every slot when none is on the hour)."""
    slots = [s.time() for s in slots_on(catalog.shop, day, now)]
    hourly = [t for t in slots if t.minute == 0] or slots
    step = max(1, -(-len(hourly) // 10))
    return hourly[::step][:10]


def times_list(ctx: TurnContext, catalog: Catalog, day: date, body: str) -> dict[str, Any] | None:
    times = hour_slots(catalog, day, ctx.now)
    if not times:
        return None
    options = [
        (shop_id(ctx, "time", day.isoformat(), f"{t:%H%M}"), f"{t:%H:%M}", None) for t in times
    ]
    return choices(ctx, body, options, "Choose a time", section=f"{day:%A} {day.day} {day:%b}")


def slots_list(ctx: TurnContext, slots: Sequence[datetime], body: str) -> dict[str, Any]:
    options = [
        (
            shop_id(ctx, "slot", f"{s:%Y-%m-%d}", f"{s:%H%M}"),
            f"{s:%a} {s.day} {s:%b} {s:%H:%M}",
            None,
        )
        for s in slots
    ]
    return choices(ctx, body, options, "Choose a time", section="Free slots")


def fulfilment_buttons(ctx: TurnContext, body: str) -> dict[str, Any]:
    options = [
        (shop_id(ctx, "pickup"), "Pickup", None),
        (shop_id(ctx, "delivery"), "Delivery", None),
    ]
    return choices(ctx, body, options)


def location_request(ctx: TurnContext, body: str) -> dict[str, Any]:
    return messages.location_request(ctx.recipient, body[:LIST_BODY])


def name_buttons(ctx: TurnContext, body: str, name: str | None) -> dict[str, Any] | None:
    if not name:
        return None
    title = fit(f"Use {name}", BUTTON_TITLE)
    return choices(ctx, body, [(shop_id(ctx, "name"), title, None)])


def single_button(ctx: TurnContext, body: str, action: str, title: str) -> dict[str, Any]:
    return choices(ctx, body, [(shop_id(ctx, action), title, None)])
