"""HR record pages: an employee's page (masked details, employment history, HR changes,
payslips), the list of HR changes applied and verified, and the panel an HR agent works
an HR change item from (apply, verify as the second person, undo)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tercero.delivery.work import access, lifecycle
from tercero.platform.errors import DomainError, NotFound, PermissionDenied
from tercero.platform.pages import page, refused, version_of
from tercero.platform.security import crypto
from tercero.services.payroll import actions, hr_events, outputs, selectors, services
from tercero.services.payroll.models import HrEvent, PayResult
from tercero.services.payroll.views import absences as absence_views
from tercero.services.payroll.views import rti as rti_views
from tercero.web.lists import Column, Filter, Listing

SHOWN = (
    ("full_name", "Name", "name"),
    ("date_of_birth", "Date of birth", "date"),
    ("address", "Address", ""),
    ("national_id", "National id", "national_id"),
    ("iban", "Bank account (IBAN)", "iban"),
    ("account_number", "US account number", "account"),
    ("email", "E-mail for payslips", "email"),
)


def _masked(value: str) -> str:
    return crypto.masked(value) if value else "—"


@page("payroll:read")
def employee_page(request, caller, employee_id: int):
    employee = selectors.access_employee(client_ids=caller.client_ids, employee_id=employee_id)
    history = list(selectors.history(employee=employee))
    for row in history:
        for minor, name in ((row.annual_salary_minor, "salary"), (row.hourly_rate_minor, "rate")):
            setattr(row, name, outputs.money(minor, row.currency) if minor is not None else "")
        row.weekly_hours = services.weekly_hours(row.contracted_seconds_per_week)
    payslips = [
        (
            result,
            outputs.money(result.gross_minor, result.run.pay_group.currency),
            outputs.money(result.net_minor, result.run.pay_group.currency),
        )
        for result in PayResult.objects.filter(employee=employee)
        .select_related("run", "run__pay_group")
        .order_by("-run__pay_date")[:24]
    ]
    currency = history[0].currency if history else ""
    p45 = (
        {
            "year": employee.previous_tax_year,
            "pay": outputs.money(employee.previous_pay_minor, currency),
            "tax": outputs.money(employee.previous_tax_minor, currency),
            "currency": currency,
        }
        if employee.previous_tax_year and currency
        else None
    )
    context = {
        "p45": p45,
        "employee": employee,
        "details": [(label, _masked(getattr(employee, name))) for name, label, _ in SHOWN],
        "history": history,
        "changes": list(employee.hr_events.select_related("applied_by", "verified_by")),
        "payslips": payslips,
        "staff": request.user.is_provider_staff,
        **rti_views.employee_context(request, caller, employee),
        **absence_views.absences_context(request, caller, employee),
    }
    return render(request, "payroll/employee.html", context)


@page("hr:write", staff=True)
def change_list(request, caller):
    found = selectors.hr_events(client_ids=caller.client_ids)
    listing = Listing(
        request,
        found,
        columns=[
            Column("applied_at", "Applied"),
            Column("kind", "Change"),
            Column("employee_number", "Employee"),
            Column("client__legal_name", "Client"),
            Column("effective", "Effective"),
            Column("status", "Status"),
            Column("applied_by__email", "Applied by"),
            Column("verified_by__email", "Verified by"),
            Column("work_item_id", "Item"),
        ],
        filters=[
            Filter("status", "Status", tuple(HrEvent.Status.choices)),
            Filter(
                "kind",
                "Change",
                (
                    ("hire", "Hire"),
                    ("change", "Change"),
                    ("leave", "Leave"),
                    ("terminate", "Terminate"),
                ),
            ),
        ],
        search=lambda qs, text: qs.filter(employee_number__icontains=text),
        search_label="Search employee numbers",
        default_sort="-applied_at",
    )
    if listing.wants_csv:
        return listing.csv_response("hr-changes.csv")
    waiting = selectors.hr_requests_waiting(client_ids=caller.client_ids)
    shown = list(waiting[:50])
    linked = access.openable(
        request.user,
        caller.client_ids,
        [item.pk for item in shown] + [event.work_item_id for event in listing.rows],
    )
    context = {
        "listing": listing,
        "waiting": shown,
        "waiting_count": waiting.count(),
        "linked": linked,
    }
    return render(request, "payroll/hr_changes.html", context)


def _panel_context(request, caller, item_id: int) -> dict:
    item, event = selectors.hr_event_of_item(client_ids=caller.client_ids, item_id=item_id)
    applied = event is not None and event.status != HrEvent.Status.UNDONE
    actions = hr_events.actions(event)
    return {
        "item": item,
        "event": event,
        "rows": hr_events.comparison(item, event) if applied else [],
        "may_apply": "apply" in actions
        and item.status in lifecycle.WITH_AGENT
        and _holds(request.user, caller.permissions, item),
        "may_verify": "verify" in actions and event.applied_by_id != request.user.pk,
        "may_undo": "undo" in actions,
    }


def _holds(user, permissions, item) -> bool:
    try:
        hr_events.require_holder(user=user, permissions=permissions, item=item)
    except PermissionDenied:
        return False
    return True


@page("hr:write", staff=True)
def hr_panel(request, caller, hr_item_id: int):
    try:
        context = _panel_context(request, caller, hr_item_id)
    except NotFound:
        raise
    except DomainError as error:  # a request that no longer reads (its type changed)
        context = {"problem": error.message}
    return render(request, "payroll/_hr_panel.html", context)


HR_DONE = {
    "apply": "Applied to the HR records; a second person verifies it.",
    "verify": "Verified. The item can be resolved.",
    "undo": "The change is undone; the records are as before.",
}


@require_POST
@page("hr:write", staff=True)
def hr_action(request, caller, hr_item_id: int, action: str):
    item, _event = selectors.hr_event_of_item(client_ids=caller.client_ids, item_id=hr_item_id)
    if action not in actions.HR_ACTIONS:
        raise NotFound("No such action.")
    try:
        actions.act_on_hr_change(
            actor=request.user,
            permissions=caller.permissions,
            item=item,
            action=action,
            version=version_of(request),
            reason=request.POST.get("reason", ""),
        )
    except NotFound:
        raise
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(request, HR_DONE[action])
    return redirect("work:item", item_id=item.pk)
