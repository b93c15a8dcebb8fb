"""Quality API: the quality report, the engagements' quality SLA for a month (clients see
their own), and the billing export of the quality credits' figures."""

import csv
from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from tercero.governance.quality import reports
from tercero.platform.api.caller import caller_of
from tercero.platform.errors import InvalidInput
from tercero.web.lists import csv_cell

READ, MANAGE = "quality:read", "quality:manage"
SLA_READ = "work:read"  # the permission the portal's monthly SLA report needs

router = Router(tags=["quality"])

MONTH = Field(default="", pattern=r"^(\d{4}-\d{2})?$", description="YYYY-MM; this month if empty")


class ReportFilters(Schema):
    month: str = MONTH
    engagement_id: int | None = Field(default=None, ge=1, le=2**62)
    site_id: int | None = Field(default=None, ge=1, le=2**62)


class MonthFilter(Schema):
    month: str = MONTH


class FigureOut(Schema):
    key: str
    label: str
    evaluations: int
    score: float | None
    score_low: float | None
    score_high: float | None
    accurate: int
    checked: int
    accuracy: float | None
    accuracy_low: float | None
    accuracy_high: float | None


class CriterionOut(Schema):
    key: str
    label: str
    scored: int
    failed: int
    pass_rate: float | None
    low: float | None
    high: float | None


class ReportOut(Schema):
    first: date
    last: date
    interval: str
    overall: FigureOut
    agent: list[FigureOut]
    team: list[FigureOut]
    site: list[FigureOut]
    shore: list[FigureOut]
    client: list[FigureOut]
    engagement: list[FigureOut]
    criteria: list[CriterionOut]
    trend: list[FigureOut]


class SlaFigureOut(Schema):
    engagement: str
    measure: str
    result: float | None
    target: float | None
    unit: str
    met: bool | None
    sample: int
    interval_low: float | None
    interval_high: float | None


class SlaOut(Schema):
    month: str
    figures: list[SlaFigureOut]


def month_of(text: str) -> date:
    """The first day of `YYYY-MM`, or of this month when empty (422 for a bad month)."""
    if not text:
        return timezone.now().date().replace(day=1)
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise InvalidInput("Give the month as YYYY-MM.", fields={"month": "not a month"}) from None


def _figure(found: reports.Figure) -> dict[str, Any]:
    out = {name: getattr(found, name) for name in FigureOut.model_fields}
    out["key"] = "" if found.key is None else str(found.key)
    return out


@router.get("/quality/report", response=ReportOut)
def quality_report(request: HttpRequest, filters: Query[ReportFilters]) -> dict[str, Any]:
    """Quality score (mean, Student's t 95 % interval) and accuracy (Wilson 95 % interval)
    per agent, team, site, shore, client, engagement and criterion, with the weekly trend,
    for one month of evaluations (calibration never counts)."""
    caller = caller_of(request)
    caller.require(MANAGE)
    first, last = reports.month_bounds(month_of(filters.month))
    found = reports.report(
        reports.Filters(
            client_ids=caller.client_ids,
            first=first,
            last=last,
            engagement_id=filters.engagement_id,
            site_id=filters.site_id,
        )
    )
    return {
        "first": first,
        "last": last,
        "interval": "95 %: Student's t for the mean score, Wilson for accuracy and pass rates",
        "overall": _figure(found.overall),
        **{d: [_figure(f) for f in rows] for d, rows in found.dimensions.items()},
        "criteria": found.criteria,
        "trend": [_figure(f) for f in found.trend],
    }


@router.get("/quality/sla", response=SlaOut)
def quality_sla(request: HttpRequest, filters: Query[MonthFilter]) -> dict[str, Any]:
    """The month's quality SLA per engagement (quality score and accuracy against the
    sampling rule's targets), as the client's monthly SLA report shows it."""
    caller = caller_of(request)
    caller.require(SLA_READ)
    first, last = reports.month_bounds(month_of(filters.month))
    figures = reports.sla_figures(caller.client_ids, first, last)
    return {
        "month": f"{first:%Y-%m}",
        "figures": [
            {
                "engagement": f.engagement,
                "measure": f.label,
                "result": f.value,
                "target": f.target,
                "unit": f.unit,
                "met": f.is_met,
                "sample": f.sample,
                "interval_low": f.low,
                "interval_high": f.high,
            }
            for f in figures
        ],
    }


@router.get("/quality/sla.csv")
def quality_sla_csv(request: HttpRequest, filters: Query[MonthFilter]) -> HttpResponse:
    """The month's quality SLA per engagement as CSV, for billing's quality credits:
    measure, target, result, met, sample and interval."""
    caller = caller_of(request)
    caller.require(SLA_READ)
    month = month_of(filters.month)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="quality-sla-{month:%Y-%m}.csv"'
    write_billing_csv(response, reports.billing_rows(caller.client_ids, month))
    return response


def write_billing_csv(out: Any, rows: list[dict[str, Any]]) -> None:
    writer = csv.DictWriter(out, fieldnames=reports.BILLING_COLUMNS)
    writer.writeheader()
    writer.writerows([{k: csv_cell(v) for k, v in row.items()} for row in rows])
