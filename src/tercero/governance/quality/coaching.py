"""What follows a failed critical criterion, exactly once: a coaching task for the agent's
team lead and, when the engagement's rule says so and the work is back office, the item
sent back for rework (reopened through the engine with a reason naming the evaluation).

Both happen in the outbox consumer's transaction with its receipt, and the coaching task
(unique per evaluation) records the reopened item: a worker killed between the two
leaves neither, and the next run does both, once."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from tercero.delivery.work import lifecycle, locks, registry
from tercero.delivery.work import services as work
from tercero.delivery.work.outbox import Consumer
from tercero.governance.quality import events
from tercero.governance.quality.models import CoachingTask, Evaluation
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.tenancy.scoping import client_scope
from tercero.platform.versioning import update_versioned


def on_submitted(event: Any) -> None:
    """A critical failure's coaching task and rework (the consumer's handler)."""
    if not event.data.get("critical_failed"):
        return
    with client_scope(clients=[event.client_id]):
        evaluation = (
            Evaluation.objects.filter(pk=event.data["evaluation_id"])
            .select_related("sample__rule")
            .first()
        )
        if evaluation is not None and evaluation.critical_failed:
            follow_up(evaluation=evaluation)


CONSUMER = Consumer(
    name="quality.critical", handle=on_submitted, kinds=frozenset({events.EVALUATION_SUBMITTED})
)


def follow_up(*, evaluation: Evaluation) -> CoachingTask | None:
    """Open the coaching task and send the item back for rework, once; None when done
    before."""
    with transaction.atomic():
        if CoachingTask.objects.filter(evaluation=evaluation).exists():
            return None
        task = CoachingTask.objects.create(
            client_id=evaluation.client_id,
            evaluation=evaluation,
            agent_id=evaluation.agent_id,
            team_lead_id=evaluation.team_lead_id,
        )
        record(
            action="quality.coaching.opened",
            client=evaluation.client_id,
            object_type="quality_coaching_task",
            object_id=task.pk,
            payload={"evaluation_id": evaluation.pk, "agent_id": evaluation.agent_id},
        )
        if _reworks(evaluation):
            task.rework_item_id = send_back(evaluation=evaluation)
            task.save(update_fields=["rework_item_id"])
    return task


def _reworks(evaluation: Evaluation) -> bool:
    rule = evaluation.sample.rule if evaluation.sample is not None else None
    work_type = registry.find(rule.work_type) if rule is not None else None
    return bool(rule and rule.rework_on_critical and work_type and work_type.office == "back")


def send_back(*, evaluation: Evaluation) -> int | None:
    """Reopen the evaluated item for rework; None when it is not resolved or closed."""
    item = locks.lock_item(item_id=evaluation.source_item_id)
    if item.status not in (lifecycle.RESOLVED, lifecycle.CLOSED):
        return None
    work.transition(
        actor=None,
        item=item,
        action="reopen",
        reason=f"Sent back for rework: quality evaluation #{evaluation.pk} failed a critical "
        "criterion.",
    )
    return int(item.pk)


def mark_done(*, actor: Any, task: CoachingTask, version: int, note: str) -> CoachingTask:
    """The team lead coached the agent: the task is done, with a note."""
    note = (note or "").strip()
    if not note:
        raise InvalidInput("Say what was done (the note).", fields={"note": "required"})
    if task.status == CoachingTask.Status.DONE:
        raise Conflict("This coaching task is already done.", fields={"status": "done"})
    with transaction.atomic():
        update_versioned(
            CoachingTask,
            pk=task.pk,
            version=version,
            changes={
                "status": CoachingTask.Status.DONE,
                "note": note[:2000],
                "done_at": timezone.now(),
                "done_by": actor,
            },
            what="coaching task",
        )
        record(
            action="quality.coaching.done",
            actor=actor,
            client=task.client_id,
            object_type="quality_coaching_task",
            object_id=task.pk,
            payload={"evaluation_id": task.evaluation_id},
        )
    task.refresh_from_db()
    return task
