"""The steps every change to a pay run shares: which employees a period pays, locking
the run at the version the caller loaded, asking `lifecycle.RUN` before a move, making
the move, dropping results that no longer hold, and the audit event."""

from datetime import date

from django.db.models import Q, QuerySet

from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict
from tercero.services.payroll import lifecycle
from tercero.services.payroll.models import Employment, PayGroup, PayResult, PayRun


def eligible(pay_group: PayGroup, start: date, end: date) -> QuerySet[Employment]:
    """Employment rows in this pay group during the period."""
    return Employment.objects.filter(pay_group=pay_group, valid_from__lte=end).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=start)
    )


def eligible_ids(pay_group: PayGroup, start: date, end: date) -> list[int]:
    """Employees with an employment in this pay group during the period."""
    return sorted(set(eligible(pay_group, start, end).values_list("employee_id", flat=True)))


def locked(run: PayRun, version: int | None) -> PayRun:
    current = PayRun.objects.select_for_update().get(pk=run.pk)
    if version is not None and current.version != version:
        raise Conflict("The run changed since you loaded it; reload.", code="stale")
    return current


def audit(
    run: PayRun, action: str, actor: object, payload: dict | None = None, reason: str = ""
) -> None:
    record(
        action=action,
        actor=actor,
        client=run.client_id,
        object_type="pay_run",
        object_id=run.pk,
        reason=reason,
        payload=payload or {},
    )


def back_to_draft(run: PayRun) -> None:
    """Inputs or HR records changed: the results no longer hold."""
    PayResult.objects.filter(run=run).delete()
    PayRun.objects.filter(pk=run.pk).update(
        status=PayRun.Status.DRAFT,
        employees_done=0,
        flagged=0,
        gross_minor=0,
        deductions_minor=0,
        net_minor=0,
        employer_minor=0,
        calculated_at=None,
        version=run.version + 1,
    )


def expect(run: PayRun, action: str) -> None:
    """Refuse `action` unless the run's status allows it (409, the status in words)."""
    lifecycle.expect(lifecycle.RUN, action, run.status, run.get_status_display().lower())


def move(run: PayRun, status: str, **fields: object) -> None:
    PayRun.objects.filter(pk=run.pk).update(status=status, version=run.version + 1, **fields)
