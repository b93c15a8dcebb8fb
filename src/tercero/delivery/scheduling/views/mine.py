"""My shifts: the signed-in agent's published shifts this week and next, in their site's
local time (weeks run Monday to Sunday there, whatever the clocks do)."""

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tercero.delivery.scheduling import display, selectors
from tercero.delivery.scheduling.models import ScheduledShift
from tercero.delivery.scheduling.services import ACTIVITY_KINDS
from tercero.delivery.scheduling.views.schedules import READ
from tercero.delivery.workforce.models import Agent
from tercero.delivery.workforce.selectors import own_agent
from tercero.platform.api.caller import Caller
from tercero.platform.pages import page


def my_weeks(agent: Agent, *, today: date | None = None) -> list[dict[str, Any]]:
    """This week and next: each day with the agent's published shifts, their breaks and
    the meetings or training laid over them."""
    zone = agent.site.time_zone
    local_today = today or datetime.now(ZoneInfo(zone)).date()
    monday = local_today - timedelta(days=local_today.weekday())
    start = selectors.local_day_bounds(monday, zone)[0]
    end = selectors.local_day_bounds(monday + timedelta(days=13), zone)[1]
    shifts = list(selectors.published_shifts(agent_ids=[agent.pk], start=start, end=end))
    weeks = []
    for week in range(2):
        days = []
        for offset in range(7):
            day = monday + timedelta(days=7 * week + offset)
            own = [s for s in shifts if display.local(s.start_at, zone).date() == day]
            days.append(
                {
                    "label": display.day_label(day),
                    "is_today": day == local_today,
                    "shifts": [_shift(s, zone) for s in own],
                }
            )
        weeks.append({"label": "This week" if week == 0 else "Next week", "days": days})
    return weeks


def _shift(shift: ScheduledShift, zone: str) -> dict[str, Any]:
    return {
        "when": display.span(shift.start_at, shift.end_at, zone),
        "template": shift.template,
        "breaks": [
            f"{display.clock(datetime.fromisoformat(a), zone)} to "
            f"{display.clock(datetime.fromisoformat(b), zone)}"
            for a, b in shift.breaks
        ],
        "activities": [
            f"{ACTIVITY_KINDS.get(kind, kind)} {display.clock(datetime.fromisoformat(a), zone)} "
            f"to {display.clock(datetime.fromisoformat(b), zone)}"
            for a, b, kind in shift.activities
        ],
    }


@page(READ, staff=True)
def my_shifts(request: HttpRequest, caller: Caller) -> HttpResponse:
    agent = own_agent(caller.user)
    context: dict[str, Any] = {"agent": agent}
    if agent is not None:
        context |= {"weeks": my_weeks(agent), "zone": agent.site.time_zone, "site": agent.site.name}
    return render(request, "scheduling/my_shifts.html", context)
