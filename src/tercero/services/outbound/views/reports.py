"""The campaign report page (/outbound/reports/): the last 7 or 30 days, per day and
campaign, with a chart of dials per day and the same rows as CSV."""

import csv
from datetime import timedelta

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from tercero.platform.pages import page
from tercero.services.outbound import reports
from tercero.web.charts import Point, bar_chart
from tercero.web.lists import csv_cell

DIAL = "outbound:dial"
PERIODS = {"7": "The last 7 days", "30": "The last 30 days"}


@page(DIAL, staff=True)
def report_page(request, caller):
    days = request.GET.get("days", "7")
    days = days if days in PERIODS else "7"
    until = timezone.now()
    rows = reports.daily(
        client_ids=caller.client_ids, since=until - timedelta(days=int(days)), until=until
    )
    if request.GET.get("format") == "csv":
        return _csv(rows)
    per_day: dict = {}
    for row in rows:
        per_day[row.day] = per_day.get(row.day, 0) + row.dials
    chart = bar_chart(
        [Point(day.strftime("%d %b"), dials) for day, dials in sorted(per_day.items())],
        title="Dials per day",
        chart_id="dials-per-day",
    )
    return render(
        request,
        "outbound/report.html",
        {"rows": rows, "days": days, "periods": PERIODS.items(), "chart": chart},
    )


def _csv(rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="campaign-report.csv"'
    writer = csv.writer(response)
    writer.writerow(["Day", "Campaign", "Dials", "Contacts", "Sales", "Talk seconds"])
    for r in rows:
        writer.writerow(
            [csv_cell(v) for v in (r.day, r.campaign, r.dials, r.contacts, r.sales, r.talk_seconds)]
        )
    return response
