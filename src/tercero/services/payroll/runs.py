"""Every change to a pay run: creating it (with its `payroll.run` work item), importing
inputs (`run_inputs`), calculating (`calculation`), maker-checker approval and
finalising. Callers use this module's names for all of them.

The statuses and the moves between them are `lifecycle.RUN`; each change asks it first
(`run_steps.expect`). The run's work item follows the run in the same transaction:
finalising resolves it, cancelling cancels it (the engine's `close_for_record`).
"""

from datetime import date

from django.db import transaction
from django.utils import timezone

from tercero.delivery.work import selectors as work_selectors
from tercero.delivery.work import services as work_services
from tercero.platform.errors import Conflict, InvalidInput, PermissionDenied
from tercero.platform.identity.roles import Role
from tercero.services.payroll import (
    calc,
    events,
    groups,
    journal,
    lifecycle,
    outputs,
    paydates,
    tasks,
)
from tercero.services.payroll import run_steps as steps
from tercero.services.payroll.calculation import (
    CHUNK,
    INLINE_LIMIT,
    calculate,
    period_salary,
    review_variance,
    setting_of,
    snapshots,
    start_calculation,
)
from tercero.services.payroll.models import PayGroup, PayResult, PayRun, Posting
from tercero.services.payroll.run_inputs import (
    MAX_INPUT_BYTES,
    MAX_INPUT_ROWS,
    InputReport,
    import_inputs,
    importable_inputs,
)
from tercero.services.payroll.tasks import enqueue_calculation

__all__ = [
    "CHUNK",
    "INLINE_LIMIT",
    "MAX_INPUT_BYTES",
    "MAX_INPUT_ROWS",
    "InputReport",
    "actions",
    "approve",
    "calculate",
    "cancel",
    "create_run",
    "enqueue_calculation",
    "finalise",
    "finalised_text",
    "import_inputs",
    "importable_inputs",
    "period_salary",
    "review_variance",
    "send_back",
    "setting_of",
    "snapshots",
    "start_calculation",
    "submit",
]


def create_run(
    *,
    actor,
    pay_group: PayGroup,
    period_start: date,
    period_end: date,
    pay_date: date,
    kind: str = PayRun.Kind.REGULAR,
    variance_percent: int = 10,
) -> PayRun:
    """A run for one period of a pay group, and the work item the payroll team works it
    as (in the engagement's queue that takes `payroll.run`)."""
    if period_end < period_start:
        raise InvalidInput("The period ends before it starts.", fields={"period_end": "order"})
    if kind not in PayRun.Kind.values:
        raise InvalidInput("Unknown kind of run.", fields={"kind": "regular or off_cycle"})
    if not 0 < variance_percent <= 1000:
        raise InvalidInput("Variance threshold is 1 to 1000 %.", fields={"variance_percent": ""})
    calc.rule_set(pay_group.rules)  # a broken rule set is refused before anything exists
    if kind == PayRun.Kind.REGULAR:
        paydates.require_period(pay_group, start=period_start, end=period_end, pay_date=pay_date)
    tax_year, period = calc.tax_period(
        jurisdiction=pay_group.jurisdiction, frequency=pay_group.frequency, pay_date=pay_date
    )
    queue = work_selectors.queue_taking(
        engagement_id=pay_group.engagement_id, work_type="payroll.run"
    )
    if queue is None:
        raise InvalidInput(
            "No queue of this engagement takes payroll runs; add payroll.run to one.",
            code="no_queue",
        )
    with transaction.atomic():
        if (
            kind == PayRun.Kind.REGULAR
            and PayRun.objects.filter(pay_group=pay_group, tax_year=tax_year, period=period)
            .filter(kind=kind)
            .exclude(status=PayRun.Status.CANCELLED)
            .exists()
        ):
            raise Conflict(
                f"Period {period} of {tax_year} already has a regular run; use an off-cycle run.",
                code="period_taken",
            )
        run = PayRun.objects.create(
            client_id=pay_group.client_id,
            pay_group=pay_group,
            kind=kind,
            tax_year=tax_year,
            period=period,
            period_start=period_start,
            period_end=period_end,
            pay_date=pay_date,
            rules_version=groups.current_rules(pay_group, actor=actor).number,
            variance_percent=variance_percent,
            employees_total=len(steps.eligible_ids(pay_group, period_start, period_end)),
        )
        item = work_services.create_item(
            actor=actor,
            queue=queue,
            work_type="payroll.run",
            payload={
                "run_id": run.pk,
                "pay_group": pay_group.name,
                "tax_year": tax_year,
                "period": period,
                "pay_date": pay_date.isoformat(),
                "kind": kind,
            },
        )
        PayRun.objects.filter(pk=run.pk).update(work_item=item)
        steps.audit(run, "payroll.run.created", actor, {"period": period, "tax_year": tax_year})
    run.refresh_from_db()
    return run


def submit(*, actor, run: PayRun, version: int | None) -> PayRun:
    """The provider's preparer sends the calculated run to the client for approval."""
    with transaction.atomic():
        current = steps.locked(run, version)
        steps.expect(current, "submit")
        if not actor.is_provider_staff:
            raise PermissionDenied("The provider's payroll team prepares runs.")
        negative = PayResult.objects.filter(run=current, net_minor__lt=0).count()
        if negative:
            raise Conflict(
                f"{negative} employees have a negative net pay; correct their inputs first.",
                code="negative_net",
            )
        steps.move(current, PayRun.Status.SUBMITTED, prepared_by=actor, note="")
        steps.audit(current, "payroll.run.submitted", actor)
    run.refresh_from_db()
    return run


def approve(*, actor, run: PayRun, version: int | None) -> PayRun:
    """The client's approver (a client admin of the run's client, never the preparer)
    approves the calculated figures."""
    with transaction.atomic():
        current = steps.locked(run, version)
        steps.expect(current, "approve")
        if actor.role != Role.CLIENT_ADMIN or actor.client_id != current.client_id:
            raise PermissionDenied("Only the client's administrators approve pay runs.")
        if actor.pk == current.prepared_by_id:
            raise PermissionDenied("The preparer cannot approve their own run.")
        steps.move(current, PayRun.Status.APPROVED, approved_by=actor)
        steps.audit(current, "payroll.run.approved", actor)
    run.refresh_from_db()
    return run


def send_back(*, actor, run: PayRun, version: int | None, note: str) -> PayRun:
    """The approver returns the run to the preparer with a reason."""
    note = (note or "").strip()
    if len(note) < 10:
        raise InvalidInput("Say what must change (10 characters or more).", fields={"note": ""})
    with transaction.atomic():
        current = steps.locked(run, version)
        steps.expect(current, "send_back")
        if actor.role != Role.CLIENT_ADMIN or actor.client_id != current.client_id:
            raise PermissionDenied("Only the client's administrators review pay runs.")
        steps.move(current, PayRun.Status.CALCULATED, note=note[:500])
        steps.audit(current, "payroll.run.sent_back", actor, reason=note[:500])
    run.refresh_from_db()
    return run


def finalise(*, actor, run: PayRun, version: int | None) -> PayRun:
    """Lock the approved run for good, post its journal, resolve its item and publish
    `payroll.run.finalised`. Payslips go out by e-mail after this (tasks.email_payslips);
    bank files can be released."""
    with transaction.atomic():
        current = steps.locked(run, version)
        steps.expect(current, "finalise")
        if not actor.is_provider_staff:
            raise PermissionDenied("The provider's payroll team finalises runs.")
        entries = journal.entries(current)
        Posting.objects.bulk_create(
            [
                Posting(
                    client_id=current.client_id,
                    run=current,
                    account=entry.account,
                    description=entry.description,
                    debit_minor=entry.debit_minor,
                    credit_minor=entry.credit_minor,
                    currency=current.pay_group.currency,
                )
                for entry in entries
            ]
        )
        steps.move(current, PayRun.Status.FINALISED, finalised_at=timezone.now())
        steps.audit(current, "payroll.run.finalised", actor, {"net_minor": current.net_minor})
        _close_item(current, actor, "resolve", finalised_text(current))
        _publish_finalised(current, actor)
        transaction.on_commit(lambda: _email_payslips(current.pk))
    run.refresh_from_db()
    return run


def _publish_finalised(run: PayRun, actor) -> None:
    """The `payroll.run.finalised` event: the run's period, head count and net total."""
    group = run.pay_group
    work_services.publish(
        kind=events.RUN_FINALISED,
        client_id=run.client_id,
        item=run.work_item,
        engagement_id=group.engagement_id,
        actor=actor,
        data={
            "run_id": run.pk,
            "pay_group_id": group.pk,
            "pay_group": group.name,
            "kind": run.kind,
            "tax_year": run.tax_year,
            "period": run.period,
            "period_start": run.period_start,
            "period_end": run.period_end,
            "pay_date": run.pay_date,
            "employees": run.employees_total,
            "net_minor": run.net_minor,
            "currency": group.currency,
        },
    )


def _email_payslips(run_id: int) -> None:
    tasks.email_payslips.enqueue(run_id)


def cancel(*, actor, run: PayRun, version: int | None, reason: str) -> PayRun:
    """Drop a draft or calculated run (its period may be run again); its item is
    cancelled with it."""
    reason = (reason or "").strip()[:500]
    with transaction.atomic():
        current = steps.locked(run, version)
        steps.expect(current, "cancel")
        PayResult.objects.filter(run=current).delete()
        steps.move(current, PayRun.Status.CANCELLED, note=reason)
        steps.audit(current, "payroll.run.cancelled", actor, reason=reason)
        _close_item(current, actor, "cancel", f"Pay run cancelled: {reason or 'no reason given'}")
    run.refresh_from_db()
    return run


def finalised_text(run: PayRun) -> str:
    """What the run's item says when the run is finalised."""
    currency = run.pay_group.currency
    employees = "1 employee" if run.employees_total == 1 else f"{run.employees_total} employees"
    return f"Pay run finalised: {employees}, net {outputs.amount_text(run.net_minor, currency)}."


def _close_item(run: PayRun, actor, action: str, text: str) -> None:
    """The run's item ends with the run (an item already closed stays as it is)."""
    if run.work_item_id is not None:
        work_services.close_for_record(
            actor=actor, item_id=run.work_item_id, action=action, text=text
        )


def actions(run: PayRun) -> list[str]:
    """What may be done to the run now (by whom is each action's own rule)."""
    return lifecycle.offered(lifecycle.RUN, run.status)
