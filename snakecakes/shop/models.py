"""The shop tables: each bot's catalog as the database keeps it.

The catalog file is the source; these rows are its copy per bot, so that every process reads the
same catalog and orders can refer to products long after the file changed. Products and add-ons
are therefore never deleted: one missing from a newer file only becomes unavailable.

Each row keeps its validated model whole in `data` (options, allergens, relations: read together,
never queried by their parts, and re-validated on read), next to the few columns that lists and
lookups filter or sort by. Money columns are whole cents, exact on both databases.
Every table carries `bot_id`, like all business data. The functions here only move plain values
in and out; snakecakes.shop.catalog turns them into typed models (store_catalog, read_catalog).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from snakecakes.db.models import Base
from snakecakes.db.types import JSONType, UTCDateTime, utcnow


class ShopProfileRow(Base):
    """The shop profile and the product categories of one bot."""

    __tablename__ = "shop_profiles"

    bot_id: Mapped[int] = mapped_column(ForeignKey("bots.id"), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProductRow(Base):
    """A product; `slug` is its stable name in carts and orders, unique per bot."""

    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("bot_id", "slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bot_id: Mapped[int] = mapped_column(ForeignKey("bots.id"))
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64))
    price_from_cents: Mapped[int] = mapped_column(Integer)
    lead_time_days: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AddonRow(Base):
    """An extra sold with products (candles, a greeting card, mini cupcakes)."""

    __tablename__ = "addons"
    __table_args__ = (UniqueConstraint("bot_id", "slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bot_id: Mapped[int] = mapped_column(ForeignKey("bots.id"))
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    price_cents: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@dataclass(frozen=True, slots=True)
class StoreResult:
    """What a (re)load changed, as 'product:<slug>', 'addon:<slug>' or 'shop'."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unavailable: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.unavailable)


@dataclass
class _Changes:
    now: datetime
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)

    def result(self) -> StoreResult:
        return StoreResult(tuple(self.added), tuple(self.updated), tuple(self.unavailable))


def _assign(row: Base, values: Mapping[str, Any]) -> bool:
    """Set only what differs, so that an unchanged reload writes nothing."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _sync(
    session: Session,
    bot_id: int,
    model: type[ProductRow | AddonRow],
    items: Sequence[Mapping[str, Any]],
    changes: _Changes,
) -> None:
    kind = "product" if model is ProductRow else "addon"
    rows = session.scalars(select(model).where(model.bot_id == bot_id))
    existing = {row.slug: row for row in cast(Iterable[ProductRow | AddonRow], rows)}
    for position, item in enumerate(items):
        row = existing.pop(item["slug"], None)
        if row is None:
            now = changes.now
            session.add(
                model(bot_id=bot_id, position=position, created_at=now, updated_at=now, **item)
            )
            changes.added.append(f"{kind}:{item['slug']}")
            continue
        if _assign(row, item):
            row.updated_at = changes.now
            changes.updated.append(f"{kind}:{item['slug']}")
        _assign(row, {"position": position})  # only the order moved: not worth reporting
    for row in existing.values():  # gone from the catalog: kept for the orders that refer to it
        if row.available:
            row.available = False
            row.updated_at = changes.now
            changes.unavailable.append(f"{kind}:{row.slug}")


def write_catalog_rows(
    session: Session,
    bot_id: int,
    shop: dict[str, Any],
    products: Sequence[Mapping[str, Any]],
    addons: Sequence[Mapping[str, Any]],
) -> StoreResult:
    """Bring the rows of a bot in line with a validated catalog (see catalog.store_catalog):
    add, update, mark missing ones unavailable; positions follow the given order."""
    changes = _Changes(now=utcnow())
    profile = session.get(ShopProfileRow, bot_id)
    if profile is None:
        session.add(ShopProfileRow(bot_id=bot_id, data=shop, updated_at=changes.now))
        changes.added.append("shop")
    elif _assign(profile, {"data": shop}):
        profile.updated_at = changes.now
        changes.updated.append("shop")
    _sync(session, bot_id, ProductRow, products, changes)
    _sync(session, bot_id, AddonRow, addons, changes)
    session.flush()
    return changes.result()


def read_catalog_rows(session: Session, bot_id: int) -> dict[str, Any] | None:
    """A bot's stored catalog as plain data for catalog.parse_catalog; None when it has none."""
    profile = session.get(ShopProfileRow, bot_id)
    if profile is None:
        return None
    data: dict[str, Any] = dict(profile.data)
    for key, model in (("products", ProductRow), ("addons", AddonRow)):
        query = select(model).where(model.bot_id == bot_id).order_by(model.position, model.id)
        rows = cast(Iterable[ProductRow | AddonRow], session.scalars(query))
        data[key] = [{**row.data, "available": row.available} for row in rows]
    return data
