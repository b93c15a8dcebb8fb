"""Queues and the work types they take."""

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from tercero.delivery.engagements.selectors import access_engagement
from tercero.delivery.work import queue_hours, registry, selectors, services
from tercero.delivery.work.api._common import Skills
from tercero.delivery.work.models import Queue
from tercero.platform.api.caller import Caller, caller_of
from tercero.platform.api.inputs import patch_field
from tercero.platform.api.pagination import paginate_by_cursor
from tercero.platform.errors import InvalidInput
from tercero.platform.identity.models import User

router = Router()


if TYPE_CHECKING:  # a Literal built from the model's choices is beyond a type checker
    Routing = str
    PushStrategy = str
    Escalation = str
else:
    Routing = Literal[tuple(Queue.Routing.values)]
    PushStrategy = Literal[tuple(Queue.PushStrategy.values)]
    Escalation = Literal[tuple(Queue.Escalation.values)]

# weekday "0" (Monday) to "6" -> its shifts, each ["HH:MM", "HH:MM"] (the service says
# in words what is wrong with them: overlaps, an end before its start)
WorkingHours = dict[str, list[list[str]]]
HOURS_HELP = (
    'The queue\'s own shifts per weekday ("0" = Monday), e.g. {"0": [["08:00", "12:00"], '
    '["16:00", "20:00"]]}, in the engagement\'s time zone; used when has_own_hours.'
)


class QueueFields(Schema):
    work_types: list[str] = Field(default_factory=list, max_length=50)
    priority: int = Field(default=3, ge=1, le=4)
    routing: Routing = "pull"
    push_strategy: PushStrategy = "longest_idle"
    at_risk_percent: int = Field(default=80, ge=1, le=99)
    escalation: Escalation = "none"
    escalation_queue_id: int | None = Field(default=None, ge=1, le=2**62)
    team_lead_id: int | None = Field(default=None, ge=1, le=2**62)
    is_active: bool = True
    has_own_hours: bool = False
    working_hours: WorkingHours = Field(default_factory=dict, max_length=7, description=HOURS_HELP)


class QueueIn(QueueFields):
    engagement_id: int = Field(ge=1, le=2**62)
    name: str = Field(min_length=1, max_length=100)


class QueuePatch(Schema):
    version: int = Field(ge=1, le=2**31)
    name: str = patch_field(min_length=1, max_length=100)
    work_types: list[str] = patch_field(max_length=50)
    priority: int = patch_field(ge=1, le=4)
    routing: Routing = patch_field()
    push_strategy: PushStrategy = patch_field()
    at_risk_percent: int = patch_field(ge=1, le=99)
    escalation: Escalation = patch_field()
    escalation_queue_id: int | None = Field(default=None, ge=1, le=2**62)
    team_lead_id: int | None = Field(default=None, ge=1, le=2**62)
    is_active: bool = patch_field()
    has_own_hours: bool = patch_field()
    working_hours: WorkingHours = patch_field(max_length=7, description=HOURS_HELP)


class QueueOut(Schema):
    id: int
    client_id: int = Field(ge=1, le=2**62)
    engagement_id: int = Field(ge=1, le=2**62)
    name: str
    work_types: list[str]
    priority: int
    routing: str
    push_strategy: str
    at_risk_percent: int
    escalation: str
    escalation_queue_id: int | None
    team_lead_id: int | None
    is_active: bool
    has_own_hours: bool
    working_hours: WorkingHours
    hours_in_words: list[str]
    version: int = Field(ge=1, le=2**31)
    created_at: datetime

    @staticmethod
    def resolve_hours_in_words(queue: Queue) -> list[str]:
        return queue_hours.in_words(queue)


class QueueFilters(Schema):
    client_id: int | None = Field(default=None, ge=1, le=2**62)
    engagement_id: int | None = Field(default=None, ge=1, le=2**62)
    routing: Routing | None = None
    is_active: bool | None = None
    q: str = Field(default="", max_length=200)


def _queue_refs(caller: Caller, client_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    """Resolve escalation queue and team lead ids within the caller's reach."""
    if fields.get("escalation_queue_id") is not None:
        target = selectors.access_queue(
            client_ids=caller.client_ids, queue_id=fields.pop("escalation_queue_id")
        )
        fields["escalation_queue"] = target
    elif "escalation_queue_id" in fields:
        fields["escalation_queue"] = fields.pop("escalation_queue_id")
    if fields.get("team_lead_id") is not None:
        lead = User.objects.filter(
            pk=fields["team_lead_id"], is_active=True, grants__client_id=client_id
        ).first()
        if lead is None:
            raise InvalidInput(
                "No such team lead for this client.", fields={"team_lead_id": "unknown"}
            )
    return fields


@router.get("/queues", response=list[QueueOut], tags=["queues"])
@paginate_by_cursor
def list_queues(request: HttpRequest, filters: Query[QueueFilters]) -> QuerySet[Queue]:
    caller = caller_of(request)
    caller.require("work:read")
    return selectors.queues(client_ids=caller.client_ids, **filters.dict())


@router.post("/queues", response={201: QueueOut}, tags=["queues"])
def create_queue(request: HttpRequest, body: QueueIn) -> Status[Queue]:
    caller = caller_of(request)
    engagement = access_engagement(client_ids=caller.client_ids, engagement_id=body.engagement_id)
    caller.require("queues:write")
    fields = _queue_refs(caller, engagement.client_id, body.dict(exclude={"engagement_id"}))
    return Status(201, services.create_queue(actor=caller.user, engagement=engagement, **fields))


@router.get("/queues/{queue_id}", response=QueueOut, tags=["queues"])
def get_queue(request: HttpRequest, queue_id: int) -> Queue:
    caller = caller_of(request)
    queue = selectors.access_queue(client_ids=caller.client_ids, queue_id=queue_id)
    caller.require("work:read")
    return queue


@router.patch("/queues/{queue_id}", response=QueueOut, tags=["queues"])
def update_queue(request: HttpRequest, queue_id: int, body: QueuePatch) -> Queue:
    caller = caller_of(request)
    queue = selectors.access_queue(client_ids=caller.client_ids, queue_id=queue_id)
    caller.require("queues:write")
    changes = _queue_refs(
        caller, queue.client_id, body.dict(exclude_unset=True, exclude={"version"})
    )
    return services.update_queue(
        actor=caller.user, queue=queue, version=body.version, changes=changes
    )


class QueueStatsOut(Schema):
    queue_id: int = Field(ge=1, le=2**62)
    by_status: dict[str, int]
    open: int
    oldest_waiting_seconds: int
    at_risk: int
    breached_open: int
    resolved: int
    resolved_within_sla_percent: float | None
    average_handle_seconds: int
    agents_cleared: int
    agents_available: int


@router.get("/queues/{queue_id}/stats", response=QueueStatsOut, tags=["queues"])
def queue_stats(request: HttpRequest, queue_id: int) -> dict[str, Any]:
    caller = caller_of(request)
    queue = selectors.access_queue(client_ids=caller.client_ids, queue_id=queue_id)
    caller.require("work:read")
    return selectors.queue_stats(queue=queue)


class WorkTypeOut(Schema):
    key: str
    title: str
    office: str
    channel: str
    default_skills: Skills
    sla_metrics: list[str]
    payload_schema: dict[str, Any]


@router.get("/work-types", response=list[WorkTypeOut], tags=["work items"])
def list_work_types(request: HttpRequest) -> list[dict[str, Any]]:
    caller = caller_of(request)
    caller.require("work:read")
    return [
        {
            "key": t.key,
            "title": t.title,
            "office": t.office,
            "channel": t.channel,
            "default_skills": t.default_skills,
            "sla_metrics": list(t.sla_metrics),
            "payload_schema": t.payload_schema.model_json_schema(),
        }
        for t in registry.all_types()
    ]
