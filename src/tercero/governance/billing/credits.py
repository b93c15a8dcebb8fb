"""SLA credits: what the provider gives back when it misses the measures of its contract.

The terms of an engagement (CreditTerms) put `at_risk_percent` of the month's fees at
risk, and spread a pool allocation (`pool_percent`, e.g. 150 %) over the measures: each
measure's `allocation_percent` of the at-risk amount is credited when it is missed.
Because the allocations may add up to more than 100 %, two or three misses are felt, but
the month's credits never pass the at-risk amount (the last credits are cut to fit).

  fees      = the month's charges of the engagement (usage and minimum lines)
  at risk   = fees x at_risk_percent, rounded half up to the minor unit
  credit    = at risk x allocation_percent, rounded half up, per missed measure

A measure is an SLA clock measured by the work engine, read through the same selector
as the SLA report (work.selectors.sla_measurements): "first_response" (items whose first
response was due), "resolution" and "turnaround" (items whose final clock was judged,
`sla_met`, split by what their work type times), against the share of items that must
meet it (`target_percent`); or a quality figure the service lines publish for the report
(catalogue.sla_figures, "quality:<label>"), against its own target unless one is given.
Items a late client obligation excuses are left out and named (obligations.py).

Earn-back: with `earn_back_months` N > 0, a credit of month M is returned to the provider
on the invoice of month M+N when its measure is met in every month M+1 .. M+N (a month
with nothing measured does not count as met)."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db import transaction

from tercero.delivery.engagements import selectors as engagements
from tercero.delivery.work import registry
from tercero.delivery.work import selectors as work
from tercero.governance.billing import obligations, rating
from tercero.governance.billing.models import CreditMeasure, CreditTerms, SlaCredit
from tercero.platform import catalogue
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput, NotFound
from tercero.platform.tenancy.models import Client
from tercero.web.money import format_money

HUNDRED = Decimal(100)
CLOCKS = {
    "first_response": "First response within target",
    "resolution": "Resolution within target",
    "turnaround": "Turnaround within target",
}
QUALITY = "quality:"
CHARGES = ("usage", "minimum")


def label_of(measure: str) -> str:
    return CLOCKS.get(measure) or measure.removeprefix(QUALITY)


def percent_text(value: Decimal | None) -> str:
    if value is None:
        return "not measured"
    return f"{value.normalize():f} %"


def add_months(day: date, months: int) -> date:
    month = day.year * 12 + day.month - 1 + months
    return date(month // 12, month % 12 + 1, 1)


def share(amount_minor: int, percent: Decimal) -> int:
    """`percent` of an amount, rounded half up to the minor unit."""
    return int((Decimal(amount_minor) * percent / HUNDRED).quantize(Decimal(1), ROUND_HALF_UP))


@dataclass(frozen=True)
class Measurement:
    """One measure's month: the result against its target, and what was left out."""

    measure: str
    label: str
    result: Decimal | None
    target: Decimal
    measured: int
    met: int
    allocation: Decimal
    excused: int = 0
    excused_by: tuple[str, ...] = ()

    @property
    def is_missed(self) -> bool:
        return self.result is not None and self.result < self.target

    @property
    def is_met(self) -> bool:
        return self.result is not None and self.result >= self.target


@dataclass(frozen=True)
class Credit:
    measurement: Measurement
    amount_minor: int
    description: str


@dataclass
class Assessment:
    """An engagement's month under its credit terms."""

    engagement_id: int
    engagement: str
    period: date
    currency: str
    fees_minor: int
    at_risk_percent: Decimal
    pool_percent: Decimal
    at_risk_minor: int
    measurements: list[Measurement] = field(default_factory=list)
    credits: list[Credit] = field(default_factory=list)

    @property
    def total_minor(self) -> int:
        return sum(credit.amount_minor for credit in self.credits)


# --- measuring ---------------------------------------------------------------------------


def _bounds(period: date, zone: str) -> tuple[date, date, datetime, datetime]:
    first, last = rating.month_of(period)
    tz = ZoneInfo(zone)
    start = datetime.combine(first, time(0), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
    return first, last, start, end


def _clock_of(work_type: str) -> str:
    found = registry.find(work_type)
    metrics = found.sla_metrics if found is not None else ()
    return "turnaround" if "turnaround" in metrics and "resolution" not in metrics else "resolution"


def clock_counts(
    *, client: Client, engagement_id: int, period: date
) -> dict[str, tuple[int, int, int, set[str]]]:
    """Per SLA clock: (measured, met, excused, titles of the obligations that excused)."""
    first, last, start, end = _bounds(period, client.time_zone)
    items = work.sla_measurements(
        client_ids=[client.pk], engagement_id=engagement_id, first=first, last=last
    )
    windows = obligations.excuses(
        client_id=client.pk, engagement_id=engagement_id, first=start, last=end
    )
    counts: dict[str, list] = {clock: [0, 0, 0, set()] for clock in CLOCKS}
    for item in items:
        judged = []
        if item["response_due_at"] is not None:
            response = item["first_response_at"]
            met = response is not None and response <= item["response_due_at"]
            judged.append(("first_response", item["response_due_at"], met))
        if item["sla_met"] is not None:
            judged.append((_clock_of(item["work_type"]), item["due_at"], item["sla_met"]))
        for clock, deadline, met in judged:
            row = counts[clock]
            excusing = [
                w.title
                for w in windows
                if w.covers(measure=clock, work_type=item["work_type"], deadline=deadline)
            ]
            if excusing:
                row[2] += 1
                row[3].update(excusing)
                continue
            row[0] += 1
            row[1] += int(bool(met))
    return {clock: (r[0], r[1], r[2], r[3]) for clock, r in counts.items()}


def _percent(met: int, measured: int) -> Decimal | None:
    if not measured:
        return None
    return (Decimal(met) * HUNDRED / Decimal(measured)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def measure_month(*, client: Client, terms: CreditTerms, period: date) -> list[Measurement]:
    """Each measure of the terms for the month of `period`."""
    engagement = engagements.access_engagement(
        client_ids=[client.pk], engagement_id=terms.engagement_id
    )
    measures = list(CreditMeasure.objects.filter(terms=terms).order_by("id"))
    clocks = (
        clock_counts(client=client, engagement_id=engagement.pk, period=period)
        if any(m.measure in CLOCKS for m in measures)
        else {}
    )
    first, last = rating.month_of(period)
    figures = {
        figure.label: figure
        for figure in catalogue.sla_figures([client.pk], first, last)
        if figure.engagement == engagement.name
    }
    found = []
    for measure in measures:
        if measure.measure in CLOCKS:
            measured, met, excused, why = clocks[measure.measure]
            found.append(
                Measurement(
                    measure=measure.measure,
                    label=label_of(measure.measure),
                    result=_percent(met, measured),
                    target=measure.target_percent or HUNDRED,
                    measured=measured,
                    met=met,
                    allocation=measure.allocation_percent,
                    excused=excused,
                    excused_by=tuple(sorted(why)),
                )
            )
        else:
            found.append(_quality(measure, figures.get(label_of(measure.measure))))
    return found


def _quality(measure: CreditMeasure, figure: catalogue.SlaFigure | None) -> Measurement:
    value = None if figure is None or figure.value is None else figure.value
    target = measure.target_percent
    if target is None:
        target = Decimal(str(figure.target)) if figure and figure.target is not None else HUNDRED
    return Measurement(
        measure=measure.measure,
        label=label_of(measure.measure),
        result=None if value is None else Decimal(str(round(value, 1))),
        target=target,
        measured=figure.sample if figure else 0,
        met=0,
        allocation=measure.allocation_percent,
    )


# --- crediting ---------------------------------------------------------------------------


def describe(m: Measurement, *, amount: int, at_risk: int, a: "Assessment", cut: bool) -> str:
    text = (
        f"{m.label}: {percent_text(m.result)} against {percent_text(m.target)} target, missed: "
        f"{percent_text(m.allocation)} of the {percent_text(a.at_risk_percent)} at-risk pool "
        f"of {format_money(a.fees_minor, a.currency)} = {format_money(amount, a.currency)}"
    )
    if cut:
        text += f" (cut to the at-risk amount of {format_money(at_risk, a.currency)})"
    if m.excused:
        text += f"; {m.excused} measurement(s) excused by late client obligations: " + ", ".join(
            m.excused_by
        )
    return text[:300]


def assess(
    *, client: Client, terms: CreditTerms, period: date, fees_minor: int, currency: str
) -> Assessment:
    """The engagement's measures for the month and the credits its misses give."""
    assessment = Assessment(
        engagement_id=terms.engagement_id,
        engagement=str(terms.engagement),
        period=period.replace(day=1),
        currency=currency,
        fees_minor=fees_minor,
        at_risk_percent=terms.at_risk_percent,
        pool_percent=terms.pool_percent,
        at_risk_minor=share(fees_minor, terms.at_risk_percent),
    )
    assessment.measurements = measure_month(client=client, terms=terms, period=period)
    left = assessment.at_risk_minor
    for measurement in assessment.measurements:
        if not measurement.is_missed or left <= 0:
            continue
        full = share(assessment.at_risk_minor, measurement.allocation)
        amount = min(full, left)
        left -= amount
        text = describe(
            measurement,
            amount=full,
            at_risk=assessment.at_risk_minor,
            a=assessment,
            cut=amount < full,
        )
        assessment.credits.append(Credit(measurement, amount, text))
    return assessment


def fees_of(rated: list[rating.RatedLine], engagement_id: int, period: date) -> int:
    return sum(
        line.amount_minor
        for line in rated
        if line.engagement_id == engagement_id and line.kind in CHARGES and line.period == period
    )


def credit_lines(
    *, client_id: int, period: date, rated: list[rating.RatedLine] | None = None, actor=None
) -> list[rating.RatedLine]:
    """The month's credit lines (negative) and earn-backs (positive) for every engagement
    of the client with credit terms, recorded as SlaCredit rows with the measurement each
    comes from. Called by `invoices.draft_invoices` inside its transaction; a re-draft
    records the same credits again."""
    period = period.replace(day=1)
    all_terms = list(CreditTerms.objects.filter(client_id=client_id).select_related("engagement"))
    if not all_terms:
        return []
    client = Client.objects.get(pk=client_id)
    if rated is None:
        rated = rating.rate_period(client_id=client_id, period=period)
    versions = rating.versions_for_month(client_id=client_id, period=period)
    lines: list[rating.RatedLine] = []
    with transaction.atomic():
        for terms in all_terms:
            version = versions.get(terms.engagement_id)
            if version is None:
                continue
            assessment = assess(
                client=client,
                terms=terms,
                period=period,
                fees_minor=fees_of(rated, terms.engagement_id, period),
                currency=version.rate_card.currency,
            )
            _record(assessment, client_id=client_id, actor=actor)
            lines += [_line(version.pk, assessment, credit) for credit in assessment.credits]
            lines += _earn_backs(client=client, terms=terms, period=period, version_id=version.pk)
    return lines


def _line(version_id: int, assessment: Assessment, credit: Credit) -> rating.RatedLine:
    return rating.RatedLine(
        engagement_id=assessment.engagement_id,
        rate_card_version_id=version_id,
        rate_line_id=None,
        kind="credit",
        description=credit.description,
        unit="",
        quantity=Decimal(1),
        unit_price_minor=-credit.amount_minor,
        amount_minor=-credit.amount_minor,
        period=assessment.period,
        usage_ids=(),
    )


def _record(assessment: Assessment, *, client_id: int, actor) -> None:
    """Replace the month's recorded credits of the engagement with these."""
    SlaCredit.objects.filter(
        client_id=client_id, engagement_id=assessment.engagement_id, period=assessment.period
    ).delete()
    for credit in assessment.credits:
        m = credit.measurement
        SlaCredit.objects.create(
            client_id=client_id,
            engagement_id=assessment.engagement_id,
            period=assessment.period,
            measure=m.measure,
            label=m.label,
            result_percent=m.result,
            target_percent=m.target,
            measured=m.measured,
            excused=m.excused,
            fees_minor=assessment.fees_minor,
            amount_minor=credit.amount_minor,
            currency=assessment.currency,
            description=credit.description,
        )
    record(
        action="billing.sla_credits.computed",
        actor=actor,
        client=client_id,
        object_type="engagement",
        object_id=assessment.engagement_id,
        payload={
            "period": assessment.period.isoformat(),
            "fees_minor": assessment.fees_minor,
            "at_risk_minor": assessment.at_risk_minor,
            "credits_minor": assessment.total_minor,
            "currency": assessment.currency,
            "excused": sum(m.excused for m in assessment.measurements),
        },
    )


def _earn_backs(
    *, client: Client, terms: CreditTerms, period: date, version_id: int
) -> list[rating.RatedLine]:
    """Credits of `earn_back_months` ago whose measure was met in every month since."""
    months = terms.earn_back_months
    if not months:
        return []
    SlaCredit.objects.filter(
        client=client, engagement_id=terms.engagement_id, earned_back_period=period
    ).update(earned_back_period=None)
    earlier = period.replace(day=1)
    credited = list(
        SlaCredit.objects.filter(
            client=client,
            engagement_id=terms.engagement_id,
            period=add_months(earlier, -months),
            earned_back_period__isnull=True,
            amount_minor__gt=0,
        )
    )
    if not credited:
        return []
    since = [add_months(earlier, -back) for back in range(months - 1, -1, -1)]
    met_in = {
        month: {
            m.measure for m in measure_month(client=client, terms=terms, period=month) if m.is_met
        }
        for month in since
    }
    lines = []
    for credit in credited:
        if not all(credit.measure in met_in[month] for month in since):
            continue
        credit.earned_back_period = earlier
        credit.save(update_fields=["earned_back_period"])
        lines.append(
            rating.RatedLine(
                engagement_id=terms.engagement_id,
                rate_card_version_id=version_id,
                rate_line_id=None,
                kind="adjustment",
                description=(
                    f"Earn-back: {credit.label} met in each of the {months} month(s) since "
                    f"{credit.period:%B %Y}; its credit of "
                    f"{format_money(credit.amount_minor, credit.currency)} is returned"
                )[:300],
                unit="",
                quantity=Decimal(1),
                unit_price_minor=credit.amount_minor,
                amount_minor=credit.amount_minor,
                period=earlier,
                usage_ids=(),
            )
        )
    return lines


# --- the terms ----------------------------------------------------------------------------


def _terms_problems(at_risk: Decimal, pool: Decimal, months: int, measures: list[dict]) -> dict:
    problems: dict[str, str] = {}
    if not Decimal(0) <= at_risk <= HUNDRED:
        problems["at_risk_percent"] = "from 0 to 100"
    if not Decimal(0) < pool <= Decimal(1000):
        problems["pool_percent"] = "more than 0, at most 1000"
    if not 0 <= months <= 24:
        problems["earn_back_months"] = "from 0 to 24"
    keys = [str(m.get("measure") or "") for m in measures]
    if len(set(keys)) != len(keys):
        problems["measures"] = "each measure once"
    for index, measure in enumerate(measures):
        problems.update(_measure_problems(index, measure))
    total = sum((Decimal(m.get("allocation_percent") or 0) for m in measures), Decimal(0))
    if measures and "measures" not in problems and total != pool:
        problems["measures"] = f"the allocations add up to {total} %, the pool is {pool} %"
    return problems


def _measure_problems(index: int, measure: dict) -> dict[str, str]:
    problems: dict[str, str] = {}
    key, target = str(measure.get("measure") or ""), measure.get("target_percent")
    if key not in CLOCKS and not (key.startswith(QUALITY) and len(key) > len(QUALITY)):
        problems[f"measures.{index}.measure"] = (
            "first_response, resolution, turnaround or quality:<figure label>"
        )
    elif key in CLOCKS and target is None:
        problems[f"measures.{index}.target_percent"] = "the share of items that must meet it"
    if target is not None and not Decimal(0) <= Decimal(target) <= HUNDRED:
        problems[f"measures.{index}.target_percent"] = "from 0 to 100"
    if not Decimal(0) < Decimal(measure.get("allocation_percent") or 0) <= HUNDRED:
        problems[f"measures.{index}.allocation_percent"] = "more than 0, at most 100"
    return problems


def set_terms(
    *, actor, engagement, version: int, at_risk_percent: Decimal, pool_percent: Decimal,
    earn_back_months: int, measures: list[dict],
) -> CreditTerms:  # fmt: skip
    """Enter or replace the engagement's credit terms and measures (`version` 0: new).
    The measures' allocations add up to the pool allocation."""
    problems = _terms_problems(at_risk_percent, pool_percent, earn_back_months, measures)
    if problems:
        raise InvalidInput("The credit terms are not complete.", fields=problems)
    with transaction.atomic():
        terms = CreditTerms.objects.select_for_update().filter(engagement=engagement).first()
        if (terms.version if terms else 0) != version:
            raise Conflict(
                "The credit terms changed since you loaded them; reload and retry.",
                code="stale_version",
            )
        terms = terms or CreditTerms(client_id=engagement.client_id, engagement=engagement)
        terms.at_risk_percent, terms.pool_percent = at_risk_percent, pool_percent
        terms.earn_back_months = earn_back_months
        terms.version = version + 1
        terms.save()
        CreditMeasure.objects.filter(terms=terms).delete()
        for measure in measures:
            target = measure.get("target_percent")
            CreditMeasure.objects.create(
                client_id=engagement.client_id,
                terms=terms,
                measure=measure["measure"],
                allocation_percent=Decimal(measure["allocation_percent"]),
                target_percent=None if target is None else Decimal(target),
            )
        record(
            action="billing.credit_terms.set",
            actor=actor,
            client=engagement.client_id,
            object_type="creditterms",
            object_id=terms.pk,
            payload={
                "engagement_id": engagement.pk,
                "at_risk_percent": str(at_risk_percent),
                "pool_percent": str(pool_percent),
                "earn_back_months": earn_back_months,
                "measures": [m["measure"] for m in measures],
            },
        )
    return terms


def preview(*, engagement, period: date) -> Assessment:
    """The month's assessment under the terms as they stand now, fees from the month's
    uninvoiced usage (what the next draft would credit). NotFound without terms."""
    terms = CreditTerms.objects.filter(engagement=engagement).first()
    if terms is None:
        raise NotFound("This engagement has no credit terms.")
    client = Client.objects.get(pk=engagement.client_id)
    month = period.replace(day=1)
    rated = rating.rate_period(client_id=client.pk, period=month)
    version = rating.versions_for_month(client_id=client.pk, period=month).get(engagement.pk)
    return assess(
        client=client,
        terms=terms,
        period=month,
        fees_minor=fees_of(rated, engagement.pk, month),
        currency=version.rate_card.currency if version else "",
    )
