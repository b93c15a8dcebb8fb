"""Adherence for team leads: the real-time board and the figures per agent and day."""

import csv
from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from tercero.delivery.scheduling import board as figures
from tercero.delivery.scheduling import display
from tercero.delivery.scheduling.views.schedules import READ, staff_only
from tercero.platform.api.caller import Caller
from tercero.platform.pages import POLL_HEADERS, page
from tercero.web.lists import csv_cell


@page(READ, staff=True)
def board(request: HttpRequest, caller: Caller) -> HttpResponse:
    staff_only(caller)
    rows = figures.now_rows()
    context = {
        "rows": rows,
        "out": sum(1 for row in rows if row.is_in is False),
        "poll_headers": POLL_HEADERS,
        "checked_at": timezone.now(),
    }
    if request.headers.get("HX-Request"):
        return render(request, "scheduling/_board.html", context)
    return render(request, "scheduling/board.html", context)


def _day(request: HttpRequest) -> date:
    try:
        return date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return timezone.now().date()


@page(READ, staff=True)
def history(request: HttpRequest, caller: Caller) -> HttpResponse:
    staff_only(caller)
    day = _day(request)
    rows = figures.day_rows(day=day)
    if request.GET.get("format") == "csv":
        return _csv(rows, day)
    shown = [
        {
            "name": row.name,
            "zone": row.time_zone,
            "scheduled": display.hours(row.scheduled_seconds / 60),
            "neutral": display.hours(row.neutral_seconds / 60),
            "in": display.hours(row.in_seconds / 60),
            "out": display.hours(row.out_seconds / 60),
            "percent": row.percent,
        }
        for row in rows
    ]
    return render(
        request,
        "scheduling/adherence.html",
        {"rows": shown, "day": day, "day_label": display.day_label(day)},
    )


def _csv(rows: list[figures.DayRow], day: date) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="adherence-{day.isoformat()}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "agent_id",
            "agent",
            "day",
            "time_zone",
            "scheduled_seconds",
            "neutral_seconds",
            "in_seconds",
            "out_seconds",
            "percent",
        ]
    )
    for row in rows:
        writer.writerow(
            [
                csv_cell(value)
                for value in (
                    row.agent_id,
                    row.name,
                    row.day,
                    row.time_zone,
                    round(row.scheduled_seconds),
                    round(row.neutral_seconds),
                    round(row.in_seconds),
                    round(row.out_seconds),
                    "" if row.percent is None else round(row.percent, 1),
                )
            ]
        )
    return response
