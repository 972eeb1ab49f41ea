"""How the shop's things look in WhatsApp: texts in its syntax, and the buttons with their
namespaced ids (`order:confirm:<session>:<cart version>`, `upsell:add:<session>:<add-on>`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from snakecakes.bot.llms.base import TurnContext
from snakecakes.bot.ordering.shelf import OrderInfo
from snakecakes.bot.routing.buttons import make_id
from snakecakes.bot.whatsapp import formatting, messages
from snakecakes.bot.whatsapp.messages_interactive import buttons
from snakecakes.shop.catalog import Addon, Catalog, Product

Money = Callable[[Decimal], str]


def text_body(recipient: str, text: str) -> dict[str, Any]:
    return messages.text(recipient, formatting.split_text(text)[0])


def servings(product: Product) -> str:
    low = min(s.servings_min for s in product.sizes)
    high = max(s.servings_max for s in product.sizes)
    return str(low) if low == high else f"{low}\N{EN DASH}{high}"


def product_brief(product: Product, money: Money) -> dict[str, Any]:
    return {
        "slug": product.slug,
        "name": product.name,
        "category": product.category,
        "price_from": money(product.price_from),
        "serves": servings(product),
        "dietary": list(product.dietary),
        "lead_time_days": product.lead_time_days,
    }


def menu_text(catalog: Catalog, products: Sequence[Product], money: Money) -> str:
    lines = [f"*Our cakes at {catalog.shop.name}*"]
    for category in catalog.categories:
        inside = [p for p in products if p.category == category.key]
        if not inside:
            continue
        lines.append(f"\n*{category.name}*")
        lines += [f"• {p.name}: from {money(p.price_from)} (serves {servings(p)})" for p in inside]
    return "\n".join(lines)


def product_data(product: Product) -> dict[str, Any]:
    return {
        "slug": product.slug,
        "name": product.name,
        "description": product.description,
        "sizes": [
            {"key": s.key, "label": s.label, "serves": s.servings, "price": f"{s.price:.2f}"}
            for s in product.sizes
        ],
        "flavours": [{"key": c.key, "label": c.label} for c in product.flavours],
        "fillings": [{"key": c.key, "label": c.label} for c in product.fillings],
        "allergens": list(product.allergens),
        "dietary": list(product.dietary),
        "lead_time_days": product.lead_time_days,
        "inscription": product.inscription,
        "photo_url": product.photo_url,
    }


def product_text(product: Product, money: Money) -> str:
    sizes = "; ".join(f"{s.label} (serves {s.servings}) {money(s.price)}" for s in product.sizes)
    lines = [f"*{product.name}*", product.description, f"Sizes: {sizes}"]
    if product.flavours:
        lines.append("Flavours: " + ", ".join(c.label for c in product.flavours))
    if product.fillings:
        lines.append("Fillings: " + ", ".join(c.label for c in product.fillings))
    lines.append("Allergens: " + (", ".join(product.allergens) or "none of the 14"))
    if product.lead_time_days:
        lines.append(f"Please order {product.lead_time_days} day(s) ahead.")
    return "\n".join(lines)


def line_name(catalog: Catalog, line: dict[str, Any]) -> str:
    product = catalog.product(str(line["product"]))
    if product is None:
        return str(line["product"])
    size = next((s.label for s in product.sizes if s.key == line.get("size")), "")
    flavour = next((c.label for c in product.flavours if c.key == line.get("flavour")), "")
    words = " ".join(w for w in (str(line.get("quantity", 1)) + " x", product.name, size) if w)
    return f"{words}, {flavour}" if flavour else words


def order_line(order: OrderInfo) -> str:
    total = f"{Decimal(order.total_cents) / 100:.2f} {order.currency}"
    status = order.status.replace("_", " ")
    return f"• {order.number}: {status}, {order.wanted_date} {order.wanted_time}, {total}"


def checkout_buttons(ctx: TurnContext, summary: str, version: int) -> dict[str, Any]:
    ids = [
        (make_id("order", "confirm", ctx.session.id, version), "Confirm order"),
        (make_id("order", "change", ctx.session.id, version), "Change something"),
    ]
    body = summary if len(summary) <= 1024 else summary[:1000] + "…"
    return buttons(ctx.recipient, body, ids)


def button_title(name: str, limit: int = 20) -> str:
    """ "Add <name>" within WhatsApp's 20 characters, cut at a word, without a bracketed aside."""
    words = name.split("(")[0].split()
    title = "Add"
    for word in words:
        if len(title) + 1 + len(word) > limit:
            break
        title += " " + word
    return title if title != "Add" else ("Add " + name)[:limit].strip()


def upsell_buttons(ctx: TurnContext, picks: Sequence[Addon], money: Money) -> dict[str, Any]:
    text = ctx.prompt("upsell", extras=[{"name": a.name, "price": money(a.price)} for a in picks])
    ids = [(make_id("upsell", "add", ctx.session.id, a.slug), button_title(a.name)) for a in picks]
    ids.append((make_id("upsell", "no", ctx.session.id), "No, thanks"))
    return buttons(ctx.recipient, text, ids)
