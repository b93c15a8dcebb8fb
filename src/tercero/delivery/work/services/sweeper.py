"""The SLA sweeper: at-risk and breach alerts, once each, and the queue's escalation
rule."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Case, Exists, F, OuterRef, Value, When
from django.utils import timezone

from tercero.delivery.work import lifecycle, sla
from tercero.delivery.work.models import Queue, SlaAlert, WorkItem
from tercero.delivery.work.services._common import _end_assignment, _log
from tercero.platform.tenancy.scoping import all_clients_scope

_METRIC = Case(
    When(
        response_due_at__isnull=False,
        first_response_at__isnull=True,
        then=Value(sla.RESPONSE),
    ),
    default=Value(sla.RESOLUTION),
)


def sweep(*, now: datetime | None = None, limit: int = 1000) -> dict[str, int]:
    """Raise at-risk and breach alerts that are due, once each, and apply the queue's
    escalation rule. Safe to run from several schedulers at once: the unique
    (item, metric, kind) constraint lets exactly one alert through."""
    now = now or timezone.now()
    counts = {"at_risk": 0, "breached": 0}
    open_ = (lifecycle.NEW, lifecycle.QUEUED, lifecycle.ASSIGNED, lifecycle.IN_PROGRESS)
    with all_clients_scope():
        for kind, column in (("at_risk", "at_risk_at"), ("breached", "due_at")):
            raised = SlaAlert.objects.filter(
                item=OuterRef("pk"), kind=kind, metric=OuterRef("metric")
            )
            due = (
                WorkItem.objects.filter(status__in=open_, **{f"{column}__lte": now})
                .annotate(metric=_METRIC)
                .exclude(Exists(raised))
                .order_by(column)[:limit]
            )
            for item in due.select_related("queue"):
                if _raise_alert(item, kind=kind, now=now):
                    counts[kind] += 1
    return counts


def _raise_alert(item: WorkItem, *, kind: str, now: datetime) -> bool:
    metric = sla.current_metric(item)
    due_at = item.due_at if kind == "breached" else item.at_risk_at
    if metric is None or due_at is None or item.due_at is None:
        return False  # the sweep picks items that are due: a clock is running
    try:
        with transaction.atomic():
            SlaAlert.objects.create(
                client_id=item.client_id,
                item=item,
                metric=metric,
                kind=kind,
                due_at=due_at,
                raised_at=now,
            )
            _log(
                item,
                f"sla.{kind}",
                None,
                {"metric": metric, "due_at": item.due_at.isoformat()},
                at=now,
            )
            _escalate(item, kind=kind, now=now)
    except IntegrityError:
        return False  # another sweeper raised it
    return True


def _escalate(item: WorkItem, *, kind: str, now: datetime) -> None:
    queue = item.queue
    rule = queue.escalation
    if rule == Queue.Escalation.NONE:
        return
    if rule == Queue.Escalation.NOTIFY_LEAD:
        _log(
            item,
            "item.escalated",
            None,
            {"rule": rule, "on": kind, "notify_user_id": queue.team_lead_id},
            at=now,
        )
    elif rule == Queue.Escalation.RAISE_PRIORITY and item.priority > 1:
        WorkItem.objects.filter(pk=item.pk).update(
            priority=F("priority") - 1, version=F("version") + 1, updated_at=now
        )
        _log(
            item,
            "item.escalated",
            None,
            {"rule": rule, "on": kind, "priority": item.priority - 1},
            at=now,
        )
    elif (
        rule == Queue.Escalation.MOVE
        and queue.escalation_queue_id
        and kind == "breached"
        and (target := queue.escalation_queue) is not None
    ):
        if item.assignee_id:
            _end_assignment(item, reason="escalated")
        WorkItem.objects.filter(pk=item.pk).update(
            queue=target,
            status=lifecycle.QUEUED,
            assignee=None,
            queued_at=now,
            updated_at=now,
            version=F("version") + 1,
        )
        _log(
            item,
            "item.escalated",
            None,
            {"rule": rule, "on": kind, "to_queue_id": target.pk},
            at=now,
        )
