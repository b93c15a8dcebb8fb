"""Savings for the client, margin for the provider.

Saving: the client's in-house baseline (SavingsBaseline: a cost per unit of a billable
unit, or per FTE per month) times the month's metered units of that unit, against what
the month costs through the provider: the net of every invoice line of the engagement
for that month (usage, minimum, credits and earn-backs; adjustments count in the month
they are for; tax is left out on both sides). Issued invoices count; while the month is
only drafted the figure is marked provisional.

Margin (provider only: never on a client's page, API, export or service review): the
same revenue against the provider's own cost, each site's hourly cost
(workforce Site.hourly_cost_minor) times the productive hours metered at that site
(UsageRecord, unit productive_hour). A site costed in another currency than the
engagement's invoices is shown apart and not netted. Bill-to-pay: productive (billable)
hours over paid hours, paid hours being the time agents cleared for the engagement were
signed in (available, busy or on a break), split between their engagements as productive
hours are (productive.py)."""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from tercero.delivery.scheduling.adherence import presence_spans
from tercero.delivery.workforce import selectors as workforce
from tercero.governance.billing import productive, rating
from tercero.governance.billing.models import (
    Invoice,
    InvoiceLine,
    SavingsBaseline,
    Unit,
    UsageRecord,
)
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.tenancy.models import Client
from tercero.platform.tenancy.scoping import all_clients_scope

HUNDRED = Decimal(100)
SIGNED_IN = frozenset({"available", "busy", "break"})


def _minor(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), ROUND_HALF_UP))


def _ratio(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


# --- the baseline -------------------------------------------------------------------------


def set_baseline(
    *, actor, engagement, unit: str, cost_minor: int, currency: str, note: str = "",
    version: int | None = None,
) -> SavingsBaseline:  # fmt: skip
    """Enter (or change) the client's in-house cost per unit for the engagement."""
    problems = {}
    if unit not in Unit.values:
        problems["unit"] = "one of " + ", ".join(Unit.values)
    if cost_minor < 0:
        problems["cost"] = "zero or more"
    if len(currency or "") != 3 or not currency.isalpha():
        problems["currency"] = "a three-letter ISO 4217 code"
    if problems:
        raise InvalidInput("The baseline is not complete.", fields=problems)
    with transaction.atomic():
        found = SavingsBaseline.objects.select_for_update().filter(engagement=engagement).first()
        if found is not None and version is not None and found.version != version:
            raise Conflict(
                "The baseline changed since you loaded it; reload and retry.",
                code="stale_version",
            )
        found = found or SavingsBaseline(client_id=engagement.client_id, engagement=engagement)
        found.unit, found.cost_minor, found.currency = unit, cost_minor, currency.upper()
        found.note = note[:300]
        found.version = (found.version or 0) + 1 if found.pk else 1
        found.save()
        record(
            action="billing.baseline.set",
            actor=actor,
            client=engagement.client_id,
            object_type="savingsbaseline",
            object_id=found.pk,
            payload={"unit": unit, "cost_minor": cost_minor, "currency": found.currency},
        )
    return found


# --- what the month cost through the provider ------------------------------------------------


@dataclass(frozen=True)
class Billed:
    currency: str
    amount_minor: int
    is_provisional: bool


def billed(*, client_id: int, engagement_id: int, period: date) -> Billed | None:
    """The net the invoices charge the engagement for the month of `period`."""
    first = period.replace(day=1)
    lines = InvoiceLine.objects.filter(
        client_id=client_id,
        period=first,
        rate_card_version__rate_card__engagement_id=engagement_id,
    )
    rows = list(
        lines.values("invoice__currency", "invoice__status").annotate(total=Sum("amount_minor"))
    )
    if not rows:
        return None
    issued = [row for row in rows if row["invoice__status"] == Invoice.Status.ISSUED]
    counted = issued or rows
    return Billed(
        currency=counted[0]["invoice__currency"],
        amount_minor=sum(row["total"] for row in counted),
        is_provisional=not issued,
    )


def units(*, client_id: int, engagement_id: int, period: date, unit: str) -> Decimal:
    total = UsageRecord.objects.filter(
        client_id=client_id, engagement_id=engagement_id, period=period.replace(day=1), unit=unit
    ).aggregate(total=Sum("quantity"))["total"]
    return Decimal(total or 0)


@dataclass(frozen=True)
class Saving:
    engagement_id: int
    engagement: str
    period: date
    currency: str
    unit: str
    baseline_minor: int
    units: Decimal
    in_house_minor: int
    provider_minor: int
    saving_minor: int
    saving_percent: Decimal | None
    is_provisional: bool


def saving(*, engagement, period: date) -> Saving | None:
    """The month's saving against the baseline; None without a baseline or invoice."""
    baseline = SavingsBaseline.objects.filter(engagement=engagement).first()
    cost = billed(client_id=engagement.client_id, engagement_id=engagement.pk, period=period)
    if baseline is None or cost is None or cost.currency != baseline.currency:
        return None
    quantity = units(
        client_id=engagement.client_id,
        engagement_id=engagement.pk,
        period=period,
        unit=baseline.unit,
    )
    in_house = _minor(quantity * baseline.cost_minor)
    return Saving(
        engagement_id=engagement.pk,
        engagement=engagement.name,
        period=period.replace(day=1),
        currency=cost.currency,
        unit=baseline.unit,
        baseline_minor=baseline.cost_minor,
        units=quantity,
        in_house_minor=in_house,
        provider_minor=cost.amount_minor,
        saving_minor=in_house - cost.amount_minor,
        saving_percent=_ratio(in_house - cost.amount_minor, in_house),
        is_provisional=cost.is_provisional,
    )


# --- the provider's margin (never a client's) -----------------------------------------------


@dataclass(frozen=True)
class SiteCost:
    site: str
    hours: Decimal
    hourly_cost_minor: int
    currency: str
    amount_minor: int


@dataclass
class Margin:
    engagement_id: int
    engagement: str
    period: date
    currency: str
    revenue_minor: int
    cost_minor: int
    sites: list[SiteCost] = field(default_factory=list)
    uncounted: list[SiteCost] = field(default_factory=list)
    billed_hours: Decimal = Decimal(0)
    paid_hours: Decimal = Decimal(0)
    is_provisional: bool = False

    @property
    def margin_minor(self) -> int:
        return self.revenue_minor - self.cost_minor

    @property
    def margin_percent(self) -> Decimal | None:
        return _ratio(self.margin_minor, self.revenue_minor)

    @property
    def bill_to_pay(self) -> Decimal | None:
        return _ratio(self.billed_hours, self.paid_hours)


def margin(*, engagement, period: date) -> Margin:
    """Revenue, the provider's cost by site, margin and bill-to-pay for the month."""
    first = period.replace(day=1)
    revenue = billed(client_id=engagement.client_id, engagement_id=engagement.pk, period=first)
    currency = revenue.currency if revenue else ""
    hours = _hours_by_site(engagement, first)
    site_rows = {site.pk: site for site in workforce.sites().filter(pk__in=list(hours))}
    found = Margin(
        engagement_id=engagement.pk,
        engagement=engagement.name,
        period=first,
        currency=currency or next((s.currency for s in site_rows.values()), ""),
        revenue_minor=revenue.amount_minor if revenue else 0,
        cost_minor=0,
        is_provisional=bool(revenue and revenue.is_provisional),
    )
    for site_id, quantity in sorted(hours.items(), key=lambda pair: str(pair[0])):
        site = site_rows.get(site_id) if site_id is not None else None
        if site is None:
            continue
        cost = SiteCost(
            site=site.name,
            hours=quantity,
            hourly_cost_minor=site.hourly_cost_minor,
            currency=site.currency,
            amount_minor=_minor(quantity * site.hourly_cost_minor),
        )
        if site.currency == found.currency:
            found.sites.append(cost)
            found.cost_minor += cost.amount_minor
        else:
            found.uncounted.append(cost)
    found.billed_hours = sum(hours.values(), Decimal(0))
    found.paid_hours = paid_hours(engagement=engagement, period=first)
    return found


def _hours_by_site(engagement, first: date) -> dict[int | None, Decimal]:
    rows = (
        UsageRecord.objects.filter(
            client_id=engagement.client_id,
            engagement_id=engagement.pk,
            period=first,
            unit=Unit.PRODUCTIVE_HOUR,
        )
        .values("site_id")
        .annotate(total=Sum("quantity"))
    )
    return {row["site_id"]: Decimal(row["total"]) for row in rows}


def paid_hours(*, engagement, period: date) -> Decimal:
    """Hours the engagement's agents were signed in during the month, each agent's time
    split equally between the engagements it is cleared for."""
    client = Client.objects.get(pk=engagement.client_id)
    first, last = rating.month_of(period)
    start, _ = productive.day_bounds(first, client.time_zone)
    _, end = productive.day_bounds(last, client.time_zone)
    if start >= timezone.now():
        return Decimal(0)
    with all_clients_scope():  # an agent's other clearances count in the split
        cleared = productive._cleared(client)
        agent_ids = cleared.agents_of.get(engagement.pk, [])
        history = workforce.presence_history(agent_ids=agent_ids, start=start, end=end)
    total = Decimal(0)
    for agent_id in agent_ids:
        seconds = sum(
            (span.end - span.start).total_seconds()
            for span in presence_spans(history[agent_id], start=start, end=min(end, timezone.now()))
            if span.state in SIGNED_IN
        )
        total += Decimal(int(seconds)) / productive.HOUR / cleared.counts[agent_id]
    return total.quantize(Decimal("0.01"), ROUND_HALF_UP)


def margins(*, period: date, engagements) -> list[Margin]:
    """The month's margin of each engagement given (provider staff only)."""
    return [margin(engagement=engagement, period=period) for engagement in engagements]
