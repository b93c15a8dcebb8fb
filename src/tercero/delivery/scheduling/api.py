"""Schedules over the API: list, build (202, a worker builds it), read, publish; the
caller's own shifts; adherence per agent and day."""

from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from tercero.delivery.scheduling import board, selectors, services, tasks
from tercero.delivery.scheduling.models import Schedule, ScheduledShift
from tercero.delivery.workforce import selectors as workforce
from tercero.platform.api.caller import Caller, caller_of
from tercero.platform.api.pagination import paginate_by_cursor
from tercero.platform.errors import NotFound, PermissionDenied
from tercero.platform.identity.roles import Role
from tercero.platform.tenancy.scoping import clients_in_scope

router = Router()
schedules = Router(tags=["schedules"])
READ, WRITE = "schedule:read", "schedule:write"


class ScheduleIn(Schema):
    name: str = Field(default="", max_length=100)
    site_ids: list[int] = Field(min_length=1, max_length=50)
    first_day: date
    days: int = Field(ge=1, le=services.MAX_DAYS)
    time_limit_seconds: int = Field(default=30, ge=5, le=services.MAX_TIME_LIMIT_SECONDS)


class ScheduleOut(Schema):
    id: int
    name: str
    site_ids: list[int]
    first_day: date
    days: int
    status: str
    progress: str
    solve_status: str
    under_agent_hours: float | None
    over_agent_hours: float | None
    coverage_percent: float | None
    error: str
    published_at: datetime | None
    version: int
    url: str

    @staticmethod
    def resolve_site_ids(schedule: Schedule) -> list[int]:
        return [site.pk for site in schedule.sites.all()]

    @staticmethod
    def resolve_coverage_percent(schedule: Schedule) -> float | None:
        return _figures(schedule).percent

    @staticmethod
    def resolve_under_agent_hours(schedule: Schedule) -> float | None:
        return _hours(_figures(schedule).under_agent_minutes)

    @staticmethod
    def resolve_over_agent_hours(schedule: Schedule) -> float | None:
        return _hours(_figures(schedule).over_agent_minutes)

    @staticmethod
    def resolve_url(schedule: Schedule) -> str:
        return f"/api/v1/schedules/{schedule.pk}"


def _figures(schedule: Schedule) -> selectors.CoverageFigures:
    """The coverage figures of the queues of the clients in the request's scope."""
    return selectors.coverage_figures(schedule=schedule, client_ids=clients_in_scope() or [])


def _hours(minutes: float | None) -> float | None:
    return None if minutes is None else minutes / 60


class ShiftOut(Schema):
    id: int
    agent_id: int
    start_at: datetime
    end_at: datetime
    local_start: str
    local_end: str
    time_zone: str
    breaks: list[list[str]]
    activities: list[list[str]]
    serves: list[str]


class GapOut(Schema):
    queue_id: int
    start_at: datetime
    minutes: int
    needed: float
    short: float


class ScheduleDetailOut(ScheduleOut):
    shifts: list[ShiftOut]
    gaps: list[GapOut]

    @staticmethod
    def resolve_shifts(schedule: Schedule) -> list[dict[str, Any]]:
        shifts = list(selectors.shifts_of(schedule=schedule))
        visible = _visible_queue_keys(shifts)
        return [_shift_out(shift, visible) for shift in shifts]

    @staticmethod
    def resolve_gaps(schedule: Schedule) -> list[dict[str, Any]]:
        """Short intervals of the queues of the clients in the request's scope."""
        return [
            {
                "queue_id": row.queue_id,
                "start_at": row.start_at,
                "minutes": row.minutes,
                "needed": row.needed,
                "short": row.short,
            }
            for row in selectors.coverage_of(schedule=schedule).filter(short__gt=0.005)
        ]


class ScheduleFilters(Schema):
    status: str = Field(default="", max_length=16)
    q: str = Field(default="", max_length=100)


class PublishIn(Schema):
    version: int = Field(ge=1)


class AdherenceFilters(Schema):
    day: date
    agent_id: int | None = Field(default=None, ge=1, le=2**62)


class AdherenceOut(Schema):
    agent_id: int
    day: date
    time_zone: str
    scheduled_seconds: float
    neutral_seconds: float
    in_seconds: float
    out_seconds: float
    percent: float | None


def _staff(caller: Caller) -> None:
    caller.require(READ)
    if caller.user.role == Role.AGENT:
        raise PermissionDenied("Agents read their own shifts at /api/v1/schedules/mine.")


def _visible_queue_keys(shifts: list[ScheduledShift]) -> set[str]:
    """The `queue:<id>` keys among the shifts' that belong to clients in the request's
    scope: another client's queue is not named, not even by its number."""
    ids = {int(key.split(":", 1)[1]) for shift in shifts for key in shift.serves}
    return {f"queue:{queue_id}" for queue_id in selectors.queue_clients(queue_ids=sorted(ids))}


def _shift_out(shift: ScheduledShift, visible: set[str]) -> dict[str, Any]:
    zone = shift.agent.site.time_zone
    return {
        "id": shift.pk,
        "agent_id": shift.agent_id,
        "start_at": shift.start_at,
        "end_at": shift.end_at,
        "local_start": shift.start_at.astimezone(board.zone(zone)).isoformat(),
        "local_end": shift.end_at.astimezone(board.zone(zone)).isoformat(),
        "time_zone": zone,
        "breaks": shift.breaks,
        "activities": shift.activities,
        "serves": [key for key in shift.serves if key in visible],
    }


@schedules.get("", response=list[ScheduleOut])
@paginate_by_cursor
def list_schedules(request: HttpRequest, filters: Query[ScheduleFilters]) -> QuerySet[Schedule]:
    _staff(caller_of(request))
    return selectors.schedules(q=filters.q, status=filters.status)


@schedules.post("", response={202: ScheduleOut})
def create_schedule(request: HttpRequest, body: ScheduleIn) -> Status[Schedule]:
    """Start building a schedule; a worker builds it and `url` shows its progress."""
    caller = caller_of(request)
    caller.require(WRITE)
    sites = [workforce.access_site(site_id=site_id) for site_id in body.site_ids]
    schedule = services.start_build(
        actor=caller.user,
        name=body.name,
        sites=sites,
        first_day=body.first_day,
        days=body.days,
        time_limit_seconds=body.time_limit_seconds,
    )
    tasks.enqueue_build(schedule)
    return Status(202, schedule)


@schedules.get("/mine", response=list[ShiftOut])
def my_shifts(request: HttpRequest) -> list[dict[str, Any]]:
    """The caller's published shifts this week and next (their site's weeks)."""
    caller = caller_of(request)
    caller.require(READ)
    agent = workforce.own_agent(caller.user)
    if agent is None:
        return []
    monday = board.local_today(agent) - timedelta(days=board.local_today(agent).weekday())
    start = selectors.local_day_bounds(monday, agent.site.time_zone)[0]
    end = selectors.local_day_bounds(monday + timedelta(days=13), agent.site.time_zone)[1]
    shifts = list(selectors.published_shifts(agent_ids=[agent.pk], start=start, end=end))
    visible = _visible_queue_keys(shifts)
    return [_shift_out(shift, visible) for shift in shifts]


@schedules.get("/adherence", response=list[AdherenceOut])
def adherence_by_day(
    request: HttpRequest, filters: Query[AdherenceFilters]
) -> list[dict[str, Any]]:
    """Each scheduled agent's adherence on a local day (one agent with `agent_id`)."""
    caller = caller_of(request)
    caller.require(READ)
    own = workforce.own_agent(caller.user)
    if caller.user.role == Role.AGENT:
        if own is None or filters.agent_id not in (None, own.pk):
            raise NotFound("Agent not found.")
        agent_ids: list[int] | None = [own.pk]
    else:
        agent_ids = None if filters.agent_id is None else [filters.agent_id]
    return [row.as_dict() for row in board.day_rows(day=filters.day, agent_ids=agent_ids)]


@schedules.get("/{schedule_id}", response=ScheduleDetailOut)
def get_schedule(request: HttpRequest, schedule_id: int) -> Schedule:
    caller = caller_of(request)
    schedule = selectors.access_schedule(schedule_id=schedule_id)
    _staff(caller)
    return schedule


@schedules.post("/{schedule_id}/publish", response=ScheduleOut)
def publish_schedule(request: HttpRequest, schedule_id: int, body: PublishIn) -> Schedule:
    caller = caller_of(request)
    schedule = selectors.access_schedule(schedule_id=schedule_id)
    caller.require(WRITE)
    return services.publish(actor=caller.user, schedule=schedule, version=body.version)


router.add_router("/schedules", schedules)
