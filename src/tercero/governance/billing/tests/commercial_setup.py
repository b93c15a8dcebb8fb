"""A hand-checkable month for SLA credits, obligations and savings: one client billed
£12,000.00 for November 2026 (2.5 FTE at £4,000.00, topped up to a £12,000.00 monthly
minimum), with items whose SLA clocks are set by hand and a quality line publishing its
figures for the SLA report."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import cast

from tercero.delivery.work import services as work
from tercero.delivery.work.models import Queue, WorkItem
from tercero.governance.billing.models import (
    CreditMeasure,
    CreditTerms,
    RateCard,
    RateCardVersion,
    RateLine,
)
from tercero.governance.billing.tests.invoice_setup import party, usage
from tercero.governance.billing.tests.world import BILLED, live_engagement, queue_of
from tercero.platform import catalogue
from tercero.platform.tenancy.models import Client
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.platform.tenancy.tests.factories import ClientFactory


@dataclass
class Billed:
    client: Client
    version: RateCardVersion

    @property
    def engagement(self):
        return self.version.rate_card.engagement


def billed_client(provider, *, name="Albion Payroll Services Ltd") -> Billed:
    client = cast(
        Client,
        ClientFactory(provider=provider, legal_name=name, country="GB", time_zone="Europe/London"),
    )
    party(client, seller_tax_id="GB123456789")
    engagement = live_engagement(client, name="Payroll and HR administration")
    rate_card = RateCard.objects.create(
        client=client, engagement=engagement, name="Prices", currency="GBP"
    )
    version = RateCardVersion.objects.create(
        client=client,
        rate_card=rate_card,
        number=1,
        effective_from=date(2026, 1, 1),
        monthly_minimum_minor=1_200_000,
    )
    RateLine.objects.create(
        client=client, rate_card_version=version, unit="fte_month", price_minor=400_000,
        description="Agents (FTE)",
    )  # fmt: skip
    usage(version, unit="fte_month", quantity="2.5", key="fte:2026-11")
    return Billed(client=client, version=version)


def terms(engagement, *, at_risk="10", pool="150", earn_back=0, measures=()) -> CreditTerms:
    with all_clients_scope():
        found = CreditTerms.objects.create(
            client_id=engagement.client_id,
            engagement=engagement,
            at_risk_percent=Decimal(at_risk),
            pool_percent=Decimal(pool),
            earn_back_months=earn_back,
        )
        for measure, allocation, target in measures:
            CreditMeasure.objects.create(
                client_id=engagement.client_id,
                terms=found,
                measure=measure,
                allocation_percent=Decimal(allocation),
                target_percent=None if target is None else Decimal(target),
            )
    return found


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def items(engagement, rows) -> list[int]:
    """Resolved items of the test work type, each (resolved, due, met, response due,
    responded) as given."""
    queue = Queue.objects.filter(engagement=engagement).first() or queue_of(engagement)
    made = []
    with client_scope(clients=[engagement.client_id]):
        for number, (resolved, due, met, response_due, responded) in enumerate(rows):
            item = work.create_item(
                actor=None, queue=queue, work_type=BILLED.key, payload={"document": f"d{number}"}
            )
            WorkItem.objects.filter(pk=item.pk).update(
                status="resolved",
                resolved_at=at(resolved),
                due_at=at(due),
                sla_met=met,
                response_due_at=at(response_due) if response_due else None,
                first_response_at=at(responded) if responded else None,
            )
            made.append(item.pk)
    return made


def quality_line(engagement_name: str, figures: dict[str, tuple[float, float]]):
    """A service line publishing `figures` ({label: (value, target)}) for the month."""

    def publish(client_ids, first, last):
        return [
            catalogue.SlaFigure(
                engagement=engagement_name, label=label, value=value, target=target,
                unit="%", sample=50,
            )
            for label, (value, target) in figures.items()
        ]  # fmt: skip

    return catalogue.ServiceLine(key="test_quality", title="Test quality", sla_figures=publish)


def month_of_items(engagement, *, responses_met: int, turnaround_met: int, count: int = 20):
    """`count` items resolved in November: the first `responses_met` answered in time,
    the first `turnaround_met` resolved in time."""
    rows = []
    for n in range(count):
        day = 2 + n
        resolved = f"2026-11-{day:02d} 12:00"
        rows.append(
            (
                resolved,
                f"2026-11-{day:02d} 15:00",
                n < turnaround_met,
                f"2026-11-{day:02d} 10:00",
                f"2026-11-{day:02d} {'09' if n < responses_met else '11'}:00",
            )
        )
    return items(engagement, rows)
