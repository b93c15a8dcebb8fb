"""Queues: creating and editing them, their own working hours included."""

from typing import Any

from django.db import IntegrityError, transaction

from tercero.delivery.engagements.models import Engagement
from tercero.delivery.work import queue_hours, registry
from tercero.delivery.work.models import Queue
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.identity.models import User
from tercero.platform.versioning import update_versioned


def create_queue(
    *,
    actor: User | None,
    engagement: Engagement,
    name: str,
    work_types: list[str] | None = None,
    priority: int = 3,
    routing: str = Queue.Routing.PULL,
    push_strategy: str = Queue.PushStrategy.LONGEST_IDLE,
    at_risk_percent: int = 80,
    escalation: str = Queue.Escalation.NONE,
    escalation_queue: Queue | None = None,
    team_lead: User | None = None,
    team_lead_id: int | None = None,
    is_active: bool = True,
    has_own_hours: bool = False,
    working_hours: dict[str, list[list[str]]] | None = None,
) -> Queue:
    """A new queue of `engagement`; its team lead by row (`team_lead`) or by id. It
    follows the engagement's hours unless `has_own_hours` (then `working_hours`)."""
    queue = Queue(
        client_id=engagement.client_id,
        engagement=engagement,
        name=name,
        work_types=work_types or [],
        priority=priority,
        routing=routing,
        push_strategy=push_strategy,
        at_risk_percent=at_risk_percent,
        escalation=escalation,
        escalation_queue=escalation_queue,
        team_lead_id=team_lead.pk if team_lead is not None else team_lead_id,
        is_active=is_active,
        has_own_hours=has_own_hours,
        working_hours=working_hours or {},
    )
    _validate_queue(queue)
    queue.working_hours = queue_hours.cleaned(queue.working_hours)
    try:
        with transaction.atomic():
            queue.save()
            record(
                action="queue.created",
                actor=actor,
                client=engagement.client_id,
                object_type="queue",
                object_id=queue.pk,
                payload={
                    "name": queue.name,
                    "routing": queue.routing,
                    "hours": queue_hours.in_words(queue),
                },
            )
    except IntegrityError as error:
        raise Conflict(
            "This engagement already has a queue with that name.", fields={"name": "already used"}
        ) from error
    return queue


def update_queue(*, actor: User, queue: Queue, version: int, changes: dict[str, Any]) -> Queue:
    """Change the queue at `version`; a change of its hours is audited with the hours
    in words, before and after."""
    before = queue_hours.in_words(queue)
    for name, value in changes.items():
        setattr(queue, name, value)
    _validate_queue(queue)
    if "working_hours" in changes:
        changes = {**changes, "working_hours": queue_hours.cleaned(queue.working_hours)}
    payload: dict[str, Any] = {"fields": sorted(changes)}
    if {"has_own_hours", "working_hours"} & set(changes):
        payload["hours_before"], payload["hours"] = before, queue_hours.in_words(queue)
    with transaction.atomic():
        update_versioned(
            Queue,
            pk=queue.pk,
            version=version,
            changes=changes,
            what="queue",
            taken=("name", "This engagement already has a queue with that name."),
        )
        record(
            action="queue.updated",
            actor=actor,
            client=queue.client_id,
            object_type="queue",
            object_id=queue.pk,
            payload=payload,
        )
    queue.refresh_from_db()
    return queue


def _validate_queue(queue: Queue) -> None:
    fields: dict[str, str] = {}
    unknown = [key for key in queue.work_types if key not in {t.key for t in registry.all_types()}]
    if unknown:
        fields["work_types"] = f"unknown work types: {', '.join(unknown)}"
    if not 1 <= queue.priority <= 4:
        fields["priority"] = "1 (highest) to 4"
    if not 1 <= queue.at_risk_percent <= 99:
        fields["at_risk_percent"] = "1 to 99"
    target = queue.escalation_queue
    if target is None and queue.escalation == Queue.Escalation.MOVE:
        fields["escalation_queue_id"] = "moving on escalation needs an escalation queue"
    # whatever the escalation rule, the target never lies in another engagement (or client)
    elif target is not None and (
        target.engagement_id != queue.engagement_id or target.pk == queue.pk
    ):
        fields["escalation_queue_id"] = "another queue of the same engagement"
    hours = queue_hours.problems(queue.working_hours)
    if hours and (queue.has_own_hours or queue.working_hours):
        fields["working_hours"] = " ".join(hours)
    if fields:
        raise InvalidInput("The queue is not valid.", fields=fields)
