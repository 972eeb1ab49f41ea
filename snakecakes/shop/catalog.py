"""The catalog of one bot: products with their options, add-ons, categories and the shop profile.

Why typed frozen models: every turn, pricing and the summary read the catalog; a value validated
once and immutable afterwards can be shared between threads and never drifts from what was
checked. A bad file is rejected whole, with errors naming the field, so that a typo in a price or
an allergen never reaches a customer. The database copy exists because orders refer to products
long after the file changed: products are never deleted, one missing from a newer file only
becomes unavailable (see `store_catalog`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, StringConstraints, ValidationError, model_validator
from sqlalchemy.orm import Session

from snakecakes.shop.models import StoreResult, read_catalog_rows, write_catalog_rows
from snakecakes.shop.profile import Frozen, Label, Money, Prose, ShopProfile, Slug

DEFAULT_CATALOG = Path(__file__).parent / "data" / "snake_cakes.yaml"
PhotoUrl = Annotated[str, StringConstraints(pattern=r"^https://\S+$", max_length=500)]


# The 14 allergens EU law (Regulation 1169/2011, Annex II) requires us to declare.
ALLERGENS: dict[str, str] = {
    "gluten": "cereals containing gluten",
    "crustaceans": "crustaceans",
    "eggs": "eggs",
    "fish": "fish",
    "peanuts": "peanuts",
    "soya": "soya",
    "milk": "milk",
    "nuts": "tree nuts",
    "celery": "celery",
    "mustard": "mustard",
    "sesame": "sesame",
    "sulphites": "sulphur dioxide and sulphites",
    "lupin": "lupin",
    "molluscs": "molluscs",
}
Allergen = Literal[
    "gluten", "crustaceans", "eggs", "fish", "peanuts", "soya", "milk",
    "nuts", "celery", "mustard", "sesame", "sulphites", "lupin", "molluscs",
]  # fmt: skip
Dietary = Literal[
    "vegetarian", "vegan", "gluten-free", "dairy-free", "egg-free", "nut-free", "contains-alcohol"
]
# A dietary promise that one of these allergens would break is a data error, caught on load.
DIETARY_EXCLUDES: dict[str, frozenset[str]] = {
    "vegetarian": frozenset({"fish", "crustaceans", "molluscs"}),
    "vegan": frozenset({"milk", "eggs", "fish", "crustaceans", "molluscs"}),
    "gluten-free": frozenset({"gluten"}),
    "dairy-free": frozenset({"milk"}),
    "egg-free": frozenset({"eggs"}),
    "nut-free": frozenset({"nuts", "peanuts"}),
}


class Size(Frozen):
    key: Slug
    label: Label
    servings_min: int = Field(ge=1, le=500)
    servings_max: int = Field(ge=1, le=500)
    price: Money = Field(gt=0)

    @property
    def servings(self) -> str:
        if self.servings_min == self.servings_max:
            return str(self.servings_min)
        return f"{self.servings_min}\N{EN DASH}{self.servings_max}"

    @model_validator(mode="after")
    def _servings_in_order(self) -> Size:
        if self.servings_min > self.servings_max:
            raise ValueError("servings_min is larger than servings_max")
        return self


class Choice(Frozen):
    """A flavour or filling: a surcharge, and allergens beyond the product's own."""

    key: Slug
    label: Label
    surcharge: Money = Decimal("0.00")
    allergens: tuple[Allergen, ...] = ()


class Product(Frozen):
    """A cake as sold: `slug` is its name in carts and orders; `goes_well_with` names the
    add-ons offered with it; `lead_time_days` is how many days ahead it must be ordered."""

    slug: Slug
    name: Label
    description: Prose
    category: Slug
    photo_url: PhotoUrl | None = None
    allergens: tuple[Allergen, ...]
    dietary: tuple[Dietary, ...]
    sizes: tuple[Size, ...] = Field(min_length=1)
    flavours: tuple[Choice, ...] = ()
    fillings: tuple[Choice, ...] = ()
    lead_time_days: int = Field(ge=0, le=30)
    inscription: bool = True
    available: bool = True
    goes_well_with: tuple[Slug, ...] = ()

    @property
    def price_from(self) -> Decimal:
        return min(size.price for size in self.sizes)

    def allergens_with(self, *choices: Choice | None) -> tuple[str, ...]:
        """The product's allergens plus those the chosen flavour and filling add, in EU order."""
        found = set(self.allergens).union(*(c.allergens for c in choices if c is not None))
        return tuple(name for name in ALLERGENS if name in found)

    @model_validator(mode="after")
    def _consistent(self) -> Product:
        for kind in ("sizes", "flavours", "fillings"):
            keys = [option.key for option in getattr(self, kind)]
            if len(keys) != len(set(keys)):
                raise ValueError(f"{kind}: option keys must be unique")
        every = self.allergens_with(*self.flavours, *self.fillings)
        for tag in self.dietary:
            broken = DIETARY_EXCLUDES.get(tag, frozenset()).intersection(every)
            if broken:
                raise ValueError(f"dietary: '{tag}' contradicts allergen(s) {sorted(broken)}")
        return self


class AddonText(Frozen):
    """An add-on that needs words from the customer: the card's message, the candle's number."""

    prompt: Label
    max_length: int = Field(ge=1, le=500)


class Addon(Frozen):
    slug: Slug
    name: Label
    description: Prose = ""
    price: Money
    max_quantity: int = Field(default=10, ge=1, le=100)
    text: AddonText | None = None
    allergens: tuple[Allergen, ...] = ()
    goes_well_with: tuple[Slug, ...] = ()
    available: bool = True


class Category(Frozen):
    key: Slug
    name: Label
    description: Prose = ""


def _unique(kind: str, keys: Sequence[str]) -> None:
    doubled = sorted({key for key in keys if keys.count(key) > 1})
    if doubled:
        raise ValueError(f"{kind}: duplicate {doubled}")


class Catalog(Frozen):
    """Everything one bot sells and the rules it sells by; references are checked on load."""

    shop: ShopProfile
    categories: tuple[Category, ...] = Field(min_length=1)
    products: tuple[Product, ...] = Field(min_length=1)
    addons: tuple[Addon, ...] = ()

    @model_validator(mode="after")
    def _references(self) -> Catalog:
        _unique("categories", [c.key for c in self.categories])
        _unique("products", [p.slug for p in self.products])
        _unique("addons", [a.slug for a in self.addons])
        categories = {c.key for c in self.categories}
        addons = {a.slug for a in self.addons}
        # Unavailable rows may be leftovers of an older file; only sellable ones must resolve.
        for product in self.products:
            if not product.available:
                continue
            if product.category not in categories:
                where = f"products[{product.slug}].category"
                raise ValueError(f"{where}: unknown category '{product.category}'")
            for slug in product.goes_well_with:
                if slug not in addons:
                    where = f"products[{product.slug}].goes_well_with"
                    raise ValueError(f"{where}: unknown add-on '{slug}'")
        for addon in self.addons:
            for slug in addon.goes_well_with:
                if addon.available and slug not in addons:
                    where = f"addons[{addon.slug}].goes_well_with"
                    raise ValueError(f"{where}: unknown add-on '{slug}'")
        return self

    def product(self, slug: str) -> Product | None:
        return next((p for p in self.products if p.slug == slug), None)

    def addon(self, slug: str) -> Addon | None:
        return next((a for a in self.addons if a.slug == slug), None)

    def category(self, key: str) -> Category | None:
        return next((c for c in self.categories if c.key == key), None)

    def available_products(self, category: str | None = None) -> tuple[Product, ...]:
        return tuple(p for p in self.products if p.available and category in (None, p.category))

    def suggestions(
        self, products: Iterable[str], exclude: Iterable[str] = ()
    ) -> tuple[Addon, ...]:
        """Available add-ons that go well with these products, in the products' order."""
        skip = set(exclude)
        found: list[Addon] = []
        for slug in products:
            product = self.product(slug)
            for addon_slug in product.goes_well_with if product else ():
                addon = self.addon(addon_slug)
                if addon and addon.available and addon.slug not in skip and addon not in found:
                    found.append(addon)
        return tuple(found)


class CatalogError(ValueError):
    """A catalog that cannot be used; `problems` name the bad fields."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"invalid catalog {source}:\n{lines}")


def _where(loc: Sequence[int | str], data: Any) -> str:
    """('products', 3, 'sizes', 0, 'price') -> 'products[red-velvet].sizes[18cm].price'."""
    out, node = "", data
    for part in loc:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            name = (node.get("slug") or node.get("key")) if isinstance(node, dict) else None
            out += f"[{name}]" if isinstance(name, str) and name else f"[{part}]"
        else:
            node = node.get(part) if isinstance(node, dict) else None
            out += f".{part}" if out else str(part)
    return out


def parse_catalog(data: Any, source: str = "catalog") -> Catalog:
    """Validate plain data (as YAML or JSON give it) into a Catalog, or raise CatalogError."""
    if not isinstance(data, dict):
        raise CatalogError(source, ["the file must hold a mapping with shop, products, ..."])
    try:
        return Catalog.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors()[:20]:
            message = error["msg"].removeprefix("Value error, ")
            where = _where(error["loc"], data)
            problems.append(f"{where}: {message}" if where else message)
        raise CatalogError(source, problems) from None


def load_catalog_file(path: str | Path) -> Catalog:
    """Read a catalog from a YAML (.yaml, .yml) or JSON (.json) file."""
    path = Path(path)
    kind = path.suffix.lower()
    if kind not in (".yaml", ".yml", ".json"):
        raise CatalogError(str(path), ["unknown file type; use .yaml, .yml or .json"])
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(str(path), [f"cannot read the file: {exc.strerror}"]) from None
    try:
        data = json.loads(text) if kind == ".json" else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise CatalogError(str(path), [f"not valid {kind[1:].upper()}: {exc}"]) from None
    return parse_catalog(data, str(path))


def load_default_catalog() -> Catalog:
    """The Snake Cakes catalog shipped with the project (used by the demo and new bots)."""
    return load_catalog_file(DEFAULT_CATALOG)


def store_catalog(session: Session, bot_id: int, catalog: Catalog) -> StoreResult:
    """Write a bot's catalog into the database, in the caller's transaction; idempotent.

    New products and add-ons are added, changed ones updated, and those no longer in the catalog
    become unavailable (never deleted: orders refer to them); an unchanged catalog writes nothing.
    """
    shop = {
        "shop": catalog.shop.model_dump(mode="json"),
        "categories": [category.model_dump(mode="json") for category in catalog.categories],
    }
    products = [
        {
            "slug": p.slug,
            "name": p.name,
            "category": p.category,
            "price_from_cents": int(p.price_from * 100),
            "lead_time_days": p.lead_time_days,
            "available": p.available,
            "data": p.model_dump(mode="json", exclude={"available"}),
        }
        for p in catalog.products
    ]
    addons = [
        {
            "slug": a.slug,
            "name": a.name,
            "price_cents": int(a.price * 100),
            "available": a.available,
            "data": a.model_dump(mode="json", exclude={"available"}),
        }
        for a in catalog.addons
    ]
    return write_catalog_rows(session, bot_id, shop, products, addons)


def read_catalog(session: Session, bot_id: int) -> Catalog:
    """A bot's catalog from the database, unavailable products and add-ons included (carts and
    orders may still name them). LookupError when the bot has none."""
    data = read_catalog_rows(session, bot_id)
    if data is None:
        raise LookupError(f"no catalog stored for bot {bot_id}")
    return parse_catalog(data, f"(stored for bot {bot_id})")
