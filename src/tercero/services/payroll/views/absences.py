"""The employee page's statutory absences (UK): the list in words, and the forms to
record one and to correct one (payroll:write, provider staff). A stale correction is
refused with a message; another client's employee or absence is 404."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from tercero.platform.errors import DomainError, InvalidInput
from tercero.platform.pages import page, version_of
from tercero.services.payroll import (
    outputs,
    selectors,
    statutory,
    statutory_leave,
    statutory_summary,
)
from tercero.services.payroll.models import Employee, StatutoryAbsence

WEEKDAYS = tuple(enumerate(statutory.WEEKDAYS))


def absences_context(request, caller, employee: Employee) -> dict:
    """The page's "Statutory absences" section: None for an employee outside the UK."""
    if employee.country != "GB":
        return {"absences": None}
    rows = [
        {
            "summary": found,
            "weekly": ", then ".join(outputs.amount_text(m, "GBP") for m in found.weekly_minor),
            "total": outputs.amount_text(found.total_minor, "GBP"),
            "earnings": outputs.money(found.absence.average_weekly_earnings_minor, "GBP"),
        }
        for found in statutory_summary.summaries(
            employee.statutory_absences.all(), today=timezone.localdate()
        )
    ]
    return {
        "absences": {
            "rows": rows,
            "kinds": StatutoryAbsence.Kind.choices,
            "weekdays": WEEKDAYS,
            "may_write": request.user.is_provider_staff and "payroll:write" in caller.permissions,
        }
    }


@require_POST
@page("payroll:write", staff=True)
def absence_record(request, caller, employee_id: int):
    employee = selectors.access_employee(client_ids=caller.client_ids, employee_id=employee_id)
    try:
        fields = _posted(request, kind=request.POST.get("kind", ""))
        statutory_leave.record_absence(actor=request.user, employee=employee, **fields)
    except DomainError as error:
        _say(request, error, kind=request.POST.get("kind", ""))
    else:
        messages.success(request, "The absence is recorded; runs from now on pay it.")
    return redirect("payroll:employee", employee.pk)


@require_POST
@page("payroll:write", staff=True)
def absence_correct(request, caller, absence_id: int):
    absence = statutory_leave.access_absence(client_ids=caller.client_ids, absence_id=absence_id)
    try:
        changes = _posted(request, kind=absence.kind)
        changes.pop("kind")
        if changes["average_weekly_earnings_minor"] is None:
            changes.pop("average_weekly_earnings_minor")  # kept, or worked out again
        statutory_leave.correct_absence(
            actor=request.user, absence=absence, version=version_of(request) or 0, **changes
        )
    except DomainError as error:
        _say(request, error, kind=absence.kind)
    else:
        messages.success(request, "The absence is corrected; runs from now on pay it so.")
    return redirect("payroll:employee", absence.employee_id)


def _say(request, error: DomainError, *, kind: str) -> None:
    """A refusal in words; an absence that does not qualify says so, with the reason."""
    if error.fields.get("kind") == "does not qualify":
        label = dict(StatutoryAbsence.Kind.choices).get(kind, "This").lower()
        reason = error.message.split(": ", 1)[-1]
        messages.error(request, f"This {label} absence does not qualify: {reason}")
    else:
        messages.error(request, error.message)


def _posted(request, *, kind: str) -> dict:
    post = request.POST
    days = ",".join(str(day) for day, _name in WEEKDAYS if str(day) in post.getlist("days"))
    weeks = post.get("weeks_available", "").strip()
    return {
        "kind": kind,
        "start": _day(post.get("start", ""), "start", required=True),
        "end": _day(post.get("end", ""), "end"),
        "expected_on": _day(post.get("expected_on", ""), "expected on"),
        "child_arrived_on": _day(post.get("child_arrived_on", ""), "birth or placement"),
        "care_started_on": _day(post.get("care_started_on", ""), "neonatal care began"),
        "average_weekly_earnings_minor": _pence(post.get("earnings", "")),
        "qualifying_days": days or "0,1,2,3,4",
        "weeks_available": int(weeks) if weeks.isdigit() and 0 < int(weeks) < 100 else None,
    }


def _day(text: str, name: str, *, required: bool = False) -> date | None:
    text = text.strip()
    if not text and not required:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"Give the {name} date as a date, for example 2026-05-10.", fields={name: "date"}
        ) from None


def _pence(text: str) -> int | None:
    """Pounds and pence as typed ("600", "600.50", "£1,200.00") as pence; blank: None."""
    text = text.strip().replace("£", "").replace(",", "")
    if not text:
        return None
    try:
        value = Decimal(text)
        is_amount = 0 <= value < 10**7 and value == value.quantize(Decimal("0.01"))
    except InvalidOperation:
        is_amount = False
    if not is_amount:
        raise InvalidInput(
            "Give the average weekly earnings in pounds and pence, for example 600.00.",
            fields={"earnings": "amount"},
        )
    return int(value * 100)
