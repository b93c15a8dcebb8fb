"""Planning API under /api/v1/planning/: forecast runs (started as background work, polled
for progress), a queue's history imported from CSV, staffing plans, today's intraday gap
and the delivery options for an engagement. Another client's ids answer 404; the
permission is checked after the object is found (403)."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from tercero.delivery.engagements.selectors import access_engagement
from tercero.delivery.planning import (
    moves,
    options,
    pool_checks,
    pool_today,
    rest_of_day,
    selectors,
    services,
    tasks,
)
from tercero.delivery.planning.models import ForecastRun, PoolCheck, StaffingPlan
from tercero.platform.api.caller import Caller, caller_of
from tercero.platform.api.errors import ErrorOut, refusal
from tercero.platform.errors import InvalidInput, NotFound

router = Router(tags=["planning"])
READ, WRITE = "planning:read", "planning:write"


class AccuracyOut(Schema):
    wape: float
    bias: float


class ForecastOut(Schema):
    id: int
    queue_id: int
    status: str
    step_minutes: int
    horizon_days: int
    time_zone: str
    progress_done: int
    progress_total: int
    percent: int
    model: str
    wape: float | None
    bias: float | None
    accuracy: dict[str, AccuracyOut]
    handle_model: str = Field(description="the handle-time forecast's model; empty without any")
    handle_wape: float | None
    handle_bias: float | None
    handle_accuracy: dict[str, AccuracyOut]
    history_intervals: int
    note: str
    error: str
    created_at: datetime
    finished_at: datetime | None


class ForecastIntervalOut(Schema):
    start: datetime
    arrivals: float
    handle_seconds: float


class ForecastDetailOut(ForecastOut):
    intervals: list[ForecastIntervalOut]


class ForecastFilters(Schema):
    queue_id: int | None = Field(default=None, ge=1, le=2**62)


class ForecastIn(Schema):
    queue_id: int = Field(ge=1, le=2**62)
    step_minutes: int = Field(default=30, description="15 or 30")
    horizon_days: int = Field(default=7, ge=1, le=services.MAX_HORIZON_DAYS)


class HistoryOut(Schema):
    rows: int
    stored: int
    errors: list[dict[str, Any]]


class HistoryRefusedOut(ErrorOut):
    """A 422: the error, and every bad row by line (nothing stored)."""

    rows: int = 0
    stored: int = 0
    errors: list[dict[str, Any]] = Field(default_factory=list)


class PlanIn(Schema):
    model: str = Field(description="erlang_c, erlang_a or backlog")
    target: float = Field(default=0.8, gt=0, lt=1, description="service level, e.g. 0.8")
    answer_seconds: int = Field(default=20, ge=0, le=3600)
    shrinkage: float | None = Field(
        default=None, ge=0, lt=0.9, description="share; the sites' own figures when left out"
    )
    patience_seconds: int | None = Field(default=None, ge=1, le=86_400)
    max_occupancy: float | None = Field(default=None, gt=0, le=1)
    due_after_intervals: int | None = Field(default=None, ge=1, le=96)
    aht_seconds: float | None = Field(default=None, gt=0, le=86_400)


class PlanIntervalOut(Schema):
    start: datetime
    minutes: int
    calls: float
    aht_seconds: float
    agents_raw: float
    agents: int
    service_level: float | None
    occupancy: float | None


class PlanOut(Schema):
    id: int
    forecast_id: int
    queue_id: int
    model: str
    target: float
    answer_seconds: int
    patience_seconds: int | None
    shrinkage: float
    max_occupancy: float | None
    due_after_intervals: int | None
    agent_hours: float
    peak_agents: int
    created_at: datetime
    intervals: list[PlanIntervalOut]


class IntradayRowOut(Schema):
    start: datetime
    planned_calls: float
    aht_seconds: float
    actual_calls: float | None
    expected_calls: float
    agents_needed: int
    agents_now: int
    gap: int


class PoolIntervalOut(Schema):
    start: datetime
    expected_calls: float
    aht_seconds: float
    agents_needed: int
    agents_on: int
    gap: int
    service_level: float


class PoolQueueOut(Schema):
    queue_id: int
    queue: str
    client: str
    intervals: list[PoolIntervalOut]


class MoveOut(Schema):
    from_queue_id: int
    to_queue_id: int
    agents: int
    start: datetime
    end: datetime
    from_service_level_before: float
    from_service_level_after: float
    to_service_level_before: float
    to_service_level_after: float
    text: str


class IntradayOut(Schema):
    plan_id: int
    day: str
    agents_now: int
    intervals: list[IntradayRowOut]
    queues_compared: list[PoolQueueOut] = Field(
        description="this queue first, then other clients' queues sharing its agents"
    )
    moves: list[MoveOut]
    moves_note: str


class OptionsQuery(Schema):
    monthly_volume: int | None = Field(default=None, ge=0, le=100_000_000)
    aht_seconds: float = Field(default=options.DEFAULT_AHT_SECONDS, gt=0, le=86_400)
    target: float = Field(default=options.DEFAULT_TARGET, gt=0, lt=1)
    answer_seconds: int = Field(default=options.DEFAULT_ANSWER_SECONDS, ge=0, le=3600)


class SiteOptionOut(Schema):
    site_id: int
    site: str
    city: str
    country: str
    shore: str
    agents: int
    agents_raw: float
    shrinkage: float
    fte: float
    seat_hours_per_month: float
    cost_per_month_minor: int
    cost_per_month: str
    currency: str
    languages_covered: list[str]
    languages_missing: list[str]
    overlap_hours_per_week: float
    residency_allowed: bool


class OptionsOut(Schema):
    engagement_id: int
    monthly_volume: int
    aht_seconds: float
    cover_hours_per_week: float
    calls_per_half_hour: float
    sites: list[SiteOptionOut]


def forecast_out(run: ForecastRun) -> dict[str, Any]:
    return {
        **{name: getattr(run, name) for name in ForecastOut.model_fields},
        "accuracy": run.accuracy,
        "handle_accuracy": run.handle_accuracy,
    }


def plan_out(plan: StaffingPlan) -> dict[str, Any]:
    fields = {name: getattr(plan, name) for name in PlanOut.model_fields if name != "intervals"}
    return {
        **fields,
        "intervals": [
            {**vars_of(row, PlanIntervalOut), "start": row.start_at}
            for row in selectors.plan_intervals(plan=plan)
        ],
    }


def vars_of(row: Any, schema: type[Schema]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in schema.model_fields if hasattr(row, name)}


def _forecast(caller: Caller, forecast_id: int) -> ForecastRun:
    return selectors.access_forecast(client_ids=caller.client_ids, forecast_id=forecast_id)


@router.get("/planning/forecasts", response=list[ForecastOut])
def list_forecasts(request: HttpRequest, filters: Query[ForecastFilters]) -> list[dict[str, Any]]:
    """Forecast runs, newest first (the latest 200), optionally of one queue."""
    caller = caller_of(request)
    caller.require(READ)
    found = selectors.forecast_runs(client_ids=caller.client_ids, queue_id=filters.queue_id)[:200]
    return [forecast_out(run) for run in found]


@router.post("/planning/forecasts", response={202: ForecastOut})
def start_forecast(request: HttpRequest, body: ForecastIn) -> Status[dict[str, Any]]:
    """Start forecasting a queue: a worker runs it; poll the run until `status` is done
    or failed (`percent` shows how far it is)."""
    caller = caller_of(request)
    queue = selectors.access_queue(client_ids=caller.client_ids, queue_id=body.queue_id)
    caller.require(WRITE)
    run = services.start_forecast(
        actor=caller.user,
        queue=queue,
        step_minutes=body.step_minutes,
        horizon_days=body.horizon_days,
    )
    tasks.enqueue_forecast(run)
    return Status(202, forecast_out(run))


@router.get("/planning/forecasts/{forecast_id}", response=ForecastDetailOut)
def get_forecast(request: HttpRequest, forecast_id: int) -> dict[str, Any]:
    """One forecast run with its intervals (start times in UTC)."""
    caller = caller_of(request)
    run = _forecast(caller, forecast_id)
    caller.require(READ)
    intervals = selectors.forecast_intervals(forecast=run).values(
        "start_at", "arrivals", "handle_seconds"
    )
    return {
        **forecast_out(run),
        "intervals": [{**row, "start": row["start_at"]} for row in intervals],
    }


MULTIPART = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            }
        }
    }
}


@router.post(
    "/planning/queues/{queue_id}/history",
    response={200: HistoryOut, 422: HistoryRefusedOut},
    openapi_extra=MULTIPART,
)
def import_history(
    request: HttpRequest, queue_id: int, step_minutes: Query[int] = 30
) -> Status[dict[str, Any]]:
    """A queue's arrival history as CSV, the multipart field `file` (intervals of
    `step_minutes`, 15 or 30): columns `interval_start` in the client's time zone unless
    it carries an offset, `arrivals`, and `handle_seconds` if known. All or nothing: any
    bad row stores none, and every bad row is listed by line (422). At most 20 MB."""
    caller = caller_of(request)
    queue = selectors.access_queue(client_ids=caller.client_ids, queue_id=queue_id)
    caller.require(WRITE)
    # read here rather than as a parameter, so the queue is found (or 404) first
    file = request.FILES.get("file")
    if file is None:
        raise InvalidInput("Send the CSV as the multipart field `file`.", fields={"file": ""})
    if file.size and file.size > services.MAX_HISTORY_BYTES:
        raise InvalidInput("The file is larger than 20 MB; split it.", fields={"file": "too large"})
    report = services.import_history(
        actor=caller.user, queue=queue, data=file.read(), step_minutes=step_minutes
    )
    body = {
        "rows": report.rows,
        "stored": report.stored,
        "errors": [{"line": line, "problem": problem} for line, problem in report.errors],
    }
    if report.errors:
        return Status(422, refusal("No history was stored.", code="invalid_rows", **body))
    return Status(200, body)


@router.post("/planning/forecasts/{forecast_id}/plans", response={201: PlanOut})
def create_plan(request: HttpRequest, forecast_id: int, body: PlanIn) -> Status[dict[str, Any]]:
    """A staffing plan from a finished forecast; it becomes the queue's latest plan, the
    one schedules cover."""
    caller = caller_of(request)
    run = _forecast(caller, forecast_id)
    caller.require(WRITE)
    plan = services.create_plan(actor=caller.user, forecast=run, **body.dict())
    return Status(201, plan_out(plan))


@router.get("/planning/plans/{plan_id}", response=PlanOut)
def get_plan(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    caller = caller_of(request)
    plan = selectors.access_plan(client_ids=caller.client_ids, plan_id=plan_id)
    caller.require(READ)
    return plan_out(plan)


@router.get("/planning/queues/{queue_id}/intraday", response=IntradayOut)
def intraday(request: HttpRequest, queue_id: int) -> dict[str, Any]:
    """Today against the queue's latest plan: arrivals so far, the rest of the day
    forecast again, and per interval the agents needed against those signed in now;
    beside it, other clients' queues sharing its agents (each queue's gap per interval
    still to come) and what moving shared agents would do to each side's service level."""
    caller = caller_of(request)
    queue = selectors.access_queue(client_ids=caller.client_ids, queue_id=queue_id)
    caller.require(READ)
    now = timezone.now()
    found = rest_of_day.today(queue=queue, plan=selectors.latest_plan(queue=queue), now=now)
    pool = pool_today.pool_today(queue=queue, today=found, client_ids=caller.client_ids, now=now)
    zone = ZoneInfo(queue.client.time_zone)
    return {
        "plan_id": found.plan.pk,
        "day": found.day,
        "agents_now": found.agents_now,
        "intervals": [{**vars(row), "gap": row.gap} for row in found.rows],
        "queues_compared": [lane_out(lane) for lane in pool.lanes],
        "moves": [move_out(move, zone) for move in pool.moves],
        "moves_note": pool.note,
    }


def lane_out(lane: moves.Lane) -> dict[str, Any]:
    return {
        "queue_id": lane.key,
        "queue": lane.name,
        "client": lane.client,
        "intervals": [
            {
                "start": start,
                "expected_calls": slot.calls,
                "aht_seconds": slot.aht_seconds,
                "agents_needed": slot.agents_needed,
                "agents_on": slot.agents_on,
                "gap": slot.gap,
                "service_level": slot.service_level(slot.agents_on),
            }
            for start, slot in zip(lane.starts, lane.slots, strict=True)
        ],
    }


def move_out(move: moves.Move, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "from_queue_id": move.source.key,
        "to_queue_id": move.target.key,
        "agents": move.agents,
        "start": move.start,
        "end": move.end,
        "from_service_level_before": move.source_before,
        "from_service_level_after": move.source_after,
        "to_service_level_before": move.target_before,
        "to_service_level_after": move.target_after,
        "text": move.words(zone),
    }


@router.get("/planning/engagements/{engagement_id}/options", response=OptionsOut)
def delivery_options(
    request: HttpRequest, engagement_id: int, query: Query[OptionsQuery]
) -> dict[str, Any]:
    """The provider's active sites side by side for the engagement's scope: agents, cost
    a month, languages, overlap with the client's business hours, residency."""
    caller = caller_of(request)
    if not 0 < engagement_id < 2**62:
        raise NotFound("Engagement not found.")
    engagement = access_engagement(client_ids=caller.client_ids, engagement_id=engagement_id)
    caller.require(READ)
    found = options.compare_engagement(engagement=engagement, **query.dict())
    return options.as_dict(found)


class PoolCheckIn(Schema):
    queue_ids: list[int] = Field(
        min_length=2, max_length=pool_checks.MAX_QUEUES, description="the queues sharing agents"
    )
    starts: list[datetime] = Field(
        min_length=1,
        max_length=pool_checks.MAX_INTERVALS,
        description="interval starts, each in every queue's latest plan",
    )
    replications: int = Field(default=5, ge=1, le=pool_checks.MAX_REPLICATIONS)


class PoolQueueResultOut(Schema):
    queue_id: int
    queue: str
    client: str
    calls: float
    aht_seconds: float
    answer_seconds: int
    patience_seconds: int | None
    agents: int
    erlang_service_level: float
    simulated_service_level: float
    spread: float
    asa_seconds: float
    abandon_rate: float


class PoolIntervalResultOut(Schema):
    start: datetime
    minutes: int
    agents: int
    queues: list[PoolQueueResultOut]


class PoolCheckOut(Schema):
    id: int
    queue_id: int
    status: str
    replications: int
    progress_done: int
    progress_total: int
    percent: int
    error: str
    created_at: datetime
    finished_at: datetime | None
    results: list[PoolIntervalResultOut]


def pool_check_out(check: PoolCheck) -> dict[str, Any]:
    return {name: getattr(check, name) for name in PoolCheckOut.model_fields}


@router.post("/planning/pool-checks", response={202: PoolCheckOut})
def start_pool_check(request: HttpRequest, body: PoolCheckIn) -> Status[dict[str, Any]]:
    """Check queues that share agents by simulation in the chosen intervals: a worker
    runs it; poll the check until `status` is done or failed. Each queue's agents are
    those its latest plan's target needs on the work (Erlang C); the simulation puts them
    all in one pool and gives each queue's service level beside Erlang's."""
    caller = caller_of(request)
    queues = [
        selectors.access_queue(client_ids=caller.client_ids, queue_id=queue_id)
        for queue_id in body.queue_ids
    ]
    caller.require(WRITE)
    check = pool_checks.start_pool_check(
        actor=caller.user, queues=queues, starts=body.starts, replications=body.replications
    )
    tasks.enqueue_pool_check(check)
    return Status(202, pool_check_out(check))


@router.get("/planning/pool-checks/{check_id}", response=PoolCheckOut)
def get_pool_check(request: HttpRequest, check_id: int) -> dict[str, Any]:
    """A pool check with, when done, each interval's queues: Erlang C's service level with
    the queue's own agents beside the simulated one with every agent pooled."""
    caller = caller_of(request)
    check = selectors.access_pool_check(client_ids=caller.client_ids, check_id=check_id)
    caller.require(READ)
    return pool_check_out(check)
