"""HR changes a client asks for (a `payroll.hr_event` work item): an HR agent applies the
request to the records, a second person checks the records against the request and
verifies it, and only then may the item be resolved.

Applying goes through the same services as any HR change (hire, change_employment,
leave), so every identifier is checked again and every personal field is sealed under
the client's key; the agent never needs to see the clear values. Until it is verified an
application can be undone (the rows it wrote are removed, the rows it closed reopened);
a verified change is corrected by a new change, never by rewriting history. The moves
between applied, verified and undone are `lifecycle.HR_CHANGE`.
"""

from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from tercero.delivery.work import lifecycle as work_lifecycle
from tercero.delivery.work import locks, personal
from tercero.delivery.work import services as work_services
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput, PermissionDenied
from tercero.platform.security import crypto
from tercero.services.payroll import events, lifecycle, selectors, services
from tercero.services.payroll.models import (
    Employee,
    Employment,
    HrEvent,
    PayGroup,
    PayInput,
    PayResult,
    PayRun,
)
from tercero.services.payroll.worktypes import HR_EVENT, HrEventPayload

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkItem

WORK_TYPE = HR_EVENT.key
LABELS = dict(HR_EVENT.display_fields)


def event_of(item: "WorkItem") -> HrEvent | None:
    return HrEvent.objects.filter(work_item=item).select_related("applied_by").first()


def request_of(item: "WorkItem") -> HrEventPayload:
    """The request with its personal fields opened (for applying and comparing only;
    nothing here is shown or logged)."""
    if item.work_type != WORK_TYPE:
        raise InvalidInput("This item is not an HR change.", fields={"item": WORK_TYPE})
    clear = {**item.payload, **personal.opened(item.payload, HR_EVENT.personal_fields)}
    return HR_EVENT.parse({k: v for k, v in clear.items() if v is not None})


def _employee(item: "WorkItem", number: str) -> Employee:
    found = Employee.objects.filter(client_id=item.client_id, employee_number=number).first()
    if found is None:
        raise InvalidInput(
            f"No employee numbered {number!r} at this client.",
            fields={"employee_number": "not found"},
        )
    return found


def _pay_group(item: "WorkItem", name: str) -> PayGroup | None:
    if not name:
        return None
    found = PayGroup.objects.filter(client_id=item.client_id, name=name).first()
    if found is None:
        raise InvalidInput(
            f"No pay group named {name!r} at this client.", fields={"pay_group": "not found"}
        )
    return found


def require_holder(*, user, permissions, item: "WorkItem") -> None:
    """Applying is the work of the agent holding the item (or of a team lead)."""
    if "work:assign" in permissions:
        return
    if item.assignee_id is None or item.assignee.user_id != user.pk:
        raise PermissionDenied("Only the agent holding the item (or a team lead) may apply it.")


def status_of(event: HrEvent | None) -> str:
    """The HR change's status in `lifecycle.HR_CHANGE` (not applied: no row yet)."""
    return lifecycle.NOT_APPLIED if event is None else event.status


def actions(event: HrEvent | None) -> list[str]:
    """What may be done to the HR change now (who may is each action's own rule)."""
    return lifecycle.offered(lifecycle.HR_CHANGE, status_of(event))


def _expect(event: HrEvent | None, action: str) -> None:
    """Refuse `action` unless the HR change's status allows it (409)."""
    words = "not applied" if event is None else event.get_status_display().lower()
    lifecycle.expect(lifecycle.HR_CHANGE, action, status_of(event), words)


def apply(*, actor, item: "WorkItem") -> HrEvent:
    """Write the requested change to the HR records, once, and publish
    `payroll.hr_change.applied` (which change, to which employee id: nothing personal)."""
    asked = request_of(item)
    with transaction.atomic():
        # one application at a time per item: a second waits here, then finds the first
        locked = locks.lock_item(item_id=item.pk)
        if locked.status not in work_lifecycle.WITH_AGENT:
            raise Conflict("Only an item being worked can be applied.", code="not_in_progress")
        existing = HrEvent.objects.select_for_update().filter(work_item=item).first()
        _expect(existing, "apply")
        employee, undo = _APPLY[asked.event](actor, item, asked)
        fields = dict(
            client_id=item.client_id,
            kind=asked.event,
            employee=employee,
            employee_number=asked.employee_number,
            effective=asked.effective,
            status=HrEvent.Status.APPLIED,
            undo=undo,
            applied_by=actor,
            applied_at=timezone.now(),
            verified_by=None,
            verified_at=None,
            note="",
        )
        if existing is None:
            event = HrEvent.objects.create(work_item=item, **fields)
        else:
            HrEvent.objects.filter(pk=existing.pk).update(**fields, version=existing.version + 1)
            event = HrEvent.objects.get(pk=existing.pk)
        record(
            action="payroll.hr_event.applied",
            actor=actor,
            client=item.client_id,
            object_type="work_item",
            object_id=item.pk,
            payload={"event": asked.event, "employee": employee.pk},
        )
        work_services.publish(
            kind=events.HR_CHANGE_APPLIED,
            client_id=item.client_id,
            item=item,
            actor=actor,
            data={
                "hr_change_id": event.pk,
                "item_id": item.pk,
                "change": asked.event,
                "employee_id": employee.pk,
            },
        )
        work_services.comment(
            actor=actor,
            item=item,
            body=f"Applied to the HR records: {asked.event} of {asked.employee_number} "
            f"from {asked.effective:%d %b %Y}. Waiting for a second person to verify.",
            internal=True,
        )
    return event


def _hire(actor, item, asked: HrEventPayload):
    employee = services.hire(
        actor=actor,
        client_id=item.client_id,
        employee_number=asked.employee_number,
        full_name=asked.full_name,
        country=asked.country,
        start=asked.effective,
        pay_group=_pay_group(item, asked.pay_group)
        or _refuse("A hire needs a pay group.", "pay_group"),
        annual_salary=asked.annual_salary or None,
        hourly_rate=asked.hourly_rate or None,
        contracted_hours=asked.contracted_hours or None,
        date_of_birth=asked.date_of_birth.isoformat() if asked.date_of_birth else "",
        address=asked.address,
        national_id=asked.national_id,
        iban=asked.iban,
        routing_number=asked.routing_number,
        account_number=asked.account_number,
        email=asked.email,
        tax_code=asked.tax_code,
        ni_category=asked.ni_category,
        student_loan_plans=asked.student_loan_plans,
        director_since=asked.director_since,
        director_nic_method=asked.director_nic_method,
        department=asked.department,
        position=asked.position,
        previous_pay=asked.previous_pay or None,
        previous_tax=asked.previous_tax or None,
    )
    return employee, {"employee": employee.pk}


def _refuse(message: str, field: str):
    raise InvalidInput(message, fields={field: "required"})


def _closing(employee: Employee, day: date) -> dict:
    """How the row in force on `day` stands now, to put it back on undo."""
    current = selectors.employment_on(employee=employee, day=day)
    if current is None:
        raise Conflict("The employee is not employed on that day.", code="not_employed")
    valid_to = current.valid_to.isoformat() if current.valid_to else None
    return {"id": current.pk, "valid_to": valid_to, "reason": current.reason}


def _change(actor, item, asked: HrEventPayload):
    employee = _employee(item, asked.employee_number)
    pay_group = _pay_group(item, asked.pay_group)
    restore = _closing(employee, asked.effective)
    # a field the event leaves blank stays as it is
    made = services.change_employment(
        actor=actor,
        employee=employee,
        effective=asked.effective,
        pay_group=pay_group,
        annual_salary=asked.annual_salary or None,
        hourly_rate=asked.hourly_rate or None,
        contracted_hours=asked.contracted_hours or None,
        department=asked.department or None,
        position=asked.position or None,
        reason=asked.reason,
    )
    return employee, {"delete": [made.pk], "restore": [restore]}


def _leave(actor, item, asked: HrEventPayload):
    employee = _employee(item, asked.employee_number)
    restore = _closing(employee, asked.effective)
    made = [
        services.change_employment(
            actor=actor,
            employee=employee,
            effective=asked.effective,
            status=Employment.Status.ON_LEAVE,
            reason=asked.reason or "leave of absence",
        )
    ]
    if asked.return_date:
        made.append(
            services.change_employment(
                actor=actor,
                employee=employee,
                effective=asked.return_date,
                status=Employment.Status.ACTIVE,
                reason="back from leave",
            )
        )
    return employee, {"delete": [row.pk for row in made], "restore": [restore]}


def _terminate(actor, item, asked: HrEventPayload):
    employee = _employee(item, asked.employee_number)
    restore = _closing(employee, asked.effective)
    services.leave(
        actor=actor,
        employee=employee,
        last_day=asked.effective,
        reason=asked.reason or "terminated",
    )
    return employee, {"restore": [restore]}


_APPLY = {"hire": _hire, "change": _change, "leave": _leave, "terminate": _terminate}


def verify(*, actor, item: "WorkItem", version: int | None = None) -> HrEvent:
    """A second person confirms the records now say what the client asked for."""
    with transaction.atomic():
        event = HrEvent.objects.select_for_update().filter(work_item=item).first()
        _expect_current(event, "verify", version)
        if event.applied_by_id == actor.pk:
            raise PermissionDenied("A second person verifies: you applied this change.")
        differing = [row["label"] for row in comparison(item, event) if not row["matches"]]
        if differing:
            raise Conflict(
                f"The records differ from the request in: {', '.join(differing)}. "
                "Undo the change and apply it again, or send the item back.",
                code="differs",
            )
        HrEvent.objects.filter(pk=event.pk).update(
            status=HrEvent.Status.VERIFIED,
            verified_by=actor,
            verified_at=timezone.now(),
            version=event.version + 1,
        )
        record(
            action="payroll.hr_event.verified",
            actor=actor,
            client=item.client_id,
            object_type="work_item",
            object_id=item.pk,
            payload={"event": event.kind, "employee": event.employee_id},
        )
        work_services.comment(
            actor=actor, item=item, body="Verified against the HR records.", internal=True
        )
    return HrEvent.objects.get(pk=event.pk)


def _expect_current(event: HrEvent | None, action: str, version: int | None) -> None:
    _expect(event, action)
    if version is not None and version != event.version:
        raise Conflict("Someone acted on this change meanwhile; reload.", code="stale")


def undo(*, actor, item: "WorkItem", reason: str, version: int | None = None) -> HrEvent:
    """Take an applied, unverified change back out of the records."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why the change is undone.", fields={"reason": "required"})
    with transaction.atomic():
        event = HrEvent.objects.select_for_update().filter(work_item=item).first()
        _expect_current(event, "undo", version)
        _check_unused(event)
        if event.kind == "hire":
            Employee.objects.filter(pk=event.undo["employee"]).delete()
        else:
            deleted = event.undo.get("delete", [])
            later = Employment.objects.filter(
                employee_id=event.employee_id, valid_from__gt=event.effective
            ).exclude(pk__in=deleted)
            if later.exists():
                raise Conflict("A later change exists; undo it first.", code="later_change")
            Employment.objects.filter(pk__in=deleted).delete()
            for row in event.undo.get("restore", []):
                valid_to = date.fromisoformat(row["valid_to"]) if row["valid_to"] else None
                Employment.objects.filter(pk=row["id"]).update(
                    valid_to=valid_to, reason=row["reason"]
                )
        HrEvent.objects.filter(pk=event.pk).update(
            status=HrEvent.Status.UNDONE, note=reason[:500], version=event.version + 1
        )
        record(
            action="payroll.hr_event.undone",
            actor=actor,
            client=item.client_id,
            object_type="work_item",
            object_id=item.pk,
            reason=reason[:500],
            payload={"event": event.kind, "employee": event.employee_id},
        )
        work_services.comment(
            actor=actor, item=item, body=f"Change undone: {reason[:500]}", internal=True
        )
    return HrEvent.objects.get(pk=event.pk)


def _check_unused(event: HrEvent) -> None:
    """A change a pay run has already used stays: a calculated or finalised run read it."""
    if event.employee_id is None:
        return
    results = PayResult.objects.filter(employee_id=event.employee_id)
    if event.kind == "hire":
        later = (
            HrEvent.objects.filter(employee_id=event.employee_id)
            .exclude(pk=event.pk)
            .exclude(status=HrEvent.Status.UNDONE)
        )
        if later.exists():
            raise Conflict(
                "Later changes to this employee are applied; undo them first.",
                code="later_change",
            )
        used = results.exists() or PayInput.objects.filter(employee_id=event.employee_id).exists()
    else:
        used = (
            results.filter(run__period_end__gte=event.effective)
            .exclude(run__status=PayRun.Status.CANCELLED)
            .exists()
        )
    if used:
        raise Conflict(
            "A pay run has already used this change; correct it with a new change.",
            code="used",
        )


def comparison(item: "WorkItem", event: HrEvent) -> list[dict]:
    """Each requested value beside what the records hold, masked where personal, and
    whether they match."""
    asked = request_of(item)
    employee = event.employee
    if employee is None:
        return [_row("employee_number", asked.employee_number, None)]
    rows = _identity_rows(asked, employee) if asked.event == "hire" else []
    if asked.event in ("hire", "change"):
        rows += _terms(asked, selectors.employment_on(employee=employee, day=asked.effective))
    elif asked.event == "leave":
        on_leave = selectors.employment_on(employee=employee, day=asked.effective)
        rows.append(_row("event", "on leave", on_leave and on_leave.get_status_display().lower()))
        if asked.return_date:
            back = selectors.employment_on(employee=employee, day=asked.return_date)
            rows.append(_row("return_date", "active", back and back.get_status_display().lower()))
    else:
        last = selectors.employment_on(employee=employee, day=asked.effective)
        after = selectors.employment_on(employee=employee, day=asked.effective + timedelta(1))
        ends = last.valid_to if last is not None and after is None else None
        rows.append(_row("effective", asked.effective, ends))
    return rows


def _identity_rows(asked: HrEventPayload, employee: Employee) -> list[dict]:
    """A hire's personal details, tax details and P45 figures beside the record."""
    rows = []
    for name in HR_EVENT.personal_fields:
        wanted = getattr(asked, name)
        if wanted:
            stored = getattr(employee, name)
            rows.append(_row(name, wanted, crypto.open_sealed(stored) if stored else ""))
    for name in ("country", "routing_number", "tax_code", "ni_category", "student_loan_plans"):
        if getattr(asked, name):
            rows.append(_row(name, getattr(asked, name), getattr(employee, name)))
    for name, stored in (
        ("previous_pay", employee.previous_pay_minor),
        ("previous_tax", employee.previous_tax_minor),
    ):
        wanted = getattr(asked, name)
        if wanted:
            currency = employee.employments.first().currency
            minor = services.to_minor(wanted, currency, field=name)
            shown = services.to_major(stored, currency)
            rows.append(_row(name, wanted, shown, minor == stored))
    return rows


def _terms(asked: HrEventPayload, row: Employment | None) -> list[dict]:
    if row is None:
        return [_row("effective", asked.effective, None)]
    rows = [_row("effective", asked.effective, row.valid_from)]
    if asked.pay_group:
        rows.append(_row("pay_group", asked.pay_group, row.pay_group.name))
    for name, stored in (
        ("annual_salary", row.annual_salary_minor),
        ("hourly_rate", row.hourly_rate_minor),
    ):
        wanted = getattr(asked, name)
        if wanted:
            minor = services.to_minor(wanted, row.currency, field=name)
            rows.append(
                _row(name, wanted, services.to_major(stored, row.currency), minor == stored)
            )
    if asked.contracted_hours:
        stored = services.weekly_hours(row.contracted_seconds_per_week)
        wanted = services.weekly_seconds(asked.contracted_hours)
        same = wanted == row.contracted_seconds_per_week
        rows.append(_row("contracted_hours", asked.contracted_hours, stored, same))
    for name in ("department", "position"):
        if getattr(asked, name):
            rows.append(_row(name, getattr(asked, name), getattr(row, name)))
    return rows


def _row(name: str, wanted, stored, matches: bool | None = None) -> dict:
    if matches is None:
        matches = stored is not None and str(wanted).strip() == str(stored).strip()
    kind = HR_EVENT.kind_of(name)
    personal_field = name in HR_EVENT.personal_fields

    def shown(value):
        if value in (None, ""):
            return "—"
        return crypto.mask(str(value), kind) if personal_field else str(value)

    return {
        "label": LABELS.get(name, name),
        "requested": shown(wanted),
        "recorded": shown(stored),
        "matches": matches,
    }
