"""The monthly service review of one client, where every number meets the others:
volumes, SLA attainment (the SLA report's own count), quality figures (the same as the
report's), obligations met on both sides, cost (the invoices), credits (as recorded
with the invoice) and savings, each beside last month's. Margin is never in it: the
review is the client's document. The page and the PDF draw the same template."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.template.loader import render_to_string

from tercero.delivery.engagements import selectors as engagements
from tercero.delivery.work import selectors as work
from tercero.governance.billing import savings
from tercero.governance.billing.credits import add_months
from tercero.governance.billing.models import (
    Obligation,
    ObligationOccurrence,
    SlaCredit,
    Unit,
    UsageRecord,
)
from tercero.governance.billing.rating import month_of
from tercero.platform import catalogue
from tercero.platform.audit.services import record
from tercero.platform.tenancy.models import Client
from tercero.web.charts import Point, bar_chart
from tercero.web.money import format_money


@dataclass(frozen=True)
class Trend:
    """A figure this month beside last month's."""

    label: str
    now: Any
    before: Any
    unit: str = ""

    @property
    def change(self) -> str:
        if not isinstance(self.now, int | float | Decimal) or not isinstance(
            self.before, int | float | Decimal
        ):
            return "no comparison"
        delta = Decimal(str(self.now)) - Decimal(str(self.before))
        if delta == 0:
            return "unchanged"
        sign = "up" if delta > 0 else "down"
        return f"{sign} {abs(delta).normalize():f}{self.unit}"


@dataclass
class EngagementReview:
    name: str
    volumes: list[Trend] = field(default_factory=list)
    sla: Trend | None = None
    quality: list[tuple[catalogue.SlaFigure, catalogue.SlaFigure | None]] = field(
        default_factory=list
    )
    cost: str = ""
    cost_before: str = ""
    credits: list[SlaCredit] = field(default_factory=list)
    credits_total: str = ""
    saving: savings.Saving | None = None
    saving_text: str = ""


@dataclass
class ObligationTally:
    side: str
    due: int = 0
    on_time: int = 0
    late: int = 0
    open: int = 0
    late_titles: list[str] = field(default_factory=list)


@dataclass
class ServiceReview:
    client: Client
    period: date
    last: date
    engagements: list[EngagementReview]
    obligations: list[ObligationTally]
    chart_sla: str
    chart_volume: str


def _quantity(value: Decimal) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01")).normalize()


def _volumes(client: Client, engagement_id: int, period: date, last: date) -> list[Trend]:
    totals: dict[str, dict[date, Decimal]] = defaultdict(dict)
    rows = (
        UsageRecord.objects.filter(
            client_id=client.pk, engagement_id=engagement_id, period__in=[period, last]
        )
        .values("unit", "period")
        .annotate(total=Sum("quantity"))
    )
    for row in rows:
        totals[row["unit"]][row["period"]] = _quantity(row["total"])
    return [
        Trend(Unit(unit).label, found.get(period, Decimal(0)), found.get(last, Decimal(0)))
        for unit, found in sorted(totals.items())
    ]


def _sla(client: Client, engagement_id: int, period: date, last: date) -> Trend:
    def percent(month: date):
        first, end = month_of(month)
        found = work.resolved_between(client_ids=[client.pk], first=first, last=end)
        rows = work.attainment(found.filter(engagement_id=engagement_id), "engagement_id")
        return rows[0]["percent"] if rows else None

    return Trend("SLA met", percent(period), percent(last), " points")


def _obligations(client: Client, period: date) -> list[ObligationTally]:
    first, end = month_of(period)
    tallies = {side: ObligationTally(label) for side, label in Obligation.Side.choices}
    found = ObligationOccurrence.objects.filter(
        client_id=client.pk, due_at__date__gte=first, due_at__date__lte=end
    ).select_related("obligation")
    for occurrence in found:
        tally = tallies[occurrence.obligation.side]
        tally.due += 1
        if occurrence.was_late:
            tally.late += 1
            tally.late_titles.append(f"{occurrence.obligation.title} ({occurrence.due_at:%d %b})")
        elif occurrence.status == ObligationOccurrence.Status.MET:
            tally.on_time += 1
        else:
            tally.open += 1
    return list(tallies.values())


def _engagement(client: Client, engagement, period: date, last: date) -> EngagementReview:
    review = EngagementReview(name=engagement.name)
    review.volumes = _volumes(client, engagement.pk, period, last)
    review.sla = _sla(client, engagement.pk, period, last)
    before = {
        figure.label: figure
        for figure in catalogue.sla_figures([client.pk], *month_of(last))
        if figure.engagement == engagement.name
    }
    review.quality = [
        (figure, before.get(figure.label))
        for figure in catalogue.sla_figures([client.pk], *month_of(period))
        if figure.engagement == engagement.name
    ]
    for month, attribute in ((period, "cost"), (last, "cost_before")):
        billed = savings.billed(client_id=client.pk, engagement_id=engagement.pk, period=month)
        text = format_money(billed.amount_minor, billed.currency) if billed else "not invoiced"
        if billed and billed.is_provisional:
            text += " (draft)"
        setattr(review, attribute, text)
    review.credits = list(SlaCredit.objects.filter(engagement=engagement, period=period))
    if review.credits:
        review.credits_total = format_money(
            sum(credit.amount_minor for credit in review.credits), review.credits[0].currency
        )
    review.saving = savings.saving(engagement=engagement, period=period)
    if review.saving is not None:
        review.saving_text = format_money(review.saving.saving_minor, review.saving.currency)
    return review


def review(*, client: Client, period: date) -> ServiceReview:
    """The client's review of the month of `period`, against the month before."""
    period = period.replace(day=1)
    last = add_months(period, -1)
    reviews = [
        _engagement(client, engagement, period, last)
        for engagement in engagements.engagements(client_ids=[client.pk]).order_by("name")
    ]
    return ServiceReview(
        client=client,
        period=period,
        last=last,
        engagements=reviews,
        obligations=_obligations(client, period),
        chart_sla=bar_chart(
            [
                Point(r.name, None if r.sla is None or r.sla.now is None else float(r.sla.now))
                for r in reviews
            ],
            title=f"SLA met by service, {period:%B %Y}, percent",
            chart_id="review-sla",
            unit="%",
            maximum=100,
        ),
        chart_volume=bar_chart(
            [
                Point(f"{r.name}: {trend.label}", float(trend.now))
                for r in reviews
                for trend in r.volumes
            ],
            title=f"Volumes by service, {period:%B %Y}",
            chart_id="review-volume",
        ),
    )


def review_html(found: ServiceReview) -> str:
    return render_to_string("billing/review_pdf.html", {"review": found})


def review_pdf(*, found: ServiceReview, actor) -> bytes:
    """The review as a PDF for the governance meeting; the download is an audit event."""
    from weasyprint import HTML  # type: ignore[import-untyped]  # loading Pango costs ~0.3 s

    pdf = HTML(string=review_html(found)).write_pdf()
    record(
        action="billing.service_review.downloaded",
        actor=actor,
        client=found.client.pk,
        object_type="client",
        object_id=found.client.pk,
        payload={"period": found.period.isoformat()},
    )
    return pdf


def _trend(trend: Trend | None) -> dict | None:
    if trend is None:
        return None
    return {"label": trend.label, "now": trend.now, "before": trend.before, "change": trend.change}


def as_data(found: ServiceReview) -> dict:
    """The review as plain data for the API (amounts in minor units with currencies)."""
    return {
        "client_id": found.client.pk,
        "period": found.period.isoformat(),
        "previous_period": found.last.isoformat(),
        "engagements": [
            {
                "name": r.name,
                "volumes": [_trend(t) for t in r.volumes],
                "sla": _trend(r.sla),
                "quality": [
                    {
                        "label": now.label,
                        "value": now.value,
                        "target": now.target,
                        "unit": now.unit,
                        "sample": now.sample,
                        "previous_value": before.value if before else None,
                    }
                    for now, before in r.quality
                ],
                "cost": r.cost,
                "previous_cost": r.cost_before,
                "credits": [
                    {
                        "measure": c.measure,
                        "amount_minor": c.amount_minor,
                        "currency": c.currency,
                        "description": c.description,
                    }
                    for c in r.credits
                ],
                "saving": None
                if r.saving is None
                else {
                    "in_house_minor": r.saving.in_house_minor,
                    "provider_minor": r.saving.provider_minor,
                    "saving_minor": r.saving.saving_minor,
                    "saving_percent": r.saving.saving_percent,
                    "currency": r.saving.currency,
                    "is_provisional": r.saving.is_provisional,
                },
            }
            for r in found.engagements
        ],
        "obligations": [vars(tally) for tally in found.obligations],
    }
