"""The operations console: the live floor and SLA attainment, for leads and managers."""

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Min, Q, QuerySet
from django.db.models.functions import TruncDate
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from tercero.delivery.work import access, lifecycle, queue_hours, selectors
from tercero.delivery.work.models import Queue, WorkItem
from tercero.delivery.work.selectors import attainment
from tercero.delivery.workforce.models import Agent
from tercero.delivery.workforce.shore import shore_between
from tercero.platform import catalogue
from tercero.platform.api.caller import Caller
from tercero.platform.pages import POLL_HEADERS, page
from tercero.platform.tenancy.models import Client
from tercero.web.charts import Point, bar_chart

AT_RISK_SHOWN = 25


def floor_context(caller: Caller) -> dict[str, Any]:
    now = timezone.now()
    ids = caller.client_ids
    at_risk = selectors.sla_state_filter("at_risk", now=now)
    breached = selectors.sla_state_filter("breached", now=now)
    figures = {
        row["queue_id"]: row
        for row in WorkItem.objects.filter(client_id__in=ids, status__in=lifecycle.OPEN)
        .values("queue_id")
        .annotate(
            open=Count("id"),
            queued=Count("id", filter=Q(status=lifecycle.QUEUED)),
            oldest=Min("queued_at", filter=Q(status=lifecycle.QUEUED)),
            at_risk=Count("id", filter=at_risk),
            breached=Count("id", filter=breached),
        )
        .order_by()
    }
    queues = []
    for queue in (
        Queue.objects.filter(client_id__in=ids, is_active=True)
        .select_related("engagement", "engagement__client")
        .order_by("engagement__client__legal_name", "name")
    ):
        row: Mapping[str, Any] = figures.get(queue.pk, {})
        oldest = row.get("oldest")
        queues.append(
            {
                "queue": queue,
                "open": row.get("open", 0),
                "queued": row.get("queued", 0),
                "oldest_seconds": int((now - oldest).total_seconds()) if oldest else None,
                "at_risk": row.get("at_risk", 0),
                "breached": row.get("breached", 0),
                "hours_state": queue_hours.state_in_words(queue, now),
            }
        )
    late = WorkItem.objects.filter(client_id__in=ids, status__in=lifecycle.OPEN).filter(
        at_risk | breached
    )
    risky = list(  # named items: only those the viewer's site may see (data residency)
        access.restrict(caller.user, late, ids)
        .select_related("queue", "assignee__user", "engagement")
        .order_by("due_at", "id")[:AT_RISK_SHOWN]
    )
    return {
        "queues": queues,
        "totals": {
            key: sum(q[key] for q in queues) for key in ("open", "queued", "at_risk", "breached")
        },
        "risky": risky,
        "now": now,
        "poll_headers": POLL_HEADERS,
    }


def agents_by_site(caller: Caller, client: Client | None) -> list[dict[str, Any]]:
    agents = selectors.agents(client_ids=caller.client_ids).order_by()
    counts: dict[int, dict[str, Any]] = {}
    for agent in agents:
        site = agent.site
        row = counts.setdefault(
            site.pk,
            {
                "site": site,
                "shore": shore_between(
                    site_country=site.country,
                    site_time_zone=site.time_zone,
                    client_country=client.country,
                    client_time_zone=client.time_zone,
                ).label
                if client
                else "",
                **dict.fromkeys(Agent.Presence.values, 0),
            },
        )
        row[agent.presence] += 1
    return sorted(counts.values(), key=lambda row: row["site"].name)


def _chosen_client(request: HttpRequest, caller: Caller) -> Client | None:
    clients = Client.objects.filter(pk__in=caller.client_ids).order_by("legal_name")
    chosen = request.GET.get("client", "")
    if chosen.isdigit():
        found = clients.filter(pk=int(chosen)).first()
        if found:
            return found
    return clients.first()


@page("work:assign", staff=True)
def floor(request: HttpRequest, caller: Caller) -> HttpResponse:
    client = _chosen_client(request, caller)
    return render(
        request,
        "work/floor.html",
        {
            **floor_context(caller),
            "sites": agents_by_site(caller, client),
            "presences": Agent.Presence.choices,
            "client": client,
            "clients": Client.objects.filter(pk__in=caller.client_ids).order_by("legal_name"),
        },
    )


@page("work:assign", staff=True)
def floor_live(request: HttpRequest, caller: Caller) -> HttpResponse:
    """The floor's figures alone, refreshed by the page."""
    client = _chosen_client(request, caller)
    return render(
        request,
        "work/_floor_live.html",
        {
            **floor_context(caller),
            "sites": agents_by_site(caller, client),
            "presences": Agent.Presence.choices,
            "client": client,
        },
    )


# --- SLA attainment -----------------------------------------------------------------------


def daily(found: QuerySet[WorkItem], first: date, last: date) -> list[dict[str, Any]]:
    by_day = {
        row["key"]: row
        for row in attainment(found.annotate(day=TruncDate("resolved_at")), "day")
        if row["key"] is not None
    }
    days, day = [], first
    while day <= last:
        days.append(by_day.get(day, {"key": day, "measured": 0, "met": 0, "percent": None}))
        day += timedelta(days=1)
    return days


def period_of(request: HttpRequest, default_days: int = 30) -> tuple[date, date]:
    today = timezone.now().date()
    try:
        days = max(1, min(int(request.GET.get("days", default_days)), 366))
    except ValueError:
        days = default_days
    return today - timedelta(days=days - 1), today


@page("work:read", staff=True)
def sla_report(request: HttpRequest, caller: Caller) -> HttpResponse:
    first, last = period_of(request)
    found = WorkItem.objects.filter(
        client_id__in=caller.client_ids,
        resolved_at__date__gte=first,
        resolved_at__date__lte=last,
    )
    names = dict(Client.objects.filter(pk__in=caller.client_ids).values_list("pk", "legal_name"))
    by_client = [
        {**row, "label": names.get(row["key"], "?")} for row in attainment(found, "client_id")
    ]
    by_engagement = [{**row, "label": row["key"]} for row in attainment(found, "engagement__name")]
    days = daily(found, first, last)
    charts = {
        "client": bar_chart(
            [Point(r["label"], r["percent"]) for r in by_client],
            title="SLA met by client, percent",
            chart_id="sla-client",
            unit="%",
            maximum=100,
            target=95,
        ),
        "engagement": bar_chart(
            [Point(r["label"], r["percent"]) for r in by_engagement],
            title="SLA met by engagement, percent",
            chart_id="sla-engagement",
            unit="%",
            maximum=100,
            target=95,
        ),
        "day": bar_chart(
            [Point(r["key"].strftime("%d %b"), r["percent"]) for r in days],
            title="SLA met by day, percent",
            chart_id="sla-day",
            unit="%",
            maximum=100,
            target=95,
        ),
    }
    return render(
        request,
        "work/sla.html",
        {
            "first": first,
            "last": last,
            "by_client": by_client,
            "by_engagement": by_engagement,
            "days": days,
            "charts": charts,
            "quality_figures": catalogue.sla_figures(caller.client_ids, first, last),
            "days_choices": (7, 30, 90),
            "chosen_days": (last - first).days + 1,
        },
    )
