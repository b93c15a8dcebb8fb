"""Checking queues that share agents by simulation: started from a queue's intraday page
with the intervals chosen, a page that shows its progress and then each queue's simulated
service level beside Erlang C's."""

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from tercero.delivery.planning import pool_checks, selectors, tasks
from tercero.delivery.planning.models import PoolCheck
from tercero.platform.api.caller import Caller
from tercero.platform.errors import DomainError, InvalidInput
from tercero.platform.pages import page, refused

READ, WRITE = "planning:read", "planning:write"


@page(WRITE, staff=True)
def pool_check_start(request: HttpRequest, caller: Caller, queue_id: int) -> HttpResponse:
    queue = selectors.access_queue(client_ids=caller.client_ids, queue_id=queue_id)
    if request.method != "POST":
        return redirect("planning:intraday", queue.pk)
    try:
        others = [
            selectors.access_queue(client_ids=caller.client_ids, queue_id=_id(text))
            for text in request.POST.getlist("queue")
            if _id(text) != queue.pk
        ]
        check = pool_checks.start_pool_check(
            actor=caller.user,
            queues=[queue, *others],
            starts=[_start(text) for text in request.POST.getlist("start")],
            replications=_id(request.POST.get("replications") or "5"),
        )
    except DomainError as error:
        refused(request, error)
        return redirect("planning:intraday", queue.pk)
    tasks.enqueue_pool_check(check)
    messages.success(request, "Pool check started; this page shows its progress.")
    return redirect("planning:pool_check", check.pk)


@page(READ, staff=True)
def pool_check_page(request: HttpRequest, caller: Caller, check_id: int) -> HttpResponse:
    check = selectors.access_pool_check(client_ids=caller.client_ids, check_id=check_id)
    if request.headers.get("HX-Request"):
        response = render(request, "planning/_pool_progress.html", {"check": check})
        if check.is_finished:  # finished while polling: load the whole page
            response["HX-Refresh"] = "true"
        return response
    zone = ZoneInfo(check.queue.client.time_zone)
    return render(
        request,
        "planning/pool_check.html",
        {"check": check, "zone": zone.key, "intervals": _intervals(check, zone)},
    )


def _intervals(check: PoolCheck, zone: ZoneInfo) -> list[dict[str, Any]]:
    """Each simulated interval with its queues' figures as people read them."""
    found = []
    for interval in check.results:
        start = datetime.fromisoformat(interval["start"]).astimezone(zone)
        rows = [
            {
                "name": f"{row['queue']} ({row['client']})",
                "calls": row["calls"],
                "aht": row["aht_seconds"],
                "agents": row["agents"],
                "answer": row["answer_seconds"],
                "erlang": _pct(row["erlang_service_level"]),
                "simulated": _pct(row["simulated_service_level"]),
                "spread": f"{100 * row['spread']:.1f}",
                "asa": f"{row['asa_seconds']:.0f}",
                "abandoned": _pct(row["abandon_rate"]),
                "worse": row["simulated_service_level"] + 2 * row["spread"]
                < row["erlang_service_level"],
            }
            for row in interval["queues"]
        ]
        found.append({"start": start, "agents": interval["agents"], "rows": rows})
    return found


def _pct(share: float) -> str:
    return f"{100 * share:.0f} %"


def _id(text: object) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        raise InvalidInput("Choose queues from the list.", fields={"queue": "a queue"}) from None
    if not 0 < value < selectors.LARGEST_ID:
        raise InvalidInput("Choose queues from the list.", fields={"queue": "a queue"})
    return value


def _start(text: str) -> datetime:
    """An interval start as the form sends it (ISO 8601 in UTC)."""
    try:
        found = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("Choose intervals from the list.", fields={"start": "a time"}) from None
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found
