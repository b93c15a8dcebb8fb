"""A small, hand-checkable month for invoice tests: three clients of one provider, each
with a rate card of one kind and usage metered for November 2026.

- transactions, tiered bands: first 100 at 2.50, the rest at 2.00; 150 resolved items
  -> 100 x 2.50 + 50 x 2.00 = 350.00
- productive hours by shore: onshore 30.00, offshore 12.50; 10.5 h onshore and 40.25 h
  offshore -> 315.00 + 503.125 (half up: 503.13) = 818.13
- FTE per month 4,000.00 with a 12,000.00 monthly minimum; 2.5 FTE -> 10,000.00 and a
  2,000.00 top-up = 12,000.00
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import cast

from tests.factories import engagement_for

from tercero.governance.billing.models import (
    RateCard,
    RateCardVersion,
    RateLine,
    UsageRecord,
)
from tercero.governance.billing.parties import BillingParty
from tercero.platform.tenancy.models import Client, Provider
from tercero.platform.tenancy.scoping import all_clients_scope
from tercero.platform.tenancy.tests.factories import ClientFactory

NOVEMBER = date(2026, 11, 1)


@dataclass
class Month:
    provider: Provider
    transactions: Client
    hours: Client
    fte: Client


def card(client: Client, *, currency: str, minimum_minor: int = 0, lines=()) -> RateCardVersion:
    engagement = engagement_for(client, name=f"Service for {client.legal_name}")
    with all_clients_scope():
        rate_card = RateCard.objects.create(
            client=client, engagement=engagement, name="Prices", currency=currency
        )
        version = RateCardVersion.objects.create(
            client=client,
            rate_card=rate_card,
            number=1,
            effective_from=date(2026, 1, 1),
            monthly_minimum_minor=minimum_minor,
        )
        for fields in lines:
            RateLine.objects.create(client=client, rate_card_version=version, **fields)
    return version


def usage(version: RateCardVersion, *, unit: str, quantity, key: str, period=NOVEMBER, **fields):
    with all_clients_scope():
        return UsageRecord.objects.create(
            client_id=version.client_id,
            engagement_id=version.rate_card.engagement_id,
            unit=unit,
            quantity=Decimal(str(quantity)),
            source_key=key,
            occurred_at=datetime(period.year, period.month, 15, 12, tzinfo=UTC),
            period=period,
            **fields,
        )


def party(client: Client, **fields) -> None:
    with all_clients_scope():
        BillingParty.objects.update_or_create(client=client, defaults=fields)


def new_client(provider: Provider, name: str, country: str, time_zone: str) -> Client:
    return cast(
        Client,
        ClientFactory(provider=provider, legal_name=name, country=country, time_zone=time_zone),
    )


def november(provider: Provider) -> Month:
    """The three clients and their November usage (see the module's docstring)."""
    Provider.objects.filter(pk=provider.pk).update(country="GB")
    provider.refresh_from_db()
    transactions = new_client(provider, "Tiered Transactions Ltd", "GB", "Europe/London")
    hours = new_client(provider, "Hourly Shores GmbH", "DE", "Europe/Berlin")
    fte = new_client(provider, "Minimum FTE Inc", "US", "America/New_York")
    for client in (transactions, hours, fte):
        party(client, seller_tax_id="GB123456789")
    party(hours, tax_id="DE811111111", seller_tax_id="GB123456789")
    tiered = card(
        transactions,
        currency="GBP",
        lines=[
            dict(
                unit="transaction",
                banding="tiered",
                bands=[{"up_to": 100, "price_minor": 250}, {"up_to": None, "price_minor": 200}],
                description="Tickets resolved",
            )
        ],
    )
    for n in range(150):
        usage(tiered, unit="transaction", quantity=1, key=f"item:{n}", work_type="care.ticket")
    shores = card(
        hours,
        currency="EUR",
        lines=[
            dict(unit="productive_hour", shore="onshore", price_minor=3000,
                 description="Productive hours, onshore"),
            dict(unit="productive_hour", shore="offshore", price_minor=1250,
                 description="Productive hours, offshore"),
        ],
    )  # fmt: skip
    usage(shores, unit="productive_hour", quantity="10.5", key="hours:on", shore="onshore")
    usage(shores, unit="productive_hour", quantity="40.25", key="hours:off", shore="offshore")
    staffed = card(
        fte,
        currency="USD",
        minimum_minor=1_200_000,
        lines=[dict(unit="fte_month", price_minor=400_000, description="Agents (FTE)")],
    )
    usage(staffed, unit="fte_month", quantity="2.5", key="fte:2026-11")
    return Month(provider=provider, transactions=transactions, hours=hours, fte=fte)
