"""Test helpers for dialling: an active campaign with leads, and a weekday afternoon."""

from datetime import UTC, datetime, timedelta

import holidays

from tercero.platform.tenancy.scoping import client_scope
from tercero.services.outbound.models import Campaign
from tercero.services.outbound.tests.world import build, load


def afternoon(hour_utc: int = 19) -> datetime:
    """A working weekday afternoon on the US east and west coasts, after today, not a
    US federal holiday (the moments the tests dial at)."""
    day = datetime.now(UTC).date() + timedelta(days=2)
    us = holidays.country_holidays("US", years=[day.year, day.year + 1])
    while day.weekday() >= 5 or day in us:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour_utc, tzinfo=UTC)


def active(world, rows: list[dict], name: str = "List 1"):
    """`world`'s campaign with its queue, `rows` loaded, and started."""
    load(world, rows, name=name)
    with client_scope(clients=[world.tenant.client]):
        Campaign.objects.filter(pk=world.campaign.pk).update(
            queue=world.queue, status=Campaign.Status.ACTIVE
        )
        world.campaign.refresh_from_db()
    return world


def second_campaign(world, name: str = "Autumn renewals"):
    other = build(world.tenant, name=name, email=f"dm2-{name[:4].lower()}@provider.example")
    return other
