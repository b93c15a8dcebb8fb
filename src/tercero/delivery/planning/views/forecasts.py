"""Planning pages for provider staff: queues with their latest forecast, a queue's
planning page (history upload, forecast start, runs), a forecast with its progress,
accuracy and intervals, a staffing plan, and today's intraday gap."""

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from tercero.delivery.engagements.selectors import engagements
from tercero.delivery.planning import pool_today, rest_of_day, selectors, services, tasks
from tercero.delivery.planning.forecasting import MODELS, SHORT_HISTORY_LABELS
from tercero.delivery.planning.models import ForecastInterval, ForecastRun, StaffingPlan
from tercero.delivery.planning.moves import Slot
from tercero.platform.api.caller import Caller
from tercero.platform.errors import DomainError, InvalidInput
from tercero.platform.pages import page, refused
from tercero.web.charts import Point, bar_chart
from tercero.web.lists import Column, Filter, Listing

MODEL_LABELS = {**MODELS, **SHORT_HISTORY_LABELS}
READ, WRITE = "planning:read", "planning:write"


def model_label(key: str) -> str:
    return MODEL_LABELS.get(key, key.replace("_", " ").capitalize())


@page(READ, staff=True)
def home(request: HttpRequest, caller: Caller) -> HttpResponse:
    found = selectors.queues_with_forecasts(client_ids=caller.client_ids)
    listing = Listing(
        request,
        found,
        columns=[
            Column("name", "Queue"),
            Column("client__legal_name", "Client"),
            Column("engagement__name", "Engagement"),
            Column("forecast_at", "Last forecast"),
            Column(
                "forecast_status",
                "Status",
                value=lambda q: dict(ForecastRun.Status.choices).get(q.forecast_status, "None"),
            ),
            Column("forecast_model", "Model", value=lambda q: model_label(q.forecast_model or "")),
            Column("forecast_wape", "WAPE", value=lambda q: _percent(q.forecast_wape)),
        ],
        filters=[
            Filter("forecast_status", "Forecast", tuple(ForecastRun.Status.choices)),
        ],
        search=lambda qs, text: qs.filter(name__icontains=text),
        search_label="Search queues",
        default_sort="name",
    )
    if listing.wants_csv:
        return listing.csv_response("planning-queues.csv")
    rows = [
        (queue, model_label(queue.forecast_model or ""), _percent(queue.forecast_wape))
        for queue in listing.rows
    ]
    found_engagements = engagements(client_ids=caller.client_ids).select_related("client")
    return render(
        request,
        "planning/home.html",
        {"listing": listing, "rows": rows, "engagements": found_engagements[:100]},
    )


@page(READ, staff=True)
def queue_page(request: HttpRequest, caller: Caller, queue_id: int) -> HttpResponse:
    queue = selectors.access_queue(client_ids=caller.client_ids, queue_id=queue_id)
    zone = ZoneInfo(queue.client.time_zone)
    listing = Listing(
        request,
        selectors.forecast_runs(client_ids=caller.client_ids, queue_id=queue.pk),
        columns=[
            Column("created_at", "Started", value=lambda r: r.created_at.astimezone(zone)),
            Column("step_minutes", "Interval (minutes)"),
            Column("horizon_days", "Days ahead"),
            Column("status", "Status", value=lambda r: r.get_status_display()),
            Column("model", "Model", value=lambda r: model_label(r.model) if r.model else ""),
            Column("wape", "WAPE", value=lambda r: _percent(r.wape)),
            Column("handle_wape", "Handle time WAPE", value=lambda r: _percent(r.handle_wape)),
        ],
        filters=[Filter("status", "Status", tuple(ForecastRun.Status.choices))],
        search=lambda qs, text: qs.filter(model__icontains=text.replace(" ", "_")),
        search_label="Search models",
        default_sort="-created_at",
        per_page=25,
    )
    if listing.wants_csv:
        return listing.csv_response(f"forecasts-queue-{queue.pk}.csv")
    return render(
        request,
        "planning/queue.html",
        {
            "queue": queue,
            "listing": listing,
            "runs": [
                (run, model_label(run.model), _percent(run.wape), _percent(run.handle_wape))
                for run in listing.rows
            ],
            "plan": selectors.latest_plan(queue=queue),
            "may_write": WRITE in caller.permissions,
            "max_horizon": services.MAX_HORIZON_DAYS,
        },
    )


@page(WRITE, staff=True)
def history_upload(request: HttpRequest, caller: Caller, queue_id: int) -> HttpResponse:
    queue = selectors.access_queue(client_ids=caller.client_ids, queue_id=queue_id)
    if request.method != "POST":
        return redirect("planning:queue", queue.pk)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise InvalidInput("Choose a CSV file to import.")
        if (upload.size or 0) > services.MAX_HISTORY_BYTES:
            raise InvalidInput("The file is larger than 20 MB; split it.")
        report = services.import_history(
            actor=caller.user,
            queue=queue,
            data=upload.read(),
            step_minutes=_int(request.POST.get("step_minutes"), "step_minutes"),
        )
    except DomainError as error:
        refused(request, error)
        return redirect("planning:queue", queue.pk)
    if report.errors:
        return render(
            request,
            "planning/history_refused.html",
            {"queue": queue, "report": report},
            status=422,
        )
    messages.success(request, f"Imported {report.stored} intervals of history.")
    return redirect("planning:queue", queue.pk)


@page(WRITE, staff=True)
def forecast_start(request: HttpRequest, caller: Caller, queue_id: int) -> HttpResponse:
    queue = selectors.access_queue(client_ids=caller.client_ids, queue_id=queue_id)
    if request.method != "POST":
        return redirect("planning:queue", queue.pk)
    try:
        run = services.start_forecast(
            actor=caller.user,
            queue=queue,
            step_minutes=_int(request.POST.get("step_minutes"), "step_minutes"),
            horizon_days=_int(request.POST.get("horizon_days"), "horizon_days"),
        )
    except DomainError as error:
        refused(request, error)
        return redirect("planning:queue", queue.pk)
    tasks.enqueue_forecast(run)
    messages.success(request, "Forecast started; this page shows its progress.")
    return redirect("planning:forecast", run.pk)


@page(READ, staff=True)
def forecast_page(request: HttpRequest, caller: Caller, forecast_id: int) -> HttpResponse:
    run = selectors.access_forecast(client_ids=caller.client_ids, forecast_id=forecast_id)
    if request.headers.get("HX-Request") and not run.is_finished:
        return render(request, "planning/_progress.html", {"run": run})
    if request.headers.get("HX-Request"):  # finished while polling: load the whole page
        response = render(request, "planning/_progress.html", {"run": run})
        response["HX-Refresh"] = "true"
        return response
    zone = ZoneInfo(run.time_zone)
    listing = Listing(
        request,
        selectors.forecast_intervals(forecast=run),
        columns=[
            Column("start_at", "Interval starts", value=lambda r: r.start_at.astimezone(zone)),
            Column("arrivals", "Arrivals", value=lambda r: round(r.arrivals, 2)),
            Column(
                "handle_seconds", "Handle time (seconds)", value=lambda r: round(r.handle_seconds)
            ),
        ],
        filters=[Filter("day", "Day", _days(run, zone), apply=_on_day(zone))],
        default_sort="start_at",
        per_page=50,
    )
    if listing.wants_csv:
        return listing.csv_response(f"forecast-{run.pk}.csv")
    intervals = list(selectors.forecast_intervals(forecast=run))
    return render(
        request,
        "planning/forecast.html",
        {
            "run": run,
            "model_label": model_label(run.model),
            "wape": _percent(run.wape),
            "bias": _percent(run.bias),
            "candidates": _candidates(run),
            "handle_label": model_label(run.handle_model) if run.handle_model else "",
            "handle_wape": _percent(run.handle_wape),
            "handle_bias": _percent(run.handle_bias),
            "listing": listing,
            "intervals": [(row, row.start_at.astimezone(zone)) for row in listing.rows],
            "charts": _forecast_charts(intervals, zone) if intervals else {},
            "plans": list(selectors.plans_of(forecast=run)),
            "may_write": WRITE in caller.permissions,
            "plan_models": StaffingPlan.Model.choices,
            "shrinkage": _shrinkage_offer(run) if run.status == ForecastRun.Status.DONE else None,
        },
    )


def _shrinkage_offer(run: ForecastRun) -> dict[str, Any]:
    """The shrinkage the plan form offers, in percent, and where it comes from in words."""
    found = selectors.shrinkage_for(queue=run.queue)
    sites = ", ".join(
        f"{name} {_whole_or_tenth(100 * share)} %"
        + (f" ({count} agents)" if found.from_agents else "")
        for name, share, count in found.sites
    )
    if not found.sites:
        why = "No site states a figure, so 30 % is offered."
    elif found.from_agents:
        why = f"The sites of the agents cleared for this engagement: {sites}."
    else:
        why = f"No agent is cleared for this engagement yet; the active sites: {sites}."
    return {"percent": _whole_or_tenth(100 * found.share), "why": why}


def _whole_or_tenth(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _candidates(run: ForecastRun) -> list[dict[str, Any]]:
    """Each model back-tested: its accuracy on arrivals and on handle time, and which
    one each forecast used."""
    keys = list(run.accuracy) + [key for key in run.handle_accuracy if key not in run.accuracy]
    rows = []
    for key in keys:
        arrivals, handle = run.accuracy.get(key, {}), run.handle_accuracy.get(key, {})
        rows.append(
            {
                "label": model_label(key),
                "wape": _percent(arrivals.get("wape")),
                "bias": _percent(arrivals.get("bias")),
                "chosen": key == run.model,
                "handle_wape": _percent(handle.get("wape")),
                "handle_bias": _percent(handle.get("bias")),
                "handle_chosen": key == run.handle_model,
            }
        )
    return sorted(rows, key=lambda row: (not row["chosen"], row["label"]))


def _forecast_charts(intervals: list[ForecastInterval], zone: ZoneInfo) -> dict[str, str]:
    by_day: dict[str, float] = defaultdict(float)
    first_day = intervals[0].start_at.astimezone(zone).date()
    first = []
    for row in intervals:
        local = row.start_at.astimezone(zone)
        by_day[local.strftime("%a %d %b")] += row.arrivals
        if local.date() == first_day:
            first.append(Point(local.strftime("%H:%M"), round(row.arrivals, 1)))
    days = [Point(label, round(total)) for label, total in by_day.items()]
    return {
        "days": bar_chart(days, title="Arrivals expected per day", chart_id="chart-days"),
        "first": bar_chart(
            first,
            title=f"Arrivals expected per interval on {first_day:%A %d %B}",
            chart_id="chart-first-day",
        ),
    }


@page(WRITE, staff=True)
def plan_new(request: HttpRequest, caller: Caller, forecast_id: int) -> HttpResponse:
    run = selectors.access_forecast(client_ids=caller.client_ids, forecast_id=forecast_id)
    if request.method != "POST":
        return redirect("planning:forecast", run.pk)
    form = request.POST
    try:
        plan = services.create_plan(
            actor=caller.user,
            forecast=run,
            model=form.get("model", ""),
            target=_share(form.get("target_percent"), "target_percent"),
            answer_seconds=_int(form.get("answer_seconds"), "answer_seconds"),
            shrinkage=_optional_share(form.get("shrinkage_percent"), "shrinkage_percent"),
            patience_seconds=_optional_int(form.get("patience_seconds"), "patience_seconds"),
            max_occupancy=_optional_share(
                form.get("max_occupancy_percent"), "max_occupancy_percent"
            ),
            due_after_intervals=_optional_int(form.get("due_after_intervals"), "due_after"),
            aht_seconds=_optional_int(form.get("aht_seconds"), "aht_seconds"),
        )
    except DomainError as error:
        refused(request, error)
        return redirect("planning:forecast", run.pk)
    messages.success(request, "Staffing plan made; it is now the queue's plan.")
    return redirect("planning:plan", plan.pk)


@page(READ, staff=True)
def plan_page(request: HttpRequest, caller: Caller, plan_id: int) -> HttpResponse:
    plan = selectors.access_plan(client_ids=caller.client_ids, plan_id=plan_id)
    zone = ZoneInfo(plan.forecast.time_zone)
    listing = Listing(
        request,
        selectors.plan_intervals(plan=plan),
        columns=[
            Column("start_at", "Interval starts", value=lambda r: r.start_at.astimezone(zone)),
            Column("calls", "Arrivals", value=lambda r: round(r.calls, 2)),
            Column("aht_seconds", "Handle time (seconds)", value=lambda r: round(r.aht_seconds)),
            Column("agents_raw", "Agents (exact)", value=lambda r: round(r.agents_raw, 2)),
            Column("agents", "Agents"),
            Column("service_level", "Service level", value=lambda r: _percent(r.service_level)),
            Column("occupancy", "Occupancy", value=lambda r: _percent(r.occupancy)),
        ],
        filters=[Filter("day", "Day", _days(plan.forecast, zone), apply=_on_day(zone))],
        default_sort="start_at",
        per_page=50,
    )
    if listing.wants_csv:
        return listing.csv_response(f"staffing-plan-{plan.pk}.csv")
    all_rows = [(row, row.start_at.astimezone(zone)) for row in selectors.plan_intervals(plan=plan)]
    first_day = all_rows[0][1].date() if all_rows else None
    chart = bar_chart(
        [
            Point(local.strftime("%H:%M"), row.agents)
            for row, local in all_rows
            if local.date() == first_day
        ],
        title=f"Agents needed per interval on {first_day:%A %d %B}" if first_day else "Agents",
        chart_id="chart-agents",
    )
    return render(
        request,
        "planning/plan.html",
        {
            "plan": plan,
            "listing": listing,
            "rows": [(row, row.start_at.astimezone(zone)) for row in listing.rows],
            "chart": chart,
            "model_label": plan.get_model_display(),
        },
    )


@page(READ, staff=True)
def intraday_page(request: HttpRequest, caller: Caller, queue_id: int) -> HttpResponse:
    queue = selectors.access_queue(client_ids=caller.client_ids, queue_id=queue_id)
    now = timezone.now()
    try:
        found = rest_of_day.today(queue=queue, plan=selectors.latest_plan(queue=queue), now=now)
    except DomainError as error:
        return render(request, "planning/intraday.html", {"queue": queue, "problem": error.message})
    zone = ZoneInfo(queue.client.time_zone)
    pool = pool_today.pool_today(queue=queue, today=found, client_ids=caller.client_ids, now=now)
    return render(
        request,
        "planning/intraday.html",
        {
            "queue": queue,
            "today": found,
            "now": now.astimezone(zone),
            "pool": pool,
            "pool_rows": _pool_rows(pool, zone),
            "move_words": [move.words(zone) for move in pool.moves],
            "may_write": WRITE in caller.permissions,
        },
    )


def _pool_rows(pool: pool_today.Pool, zone: ZoneInfo) -> list[dict[str, Any]]:
    """Per interval still to come, each compared queue's need, agents and gap in words."""
    if len(pool.lanes) < 2:
        return []
    rows = []
    for start in pool.lanes[0].starts:
        cells = []
        for lane in pool.lanes:
            slot = lane.slot_at(start)
            cells.append(_gap_words(slot) if slot else "No plan for this interval")
        rows.append(
            {"start": start.astimezone(zone), "start_utc": start.isoformat(), "cells": cells}
        )
    return rows


def _gap_words(slot: Slot) -> str:
    gap = slot.gap
    state = f"{gap} short" if gap > 0 else f"{-gap} spare" if gap < 0 else "even"
    return (
        f"needs {slot.agents_needed}, has {slot.agents_on}: {state}; "
        f"service level {100 * slot.service_level(slot.agents_on):.0f} %"
    )


def _days(run: ForecastRun, zone: ZoneInfo) -> tuple[tuple[str, str], ...]:
    """The forecast's days in the client's time zone, as a filter's choices."""
    found = selectors.forecast_intervals(forecast=run).order_by("start_at").first()
    if found is None:
        return ()
    first = found.start_at.astimezone(zone).date()
    days = [first + timedelta(days=offset) for offset in range(run.horizon_days + 1)]
    return tuple((day.isoformat(), f"{day:%A %d %B}") for day in days)


def _on_day(zone: ZoneInfo) -> Callable[[Any, str], Any]:
    """Narrow intervals to one local day (its start and end in the client's zone)."""

    def narrow(queryset: Any, value: str) -> Any:
        day = date.fromisoformat(value)
        start = datetime.combine(day, time(0), tzinfo=zone)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
        return queryset.filter(start_at__gte=start, start_at__lt=end)

    return narrow


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def _int(value: object, field: str) -> int:
    try:
        return int(str(value or "").strip())
    except ValueError:
        raise InvalidInput("Give a whole number.", fields={field: "a whole number"}) from None


def _optional_int(value: object, field: str) -> int | None:
    return None if not str(value or "").strip() else _int(value, field)


def _share(value: object, field: str) -> float:
    try:
        return float(str(value or "").strip()) / 100
    except ValueError:
        raise InvalidInput("Give a percentage.", fields={field: "a number from 0 to 100"}) from None


def _optional_share(value: object, field: str) -> float | None:
    return None if not str(value or "").strip() else _share(value, field)
