"""Reads of planning's records, always within the caller's clients: forecast runs, plans,
each queue's latest forecast, and what the scheduling app needs (agents per interval
from each queue's latest staffing plan)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import OuterRef, QuerySet, Subquery

from tercero.delivery.planning.models import (
    ForecastInterval,
    ForecastRun,
    PlanInterval,
    PoolCheck,
    StaffingPlan,
)
from tercero.delivery.work import selectors as work
from tercero.delivery.work.models import Queue
from tercero.delivery.workforce import selectors as workforce
from tercero.delivery.workforce.models import DEFAULT_SHRINKAGE
from tercero.platform.errors import NotFound

LARGEST_ID = 2**62


def forecast_runs(
    *, client_ids: Sequence[int], queue_id: int | None = None
) -> QuerySet[ForecastRun]:
    found = ForecastRun.objects.filter(client_id__in=client_ids).select_related(
        "queue", "queue__client"
    )
    if queue_id is not None:
        found = found.filter(queue_id=queue_id)
    return found


def access_forecast(*, client_ids: Sequence[int], forecast_id: int) -> ForecastRun:
    """The forecast run, if one of `client_ids` owns it; NotFound otherwise."""
    found = (
        forecast_runs(client_ids=client_ids).filter(pk=forecast_id).first()
        if 0 < forecast_id < LARGEST_ID
        else None
    )
    if found is None:
        raise NotFound("Forecast not found.")
    return found


def access_plan(*, client_ids: Sequence[int], plan_id: int) -> StaffingPlan:
    """The staffing plan, if one of `client_ids` owns it; NotFound otherwise."""
    found = (
        StaffingPlan.objects.filter(client_id__in=client_ids, pk=plan_id)
        .select_related("forecast", "queue", "queue__client")
        .first()
        if 0 < plan_id < LARGEST_ID
        else None
    )
    if found is None:
        raise NotFound("Staffing plan not found.")
    return found


def access_pool_check(*, client_ids: Sequence[int], check_id: int) -> PoolCheck:
    """The pool check, if the caller reaches every client whose queue it holds; NotFound
    otherwise (it shows each queue's figures)."""
    found = (
        PoolCheck.objects.filter(client_id__in=client_ids, pk=check_id)
        .select_related("queue", "queue__client")
        .first()
        if 0 < check_id < LARGEST_ID
        else None
    )
    if found is None or not set(found.client_ids) <= set(client_ids):
        raise NotFound("Pool check not found.")
    return found


def pool_checks(*, client_ids: Sequence[int]) -> QuerySet[PoolCheck]:
    """Pool checks the caller may open: started from one of its clients' queues and
    holding no queue of a client it does not reach."""
    found = PoolCheck.objects.filter(client_id__in=client_ids).select_related(
        "queue", "queue__client"
    )
    hidden = [check.pk for check in found if not set(check.client_ids) <= set(client_ids)]
    return found.exclude(pk__in=hidden)


def access_queue(*, client_ids: Sequence[int], queue_id: int) -> Queue:
    """The queue with its client and engagement; NotFound for another client's."""
    if not 0 < queue_id < LARGEST_ID:
        raise NotFound("Queue not found.")
    queue = work.access_queue(client_ids=list(client_ids), queue_id=queue_id)
    return (
        work.queues(client_ids=list(client_ids))
        .select_related("client", "engagement")
        .get(pk=queue.pk)
    )


def forecast_intervals(*, forecast: ForecastRun) -> QuerySet[ForecastInterval]:
    return ForecastInterval.objects.filter(client_id=forecast.client_id, run=forecast)


def plan_intervals(*, plan: StaffingPlan) -> QuerySet[PlanInterval]:
    return PlanInterval.objects.filter(client_id=plan.client_id, plan=plan)


def plans_of(*, forecast: ForecastRun) -> QuerySet[StaffingPlan]:
    return StaffingPlan.objects.filter(client_id=forecast.client_id, forecast=forecast)


def latest_plan(*, queue: Queue) -> StaffingPlan | None:
    return (
        StaffingPlan.objects.filter(client_id=queue.client_id, queue=queue)
        .select_related("forecast")
        .order_by("-created_at", "-id")
        .first()
    )


def latest_forecast(*, queue: Queue) -> ForecastRun | None:
    return (
        ForecastRun.objects.filter(client_id=queue.client_id, queue=queue)
        .order_by("-created_at", "-id")
        .first()
    )


def queues_with_forecasts(*, client_ids: Sequence[int]) -> QuerySet[Queue]:
    """The caller's queues, each with its latest forecast's id, status, model and WAPE."""
    latest = ForecastRun.objects.filter(queue=OuterRef("pk")).order_by("-created_at", "-id")
    return (
        work.queues(client_ids=list(client_ids))
        .select_related("client", "engagement")
        .annotate(
            forecast_id=Subquery(latest.values("id")[:1]),
            forecast_status=Subquery(latest.values("status")[:1]),
            forecast_model=Subquery(latest.values("model")[:1]),
            forecast_wape=Subquery(latest.values("wape")[:1]),
            forecast_at=Subquery(latest.values("created_at")[:1]),
        )
    )


@dataclass(frozen=True)
class IntervalNeed:
    """Agents one queue needs in one interval: fractional, shrinkage included."""

    queue_id: int
    key: str
    start: datetime
    minutes: int
    agents: float


def needs_for(
    *,
    client_ids: Sequence[int],
    start: datetime,
    end: datetime,
    queue_ids: Sequence[int] | None = None,
) -> list[IntervalNeed]:
    """The intervals from `start` (inclusive) to `end` of each queue's latest staffing
    plan, in time order; a queue without a plan has none."""
    latest = StaffingPlan.objects.filter(queue=OuterRef("queue")).order_by("-created_at", "-id")
    plans = StaffingPlan.objects.filter(client_id__in=client_ids).filter(
        pk=Subquery(latest.values("pk")[:1])
    )
    if queue_ids is not None:
        plans = plans.filter(queue_id__in=queue_ids)
    rows = (
        PlanInterval.objects.filter(
            client_id__in=client_ids, plan__in=plans, start_at__gte=start, start_at__lt=end
        )
        .order_by("start_at", "plan__queue_id")
        .values_list("plan__queue_id", "start_at", "minutes", "agents_raw")
    )
    return [
        IntervalNeed(queue_id, f"queue:{queue_id}", at.astimezone(UTC), minutes, agents)
        for queue_id, at, minutes, agents in rows
    ]


@dataclass(frozen=True)
class Shrinkage:
    """The shrinkage a queue's plan is offered, and where it comes from: each site with
    its own figure and how many of the engagement's agents work there."""

    share: float
    sites: tuple[tuple[str, float, int], ...]  # site name, its shrinkage, agents counted
    from_agents: bool  # False: no agent is cleared, so every active site counts once


def shrinkage_for(*, queue: Queue) -> Shrinkage:
    """The sites' shrinkage weighted by the agents cleared for the queue's engagement;
    with none cleared, the mean of the provider's active sites; with no site, 30 %."""
    counted: dict[str, list[float]] = {}
    cleared = work.agents(client_ids=[queue.client_id], engagement_id=queue.engagement_id)
    # the agent's id keeps one row per agent under the selector's DISTINCT
    for _, name, share in cleared.values_list("pk", "site__name", "site__shrinkage"):
        counted.setdefault(name, [share, 0])[1] += 1
    from_agents = bool(counted)
    if not counted:
        for site in workforce.sites(is_active=True):
            counted[site.name] = [site.shrinkage, 1]
    if not counted:
        return Shrinkage(DEFAULT_SHRINKAGE, (), False)
    total = sum(count for _, count in counted.values())
    share = sum(figure * count for figure, count in counted.values()) / total
    sites = tuple((name, figure, int(count)) for name, (figure, count) in sorted(counted.items()))
    return Shrinkage(round(share, 4), sites, from_agents)
