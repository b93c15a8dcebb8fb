"""Shore is relative: the same site is onshore for one client and offshore for another."""

import zoneinfo
from datetime import UTC, datetime, timedelta
from typing import Protocol

from django.db import models

from tercero.platform.tenancy.regions import region_of

# Time-zone distance is measured on two fixed days so the answer does not change with
# the season or the date: the smaller of the winter and summer offset differences.
_REFERENCE_INSTANTS = (datetime(2025, 1, 1, 12, tzinfo=UTC), datetime(2025, 7, 1, 12, tzinfo=UTC))
NEARSHORE_MAX_OFFSET_HOURS = 3


class Shore(models.TextChoices):
    ONSHORE = "onshore", "Onshore"
    NEARSHORE = "nearshore", "Nearshore"
    OFFSHORE = "offshore", "Offshore"


def offset_hours_between(zone_a: str, zone_b: str) -> float:
    """Smallest absolute UTC-offset difference, in hours, over the reference days."""
    a, b = zoneinfo.ZoneInfo(zone_a), zoneinfo.ZoneInfo(zone_b)
    return min(
        abs((_offset(instant, a) - _offset(instant, b)).total_seconds()) / 3600
        for instant in _REFERENCE_INSTANTS
    )


def _offset(instant: datetime, zone: zoneinfo.ZoneInfo) -> timedelta:
    # an aware time in a ZoneInfo zone always has an offset
    return instant.astimezone(zone).utcoffset() or timedelta(0)


def shore_between(
    *, site_country: str, site_time_zone: str, client_country: str, client_time_zone: str
) -> Shore:
    """Onshore: same country. Nearshore: same region, or within 3 hours. Else offshore."""
    if site_country == client_country:
        return Shore.ONSHORE
    if region_of(site_country) == region_of(client_country):
        return Shore.NEARSHORE
    if offset_hours_between(site_time_zone, client_time_zone) <= NEARSHORE_MAX_OFFSET_HOURS:
        return Shore.NEARSHORE
    return Shore.OFFSHORE


class Placed(Protocol):
    """Anything with a country and a time zone: a site, a client."""

    country: str
    time_zone: str


def shore_of(site: Placed, client: Placed) -> Shore:
    return shore_between(
        site_country=site.country,
        site_time_zone=site.time_zone,
        client_country=client.country,
        client_time_zone=client.time_zone,
    )
