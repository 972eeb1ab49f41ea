"""The shop in a few words, for prompt templates: hours, address, a menu summary, and whether
it is open now. Every template can use these (`hours`, `menu_summary`, ...), so a shop's own
wording of a prompt can mention them without code."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from snakecakes.shop.catalog import Catalog
from snakecakes.shop.pricing import format_money
from snakecakes.shop.profile import WEEKDAYS, ShopProfile


def hours_text(profile: ShopProfile) -> str:
    days = []
    for name in WEEKDAYS:
        ranges = getattr(profile.opening_hours, name)
        days.append(f"{name.capitalize()}: " + (", ".join(str(r) for r in ranges) or "closed"))
    return "; ".join(days)


def menu_summary(catalog: Catalog) -> str:
    parts = []
    for category in catalog.categories:
        inside = catalog.available_products(category.key)
        if inside:
            cheapest = format_money(min(p.price_from for p in inside), catalog.shop.currency)
            parts.append(f"{category.name} ({len(inside)}, from {cheapest})")
    return ", ".join(parts)


def prompt_variables(catalog: Catalog) -> dict[str, Any]:
    shop = catalog.shop
    return {
        "hours": hours_text(shop),
        "menu_summary": menu_summary(catalog),
        "pickup_address": str(shop.pickup_address),
        "shop_phone": shop.phone or "",
    }


def open_now(profile: ShopProfile, now: datetime) -> bool:
    local = now.astimezone(profile.tz)
    return any(
        r.opens <= local.time().replace(tzinfo=None) < r.closes
        for r in profile.hours_on(local.date())
    )


def next_opening(profile: ShopProfile, now: datetime) -> datetime | None:
    """When the shop opens next after `now` (within two weeks), or None."""
    local = now.astimezone(profile.tz)
    for offset in range(15):
        day = local.date() + timedelta(days=offset)
        for hours in profile.hours_on(day):
            opens = datetime.combine(day, hours.opens, tzinfo=profile.tz)
            if local < opens:
                return opens
    return None


def describe_opening(moment: datetime, now: datetime) -> str:
    local_now = now.astimezone(moment.tzinfo)
    if moment.date() == local_now.date():
        return f"today at {moment:%H:%M}"
    if moment.date() == local_now.date() + timedelta(days=1):
        return f"tomorrow at {moment:%H:%M}"
    return f"on {moment:%A} at {moment:%H:%M}"
