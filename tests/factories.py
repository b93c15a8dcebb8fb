"""Builders for cross-module tests."""

from tercero.delivery.engagements.services import create_engagement
from tercero.delivery.workforce.services import create_site
from tercero.platform.tenancy.models import Provider
from tercero.platform.tenancy.scoping import client_scope


def engagement_for(client, *, name="Care", actor=None, **overrides):
    fields = dict(
        name=name,
        service_line="customer_care",
        category="BPO",
        office="front",
        orientation="horizontal",
        pricing_model="per_hour",
        time_zone=client.time_zone,
        working_hours={0: [["09:00", "17:00"]]},
    )
    fields.update(overrides)
    with client_scope(clients=[client]):
        return create_engagement(actor=actor, client=client, **fields)


def site(*, name="Manila", country="PH", time_zone="Asia/Manila", city="Manila"):
    provider = Provider.objects.order_by("id").first()
    return create_site(
        actor=None,
        provider=provider,
        name=name,
        country=country,
        city=city,
        time_zone=time_zone,
        languages=["en"],
        hourly_cost_minor=900,
        currency="USD",
    )
