"""The quality report page: a month's score and accuracy per agent, team, site, shore,
client, engagement and criterion, with intervals, trend, charts and CSV."""

import csv
from datetime import date, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from tercero.delivery.engagements.selectors import engagements
from tercero.delivery.workforce import selectors as workforce
from tercero.governance.quality import reports
from tercero.platform.api.caller import Caller
from tercero.platform.pages import page
from tercero.web.charts import Point, bar_chart
from tercero.web.lists import csv_cell

MANAGE = "quality:manage"
CSV_COLUMNS = (
    "dimension", "group", "evaluations", "score", "score_low", "score_high",
    "accuracy_percent", "accuracy_low", "accuracy_high", "accurate", "checked",
)  # fmt: skip


def _months(count: int = 12) -> list[date]:
    months, cursor = [], timezone.now().date().replace(day=1)
    for _ in range(count):
        months.append(cursor)
        cursor = (cursor - timedelta(days=1)).replace(day=1)
    return months


def _chosen_month(text: str) -> date:
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        return timezone.now().date().replace(day=1)


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() and 0 < int(text) < 2**62 else None


@page(MANAGE, staff=True)
def quality_report(request: HttpRequest, caller: Caller) -> HttpResponse:
    month = _chosen_month(request.GET.get("month", ""))
    first, last = reports.month_bounds(month)
    filters = reports.Filters(
        client_ids=caller.client_ids,
        first=first,
        last=last,
        engagement_id=_number(request.GET.get("engagement", "")),
        site_id=_number(request.GET.get("site", "")),
    )
    found = reports.report(filters)
    if request.GET.get("download") == "csv":
        return _csv(found, month)
    return render(
        request,
        "quality/reports.html",
        {
            "report": found,
            "month": month,
            "months": _months(),
            "engagements": engagements(client_ids=caller.client_ids).order_by("name"),
            "sites": workforce.sites().order_by("name"),
            "chosen_engagement": filters.engagement_id,
            "chosen_site": filters.site_id,
            "sections": [
                (key, reports.DIMENSION_TITLES[key], found.dimensions[key])
                for key in reports.DIMENSIONS
            ],
            "charts": _charts(found, month),
            "csv_query": request.GET.urlencode(),
        },
    )


def _charts(found: reports.Report, month: date) -> dict[str, str]:
    return {
        "trend": bar_chart(
            [Point(f.label, f.score) for f in found.trend],
            title=f"Quality score by week, {month:%B %Y}",
            chart_id="quality-trend",
            maximum=100,
        ),
        "engagement": bar_chart(
            [Point(f.label, f.score) for f in found.dimensions["engagement"]],
            title=f"Quality score by engagement, {month:%B %Y}",
            chart_id="quality-engagement",
            maximum=100,
        ),
        "criteria": bar_chart(
            [Point(c.label, c.pass_rate) for c in found.criteria[:12]],
            title=f"Pass rate of the most failed criteria, {month:%B %Y}, percent",
            chart_id="quality-criteria",
            unit="%",
            maximum=100,
        ),
    }


def _csv(found: reports.Report, month: date) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="quality-report-{month:%Y-%m}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    rows: list[tuple[str, reports.Figure]] = [("all", found.overall)]
    rows += [(d, f) for d in reports.DIMENSIONS for f in found.dimensions[d]]
    rows += [("week", f) for f in found.trend]
    for dimension, f in rows:
        writer.writerow([csv_cell(v) for v in _csv_row(dimension, f)])
    for c in found.criteria:
        writer.writerow(
            [csv_cell(v) for v in ("criterion", c.label, c.scored, "", "", "",
                                   _two(c.pass_rate), _two(c.low), _two(c.high),
                                   c.scored - c.failed, c.scored)]
        )  # fmt: skip
    return response


def _csv_row(dimension: str, f: reports.Figure) -> list[Any]:
    return [
        dimension, f.label, f.evaluations, _two(f.score), _two(f.score_low), _two(f.score_high),
        _two(f.accuracy), _two(f.accuracy_low), _two(f.accuracy_high), f.accurate, f.checked,
    ]  # fmt: skip


def _two(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"
