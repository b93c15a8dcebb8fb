"""The schedules list, building one, a schedule's page (coverage per day and interval,
shifts per agent in the site's local time), publishing it and moving a shift by hand."""

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from tercero.delivery.scheduling import display, selectors, services, tasks
from tercero.delivery.scheduling.models import Schedule, ScheduledShift
from tercero.delivery.scheduling.views.forms import ActivityForm, ScheduleForm, ShiftForm
from tercero.delivery.workforce import selectors as workforce
from tercero.platform.api.caller import Caller
from tercero.platform.errors import DomainError, PermissionDenied
from tercero.platform.identity.roles import Role
from tercero.platform.pages import POLL_HEADERS, page, refused, version_of
from tercero.web.lists import Column, Filter, Listing

READ, WRITE = "schedule:read", "schedule:write"


def staff_only(caller: Caller) -> None:
    """Agents read their own shifts (My shifts), not the whole roster."""
    if caller.user.role == Role.AGENT:
        raise PermissionDenied("Agents see their own shifts under My shifts.")


def _site_names(schedule: Schedule) -> str:
    return ", ".join(site.name for site in schedule.sites.all())


@page(READ, staff=True)
def schedule_list(request: HttpRequest, caller: Caller) -> HttpResponse:
    staff_only(caller)
    listing = Listing(
        request,
        selectors.schedules(),
        columns=[
            Column("name", "Schedule"),
            Column("first_day", "First day"),
            Column("days", "Days"),
            Column("status", "Status", value=lambda s: s.get_status_display()),
            Column(
                "coverage_percent",
                "Coverage (%)",
                sortable=False,
                value=lambda s: _percent_seen(s, caller),
            ),
            Column("sites__name", "Sites", sortable=False, value=_site_names),
        ],
        filters=[Filter("status", "Status", tuple(Schedule.Status.choices))],
        search=lambda qs, q: selectors.schedules(q=q).filter(pk__in=qs.values("pk")),
        search_label="Search schedule or site",
        default_sort="-first_day",
    )
    if listing.wants_csv:
        return listing.csv_response("schedules.csv")
    for schedule in listing.rows:
        schedule.percent_seen = _percent_seen(schedule, caller)
    form = _schedule_form(request)
    may_write = WRITE in caller.permissions
    if request.method == "POST":
        caller.require(WRITE)
        if form.is_valid():
            return _start(request, caller, form)
    return render(
        request,
        "scheduling/schedules.html",
        {"listing": listing, "form": form if may_write else None},
    )


def _percent_seen(schedule: Schedule, caller: Caller) -> float | None:
    """The coverage figure of the queues of the caller's own clients."""
    return selectors.coverage_figures(schedule=schedule, client_ids=caller.client_ids).percent


def _schedule_form(request: HttpRequest) -> ScheduleForm:
    sites = [(site.pk, site.name) for site in workforce.sites(is_active=True).order_by("name")]
    today = timezone.now().date()
    monday = today - timedelta(days=today.weekday())
    return ScheduleForm(
        request.POST or None,
        sites=sites,
        initial={"first_day": monday + timedelta(days=7), "days": 14, "time_limit_seconds": 30},
    )


def _start(request: HttpRequest, caller: Caller, form: ScheduleForm) -> HttpResponse:
    data = form.cleaned_data
    sites = [workforce.access_site(site_id=int(site_id)) for site_id in data["sites"]]
    try:
        schedule = services.start_build(
            actor=caller.user,
            name=data["name"],
            sites=sites,
            first_day=data["first_day"],
            days=data["days"],
            time_limit_seconds=data["time_limit_seconds"],
        )
    except DomainError as error:
        refused(request, error)
        return redirect("scheduling:schedules")
    tasks.enqueue_build(schedule)
    messages.success(request, "The schedule is being built; this page shows its progress.")
    return redirect("scheduling:schedule", schedule.pk)


def zone_of(schedule: Schedule) -> str:
    """The time zone the schedule's page speaks: its first site's."""
    first = schedule.sites.order_by("name").first()
    return first.time_zone if first else "UTC"


@page(READ, staff=True)
def schedule_detail(request: HttpRequest, caller: Caller, schedule_id: int) -> HttpResponse:
    schedule = selectors.access_schedule(schedule_id=schedule_id)
    staff_only(caller)
    if request.headers.get("HX-Request") and schedule.status == Schedule.Status.SOLVING:
        return render(request, "scheduling/_progress.html", _context(schedule, caller))
    if request.headers.get("HX-Request"):  # built while polling: load the whole page
        response = render(request, "scheduling/_progress.html", _context(schedule, caller))
        response["HX-Refresh"] = "true"
        return response
    days = [schedule.first_day + timedelta(days=n) for n in range(schedule.days)]
    chosen = _chosen_day(request, days)
    zone = zone_of(schedule)
    context = {
        **_context(schedule, caller),
        "zone": zone,
        "zone_name": display.local(datetime.now(ZoneInfo(zone)), zone).tzname(),
        "days": [(day, display.day_label(day)) for day in days],
        "chosen": chosen,
        "chosen_label": display.day_label(chosen) if chosen else "",
        "coverage": _coverage_table(schedule, chosen, zone) if chosen else None,
        "agents": _shifts_by_agent(schedule),
        "skill_gaps": _skill_gaps(schedule),
    }
    return render(request, "scheduling/schedule.html", context)


def _skill_gaps(schedule: Schedule) -> list[str]:
    """Queues of the viewer's clients that the sites' agents are cleared for but none has
    the skills to serve, as they stand now: such queues get no shifts."""
    agents = selectors.agents_at(sites=list(schedule.sites.all()))
    return [gap.sentence for gap in selectors.skill_gaps(agent_ids=[a.pk for a in agents])]


def _context(schedule: Schedule, caller: Caller) -> dict[str, Any]:
    figures = selectors.coverage_figures(schedule=schedule, client_ids=caller.client_ids)
    return {
        "schedule": schedule,
        "sites": _site_names(schedule),
        "figures": figures,
        "under": display.hours(figures.under_agent_minutes),
        "over": display.hours(figures.over_agent_minutes),
        "may_write": WRITE in caller.permissions,
        "poll_headers": POLL_HEADERS,
    }


def _chosen_day(request: HttpRequest, days: list[date]) -> date | None:
    try:
        chosen = date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return days[0] if days else None
    return chosen if chosen in days else (days[0] if days else None)


def _coverage_table(schedule: Schedule, day: date, zone: str) -> dict[str, Any]:
    """One local day: a row per interval, a cell per queue (needed, short)."""
    start, end = selectors.local_day_bounds(day, zone)
    rows = selectors.coverage_of(schedule=schedule).filter(start_at__gte=start, start_at__lt=end)
    queues: dict[int, str] = {}
    cells: dict[datetime, dict[int, object]] = defaultdict(dict)
    for row in rows:
        queues[row.queue_id] = row.queue.name
        cells[row.start_at][row.queue_id] = row
    ordered = sorted(queues, key=lambda q: queues[q])
    return {
        "queues": [queues[q] for q in ordered],
        "rows": [
            {"at": display.clock(at, zone), "cells": [cells[at].get(q) for q in ordered]}
            for at in sorted(cells)
        ],
        "gaps": sum(1 for row in rows if row.is_gap),
    }


def _shifts_by_agent(schedule: Schedule) -> list[dict[str, Any]]:
    """Each agent with their shifts, in their own site's local time."""
    grouped: dict[int, dict[str, Any]] = {}
    for shift in selectors.shifts_of(schedule=schedule):
        agent = shift.agent
        entry = grouped.setdefault(
            agent.pk,
            {
                "name": agent.user.full_name or agent.user.email,
                "site": agent.site.name,
                "shifts": [],
            },
        )
        zone = agent.site.time_zone
        entry["shifts"].append(
            {
                "id": shift.pk,
                "when": display.span(shift.start_at, shift.end_at, zone),
                "template": shift.template,
                "edited": shift.edited_by_id is not None,
            }
        )
    return sorted(grouped.values(), key=lambda entry: entry["name"])


@require_POST
@page(WRITE, staff=True)
def schedule_publish(request: HttpRequest, caller: Caller, schedule_id: int) -> HttpResponse:
    schedule = selectors.access_schedule(schedule_id=schedule_id)
    try:
        services.publish(actor=caller.user, schedule=schedule, version=version_of(request))
        messages.success(request, "Published: agents now see these shifts.")
    except DomainError as error:
        refused(request, error)
    return redirect("scheduling:schedule", schedule.pk)


@page(WRITE, staff=True)
def shift_edit(request: HttpRequest, caller: Caller, shift_id: int) -> HttpResponse:
    """Move a shift, or lay a meeting, training or the like over part of it."""
    shift = selectors.access_shift(shift_id=shift_id)
    zone = shift.agent.site.time_zone
    posted = request.POST or None
    is_activity = request.POST.get("form") == "activity"
    form = ShiftForm(None if is_activity else posted, initial=_shift_initial(shift, zone))
    activity_form = ActivityForm(
        posted if is_activity else None,
        kinds=services.ACTIVITY_KINDS,
        initial={
            "start": _shift_initial(shift, zone)["start"],
            "hours": "1",
            "version": shift.version,
        },
    )
    chosen = activity_form if is_activity else form
    if request.method == "POST" and chosen.is_valid():
        start_at = _site_time(chosen.cleaned_data["start"], zone)
        try:
            _apply(request, caller, shift, chosen, start_at)
            return redirect("scheduling:schedule", shift.schedule_id)
        except DomainError as error:
            refused(request, error)
            return redirect("scheduling:shift", shift.pk)
    return render(
        request,
        "scheduling/shift.html",
        {
            "shift": shift,
            "form": form,
            "activity_form": activity_form,
            "activities": _activities_shown(shift, zone),
            "when": display.span(shift.start_at, shift.end_at, zone),
            "zone": zone,
        },
    )


def _site_time(start: datetime, zone: str) -> datetime:
    """A datetime-local value read in the site's zone."""
    start = start.replace(tzinfo=None)
    return datetime.combine(start.date(), start.time(), tzinfo=ZoneInfo(zone))


def _apply(
    request: HttpRequest,
    caller: Caller,
    shift: ScheduledShift,
    form: ShiftForm | ActivityForm,
    start_at: datetime,
) -> None:
    """Call the service the posted form asks for, and say what was done."""
    data = form.cleaned_data
    if isinstance(form, ActivityForm):
        services.add_activity(
            actor=caller.user,
            shift=shift,
            start_at=start_at,
            end_at=start_at + form.length(),
            kind=data["kind"],
            version=data["version"],
        )
        messages.success(request, f"{services.ACTIVITY_KINDS[data['kind']]} added to the shift.")
        return
    services.edit_shift(
        actor=caller.user,
        shift=shift,
        start_at=start_at,
        end_at=start_at + form.length(),
        version=data["version"],
    )
    messages.success(request, "The shift was moved.")


def _activities_shown(shift: ScheduledShift, zone: str) -> list[str]:
    return [
        f"{services.ACTIVITY_KINDS.get(kind, kind)}: "
        f"{display.span(datetime.fromisoformat(a), datetime.fromisoformat(b), zone)}"
        for a, b, kind in shift.activities
    ]


def _shift_initial(shift: ScheduledShift, zone: str) -> dict[str, object]:
    return {
        "start": display.local(shift.start_at, zone)
        .replace(tzinfo=None)
        .strftime("%Y-%m-%dT%H:%M"),
        "hours": f"{shift.minutes / 60:g}",
        "version": shift.version,
    }
