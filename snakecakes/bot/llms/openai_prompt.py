"""The system prompt of the OpenAI engine, rendered from the `system` template per bot.

Why from the catalog: the model should know the shop (hours, pickup address, delivery zones,
the range with prices "from") without a tool call on every turn; exact prices, options and
totals still come from the tools. Everything here changes only with the catalog, except the
date, which the template puts last so that the prompt's prefix stays cacheable.
"""

from __future__ import annotations

from datetime import datetime

from snakecakes.bot.llms.base import TurnContext
from snakecakes.bot.ordering import views
from snakecakes.shop.catalog import Catalog
from snakecakes.shop.pricing import format_money
from snakecakes.shop.profile import WEEKDAYS
from snakecakes.shop.schedule import local_today

UNKNOWN = "ask the shop"


def system_prompt(ctx: TurnContext, catalog: Catalog | None) -> str:
    if catalog is None:
        return ctx.prompt(
            "system",
            hours=UNKNOWN,
            pickup_address=UNKNOWN,
            delivery=UNKNOWN,
            cancel_hours=48,
            inscription_max=40,
            menu="(no cakes on sale at the moment)",
            today=f"{ctx.now:%A, %Y-%m-%d}",
        )
    shop = catalog.shop
    return ctx.prompt(
        "system",
        hours=hours(catalog),
        pickup_address=str(shop.pickup_address),
        delivery=delivery(catalog),
        cancel_hours=shop.cancel_window_hours,
        inscription_max=shop.inscription_max_length,
        menu=menu(catalog),
        today=today(catalog, ctx.now),
    )


def hours(catalog: Catalog) -> str:
    week = catalog.shop.opening_hours
    lines = []
    for day in WEEKDAYS:
        ranges = getattr(week, day)
        lines.append(f"- {day.title()}: {', '.join(map(str, ranges)) if ranges else 'closed'}")
    if catalog.shop.closed_dates:
        lines.append("- Also closed on: " + ", ".join(catalog.shop.closed_dates))
    return "\n".join(lines)


def delivery(catalog: Catalog) -> str:
    shop = catalog.shop
    if not shop.delivery_zones:
        return "pickup only."
    parts = []
    for zone in shop.delivery_zones:
        fee = format_money(zone.fee, shop.currency)
        words = (
            f"{zone.name} (fee {fee}, minimum order {format_money(zone.min_order, shop.currency)}"
        )
        if zone.free_from is not None:
            words += f", free from {format_money(zone.free_from, shop.currency)}"
        parts.append(words + ")")
    return "; ".join(parts) + "."


def menu(catalog: Catalog) -> str:
    lines = []
    for category in catalog.categories:
        inside = [p for p in catalog.available_products(category.key)]
        if not inside:
            continue
        lines.append(f"{category.name}:")
        for p in inside:
            price = format_money(p.price_from, catalog.shop.currency)
            lead = f", order {p.lead_time_days} day(s) ahead" if p.lead_time_days else ""
            serves = views.servings(p)
            lines.append(f"- {p.name} [{p.slug}]: from {price}, serves {serves}{lead}")
    extras = [a for a in catalog.addons if a.available]
    if extras:
        names = ", ".join(
            f"{a.name} ({format_money(a.price, catalog.shop.currency)})" for a in extras
        )
        lines.append(f"Extras: {names}")
    return "\n".join(lines)


def today(catalog: Catalog, now: datetime) -> str:
    day = local_today(catalog.shop, now)
    return f"{WEEKDAYS[day.weekday()].title()}, {day.isoformat()} ({catalog.shop.timezone})"
