"""Work engine API: queues, work items (single, bulk, CSV), routing, life cycle, agents."""

from datetime import datetime
from typing import Literal

from django.http import HttpResponse
from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from tercero.delivery.engagements.selectors import access_engagement
from tercero.delivery.work import (
    access,
    csv_import,
    lifecycle,
    personal,
    privacy,
    registry,
    selectors,
    services,
    sla,
    webhooks,
)
from tercero.delivery.work.models import (
    Channel,
    Queue,
    WebhookDelivery,
    WebhookEndpoint,
    WorkItem,
)
from tercero.delivery.workforce import services as workforce
from tercero.delivery.workforce.models import Agent
from tercero.delivery.workforce.selectors import access_site
from tercero.platform.api.caller import caller_of
from tercero.platform.api.errors import ErrorOut, refusal
from tercero.platform.api.pagination import paginate_by_cursor
from tercero.platform.errors import InvalidInput, NotFound, PermissionDenied
from tercero.platform.identity.models import User
from tercero.platform.identity.selectors import reachable_client_ids

router = Router()

Routing = Literal[tuple(Queue.Routing.values)]
PushStrategy = Literal[tuple(Queue.PushStrategy.values)]
Escalation = Literal[tuple(Queue.Escalation.values)]
ItemStatus = Literal[lifecycle.STATUSES]
SlaState = Literal["none", "on_track", "at_risk", "breached"]
ChannelName = Literal[tuple(Channel.values)]
Presence = Literal[tuple(Agent.Presence.values)]
Skills = dict[str, int]

# --- queues ---------------------------------------------------------------------------


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


class QueueIn(QueueFields):
    engagement_id: int = Field(ge=1, le=2**62)
    name: str = Field(min_length=1, max_length=100)


class QueuePatch(Schema):
    version: int = Field(ge=1, le=2**31)
    name: str = Field(default=None, min_length=1, max_length=100)
    work_types: list[str] = Field(default=None, max_length=50)
    priority: int = Field(default=None, ge=1, le=4)
    routing: Routing = Field(default=None)
    push_strategy: PushStrategy = Field(default=None)
    at_risk_percent: int = Field(default=None, ge=1, le=99)
    escalation: Escalation = Field(default=None)
    escalation_queue_id: int | None = Field(default=None, ge=1, le=2**62)
    team_lead_id: int | None = Field(default=None, ge=1, le=2**62)
    is_active: bool = Field(default=None)


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
    version: int = Field(ge=1, le=2**31)
    created_at: datetime


class QueueFilters(Schema):
    client_id: int | None = Field(default=None, ge=1, le=2**62)
    engagement_id: int | None = Field(default=None, ge=1, le=2**62)
    routing: Routing | None = None
    is_active: bool | None = None
    q: str = Field(default="", max_length=200)


def _queue_refs(caller, client_id: int, fields: dict) -> dict:
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
def list_queues(request, filters: Query[QueueFilters]):
    caller = caller_of(request)
    caller.require("work:read")
    return selectors.queues(client_ids=caller.client_ids, **filters.dict())


@router.post("/queues", response={201: QueueOut}, tags=["queues"])
def create_queue(request, body: QueueIn):
    caller = caller_of(request)
    engagement = access_engagement(client_ids=caller.client_ids, engagement_id=body.engagement_id)
    caller.require("queues:write")
    fields = _queue_refs(caller, engagement.client_id, body.dict(exclude={"engagement_id"}))
    return Status(201, services.create_queue(actor=caller.user, engagement=engagement, **fields))


@router.get("/queues/{queue_id}", response=QueueOut, tags=["queues"])
def get_queue(request, queue_id: int):
    caller = caller_of(request)
    queue = selectors.access_queue(client_ids=caller.client_ids, queue_id=queue_id)
    caller.require("work:read")
    return queue


@router.patch("/queues/{queue_id}", response=QueueOut, tags=["queues"])
def update_queue(request, queue_id: int, body: QueuePatch):
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
def queue_stats(request, queue_id: int):
    caller = caller_of(request)
    queue = selectors.access_queue(client_ids=caller.client_ids, queue_id=queue_id)
    caller.require("work:read")
    return selectors.queue_stats(queue=queue)


# --- work types -----------------------------------------------------------------------


class WorkTypeOut(Schema):
    key: str
    title: str
    office: str
    channel: str
    default_skills: Skills
    sla_metrics: list[str]
    payload_schema: dict


@router.get("/work-types", response=list[WorkTypeOut], tags=["work items"])
def list_work_types(request):
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


# --- work items -----------------------------------------------------------------------


class ItemIn(Schema):
    queue_id: int = Field(ge=1, le=2**62)
    work_type: str = Field(max_length=64)
    payload: dict = Field(default_factory=dict)
    title: str | None = Field(default=None, max_length=200)
    priority: int | None = Field(default=None, ge=1, le=4)
    required_skills: Skills = Field(default_factory=dict)
    language: str | None = Field(default=None, pattern=r"^[a-z]{2}$")
    personal_data: bool = False
    external_ref: str = Field(default="", max_length=200)
    channel: ChannelName | None = None
    hold: bool = False


class BulkIn(Schema):
    queue_id: int = Field(ge=1, le=2**62)
    items: list[dict] = Field(min_length=1, max_length=5000)
    all_or_nothing: bool = True


class DisplayField(Schema):
    label: str
    value: str | int | float | bool | None


class SlaOut(Schema):
    state: str
    metric: str | None
    due_at: datetime | None
    remaining_seconds: int | None
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    paused_business_seconds: int


class ItemOut(Schema):
    id: int
    client_id: int = Field(ge=1, le=2**62)
    engagement_id: int = Field(ge=1, le=2**62)
    queue_id: int = Field(ge=1, le=2**62)
    work_type: str
    title: str
    payload: dict
    priority: int
    required_skills: Skills
    language: str
    personal_data: bool
    external_ref: str
    channel: str
    status: str
    waiting_on: str
    allowed_actions: list[str]
    assignee_id: int | None
    version: int = Field(ge=1, le=2**31)
    resolution: str
    created_at: datetime
    queued_at: datetime | None
    assigned_at: datetime | None
    started_at: datetime | None
    first_response_at: datetime | None
    waiting_since: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    cancelled_at: datetime | None
    updated_at: datetime
    handle_seconds: int
    reopen_count: int
    sla: SlaOut
    display: list[DisplayField]

    @staticmethod
    def resolve_required_skills(item):
        return {r.skill: r.min_level for r in item.required_skills.all()}

    @staticmethod
    def resolve_display(item):
        """The labelled fields the work type shows an agent, in its order."""
        work_type = registry.find(item.work_type)
        shown = work_type.display(personal.shown(item.payload, work_type)) if work_type else []
        return [{"label": label, "value": value} for label, value in shown]

    @staticmethod
    def resolve_payload(item):
        """Personal fields as their masks: clear values come only from /reveal."""
        return personal.shown(item.payload, registry.find(item.work_type))

    @staticmethod
    def resolve_allowed_actions(item):
        return lifecycle.allowed_actions(item.status)

    @staticmethod
    def resolve_sla(item):
        standing = sla.standing(item, engagement=item.engagement, now=timezone.now())
        remaining = standing.remaining
        return {
            "state": standing.state,
            "metric": standing.metric,
            "due_at": standing.due_at,
            "remaining_seconds": None if remaining is None else int(remaining.total_seconds()),
            "response_due_at": item.response_due_at,
            "resolution_due_at": item.resolution_due_at,
            "paused_business_seconds": item.sla_paused_seconds,
        }


class BulkOut(Schema):
    created: list[int]
    errors: dict[int, dict]


class BulkRefusedOut(ErrorOut):
    """A 422: the error, and when rows were refused, which (nothing was created)."""

    created: list[int] = Field(default_factory=list)
    errors: dict[int, dict] = Field(default_factory=dict)


class ItemFilters(Schema):
    client_id: int | None = Field(default=None, ge=1, le=2**62)
    engagement_id: int | None = Field(default=None, ge=1, le=2**62)
    queue_id: int | None = Field(default=None, ge=1, le=2**62)
    status: list[ItemStatus] | None = None
    sla_state: SlaState | None = None
    assignee_id: int | None = Field(default=None, ge=1, le=2**62)
    unassigned: bool | None = None
    priority: int | None = Field(default=None, ge=1, le=4)
    work_type: str | None = Field(default=None, max_length=64)
    external_ref: str | None = Field(default=None, max_length=200)
    due_before: datetime | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    q: str = Field(default="", max_length=200)


class ItemPatch(Schema):
    version: int = Field(ge=1, le=2**31)
    title: str = Field(default=None, min_length=1, max_length=200)
    priority: int = Field(default=None, ge=1, le=4)
    language: str = Field(default=None, pattern=r"^([a-z]{2})?$")
    personal_data: bool = Field(default=None)
    external_ref: str = Field(default=None, max_length=200)
    payload: dict = Field(default=None)


class TransitionIn(Schema):
    action: Literal[tuple(a for a in lifecycle.ACTIONS if a not in ("assign", "transfer"))]
    version: int | None = Field(default=None, ge=1, le=2**31)
    waiting_on: Literal["client", "customer", ""] = ""
    resolution: str = Field(default="", max_length=20_000)
    reason: str = Field(default="", max_length=500)


class AssignIn(Schema):
    agent_id: int = Field(ge=1, le=2**62)
    version: int | None = Field(default=None, ge=1, le=2**31)


class TransferIn(Schema):
    queue_id: int = Field(ge=1, le=2**62)
    version: int | None = Field(default=None, ge=1, le=2**31)
    reason: str = Field(default="", max_length=500)


class CommentIn(Schema):
    body: str = Field(min_length=1, max_length=20_000)
    internal: bool = True


class CommentOut(Schema):
    id: int
    item_id: int = Field(ge=1, le=2**62)
    author_id: int = Field(ge=1, le=2**62)
    author_name: str
    body: str
    internal: bool
    created_at: datetime

    @staticmethod
    def resolve_author_name(comment):
        return comment.author.full_name


class EventOut(Schema):
    id: int
    item_id: int | None
    kind: str
    actor_id: int | None
    data: dict
    at: datetime


def _item(caller, item_id: int) -> WorkItem:
    item = selectors.access_item(client_ids=caller.client_ids, item_id=item_id)
    access.check(caller.user, item)
    return item


@router.get("/work-items", response=list[ItemOut], tags=["work items"])
@paginate_by_cursor
def list_items(request, filters: Query[ItemFilters]):
    caller = caller_of(request)
    caller.require("work:read")
    found = selectors.items(client_ids=caller.client_ids, **filters.dict())
    return access.restrict(caller.user, found, caller.client_ids).prefetch_related(
        "required_skills"
    )


@router.get("/work-items.csv", tags=["work items"])
def export_items(request, filters: Query[ItemFilters]):
    caller = caller_of(request)
    caller.require("work:read")
    found = access.restrict(
        caller.user,
        selectors.items(client_ids=caller.client_ids, **filters.dict()),
        caller.client_ids,
    ).order_by("id")[:EXPORT_LIMIT]
    clients = set(found.values_list("client_id", flat=True))
    access.record_export(
        user=caller.user, client_ids=clients, rows=found.count(), where="api/v1/work-items.csv"
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="work-items.csv"'
    csv_import.export(found, response)
    return response


EXPORT_LIMIT = 100_000


@router.post("/work-items", response={201: ItemOut}, tags=["work items"])
def create_item(request, body: ItemIn):
    caller = caller_of(request)
    queue = selectors.access_queue(client_ids=caller.client_ids, queue_id=body.queue_id)
    caller.require("work:write")
    item = services.create_item(actor=caller.user, queue=queue, **body.dict(exclude={"queue_id"}))
    return Status(201, selectors.access_item(client_ids=caller.client_ids, item_id=item.pk))


@router.post("/work-items/bulk", response={201: BulkOut, 422: BulkRefusedOut}, tags=["work items"])
def create_items(request, body: BulkIn):
    caller = caller_of(request)
    queue = selectors.access_queue(client_ids=caller.client_ids, queue_id=body.queue_id)
    caller.require("work:write")
    created, errors = services.create_items(
        actor=caller.user, queue=queue, rows=body.items, all_or_nothing=body.all_or_nothing
    )
    out = {"created": [item.pk for item in created], "errors": errors}
    if errors and not created:
        return Status(422, refusal("No item was created.", code="invalid_rows", **out))
    return Status(201, out)


class ImportOut(Schema):
    rows: int
    created: list[int]
    errors: dict[int, dict]
    dry_run: bool


class ImportRefusedOut(ErrorOut):
    """A 422: the error, and when rows were refused, the report (nothing imported)."""

    rows: int = 0
    created: list[int] = Field(default_factory=list)
    errors: dict[int, dict] = Field(default_factory=dict)
    dry_run: bool = False


@router.post(
    "/work-items/import",
    response={201: ImportOut, 200: ImportOut, 422: ImportRefusedOut},
    tags=["work items"],
)
def import_items(
    request,
    file: File[UploadedFile],
    queue_id: Form[int],
    all_or_nothing: Form[bool] = True,
    dry_run: Form[bool] = False,
):
    """CSV import: one row per item. With `all_or_nothing` (the default) a single bad row
    imports nothing; the report lists every row's errors by line number either way."""
    caller = caller_of(request)
    if not 1 <= queue_id <= 2**62:
        raise NotFound("Queue not found.")
    queue = selectors.access_queue(client_ids=caller.client_ids, queue_id=queue_id)
    caller.require("work:write")
    report = csv_import.import_items(
        actor=caller.user, queue=queue, upload=file, all_or_nothing=all_or_nothing, dry_run=dry_run
    )
    if report["errors"] and not report["created"]:
        return Status(422, refusal("No row was imported.", code="invalid_rows", **report))
    return Status(200 if dry_run else 201, report)


@router.get("/work-items/{item_id}", response=ItemOut, tags=["work items"])
def get_item(request, item_id: int):
    caller = caller_of(request)
    item = _item(caller, item_id)
    caller.require("work:read")
    access.record_view(user=caller.user, item=item)
    return item


class AccessIn(Schema):
    reason: str = Field(min_length=10, max_length=500)


class AccessOut(Schema):
    item_id: int
    expires_at: datetime


@router.post("/work-items/{item_id}/access", response=AccessOut, tags=["personal data"])
def break_glass(request, item_id: int, body: AccessIn):
    """Open an item routing did not give you, with a reason: audited, and your team
    lead is alerted at once. Residency rules are never lifted this way."""
    caller = caller_of(request)
    item = selectors.access_item(client_ids=caller.client_ids, item_id=item_id)
    caller.require("work:read")
    grant = services.break_glass(actor=caller.user, item=item, reason=body.reason)
    return {"item_id": item.pk, "expires_at": grant.expires_at}


@router.patch("/work-items/{item_id}", response=ItemOut, tags=["work items"])
def update_item(request, item_id: int, body: ItemPatch):
    caller = caller_of(request)
    item = _item(caller, item_id)
    caller.require("work:write")
    changes = body.dict(exclude_unset=True, exclude={"version"})
    services.update_item(actor=caller.user, item=item, version=body.version, changes=changes)
    return _item(caller, item_id)


@router.post("/work-items/{item_id}/transitions", response=ItemOut, tags=["work items"])
def transition_item(request, item_id: int, body: TransitionIn):
    caller = caller_of(request)
    item = _item(caller, item_id)
    caller.require("work:write")
    _require_holder_or_lead(caller, item, body.action)
    services.transition(actor=caller.user, item=item, **body.dict())
    return _item(caller, item_id)


class RevealIn(Schema):
    reason: str = Field(min_length=5, max_length=500)


class RevealOut(Schema):
    status: str = Field(description="granted, or pending while a supervisor must approve")
    expires_at: datetime
    fields: dict[str, str | None]


@router.post("/work-items/{item_id}/reveal", response=RevealOut, tags=["personal data"])
def reveal_item(request, item_id: int, body: RevealIn):
    """The item's personal fields in clear for a few minutes (REVEAL_SECONDS), with the
    reason recorded in the audit trail. Needs `personal:reveal`."""
    caller = caller_of(request)
    item = _item(caller, item_id)
    caller.require("personal:reveal")
    values, grant = services.reveal(actor=caller.user, item=item, reason=body.reason)
    return {"status": grant.status, "expires_at": grant.expires_at, "fields": values}


@router.get("/work-items/{item_id}/personal", response=RevealOut, tags=["personal data"])
def personal_fields(request, item_id: int):
    """The personal fields again while an earlier reveal is still live; 403 after."""
    caller = caller_of(request)
    item = _item(caller, item_id)
    caller.require("personal:reveal")
    shown = services.revealed(actor=caller.user, item=item)
    if shown is None:
        raise PermissionDenied("No live reveal: ask again with a reason.")
    values, grant = shown
    return {"status": grant.status, "expires_at": grant.expires_at, "fields": values}


class SubjectIn(Schema):
    client_id: int = Field(ge=1, le=2**62)
    value: str = Field(min_length=3, max_length=200, description="name, e-mail or id on record")


class ErasureOut(Schema):
    items_erased: int


def _subject_client(caller, client_id: int) -> int:
    caller.require("privacy:write")
    if client_id not in caller.client_ids:
        raise NotFound("Client not found.")
    return client_id


@router.post("/privacy/subject-export", tags=["personal data"])
def subject_export(request, body: SubjectIn):
    """Everything the client's work holds about one person, as JSON (audited under a
    pseudonym). Client admins and provider admins."""
    caller = caller_of(request)
    client_id = _subject_client(caller, body.client_id)
    return privacy.export_subject(actor=caller.user, client_id=client_id, value=body.value)


@router.post("/privacy/subject-erasure", response=ErasureOut, tags=["personal data"])
def subject_erasure(request, body: SubjectIn):
    """Erase one person's data from every item of the client that holds it."""
    caller = caller_of(request)
    client_id = _subject_client(caller, body.client_id)
    return {
        "items_erased": privacy.erase_subject(
            actor=caller.user, client_id=client_id, value=body.value
        )
    }


AGENT_ACTIONS = {"start", "wait", "resume", "resolve", "unassign"}


def _require_holder_or_lead(caller, item: WorkItem, action: str) -> None:
    """Working an item (start, wait, resume, resolve, give back) is for the agent who
    holds it or someone who may assign work."""
    if action not in AGENT_ACTIONS or "work:assign" in caller.permissions:
        return
    agent = Agent.objects.filter(user=caller.user).first()
    if agent is None or item.assignee_id != agent.pk:
        raise PermissionDenied("Only the agent holding the item (or a team lead) may do that.")


@router.post("/work-items/{item_id}/assign", response=ItemOut, tags=["work items"])
def assign_item(request, item_id: int, body: AssignIn):
    caller = caller_of(request)
    item = _item(caller, item_id)
    caller.require("work:assign")
    agent = selectors.access_agent(client_ids=[item.client_id], agent_id=body.agent_id)
    services.assign(actor=caller.user, item=item, agent=agent, version=body.version)
    return _item(caller, item_id)


@router.post("/work-items/{item_id}/transfer", response=ItemOut, tags=["work items"])
def transfer_item(request, item_id: int, body: TransferIn):
    caller = caller_of(request)
    item = _item(caller, item_id)
    queue = selectors.access_queue(client_ids=[item.client_id], queue_id=body.queue_id)
    caller.require("work:write")
    services.transfer(
        actor=caller.user, item=item, queue=queue, version=body.version, reason=body.reason
    )
    return _item(caller, item_id)


@router.get("/work-items/{item_id}/comments", response=list[CommentOut], tags=["work items"])
@paginate_by_cursor
def list_comments(request, item_id: int):
    caller = caller_of(request)
    item = _item(caller, item_id)
    caller.require("work:read")
    return selectors.comments_of(item=item, include_internal=caller.user.is_provider_staff)


@router.post("/work-items/{item_id}/comments", response={201: CommentOut}, tags=["work items"])
def add_comment(request, item_id: int, body: CommentIn):
    caller = caller_of(request)
    item = _item(caller, item_id)
    caller.require("work:write")
    internal = body.internal and caller.user.is_provider_staff
    return Status(
        201, services.comment(actor=caller.user, item=item, body=body.body, internal=internal)
    )


@router.get("/work-items/{item_id}/events", response=list[EventOut], tags=["work items"])
@paginate_by_cursor
def list_events(request, item_id: int):
    caller = caller_of(request)
    item = _item(caller, item_id)
    caller.require("work:read")
    return selectors.events_of(item=item)


# --- agents ---------------------------------------------------------------------------


class AgentIn(Schema):
    user_id: int = Field(ge=1, le=2**62)
    site_id: int = Field(ge=1, le=2**62)
    skills: Skills = Field(default_factory=dict)
    languages: list[str] = Field(default_factory=list, max_length=30)
    capacity: dict[str, int] | None = None


class AgentPatch(Schema):
    version: int = Field(ge=1, le=2**31)
    site_id: int = Field(default=None, ge=1, le=2**62)
    skills: Skills = Field(default=None)
    languages: list[str] = Field(default=None, max_length=30)
    capacity: dict[str, int] = Field(default=None)


class AgentOut(Schema):
    id: int
    user_id: int = Field(ge=1, le=2**62)
    name: str
    email: str
    site_id: int = Field(ge=1, le=2**62)
    site_name: str
    skills: Skills
    languages: list[str]
    capacity: dict[str, int]
    presence: str
    presence_since: datetime
    idle_since: datetime
    version: int = Field(ge=1, le=2**31)

    @staticmethod
    def resolve_name(agent):
        return agent.user.full_name

    @staticmethod
    def resolve_email(agent):
        return agent.user.email

    @staticmethod
    def resolve_site_name(agent):
        return agent.site.name


class AgentFilters(Schema):
    site_id: int | None = Field(default=None, ge=1, le=2**62)
    presence: Presence | None = None
    engagement_id: int | None = Field(default=None, ge=1, le=2**62)
    skill: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=2)
    q: str = Field(default="", max_length=200)


class PresenceIn(Schema):
    presence: Presence
    reason: str = Field(default="", max_length=200)


class PresenceChangeOut(Schema):
    presence: str
    previous: str
    reason: str
    at: datetime


class ClearanceIn(Schema):
    engagement_id: int = Field(ge=1, le=2**62)


class ClearanceOut(Schema):
    id: int
    client_id: int = Field(ge=1, le=2**62)
    engagement_id: int = Field(ge=1, le=2**62)
    engagement_name: str
    created_at: datetime

    @staticmethod
    def resolve_engagement_name(clearance):
        return clearance.engagement.name


def _agent(caller, agent_id: int) -> Agent:
    return selectors.access_agent(client_ids=caller.client_ids, agent_id=agent_id)


def _own_agent(caller) -> Agent:
    agent = Agent.objects.filter(user=caller.user).select_related("user", "site").first()
    if agent is None:
        raise NotFound("You have no agent profile.")
    return agent


@router.get("/agents", response=list[AgentOut], tags=["agents"])
@paginate_by_cursor
def list_agents(request, filters: Query[AgentFilters]):
    caller = caller_of(request)
    caller.require("agents:read")
    return selectors.agents(client_ids=caller.client_ids, **filters.dict())


@router.post("/agents", response={201: AgentOut}, tags=["agents"])
def create_agent(request, body: AgentIn):
    caller = caller_of(request)
    caller.require("agents:write")
    user = User.objects.filter(pk=body.user_id, grants__client_id__in=caller.client_ids).first()
    if user is None:
        raise NotFound("User not found.")
    site = access_site(site_id=body.site_id)
    agent = workforce.create_agent(
        actor=caller.user,
        user=user,
        site=site,
        skills=body.skills,
        languages=body.languages,
        capacity=body.capacity,
    )
    return Status(201, agent)


@router.get("/agents/me", response={200: AgentOut, 404: ErrorOut}, tags=["agents"])
def get_my_agent(request):
    return _own_agent(caller_of(request))


@router.post("/agents/me/presence", response=AgentOut, tags=["agents"])
def set_my_presence(request, body: PresenceIn):
    caller = caller_of(request)
    caller.require("work:write")
    agent = workforce.set_presence(
        agent=_own_agent(caller), presence=body.presence, reason=body.reason
    )
    if agent.presence == Agent.Presence.AVAILABLE:
        services.offer_waiting(agent=agent, client_ids=caller.client_ids)
    return Agent.objects.select_related("user", "site").get(pk=agent.pk)


@router.post("/agents/me/next", response={200: ItemOut, 204: None, 404: ErrorOut}, tags=["agents"])
def get_next(request):
    """Claim the best item you may work now (pull routing); 204 when there is none."""
    caller = caller_of(request)
    caller.require("work:write")
    item = services.get_next(agent=_own_agent(caller), client_ids=caller.client_ids)
    if item is None:
        return Status(204, None)
    return _item(caller, item.pk)


@router.get("/agents/{agent_id}", response=AgentOut, tags=["agents"])
def get_agent(request, agent_id: int):
    caller = caller_of(request)
    agent = _agent(caller, agent_id)
    caller.require("agents:read")
    return agent


@router.patch("/agents/{agent_id}", response=AgentOut, tags=["agents"])
def update_agent(request, agent_id: int, body: AgentPatch):
    caller = caller_of(request)
    agent = _agent(caller, agent_id)
    caller.require("agents:write")
    changes = body.dict(exclude_unset=True, exclude={"version"})
    if "site_id" in changes:
        changes["site"] = access_site(site_id=changes.pop("site_id"))
    workforce.update_agent(actor=caller.user, agent=agent, version=body.version, changes=changes)
    return _agent(caller, agent_id)


@router.post("/agents/{agent_id}/presence", response=AgentOut, tags=["agents"])
def set_presence(request, agent_id: int, body: PresenceIn):
    caller = caller_of(request)
    agent = _agent(caller, agent_id)
    caller.require("work:assign")
    agent = workforce.set_presence(agent=agent, presence=body.presence, reason=body.reason)
    if agent.presence == Agent.Presence.AVAILABLE:
        services.offer_waiting(agent=agent, client_ids=caller.client_ids)
    return _agent(caller, agent_id)


@router.get("/agents/{agent_id}/presence", response=list[PresenceChangeOut], tags=["agents"])
@paginate_by_cursor
def presence_history(request, agent_id: int):
    caller = caller_of(request)
    agent = _agent(caller, agent_id)
    caller.require("agents:read")
    return agent.presence_history.all()


@router.get("/agents/{agent_id}/clearances", response=list[ClearanceOut], tags=["agents"])
def list_clearances(request, agent_id: int):
    caller = caller_of(request)
    agent = _agent(caller, agent_id)
    caller.require("agents:read")
    return list(selectors.clearances_of(agent=agent, client_ids=caller.client_ids))


@router.post("/agents/{agent_id}/clearances", response={201: ClearanceOut}, tags=["agents"])
def add_clearance(request, agent_id: int, body: ClearanceIn):
    caller = caller_of(request)
    agent = _agent(caller, agent_id)
    engagement = access_engagement(client_ids=caller.client_ids, engagement_id=body.engagement_id)
    caller.require("agents:write")
    clearance = workforce.clear_agent(
        actor=caller.user,
        agent=agent,
        engagement=engagement,
        reachable_client_ids=reachable_client_ids(user=agent.user),
    )
    return Status(201, clearance)


@router.delete(
    "/agents/{agent_id}/clearances/{clearance_id}", response={204: None}, tags=["agents"]
)
def remove_clearance(request, agent_id: int, clearance_id: int):
    caller = caller_of(request)
    agent = _agent(caller, agent_id)
    clearance = (
        selectors.clearances_of(agent=agent, client_ids=caller.client_ids)
        .filter(pk=clearance_id)
        .first()
    )
    if clearance is None:
        raise NotFound("Clearance not found.")
    caller.require("agents:write")
    workforce.revoke_clearance(actor=caller.user, clearance=clearance)
    return Status(204, None)


# --- webhooks -------------------------------------------------------------------------


class WebhookIn(Schema):
    client_id: int = Field(ge=1, le=2**62)
    url: str = Field(max_length=500)
    kinds: list[str] = Field(default_factory=list, max_length=50)
    description: str = Field(default="", max_length=200)


class WebhookPatch(Schema):
    url: str = Field(default=None, max_length=500)
    kinds: list[str] = Field(default=None, max_length=50)
    description: str = Field(default=None, max_length=200)
    is_active: bool = Field(default=None)


class WebhookOut(Schema):
    id: int
    client_id: int = Field(ge=1, le=2**62)
    url: str
    kinds: list[str]
    description: str
    is_active: bool
    created_at: datetime


class WebhookCreatedOut(WebhookOut):
    secret: str


class SecretOut(Schema):
    secret: str


class WebhookFilters(Schema):
    client_id: int | None = Field(default=None, ge=1, le=2**62)
    is_active: bool | None = None


class DeliveryOut(Schema):
    id: int
    endpoint_id: int = Field(ge=1, le=2**62)
    event_id: int = Field(ge=1, le=2**62)
    event_kind: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str
    delivered_at: datetime | None

    @staticmethod
    def resolve_event_kind(delivery):
        return delivery.event.kind


class DeliveryFilters(Schema):
    status: Literal["pending", "delivered", "failed"] | None = None


def _endpoint(caller, endpoint_id: int):
    found = WebhookEndpoint.objects.filter(client_id__in=caller.client_ids, pk=endpoint_id).first()
    if found is None:
        raise NotFound("Webhook not found.")
    return found


@router.get("/webhooks", response=list[WebhookOut], tags=["webhooks"])
@paginate_by_cursor
def list_webhooks(request, filters: Query[WebhookFilters]):
    caller = caller_of(request)
    caller.require("work:read")
    found = WebhookEndpoint.objects.filter(client_id__in=caller.client_ids)
    if filters.client_id is not None:
        found = found.filter(client_id=filters.client_id)
    if filters.is_active is not None:
        found = found.filter(is_active=filters.is_active)
    return found


@router.post("/webhooks", response={201: WebhookCreatedOut}, tags=["webhooks"])
def create_webhook(request, body: WebhookIn):
    """The response holds the signing secret; it is shown this once."""
    caller = caller_of(request)
    if body.client_id not in caller.client_ids:
        raise NotFound("Client not found.")
    caller.require("webhooks:write")
    endpoint, secret = webhooks.create_endpoint(
        actor=caller.user,
        client=body.client_id,
        url=body.url,
        kinds=body.kinds,
        description=body.description,
    )
    return Status(201, {**WebhookOut.from_orm(endpoint).dict(), "secret": secret})


@router.get("/webhooks/{endpoint_id}", response=WebhookOut, tags=["webhooks"])
def get_webhook(request, endpoint_id: int):
    caller = caller_of(request)
    endpoint = _endpoint(caller, endpoint_id)
    caller.require("work:read")
    return endpoint


@router.patch("/webhooks/{endpoint_id}", response=WebhookOut, tags=["webhooks"])
def update_webhook(request, endpoint_id: int, body: WebhookPatch):
    caller = caller_of(request)
    endpoint = _endpoint(caller, endpoint_id)
    caller.require("webhooks:write")
    return webhooks.update_endpoint(actor=caller.user, endpoint=endpoint, **body.dict())


@router.delete("/webhooks/{endpoint_id}", response={204: None}, tags=["webhooks"])
def delete_webhook(request, endpoint_id: int):
    """Stops deliveries; the endpoint and its delivery log are kept."""
    caller = caller_of(request)
    endpoint = _endpoint(caller, endpoint_id)
    caller.require("webhooks:write")
    webhooks.update_endpoint(actor=caller.user, endpoint=endpoint, is_active=False)
    return Status(204, None)


@router.post("/webhooks/{endpoint_id}/rotate-secret", response=SecretOut, tags=["webhooks"])
def rotate_webhook_secret(request, endpoint_id: int):
    caller = caller_of(request)
    endpoint = _endpoint(caller, endpoint_id)
    caller.require("webhooks:write")
    return {"secret": webhooks.rotate_secret(actor=caller.user, endpoint=endpoint)}


@router.get("/webhooks/{endpoint_id}/deliveries", response=list[DeliveryOut], tags=["webhooks"])
@paginate_by_cursor
def list_deliveries(request, endpoint_id: int, filters: Query[DeliveryFilters]):
    caller = caller_of(request)
    endpoint = _endpoint(caller, endpoint_id)
    caller.require("work:read")
    found = WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event")
    if filters.status:
        found = found.filter(status=filters.status)
    return found


@router.post("/webhook-deliveries/{delivery_id}/redeliver", response=DeliveryOut, tags=["webhooks"])
def redeliver(request, delivery_id: int):
    caller = caller_of(request)
    delivery = (
        WebhookDelivery.objects.filter(client_id__in=caller.client_ids, pk=delivery_id)
        .select_related("endpoint", "event")
        .first()
    )
    if delivery is None:
        raise NotFound("Delivery not found.")
    caller.require("webhooks:write")
    return webhooks.redeliver(actor=caller.user, delivery=delivery)
