"""Intraday: today's arrivals so far against the queue's latest staffing plan, the rest
of the day forecast again from them, and the gap per interval between the agents that
forecast needs and the agents cleared for the engagement who are signed in now
(available or busy). Signed-in agents are working time, so the agents needed here leave
shrinkage out (breaks, training and leave are not signed in)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tercero.delivery.planning import intraday, staffing
from tercero.delivery.planning.history import arrival_history, floor_to_step
from tercero.delivery.planning.models import PlanInterval, StaffingPlan
from tercero.delivery.planning.staffing_plans import whole_agents
from tercero.delivery.work import selectors as work
from tercero.delivery.work.models import Queue
from tercero.delivery.workforce.models import Agent
from tercero.platform.errors import Conflict

SIGNED_IN = (Agent.Presence.AVAILABLE, Agent.Presence.BUSY)


@dataclass(frozen=True)
class Row:
    start: datetime  # in the client's time zone
    planned_calls: float
    aht_seconds: float
    actual_calls: float | None  # None for intervals still to come
    expected_calls: float
    agents_needed: int
    agents_now: int

    @property
    def gap(self) -> int:
        """Agents short (positive) or spare (negative) in this interval."""
        return self.agents_needed - self.agents_now


@dataclass(frozen=True)
class Today:
    plan: StaffingPlan
    day: str
    rows: tuple[Row, ...]
    agents_now: int


def today(*, queue: Queue, plan: StaffingPlan | None, now: datetime) -> Today:
    """Today's picture for the queue; refuses when it has no plan covering today."""
    if plan is None:
        raise Conflict("This queue has no staffing plan yet.", code="no_plan")
    zone = ZoneInfo(queue.client.time_zone)
    local_day = now.astimezone(zone).date()
    day_start = datetime.combine(local_day, datetime.min.time(), tzinfo=zone)
    planned = list(
        PlanInterval.objects.filter(
            client_id=plan.client_id,
            plan=plan,
            start_at__gte=day_start,
            start_at__lt=day_start + timedelta(days=1),
        )
    )
    if not planned:
        raise Conflict("The latest staffing plan does not cover today.", code="plan_not_today")
    step = planned[0].minutes
    actual = _actual_so_far(queue, step=step, day_start=planned[0].start_at, now=now)
    expected = _expected(planned, actual)
    needed = _agents(plan, planned, expected, step=step)
    agents_now = _agents_now(queue)
    rows = tuple(
        Row(
            start=interval.start_at.astimezone(zone),
            planned_calls=interval.calls,
            aht_seconds=interval.aht_seconds,
            actual_calls=actual[index] if index < len(actual) else None,
            expected_calls=expected[index],
            agents_needed=needed[index],
            agents_now=agents_now,
        )
        for index, interval in enumerate(planned)
    )
    return Today(plan=plan, day=local_day.isoformat(), rows=rows, agents_now=agents_now)


def _actual_so_far(queue: Queue, *, step: int, day_start: datetime, now: datetime) -> list[float]:
    until = floor_to_step(now, step_minutes=step, time_zone=queue.client.time_zone)
    if until <= day_start:
        return []
    past = arrival_history(queue=queue, step_minutes=step, until=now, since=day_start)
    return list(past.arrivals)


def _expected(planned: list[PlanInterval], actual: list[float]) -> list[float]:
    """Arrivals seen so far, then the rest of the day forecast again from them."""
    actual = actual[: len(planned)]
    rest = intraday.reforecast(
        planned=[interval.calls for interval in planned], actual_so_far=actual
    )
    if len(rest) == len(planned):  # the whole day given back: keep what happened
        rest = list(rest[len(actual) :])
    return [*actual, *rest]


def _agents(
    plan: StaffingPlan, planned: list[PlanInterval], expected: list[float], *, step: int
) -> list[int]:
    """Agents on the work for the expected arrivals under the plan's own settings, without
    its shrinkage; a backlog plan's requirement moves in proportion to its arrivals."""
    if plan.model == StaffingPlan.Model.BACKLOG:
        return [
            whole_agents(
                interval.agents_raw
                * (1 - plan.shrinkage)
                * (calls / interval.calls if interval.calls else 1)
            )
            for interval, calls in zip(planned, expected, strict=True)
        ]
    found = staffing.staff_many(
        plan.model,
        calls=expected,
        aht_seconds=[max(interval.aht_seconds, 1.0) for interval in planned],
        interval_minutes=step,
        target=plan.target,
        answer_seconds=plan.answer_seconds,
        patience_seconds=plan.patience_seconds,
        shrinkage=0.0,
        max_occupancy=plan.max_occupancy,
    )
    return [each.agents for each in found]


def _agents_now(queue: Queue) -> int:
    return (
        work.agents(client_ids=[queue.client_id], engagement_id=queue.engagement_id)
        .filter(presence__in=SIGNED_IN)
        .count()
    )
