"""A staffing plan's arithmetic: the settings a planner chooses, checked in words, and the
agents each forecast interval needs under them (Erlang C or A for work that waits in a
line, the backlog rule for work due within a number of intervals of business time)."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from tercero.delivery.engagements.business_time import BusinessCalendar
from tercero.delivery.planning import backlog, staffing
from tercero.delivery.planning.models import ForecastRun, PlanInterval, StaffingPlan
from tercero.platform.errors import InvalidInput

if TYPE_CHECKING:
    from tercero.delivery.work.models import Queue
    from tercero.platform.identity.models import User

MODELS = ("erlang_c", "erlang_a", "backlog")
# agents_raw within this of a whole number counts as that number (float noise)
ROUNDING_SLACK = 1e-9


@dataclass(frozen=True)
class Settings:
    model: str
    target: float
    answer_seconds: int
    shrinkage: float
    patience_seconds: int | None = None
    max_occupancy: float | None = None
    due_after_intervals: int | None = None

    def check(self) -> None:
        """Refuse settings the maths cannot use, naming each field."""
        problems: dict[str, str] = {}
        if self.model not in MODELS:
            problems["model"] = "erlang_c, erlang_a or backlog"
        if not 0 < self.target < 1:
            problems["target"] = "a share above 0 and below 1, such as 0.8"
        if not 0 <= self.answer_seconds <= 3600:
            problems["answer_seconds"] = "0 to 3600 seconds"
        if not 0 <= self.shrinkage < 0.9:
            problems["shrinkage"] = "a share from 0 to below 0.9, such as 0.3"
        if self.max_occupancy is not None and not 0 < self.max_occupancy <= 1:
            problems["max_occupancy"] = "a share above 0 and at most 1"
        if self.model == "erlang_a" and not (self.patience_seconds or 0) > 0:
            problems["patience_seconds"] = "Erlang A needs how long callers wait, in seconds"
        if self.model == "backlog" and not 1 <= (self.due_after_intervals or 0) <= 96:
            problems["due_after_intervals"] = "the backlog rule needs 1 to 96 intervals"
        if problems:
            raise InvalidInput("The staffing settings cannot be used.", fields=problems)


@dataclass(frozen=True)
class Need:
    start_at: datetime
    calls: float
    aht_seconds: float
    agents_raw: float
    agents: int
    service_level: float | None
    occupancy: float | None


Row = tuple[datetime, float, float]  # (start, arrivals, handle seconds)


def staff_intervals(
    settings: Settings,
    *,
    rows: Sequence[Row],
    step_minutes: int,
    aht_override: float | None,
    calendar_of: "Queue",
) -> list[Need]:
    """The agents each interval needs under `settings`."""
    handle = [aht_override or seconds for _, _, seconds in rows]
    if any(calls > 0 and seconds <= 0 for (_, calls, _), seconds in zip(rows, handle, strict=True)):
        raise InvalidInput(
            "The forecast has no handle time; give the handle time in seconds.",
            fields={"aht_seconds": "seconds, such as 180"},
        )
    if settings.model == "backlog":
        return _backlog(settings, rows=rows, handle=handle, step=step_minutes, queue=calendar_of)
    found = staffing.staff_many(
        settings.model,
        calls=[calls for _, calls, _ in rows],
        aht_seconds=[max(seconds, 1.0) for seconds in handle],
        interval_minutes=step_minutes,
        target=settings.target,
        answer_seconds=settings.answer_seconds,
        patience_seconds=settings.patience_seconds,
        shrinkage=settings.shrinkage,
        max_occupancy=settings.max_occupancy,
    )
    return [
        Need(
            start, calls, seconds, each.agents_raw, each.agents, each.service_level, each.occupancy
        )
        for (start, calls, _), seconds, each in zip(rows, handle, found, strict=True)
    ]


def _backlog(
    settings: Settings, *, rows: Sequence[Row], handle: list[float], step: int, queue: "Queue"
) -> list[Need]:
    """Back-office work: enough agents in open intervals that every item is done within
    `due_after_intervals` intervals of arriving, counting open intervals only."""
    calendar = BusinessCalendar.of(queue.engagement)
    width = timedelta(minutes=step)
    slots = [
        backlog.Slot(start=start, end=start + width, open=calendar.is_open(start), arrivals=calls)
        for start, calls, _ in rows
    ]
    mean_handle = _weighted_mean(rows, handle)
    raws = backlog.backlog_staffing(
        slots=slots,
        backlog=[],
        aht_seconds=mean_handle,
        due_after_slots=settings.due_after_intervals or 1,
        shrinkage=settings.shrinkage,
    )
    return [
        Need(start, calls, seconds, raw, whole_agents(raw), None, None)
        for (start, calls, _), seconds, raw in zip(rows, handle, raws, strict=True)
    ]


def _weighted_mean(rows: Sequence[Row], handle: list[float]) -> float:
    weight = sum(calls for _, calls, _ in rows)
    if weight <= 0:
        return max(handle, default=1.0) or 1.0
    return (
        sum(calls * seconds for (_, calls, _), seconds in zip(rows, handle, strict=True)) / weight
    )


def whole_agents(raw: float) -> int:
    """Agents to seat for a fractional requirement: rounded up, never below it."""
    return max(0, math.ceil(raw - ROUNDING_SLACK))


def store(
    settings: Settings, *, forecast: ForecastRun, needs: Sequence[Need], actor: "User"
) -> StaffingPlan:
    """Keep the plan and its intervals (inside the caller's transaction)."""
    step = forecast.step_minutes
    plan = StaffingPlan.objects.create(
        client_id=forecast.client_id,
        forecast=forecast,
        queue_id=forecast.queue_id,
        model=settings.model,
        target=settings.target,
        answer_seconds=settings.answer_seconds,
        patience_seconds=settings.patience_seconds,
        shrinkage=settings.shrinkage,
        max_occupancy=settings.max_occupancy,
        due_after_intervals=settings.due_after_intervals,
        agent_hours=round(sum(need.agents_raw for need in needs) * step / 60, 2),
        peak_agents=max((need.agents for need in needs), default=0),
        created_by=actor,
        created_at=timezone.now(),
    )
    PlanInterval.objects.bulk_create(
        [
            PlanInterval(
                client_id=forecast.client_id,
                plan=plan,
                start_at=need.start_at,
                minutes=step,
                calls=need.calls,
                aht_seconds=need.aht_seconds,
                agents_raw=need.agents_raw,
                agents=need.agents,
                service_level=need.service_level,
                occupancy=need.occupancy,
            )
            for need in needs
        ],
        batch_size=2000,
    )
    return plan
