"""What the work item resources share: the item as every answer shows it, fetching
an item the caller may open, and the queue a write goes into."""

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from django.utils import timezone
from ninja import Field, Schema

from tercero.delivery.work import access, lifecycle, personal, registry, selectors, sla
from tercero.delivery.work.models import Channel, WorkItem
from tercero.platform.api.caller import Caller

SlaState = Literal["none", "on_track", "at_risk", "breached"]
if TYPE_CHECKING:  # a Literal built from the engine's tables is beyond a type checker
    ItemStatus = str
    ChannelName = str
else:
    ItemStatus = Literal[lifecycle.STATUSES]
    ChannelName = Literal[tuple(Channel.values)]
Skills = dict[str, int]


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
    payload: dict[str, Any]
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
    def resolve_required_skills(item: WorkItem) -> dict[str, int]:
        return {r.skill: r.min_level for r in item.required_skills.all()}

    @staticmethod
    def resolve_display(item: WorkItem) -> list[dict[str, object]]:
        """The labelled fields the work type shows an agent, in its order."""
        work_type = registry.find(item.work_type)
        shown = work_type.display(personal.shown(item.payload, work_type)) if work_type else []
        return [{"label": label, "value": value} for label, value in shown]

    @staticmethod
    def resolve_payload(item: WorkItem) -> dict[str, Any]:
        """Personal fields as their masks: clear values come only from /reveal."""
        return personal.shown(item.payload, registry.find(item.work_type))

    @staticmethod
    def resolve_allowed_actions(item: WorkItem) -> list[str]:
        return lifecycle.allowed_actions(item.status)

    @staticmethod
    def resolve_sla(item: WorkItem) -> dict[str, object]:
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


def _item(caller: Caller, item_id: int) -> WorkItem:
    item = selectors.access_item(client_ids=caller.client_ids, item_id=item_id)
    access.check(caller.user, item)
    return item
