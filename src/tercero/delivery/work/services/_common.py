"""Helpers the engine's services share: outbox events, the stale-version refusal, the
agent's row lock, ending an assignment, the first response, an item's language."""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from pydantic import BaseModel

from tercero.delivery.work import event_types, sla
from tercero.delivery.work.models import Assignment, WorkEvent, WorkItem
from tercero.delivery.workforce.models import Agent
from tercero.platform.errors import Conflict, InvalidInput

if TYPE_CHECKING:
    from tercero.delivery.work.registry import WorkType
    from tercero.platform.identity.models import User


def _event(
    item: WorkItem,
    kind: str,
    actor: "User | None",
    data: dict[str, Any],
    at: datetime | None = None,
) -> WorkEvent:
    """An outbox row about `item`, its data checked against the kind's schema."""
    return WorkEvent(
        client_id=item.client_id,
        item=item,
        engagement_id=item.engagement_id,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        data=event_types.checked(kind, data),
        at=at or timezone.now(),
    )


def _log(
    item: WorkItem,
    kind: str,
    actor: "User | None",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> WorkEvent:
    event = _event(item, kind, actor, data or {}, at)
    event.save()
    return event


def _stale() -> Conflict:
    return Conflict("The item changed since you loaded it; reload and retry.", code="stale_version")


def _end_assignment(item: WorkItem, *, reason: str) -> None:
    now = timezone.now()
    open_ = Assignment.objects.filter(item=item, ended_at__isnull=True).first()
    if open_ is None:
        return
    Assignment.objects.filter(pk=open_.pk).update(ended_at=now, end_reason=reason)
    if not Assignment.objects.filter(agent_id=open_.agent_id, ended_at__isnull=True).exists():
        Agent.objects.filter(pk=open_.agent_id).update(idle_since=now)


def _lock_agent(agent_id: int) -> Agent:
    return (
        Agent.objects.select_for_update(of=("self",))
        .select_related("site", "user")
        .get(pk=agent_id)
    )


def _first_response(item: WorkItem, now: datetime) -> None:
    if item.first_response_at is None:
        item.first_response_at = now
        sla.mirror(item)


def _language(work_type: "WorkType", payload: BaseModel, given: str | None) -> str:
    language = given
    if not language and work_type.language_field:
        language = getattr(payload, work_type.language_field, "") or ""
    language = (language or "").lower()
    if language and (len(language) != 2 or not language.isalpha()):
        raise InvalidInput("Language is an ISO 639-1 code.", fields={"language": language})
    return language
