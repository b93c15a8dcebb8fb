"""The live campaign board (/outbound/board/): today's figures per campaign of the
caller's clients, refreshed by htmx every 15 seconds (a poll that keeps no idle session
alive), with SVG charts and a CSV of the same rows."""

import csv
from datetime import datetime, timedelta

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from tercero.platform.pages import page
from tercero.services.outbound import board
from tercero.web.charts import Point, bar_chart
from tercero.web.lists import csv_cell

DIAL = "outbound:dial"
WINDOWS = {
    "hour": ("The last hour", timedelta(hours=1)),
    "day": ("The last 24 hours", timedelta(days=1)),
}
CSV_HEADER = [
    "Campaign",
    "Status",
    "Dials",
    "Contacts",
    "Contact rate %",
    "Sales",
    "Conversion rate %",
    "Abandoned",
    "Abandon rate %",
    "Abandon cap %",
    "Attempts per lead",
    "Callable now",
    "Held",
]


def _window(request) -> tuple[str, datetime, datetime]:
    key = request.GET.get("window", "day")
    key = key if key in WINDOWS else "day"
    now = timezone.now()
    return key, now - WINDOWS[key][1], now


@page(DIAL, staff=True)
def board_page(request, caller):
    key, since, until = _window(request)
    campaigns = board.campaigns_board(client_ids=caller.client_ids, since=since, until=until)
    if request.GET.get("format") == "csv":
        return _csv(campaigns)
    agents = board.agents_board(client_ids=caller.client_ids, since=since, until=until)
    context = {
        "campaigns": campaigns,
        "agents": agents,
        "window": key,
        "windows": [(k, label) for k, (label, _) in WINDOWS.items()],
        "charts": _charts(campaigns),
        "updated_at": until,
    }
    template = (
        "outbound/_board_figures.html"
        if request.headers.get("HX-Request")
        else "outbound/board.html"
    )
    return render(request, template, context)


def _charts(campaigns) -> dict[str, str]:
    cap = max((float(c.abandon_cap_percent) for c in campaigns), default=None)
    return {
        "contact": bar_chart(
            [Point(c.name, c.contact_rate) for c in campaigns],
            title="Contact rate by campaign",
            chart_id="contact-rate",
            unit="%",
            maximum=100,
        ),
        "abandon": bar_chart(
            [Point(c.name, c.abandon_rate) for c in campaigns],
            title="Abandon rate by campaign, against the cap",
            chart_id="abandon-rate",
            unit="%",
            target=cap,
        ),
    }


def _csv(campaigns) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="campaign-board.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for c in campaigns:
        writer.writerow(
            [
                csv_cell(value)
                for value in (
                    c.name,
                    c.status,
                    c.dials,
                    c.contacts,
                    c.contact_rate,
                    c.sales,
                    c.conversion_rate,
                    c.abandoned,
                    c.abandon_rate,
                    c.abandon_cap_percent,
                    c.attempts_per_lead,
                    c.callable_now,
                    sum(c.held_by_rule.values()),
                )
            ]
        )
    return response
