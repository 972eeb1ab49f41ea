"""Which delivery zone (and so which fee and minimum order) an address or a shared location is in.

Customers either type an address, which carries a postcode, or share their location on WhatsApp,
which carries coordinates but no postcode. So a zone is matched both ways: the longest postcode
prefix for a typed address, the smallest radius around the shop (great-circle distance) for a
location. Outside every zone the customer gets a message that offers pickup instead.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from snakecakes.shop.profile import DeliveryZone, ShopProfile

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)
_POSTCODE = re.compile(r"(?<!\d)(\d{5})(?!\d)")


class DeliveryError(ValueError):
    """An address we cannot deliver to; the message is for the customer."""


@dataclass(frozen=True, slots=True)
class ZoneMatch:
    zone: DeliveryZone
    postcode: str | None = None
    distance_km: float | None = None


def find_postcode(address: str) -> str | None:
    """The last five-digit group of a typed address (house numbers come before the postcode)."""
    found = _POSTCODE.findall(address)
    return found[-1] if found else None


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance by the haversine formula: within metres of exact at city scale."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def zone_for_postcode(profile: ShopProfile, postcode: str) -> DeliveryZone | None:
    """The zone with the longest matching prefix, so '1099' can override '109'."""
    best: tuple[int, DeliveryZone] | None = None
    for zone in profile.delivery_zones:
        for prefix in zone.postcode_prefixes:
            if postcode.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), zone)
    return best[1] if best else None


def zone_for_distance(profile: ShopProfile, km: float) -> DeliveryZone | None:
    """The smallest zone whose radius reaches this far from the shop."""
    reaching = [zone for zone in profile.delivery_zones if km <= zone.radius_km]
    return min(reaching, key=lambda zone: zone.radius_km) if reaching else None


def out_of_zone_message(profile: ShopProfile) -> str:
    reach = max((zone.radius_km for zone in profile.delivery_zones), default=0)
    pickup = f"you're welcome to pick up your order at {profile.pickup_address}"
    if not reach:
        return f"Sorry, we don't deliver at the moment, but {pickup}."
    return f"Sorry, we only deliver within about {reach:g} km of our shop, but {pickup}."


def resolve_zone(
    profile: ShopProfile,
    *,
    address: str | None = None,
    location: tuple[float, float] | None = None,
) -> ZoneMatch:
    """The zone of a shared location (latitude, longitude), else of the typed address's postcode.

    Raises DeliveryError when neither is usable or the place is outside every zone.
    """
    if location is not None:
        lat, lon = location
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise DeliveryError("That location doesn't look right. Could you share it again?")
        shop = profile.pickup_address
        km = distance_km(shop.latitude, shop.longitude, lat, lon)
        zone = zone_for_distance(profile, km)
        if zone is None:
            raise DeliveryError(out_of_zone_message(profile))
        return ZoneMatch(zone, distance_km=round(km, 2))
    postcode = find_postcode(address or "")
    if postcode is None:
        raise DeliveryError(
            "Please send the full delivery address with its postcode, or share your location."
        )
    zone = zone_for_postcode(profile, postcode)
    if zone is None:
        raise DeliveryError(out_of_zone_message(profile))
    return ZoneMatch(zone, postcode=postcode)
