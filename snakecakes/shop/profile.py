"""The shop profile (opening hours, closed days, pickup address, delivery zones, order rules) and
the field types every catalog model shares.

Kept apart from the products because schedule and delivery need only this part; it is still part
of the catalog file and loaded, validated and stored with it (see snakecakes.shop.catalog).
"""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

CENT = Decimal("0.01")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _money(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError("must not be negative")
    if value != value.quantize(CENT):
        raise ValueError("must have at most 2 decimal places")
    return value.quantize(CENT)


def _closed_date(value: Any) -> Any:
    """'MM-DD' closes every year (holidays), 'YYYY-MM-DD' once; YAML may hand us a date."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            date.fromisoformat(value if len(value) == 10 else f"2000-{value}")
            return value
        except ValueError:
            pass
    raise ValueError("must be 'MM-DD' (every year) or 'YYYY-MM-DD' (once), in quotes")


def _time_range(value: Any) -> Any:
    """'10:00-18:00'. Unquoted YAML would read 10:00 as the number 600, hence the hint."""
    if isinstance(value, str) and value.count("-") == 1:
        opens, closes = (part.strip() for part in value.split("-"))
        return {"opens": opens, "closes": closes}
    if isinstance(value, dict):
        return value
    raise ValueError("must be a quoted 'HH:MM-HH:MM' range, e.g. '10:00-18:00'")


Money = Annotated[Decimal, Field(allow_inf_nan=False), AfterValidator(_money)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=64)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Prose = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
ClosedDate = Annotated[str, BeforeValidator(_closed_date)]
PostcodePrefix = Annotated[str, StringConstraints(pattern=r"^\d{1,5}$")]


class Frozen(BaseModel):
    """Immutable and strict about unknown keys, so a misspelt field in the file is an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class TimeRange(Frozen):
    opens: time
    closes: time

    @model_validator(mode="after")
    def _in_order(self) -> TimeRange:
        if self.opens >= self.closes:
            raise ValueError("opens must be before closes")
        return self

    def __str__(self) -> str:
        return f"{self.opens:%H:%M}\N{EN DASH}{self.closes:%H:%M}"


Hours = tuple[Annotated[TimeRange, BeforeValidator(_time_range)], ...]


class OpeningHours(Frozen):
    """Every weekday must be listed (an empty list means closed), so a misspelt day fails."""

    monday: Hours
    tuesday: Hours
    wednesday: Hours
    thursday: Hours
    friday: Hours
    saturday: Hours
    sunday: Hours

    def on(self, day: date) -> tuple[TimeRange, ...]:
        hours: tuple[TimeRange, ...] = getattr(self, WEEKDAYS[day.weekday()])
        return hours


class Address(Frozen):
    street: Label
    postcode: Annotated[str, StringConstraints(pattern=r"^\d{5}$")]
    city: Label
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)

    def __str__(self) -> str:
        return f"{self.street}, {self.postcode} {self.city}"


class DeliveryZone(Frozen):
    """A postcode prefix matches a typed address; `radius_km` around the shop a shared location."""

    key: Slug
    name: Label
    postcode_prefixes: tuple[PostcodePrefix, ...] = Field(min_length=1)
    radius_km: float = Field(gt=0, le=200)
    fee: Money
    min_order: Money = Decimal("0.00")
    free_from: Money | None = None


class ShopProfile(Frozen):
    name: Label
    timezone: str
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    phone: Label | None = None
    opening_hours: OpeningHours
    closed_dates: tuple[ClosedDate, ...] = ()
    pickup_address: Address
    delivery_zones: tuple[DeliveryZone, ...] = ()
    inscription_max_length: int = Field(default=40, ge=1, le=200)
    cancel_window_hours: int = Field(default=48, ge=0, le=720)
    slot_minutes: int = Field(default=30, ge=5, le=240)
    max_days_ahead: int = Field(default=90, ge=1, le=730)
    max_item_quantity: int = Field(default=10, ge=1, le=100)
    allergen_note: Prose = ""

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def closed_on(self, day: date) -> bool:
        """A listed closed date (yearly 'MM-DD' or once 'YYYY-MM-DD'); weekdays aside."""
        return day.isoformat() in self.closed_dates or f"{day:%m-%d}" in self.closed_dates

    def hours_on(self, day: date) -> tuple[TimeRange, ...]:
        """When the shop is open on that day; empty when closed."""
        return () if self.closed_on(day) else self.opening_hours.on(day)

    @model_validator(mode="after")
    def _consistent(self) -> ShopProfile:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone: unknown time zone '{self.timezone}'") from None
        keys = [zone.key for zone in self.delivery_zones]
        if len(keys) != len(set(keys)):
            raise ValueError("delivery_zones: zone keys must be unique")
        prefixes = [p for zone in self.delivery_zones for p in zone.postcode_prefixes]
        doubled = sorted({p for p in prefixes if prefixes.count(p) > 1})
        if doubled:
            raise ValueError(f"delivery_zones: postcode prefixes in two zones: {doubled}")
        return self
