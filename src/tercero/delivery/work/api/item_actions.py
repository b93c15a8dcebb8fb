"""What people do to an item: move it through its life cycle, assign, transfer,
comment; and its events."""

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from tercero.delivery.work import lifecycle, rules, selectors, services
from tercero.delivery.work.api._common import ItemOut, _item
from tercero.delivery.work.models import Comment, WorkEvent, WorkItem
from tercero.platform.api.caller import caller_of
from tercero.platform.api.pagination import paginate_by_cursor

router = Router()

if TYPE_CHECKING:  # a Literal built from the life cycle's table is beyond a type checker
    Action = str
else:
    Action = Literal[tuple(a for a in lifecycle.ACTIONS if a not in ("assign", "transfer"))]


class TransitionIn(Schema):
    action: Action
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
    def resolve_author_name(comment: Comment) -> str:
        return comment.author.full_name


class EventOut(Schema):
    id: int
    item_id: int | None
    kind: str
    actor_id: int | None
    data: dict[str, Any]
    at: datetime


@router.post("/work-items/{item_id}/transitions", response=ItemOut, tags=["work items"])
def transition_item(request: HttpRequest, item_id: int, body: TransitionIn) -> WorkItem:
    caller = caller_of(request)
    item = _item(caller, item_id)
    caller.require("work:write")
    rules.require_may(
        user=caller.user, permissions=caller.permissions, item=item, action=body.action
    )
    services.transition(actor=caller.user, item=item, **body.dict())
    return _item(caller, item_id)


@router.post("/work-items/{item_id}/assign", response=ItemOut, tags=["work items"])
def assign_item(request: HttpRequest, item_id: int, body: AssignIn) -> WorkItem:
    caller = caller_of(request)
    item = _item(caller, item_id)
    caller.require("work:assign")
    agent = selectors.access_agent(client_ids=[item.client_id], agent_id=body.agent_id)
    services.assign(actor=caller.user, item=item, agent=agent, version=body.version)
    return _item(caller, item_id)


@router.post("/work-items/{item_id}/transfer", response=ItemOut, tags=["work items"])
def transfer_item(request: HttpRequest, item_id: int, body: TransferIn) -> WorkItem:
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
def list_comments(request: HttpRequest, item_id: int) -> QuerySet[Comment]:
    caller = caller_of(request)
    item = _item(caller, item_id)
    caller.require("work:read")
    return selectors.comments_of(item=item, include_internal=caller.user.is_provider_staff)


@router.post("/work-items/{item_id}/comments", response={201: CommentOut}, tags=["work items"])
def add_comment(request: HttpRequest, item_id: int, body: CommentIn) -> Status[Comment]:
    caller = caller_of(request)
    item = _item(caller, item_id)
    caller.require("work:write")
    internal = body.internal and caller.user.is_provider_staff
    return Status(
        201, services.comment(actor=caller.user, item=item, body=body.body, internal=internal)
    )


@router.get("/work-items/{item_id}/events", response=list[EventOut], tags=["work items"])
@paginate_by_cursor
def list_events(request: HttpRequest, item_id: int) -> QuerySet[WorkEvent]:
    caller = caller_of(request)
    item = _item(caller, item_id)
    caller.require("work:read")
    return selectors.events_of(item=item)
