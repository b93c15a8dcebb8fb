"""Work items: list and CSV export, create one, many or a CSV file, read and edit."""

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.renderers import JSONRenderer

from tercero.delivery.work import (
    access,
    csv_import,
    import_jobs,
    personal,
    registry,
    selectors,
    services,
    tasks,
)
from tercero.delivery.work.api._common import (
    ChannelName,
    ItemOut,
    ItemStatus,
    Skills,
    SlaState,
    _item,
)
from tercero.delivery.work.api.import_jobs import ImportJobOut, job_out
from tercero.delivery.work.csv_import import ImportReport
from tercero.delivery.work.models import WorkItem
from tercero.platform.api.caller import caller_of
from tercero.platform.api.errors import ErrorOut, refusal
from tercero.platform.api.inputs import patch_field
from tercero.platform.api.pagination import paginate_by_cursor
from tercero.platform.errors import NotFound

router = Router()


class ItemIn(Schema):
    queue_id: int = Field(ge=1, le=2**62)
    work_type: str = Field(max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict)
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
    items: list[dict[str, Any]] = Field(min_length=1, max_length=5000)
    all_or_nothing: bool = True


class BulkOut(Schema):
    created: list[int]
    errors: dict[int, dict[str, Any]]


class BulkRefusedOut(ErrorOut):
    """A 422: the error, and when rows were refused, which (nothing was created)."""

    created: list[int] = Field(default_factory=list)
    errors: dict[int, dict[str, Any]] = Field(default_factory=dict)


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
    title: str = patch_field(min_length=1, max_length=200)
    priority: int = patch_field(ge=1, le=4)
    language: str = patch_field(pattern=r"^([a-z]{2})?$")
    personal_data: bool = patch_field()
    external_ref: str = patch_field(max_length=200)
    payload: dict[str, Any] = patch_field()


@router.get("/work-items", response=list[ItemOut], tags=["work items"])
@paginate_by_cursor
def list_items(request: HttpRequest, filters: Query[ItemFilters]) -> QuerySet[WorkItem]:
    caller = caller_of(request)
    caller.require("work:read")
    found = selectors.items(client_ids=caller.client_ids, **filters.dict())
    return access.restrict(caller.user, found, caller.client_ids).prefetch_related(
        "required_skills"
    )


@router.get("/work-items.csv", tags=["work items"])
def export_items(request: HttpRequest, filters: Query[ItemFilters]) -> HttpResponse:
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
def create_item(request: HttpRequest, body: ItemIn) -> HttpResponse:
    caller = caller_of(request)
    queue = selectors.access_queue(client_ids=caller.client_ids, queue_id=body.queue_id)
    caller.require("work:write")
    item = services.create_item(actor=caller.user, queue=queue, **body.dict(exclude={"queue_id"}))
    answer = _RENDERER.render(request, created_answer(item), response_status=201)
    return HttpResponse(answer, status=201, content_type=_CONTENT_TYPE)  # nothing read back


def created_answer(item: WorkItem) -> dict[str, Any]:
    """The item just written, as `ItemOut` shows it, ready to render. Built from the
    item's values and the schema's resolvers, not validated back through ninja's
    attribute getter field by field (a fifth of a single create's CPU): intake made the
    item from checked values. Tests hold it equal to the answer a read of the item
    gives."""
    answer = {name: getattr(item, name) for name in _READ_OFF_THE_ITEM}
    work_type = registry.find(item.work_type)
    shown = personal.shown(item.payload, work_type)  # once, for the payload and the display
    answer["payload"] = shown
    answer["required_skills"] = ItemOut.resolve_required_skills(item)
    answer["allowed_actions"] = ItemOut.resolve_allowed_actions(item)
    answer["sla"] = ItemOut.resolve_sla(item)
    answer["display"] = [
        {"label": label, "value": value}
        for label, value in (work_type.display(shown) if work_type else [])
    ]
    return answer


# rendered as ninja renders a validated answer
_RENDERER = JSONRenderer()
_CONTENT_TYPE = f"{_RENDERER.media_type}; charset={_RENDERER.charset}"
_RESOLVED = {"payload", "required_skills", "allowed_actions", "sla", "display"}
_READ_OFF_THE_ITEM = tuple(name for name in ItemOut.model_fields if name not in _RESOLVED)


@router.post("/work-items/bulk", response={201: BulkOut, 422: BulkRefusedOut}, tags=["work items"])
def create_items(request: HttpRequest, body: BulkIn) -> Status[dict[str, Any]]:
    caller = caller_of(request)
    queue = selectors.access_queue(client_ids=caller.client_ids, queue_id=body.queue_id)
    caller.require("work:write")
    created, errors = services.create_items(
        actor=caller.user, queue=queue, rows=body.items, all_or_nothing=body.all_or_nothing
    )
    out: dict[str, Any] = {"created": [item.pk for item in created], "errors": errors}
    if errors and not created:
        return Status(422, refusal("No item was created.", code="invalid_rows", **out))
    return Status(201, out)


class ImportOut(Schema):
    rows: int
    created: list[int]
    errors: dict[int, dict[str, Any]]
    dry_run: bool


class ImportRefusedOut(ErrorOut):
    """A 422: the error, and when rows were refused, the report (nothing imported)."""

    rows: int = 0
    created: list[int] = Field(default_factory=list)
    errors: dict[int, dict[str, Any]] = Field(default_factory=dict)
    dry_run: bool = False


@router.post(
    "/work-items/import",
    response={201: ImportOut, 200: ImportOut, 202: ImportJobOut, 422: ImportRefusedOut},
    tags=["work items"],
)
def import_items(
    request: HttpRequest,
    file: File[UploadedFile],
    queue_id: Form[int],
    all_or_nothing: Form[bool] = True,
    dry_run: Form[bool] = False,
) -> Status[dict[str, Any]] | Status[ImportReport]:
    """CSV import: one row per item. With `all_or_nothing` (the default) a single bad row
    imports nothing; the report lists every row's errors by line number either way. A
    file of more rows than the server's job threshold (2,000 by default) is imported by
    a worker: the answer is a 202 with the import job, whose `url` shows its progress."""
    caller = caller_of(request)
    if not 1 <= queue_id <= 2**62:
        raise NotFound("Queue not found.")
    queue = selectors.access_queue(client_ids=caller.client_ids, queue_id=queue_id)
    caller.require("work:write")
    if not dry_run and import_jobs.is_large(file):
        job = import_jobs.start(
            actor=caller.user, queue=queue, upload=file, all_or_nothing=all_or_nothing
        )
        tasks.enqueue_import(job)
        return Status(202, job_out(job))
    report = csv_import.import_items(
        actor=caller.user, queue=queue, upload=file, all_or_nothing=all_or_nothing, dry_run=dry_run
    )
    if report["errors"] and not report["created"]:
        return Status(422, refusal("No row was imported.", code="invalid_rows", **report))
    return Status(200 if dry_run else 201, report)


@router.get("/work-items/{item_id}", response=ItemOut, tags=["work items"])
def get_item(request: HttpRequest, item_id: int) -> WorkItem:
    caller = caller_of(request)
    item = _item(caller, item_id)
    caller.require("work:read")
    access.record_view(user=caller.user, item=item)
    return item


@router.patch("/work-items/{item_id}", response=ItemOut, tags=["work items"])
def update_item(request: HttpRequest, item_id: int, body: ItemPatch) -> WorkItem:
    caller = caller_of(request)
    item = _item(caller, item_id)
    caller.require("work:write")
    changes = body.dict(exclude_unset=True, exclude={"version"})
    services.update_item(actor=caller.user, item=item, version=body.version, changes=changes)
    return _item(caller, item_id)
