"""SLA clocks in the engagement's business time (or the queue's, when it keeps its own
hours: `queue_hours`).

An item has up to two clocks: first response (front office) and resolution (front
office "resolution", back office "turnaround"), each with a due moment and an at-risk
moment (the queue's `at_risk_percent` of the target used). `due_at`/`at_risk_at` mirror
the clock that runs now, so the sweeper and the router read plain indexed columns.
A back-office work type may also give a hard deadline; the resolution clock is then the
earlier of the two. Waiting on the client or customer pauses the clock: on resume every
unmet moment moves forward by exactly the business time spent waiting.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from tercero.delivery.engagements.business_time import BusinessCalendar, NoWorkingTime
from tercero.delivery.work import queue_hours
from tercero.delivery.work.models import NO_DUE_TIME
from tercero.platform.errors import InvalidInput

if TYPE_CHECKING:
    from tercero.delivery.engagements.models import Engagement
    from tercero.delivery.work.models import Queue, WorkItem
    from tercero.delivery.work.registry import WorkType

PRIORITY_LABELS = {1: "P1", 2: "P2", 3: "P3", 4: "P4"}
RESPONSE = "first_response"
RESOLUTION = "resolution"
# Live contacts (a customer waiting on a chat or a call) are answered within seconds:
# the engagement's "answer" target, or these when it sets none.
ANSWER = "answer"
LIVE_CHANNELS = frozenset({"chat", "phone"})
DEFAULT_ANSWER_SECONDS = {"chat": 30, "phone": 20}
# The routing moment of a live contact is its answer moment moved this far back, so that
# within a priority every live contact comes before any deadline of work that can wait,
# and live contacts keep among themselves the order of their own answer targets.
LIVE_HEAD_START = timedelta(days=36500)
_LIVE_BEFORE = datetime(1990, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Clock:
    due_at: datetime
    at_risk_at: datetime


def calendar_of(engagement: "Engagement") -> BusinessCalendar:
    return BusinessCalendar.of(engagement)


def calendar_of_queue(queue: "Queue") -> BusinessCalendar:
    """The calendar the SLA clocks of the queue's items run on: the queue's own hours
    (on the engagement's zone, holidays and closures), or the engagement's."""
    return queue_hours.calendar_of(queue)


def _item_calendar(
    item: "WorkItem", engagement: "Engagement", *, fetch: bool = True
) -> BusinessCalendar:
    """The item's clock calendar. `fetch=False` reads the queue only when the item
    already holds it (a list that did not load queues counts on the engagement's)."""
    if fetch or item._state.fields_cache.get("queue") is not None:
        queue = item.queue
        if queue.has_own_hours:
            return queue_hours.own_calendar(calendar_of(engagement), queue.working_hours)
    return calendar_of(engagement)


def target_for(engagement: "Engagement", metric: str, priority: int) -> dict[str, Any] | None:
    """The engagement's target for `metric` at `priority`: a priority-specific target
    beats a general one."""
    label = PRIORITY_LABELS[priority]
    general = None
    targets: list[dict[str, Any]] = engagement.sla_targets
    for target in targets:
        if target.get("metric") != metric:
            continue
        if target.get("priority") == label:
            return target
        if target.get("priority") is None:
            general = target
    return general


def clock(
    cal: BusinessCalendar, start: datetime, target: dict[str, Any], at_risk_percent: int
) -> Clock:
    if target.get("target_business_days"):
        due = cal.add_business_days(start, int(target["target_business_days"]))
    else:
        due = cal.add(start, timedelta(seconds=int(target["target_seconds"])))
    return Clock(due_at=due, at_risk_at=at_risk_moment(cal, start, due, at_risk_percent))


def at_risk_moment(cal: BusinessCalendar, start: datetime, due: datetime, percent: int) -> datetime:
    """When the item turns at risk; at once when its deadline has already passed (work
    entered late, e.g. a pay run for a past pay date)."""
    if due <= start:
        return start
    span = cal.between(start, due)
    return cal.add(start, timedelta(seconds=int(span.total_seconds() * percent / 100)))


def start_clocks(
    item: "WorkItem",
    *,
    engagement: "Engagement",
    work_type: "WorkType",
    payload: BaseModel,
    at_risk_percent: int,
    calendar: BusinessCalendar | None = None,
) -> None:
    """Set the item's SLA moments from `item.created_at` (the client's clock starts when
    the work arrives, whether or not an agent is free). `calendar`: the engagement's, when
    the caller built it once for a batch; a queue with its own hours (the item's
    `queue`) has its items' clocks run on those instead."""
    try:
        queue = item.queue
        if queue.has_own_hours:
            cal = queue_hours.own_calendar(
                calendar_of(engagement) if calendar is None else calendar, queue.working_hours
            )
        else:
            cal = calendar_of(engagement) if calendar is None else calendar
        _start_clocks(item, cal, engagement, work_type, payload, at_risk_percent)
    except NoWorkingTime as error:
        raise InvalidInput(
            "The engagement's calendar has no working time to run an SLA clock on; give "
            "it working hours or 24/7 cover.",
            code="no_working_time",
            fields={"engagement_id": str(error)},
        ) from error


def _start_clocks(
    item: "WorkItem",
    cal: BusinessCalendar,
    engagement: "Engagement",
    work_type: "WorkType",
    payload: BaseModel,
    at_risk_percent: int,
) -> None:
    start = item.created_at
    metrics = work_type.sla_metrics
    if RESPONSE in metrics:
        target = target_for(engagement, RESPONSE, item.priority)
        if target:
            c = clock(cal, start, target, at_risk_percent)
            item.response_due_at, item.response_at_risk_at = c.due_at, c.at_risk_at
    for metric in (RESOLUTION, "turnaround"):
        target = target_for(engagement, metric, item.priority) if metric in metrics else None
        if target:
            c = clock(cal, start, target, at_risk_percent)
            item.resolution_due_at, item.resolution_at_risk_at = c.due_at, c.at_risk_at
            break
    deadline = work_type.deadline(payload) if work_type.deadline else None
    if deadline is not None:
        hard = cal.deadline(
            deadline.anchor, business_days_before=deadline.business_days_before, at=deadline.at
        )
        if item.resolution_due_at is None or hard < item.resolution_due_at:
            item.resolution_due_at = hard
            item.resolution_at_risk_at = at_risk_moment(cal, start, hard, at_risk_percent)
    mirror(item)
    if item.channel in LIVE_CHANNELS:
        item.route_due_at = answer_by(item, engagement) - LIVE_HEAD_START


def answer_by(item: "WorkItem", engagement: "Engagement") -> datetime:
    """When a live contact should be answered: the engagement's "answer" target for the
    item's priority, in plain seconds (a customer is waiting now, so business hours do
    not stretch it), else the channel's default."""
    target = target_for(engagement, ANSWER, item.priority)
    seconds = (target or {}).get("target_seconds") or DEFAULT_ANSWER_SECONDS[item.channel]
    return item.created_at + timedelta(seconds=int(seconds))


def keeps_live_place(route_due_at: datetime) -> bool:
    """Whether a routing moment is a live contact's (moved back by LIVE_HEAD_START)."""
    return route_due_at < _LIVE_BEFORE


def mirror(item: "WorkItem") -> None:
    """Point `due_at`/`at_risk_at` at the clock that runs now."""
    if item.response_due_at is not None and item.first_response_at is None:
        item.due_at, item.at_risk_at = item.response_due_at, item.response_at_risk_at
    else:
        item.due_at, item.at_risk_at = item.resolution_due_at, item.resolution_at_risk_at
    if item.channel in LIVE_CHANNELS and keeps_live_place(item.route_due_at):
        return  # a live contact keeps its place from `start_clocks`
    item.route_due_at = item.due_at or NO_DUE_TIME


def current_metric(item: "WorkItem") -> str | None:
    if item.due_at is None:
        return None
    if item.response_due_at is not None and item.first_response_at is None:
        return RESPONSE
    return RESOLUTION


def shift_for_pause(
    item: "WorkItem", *, engagement: "Engagement", paused_from: datetime, paused_to: datetime
) -> int:
    """Move every unmet moment forward by the business time between the two instants;
    returns the business seconds added (on the item's queue's calendar)."""
    cal = _item_calendar(item, engagement)
    paused = cal.between(paused_from, paused_to)
    if paused <= timedelta(0):
        return 0
    for due_name, risk_name in (
        ("response_due_at", "response_at_risk_at"),
        ("resolution_due_at", "resolution_at_risk_at"),
    ):
        if due_name == "response_due_at" and item.first_response_at is not None:
            continue
        if getattr(item, due_name) is not None:
            setattr(item, due_name, cal.add(getattr(item, due_name), paused))
            setattr(item, risk_name, cal.add(getattr(item, risk_name), paused))
    mirror(item)
    return int(paused.total_seconds())


@dataclass(frozen=True)
class Standing:
    state: str  # none, on_track, at_risk, breached
    metric: str | None
    due_at: datetime | None
    remaining: timedelta | None  # business time; negative once breached


def standing(item: "WorkItem", *, engagement: "Engagement", now: datetime) -> Standing:
    """Where the item stands against its running clock. A paused clock is measured at
    the moment it paused; a finished item by whether it met its due time."""
    metric = current_metric(item)
    due_at = item.due_at
    if metric is None or due_at is None:  # no metric means no due time, and the reverse
        return Standing("none", None, None, None)
    if item.resolved_at is not None or item.cancelled_at is not None:
        if item.sla_met is None:
            return Standing("none", metric, item.due_at, None)
        return Standing("on_track" if item.sla_met else "breached", metric, item.due_at, None)
    moment = item.waiting_since or now
    remaining = _item_calendar(item, engagement, fetch=False).between(moment, due_at)
    if moment >= due_at:
        state = "breached"
    elif item.at_risk_at is not None and moment >= item.at_risk_at:
        state = "at_risk"
    else:
        state = "on_track"
    return Standing(state, metric, item.due_at, remaining)
