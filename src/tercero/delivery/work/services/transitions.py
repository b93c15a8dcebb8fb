"""Moving items through their life cycle: an agent's actions, transfers, escalation by
hand, and closing an item for the record it stands for."""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from tercero.delivery.work import lifecycle, locks, registry, sla
from tercero.delivery.work.models import Queue, WorkEvent, WorkItem
from tercero.delivery.work.services._common import _end_assignment, _first_response, _log, _stale
from tercero.delivery.work.services.claims import offer, offer_waiting
from tercero.delivery.workforce.models import Agent
from tercero.platform.errors import IllegalTransition, InvalidInput
from tercero.platform.tenancy.scoping import all_clients_scope

if TYPE_CHECKING:
    from tercero.platform.identity.models import User


def transition(
    *,
    actor: "User | None",
    item: WorkItem,
    action: str,
    version: int | None = None,
    waiting_on: str = "",
    resolution: str = "",
    reason: str = "",
) -> WorkItem:
    """Move the item by `action` (see `lifecycle.ACTIONS`); 409 lists the legal moves."""
    if action not in lifecycle.ACTIONS or action in ("assign", "transfer"):
        raise InvalidInput(
            f"Unknown action {action!r}.",
            fields={"action": f"one of {', '.join(lifecycle.allowed_actions(item.status))}"},
        )
    with transaction.atomic():
        current = WorkItem.objects.select_for_update().get(pk=item.pk)
        if version is not None and current.version != version:
            raise _stale()
        target = _target(current, action, waiting_on)
        now = timezone.now()
        data: dict[str, Any] = {"from": current.status, "to": target}
        _stop_working(current, now)
        if current.status in lifecycle.WAITING and target not in lifecycle.WAITING:
            _unpause(current, now, data)  # before judging: the wait is not held against it
        if action == "resolve":
            _resolve(current, resolution, now, data)
        released_agent = _apply(current, action, target, now, waiting_on)
        current.status = target
        current.updated_at = now
        current.version += 1
        sla.mirror(current)
        current.save()
        if reason:
            data["reason"] = reason
        _moved(current, _log(current, f"item.{_past(action)}", actor, data, at=now))
    if released_agent and current.queue.routing != Queue.Routing.MANUAL:
        _refill(released_agent, current.client_id)
    if action in ("reopen", "unassign", "release") and current.queue.routing == "push":
        offer(item=current)
        current.refresh_from_db()
    return current


def _target(current: WorkItem, action: str, waiting_on: str) -> str:
    target = lifecycle.target_of(action, current.status, waiting_on=waiting_on)
    if target is not None:
        return target
    if action == "wait" and current.status == lifecycle.IN_PROGRESS:
        raise InvalidInput(
            "Say whom the item waits on.", fields={"waiting_on": "client or customer"}
        )
    raise IllegalTransition(
        f"An item that is {current.status} cannot {action}.",
        allowed=lifecycle.allowed_actions(current.status),
    )


def _resolve(current: WorkItem, resolution: str, now: datetime, data: dict[str, Any]) -> None:
    problems = _completion_problems(current, resolution)
    if problems:
        raise InvalidInput(
            "The item is not complete.", code="incomplete", fields={"checks": problems}
        )
    current.resolution = resolution
    current.resolved_at = now
    current.sla_met = None if current.due_at is None else now <= current.due_at
    data["sla_met"] = current.sla_met


def _unpause(current: WorkItem, now: datetime, data: dict[str, Any]) -> None:
    """The clock runs again: move every unmet moment by the business time waited."""
    if current.waiting_since is None:
        return  # it was not waiting: no pause to take off
    paused = sla.shift_for_pause(
        current, engagement=current.engagement, paused_from=current.waiting_since, paused_to=now
    )
    current.sla_paused_seconds += paused
    current.waiting_since, current.waiting_on = None, ""
    data["paused_business_seconds"] = paused


_STAMPS = {"close": "closed_at", "cancel": "cancelled_at", "release": "queued_at"}


def _apply(
    current: WorkItem, action: str, target: str, now: datetime, waiting_on: str
) -> int | None:
    """The action's own changes; returns the agent it freed, if any."""
    if action == "wait":
        current.waiting_since, current.waiting_on = now, waiting_on
        if waiting_on == "customer":
            _first_response(current, now)
    if target == lifecycle.IN_PROGRESS:
        current.working_since = now
        current.started_at = current.started_at or now
    if action in _STAMPS:
        setattr(current, _STAMPS[action], now)
    released = None
    if action in ("unassign", "reopen", "cancel", "resolve") and current.assignee_id:
        released = current.assignee_id
        _end_assignment(current, reason=action)
    if action in ("unassign", "reopen", "cancel"):
        current.assignee = None
    if action in ("unassign", "reopen"):
        current.queued_at = now
    if action == "reopen":
        current.reopen_count += 1
        current.resolved_at = current.closed_at = None
        current.sla_met = None
    return released


def _past(action: str) -> str:
    return {
        "release": "queued",
        "start": "started",
        "wait": "waiting",
        "resume": "resumed",
        "resolve": "resolved",
        "close": "closed",
        "reopen": "reopened",
        "cancel": "cancelled",
        "unassign": "unassigned",
    }[action]


def _moved(item: WorkItem, event: WorkEvent) -> None:
    """Let the item's work type react to the move in its transaction (`on_transition`)."""
    work_type = registry.find(item.work_type)
    if work_type is not None and work_type.on_transition is not None:
        work_type.on_transition(item, event)


def _stop_working(item: WorkItem, now: datetime) -> None:
    if item.working_since is not None:
        item.handle_seconds += max(int((now - item.working_since).total_seconds()), 0)
        item.working_since = None


def _completion_problems(item: WorkItem, resolution: str) -> list[str]:
    work_type = registry.get(item.work_type)
    problems = []
    if work_type.completion_check is not None:
        problems += work_type.completion_check(work_type.parse_stored(item.payload), resolution)
    if work_type.item_check is not None:
        problems += work_type.item_check(item.pk)
    return problems


def _refill(agent_id: int, client_id: int) -> None:
    agent = Agent.objects.filter(pk=agent_id).first()
    if agent is not None and agent.presence == Agent.Presence.AVAILABLE:
        with all_clients_scope():
            client_ids = sorted(
                set(agent.clearances.values_list("client_id", flat=True)) | {client_id}
            )
        offer_waiting(agent=agent, client_ids=client_ids)


def transfer(
    *,
    actor: "User | None",
    item: WorkItem,
    queue: Queue,
    version: int | None = None,
    reason: str = "",
) -> WorkItem:
    """Move the item to another queue of the same engagement; it is queued again there."""
    _check_transfer(item, queue)
    released = None
    with transaction.atomic():
        current = WorkItem.objects.select_for_update().get(pk=item.pk)
        if version is not None and current.version != version:
            raise _stale()
        if current.status not in lifecycle.ACTIONS["transfer"][0]:
            raise IllegalTransition(
                f"An item that is {current.status} cannot be transferred.",
                allowed=lifecycle.allowed_actions(current.status),
            )
        now = timezone.now()
        data = {"from_queue_id": current.queue_id, "to_queue_id": queue.pk, "from": current.status}
        if current.status in lifecycle.WAITING:
            _unpause(current, now, data)
        _stop_working(current, now)
        if current.assignee_id:
            released = current.assignee_id
            _end_assignment(current, reason="transferred")
        current.queue = queue
        current.status = lifecycle.QUEUED
        current.assignee = None
        current.queued_at = now
        current.updated_at = now
        current.version += 1
        current.save()
        if reason:
            data["reason"] = reason
        _log(current, "item.transferred", actor, data, at=now)
    if released:
        _refill(released, current.client_id)
    if queue.routing == Queue.Routing.PUSH:
        offer(item=current)
        current.refresh_from_db()
    return current


def _check_transfer(item: WorkItem, queue: Queue) -> None:
    if queue.engagement_id != item.engagement_id:
        raise InvalidInput(
            "Items move only between queues of the same engagement.",
            fields={"queue_id": "other engagement"},
        )
    if item.work_type not in queue.work_types:
        raise InvalidInput(
            f"Queue {queue.name!r} does not take {item.work_type!r} items.",
            fields={"queue_id": "wrong work type"},
        )
    if queue.pk == item.queue_id:
        raise InvalidInput("The item is already in that queue.", fields={"queue_id": "same queue"})


def escalate(*, actor: "User", item: WorkItem, reason: str, version: int | None = None) -> WorkItem:
    """Raise the item one priority step with a reason; when its queue names an
    escalation queue that takes this kind of work, the item moves there too."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why the item is escalated.", fields={"reason": "required"})
    if item.status not in lifecycle.OPEN:
        raise IllegalTransition(
            f"An item that is {item.status} cannot be escalated.",
            allowed=lifecycle.allowed_actions(item.status),
        )
    with transaction.atomic():
        current = WorkItem.objects.select_for_update().select_related("queue").get(pk=item.pk)
        if version is not None and current.version != version:
            raise _stale()
        now = timezone.now()
        before = current.priority
        current.priority = max(1, current.priority - 1)
        current.updated_at = now
        current.version += 1
        current.save(update_fields=["priority", "updated_at", "version"])
        _log(
            current,
            "item.escalated",
            actor,
            {"reason": reason[:1000], "priority_from": before, "priority_to": current.priority},
            at=now,
        )
    target = current.queue.escalation_queue
    if (
        target is not None
        and target.pk != current.queue_id
        and target.is_active
        and current.work_type in target.work_types
    ):
        return transfer(actor=actor, item=current, queue=target, reason=f"Escalated: {reason}")
    return current


# --- closing an item for the record it stands for ------------------------------------

RECORD_ENDS = {"resolve": lifecycle.RESOLVED, "cancel": lifecycle.CANCELLED}


def close_for_record(
    *, actor: "User | None", item_id: int, action: str, text: str
) -> WorkItem | None:
    """Resolve or cancel an open item, from whatever open status it is in, because the
    record it stands for has ended (a pay run finalised or cancelled). The service that
    owns the record decides, in its own transaction, so the agent's steps (assign,
    start) are not asked for; everything else is as `transition` does it: the work
    type's completion check, the SLA clock stopped and judged, the agent freed, and the
    same `item.resolved` or `item.cancelled` event (chained into the audit trail from
    the outbox), marked `for_record`, which the work type's `on_transition` sees. An item
    no longer open is left as it is (None)."""
    if action not in RECORD_ENDS:
        raise InvalidInput(f"Unknown action {action!r}.", fields={"action": "resolve or cancel"})
    current = locks.lock_item(item_id=item_id)
    if current.status not in lifecycle.OPEN:
        return None
    now = timezone.now()
    data: dict[str, Any] = {"from": current.status, "to": RECORD_ENDS[action], "for_record": True}
    if current.status in lifecycle.WAITING:
        _unpause(current, now, data)  # the clock is judged with the pause taken off
    if action == "resolve":
        _resolve(current, text, now, data)
    else:
        data["reason"] = text
    _stop_working(current, now)
    released = _apply(current, action, RECORD_ENDS[action], now, "")
    current.status = RECORD_ENDS[action]
    current.updated_at = now
    current.version += 1
    sla.mirror(current)
    current.save()
    _moved(current, _log(current, f"item.{_past(action)}", actor, data, at=now))
    if released and current.queue.routing != Queue.Routing.MANUAL:
        client_id = current.client_id
        transaction.on_commit(lambda: _refill(released, client_id))
    return current
