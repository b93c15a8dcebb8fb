"""Payroll API: pay runs (create, inputs, calculate and approve, results, register,
journal, bank file, payslips), employees (read, masked, with their employment history)
and HR changes (apply, verify, undo; the requests themselves are work items of type
`payroll.hr_event`, created through the work items API or the portal). Pay groups
are in pay_groups_api.py, mounted here."""

from datetime import date, datetime

from django.http import HttpResponse
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from tercero.platform.api.caller import caller_of
from tercero.platform.api.errors import ErrorOut, refusal
from tercero.platform.errors import InvalidInput, NotFound
from tercero.platform.security import crypto
from tercero.services.payroll import (
    actions,
    calc,
    hr_events,
    outputs,
    pay_groups_api,
    runs,
    selectors,
    services,
)
from tercero.services.payroll.models import HrEvent, PayRun

router = Router(tags=["payroll"])
router.add_router("", pay_groups_api.router)  # pay groups, their rules and calendar
ACTIONS = actions.RUN_ACTIONS
HR_ACTIONS = actions.HR_ACTIONS


class RunOut(Schema):
    id: int
    client_id: int
    pay_group_id: int
    kind: str
    tax_year: str
    period: int
    period_start: date
    period_end: date
    pay_date: date
    status: str
    version: int
    rules_version: int = Field(description="the pay group's rule version it is calculated with")
    employees_total: int
    employees_done: int
    flagged: int
    gross_minor: int
    deductions_minor: int
    net_minor: int
    employer_minor: int
    work_item_id: int | None
    note: str
    finalised_at: datetime | None
    actions: list[str] = Field(description="what the run's status allows now (roles permitting)")

    @staticmethod
    def resolve_actions(run: PayRun) -> list[str]:
        return runs.actions(run)


class RunIn(Schema):
    pay_group_id: int = Field(ge=1, le=2**62)
    period_start: date
    period_end: date
    pay_date: date
    kind: str = "regular"
    variance_percent: int = Field(default=10, ge=1, le=1000)


class RunFilters(Schema):
    status: str | None = None
    pay_group_id: int | None = Field(default=None, ge=1, le=2**62)


class ActionIn(Schema):
    action: str = Field(description=", ".join(ACTIONS))
    version: int = Field(ge=1)
    note: str = Field(default="", max_length=500)


class ImportOut(Schema):
    rows: int
    stored: int
    errors: list[dict]


class ImportRefusedOut(ErrorOut):
    """A 422: the error, and when rows were refused, every bad row (none stored)."""

    rows: int = 0
    stored: int = 0
    errors: list[dict] = Field(default_factory=list)


class ResultOut(Schema):
    employee_id: int
    employee_number: str
    gross_minor: int
    deductions_minor: int
    net_minor: int
    employer_minor: int
    lines: list[list]
    flags: list[str]
    tax_not_deducted_minor: int = Field(
        description="income tax the overriding limit (50 % of the payment) held back; "
        "collected from later pay in the tax year"
    )
    notes: list[str] = Field(description="the variance review's flags in words")


class EmployeeOut(Schema):
    id: int
    client_id: int
    employee_number: str
    full_name: str = Field(description="masked")
    country: str
    national_id: str = Field(description="masked")
    iban: str = Field(description="masked")
    tax_code: str
    ni_category: str
    student_loan_plans: str = Field(description="United Kingdom: plans 1, 2, 4, 5 and PGL")
    director_since: date | None = Field(description="United Kingdom: a company director since")
    director_nic_method: str = Field(description="annual or alternative (directors' NICs)")


def _run(caller, run_id: int) -> PayRun:
    if not 0 < run_id < 2**62:
        raise NotFound("Pay run not found.")
    return selectors.access_run(client_ids=caller.client_ids, run_id=run_id)


@router.get("/payroll/runs", response=list[RunOut])
def list_runs(request, filters: Query[RunFilters]):
    caller = caller_of(request)
    caller.require("payroll:read")
    found = selectors.runs(client_ids=caller.client_ids)
    if filters.status:
        found = found.filter(status=filters.status)
    if filters.pay_group_id:
        found = found.filter(pay_group_id=filters.pay_group_id)
    return list(found[:200])


@router.post("/payroll/runs", response={201: RunOut})
def create_run(request, body: RunIn):
    caller = caller_of(request)
    group = selectors.access_pay_group(client_ids=caller.client_ids, pay_group_id=body.pay_group_id)
    caller.require("payroll:write")
    if not caller.user.is_provider_staff:
        raise InvalidInput("The provider's payroll team creates runs.", code="provider_only")
    run = runs.create_run(actor=caller.user, pay_group=group, **body.dict(exclude={"pay_group_id"}))
    return Status(201, run)


@router.get("/payroll/runs/{run_id}", response=RunOut)
def get_run(request, run_id: int):
    caller = caller_of(request)
    run = _run(caller, run_id)
    caller.require("payroll:read")
    return run


@router.post("/payroll/runs/{run_id}/inputs", response={200: ImportOut, 422: ImportRefusedOut})
def import_inputs(request, run_id: int, file: File[UploadedFile] | None = None):
    """Inputs as CSV (employee_number plus the pay group's input columns). All or
    nothing: any bad row stores none, and every bad row is listed (422)."""
    caller = caller_of(request)
    run = _run(caller, run_id)
    caller.require("payroll:write")
    if file is None:
        raise InvalidInput("Send the CSV as the multipart field `file`.", fields={"file": ""})
    report = runs.import_inputs(actor=caller.user, run=run, data=file.read())
    body = {
        "rows": report.rows,
        "stored": report.stored,
        "errors": [{"line": ln, "column": col, "problem": why} for ln, col, why in report.errors],
    }
    if report.errors:
        return Status(422, refusal("No input was stored.", code="invalid_rows", **body))
    return Status(200, body)


@router.post("/payroll/runs/{run_id}/actions", response=RunOut)
def act(request, run_id: int, body: ActionIn):
    """Move the run on: calculate (small runs at once, large ones by a worker; poll the
    run's employees_done), submit (provider), approve or send_back (the client's admin),
    finalise (provider), cancel. A stale `version` is 409."""
    caller = caller_of(request)
    run = _run(caller, run_id)
    actions.require_run_action(body.action)
    caller.require(actions.run_permission(body.action))
    actions.act_on_run(
        actor=caller.user, run=run, action=body.action, version=body.version, note=body.note
    )
    return _run(caller, run_id)


@router.get("/payroll/runs/{run_id}/results", response=list[ResultOut])
def results(request, run_id: int, flagged: bool = False, offset: int = 0, limit: int = 200):
    caller = caller_of(request)
    run = _run(caller, run_id)
    caller.require("payroll:read")
    if not (0 <= offset < 2**31 and 1 <= limit <= 1000):
        raise InvalidInput("offset >= 0, limit 1 to 1000.", fields={"limit": "1-1000"})
    found = run.results.select_related("employee").order_by("employee__employee_number")
    if flagged:
        found = found.exclude(flags=[])
    return [
        {
            "employee_id": r.employee_id,
            "employee_number": r.employee.employee_number,
            "gross_minor": r.gross_minor,
            "deductions_minor": r.deductions_minor,
            "net_minor": r.net_minor,
            "employer_minor": r.employer_minor,
            "lines": r.lines,
            "flags": r.flags,
            "tax_not_deducted_minor": r.basis.get(calc.TAX_NOT_DEDUCTED, 0),
            "notes": outputs.review_notes(r.basis, run.pay_group.currency),
        }
        for r in found[offset : offset + limit]
    ]


@router.get("/payroll/runs/{run_id}/reconciliation")
def reconciliation(request, run_id: int) -> dict:
    """Σ lines = Σ net = run net = bank file control sum = journal credit to net pay."""
    caller = caller_of(request)
    run = _run(caller, run_id)
    caller.require("payroll:read")
    return outputs.reconciliation(run)


@router.get("/payroll/runs/{run_id}/files/{kind}")
def download(request, run_id: int, kind: str):
    """`register` or `journal` (CSV), or `bank` (the payment file; finalised runs only,
    provider staff; every release is an audit event)."""
    caller = caller_of(request)
    run = _run(caller, run_id)
    caller.require("payroll:read")
    if kind not in ("register", "journal", "bank"):
        raise NotFound("No such file.")
    if kind == "bank":
        caller.require("payroll:write")
        name, content = outputs.bank_file(run=run, actor=caller.user)
        response = HttpResponse(content, content_type="application/octet-stream")
    else:
        name = f"run-{run.pk}-{kind}.csv"
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        (outputs.write_register if kind == "register" else outputs.write_journal)(run, response)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get("/payroll/runs/{run_id}/payslips/{employee_id}")
def payslip(request, run_id: int, employee_id: int):
    """One employee's payslip as PDF (an audit event)."""
    caller = caller_of(request)
    run = _run(caller, run_id)
    caller.require("payroll:read")
    if not 0 < employee_id < 2**62:
        raise NotFound("No payslip for this employee in this run.")
    result = selectors.access_result(run=run, employee_id=employee_id)
    pdf = outputs.payslip_pdf(result=result, run=run, actor=caller.user)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="payslip-{employee_id}.pdf"'
    return response


def _masked(employee) -> dict:
    return {
        "id": employee.pk,
        "client_id": employee.client_id,
        "employee_number": employee.employee_number,
        "full_name": crypto.masked(employee.full_name) if employee.full_name else "",
        "country": employee.country,
        "national_id": crypto.masked(employee.national_id) if employee.national_id else "",
        "iban": crypto.masked(employee.iban) if employee.iban else "",
        "tax_code": employee.tax_code,
        "ni_category": employee.ni_category,
        "student_loan_plans": employee.student_loan_plans,
        "director_since": employee.director_since,
        "director_nic_method": employee.director_nic_method,
    }


@router.get("/payroll/employees", response=list[EmployeeOut])
def list_employees(request, q: str = "", offset: int = 0, limit: int = 200):
    caller = caller_of(request)
    caller.require("payroll:read")
    if not (0 <= offset < 2**31 and 1 <= limit <= 1000):
        raise InvalidInput("offset >= 0, limit 1 to 1000.", fields={"limit": "1-1000"})
    found = selectors.employees(client_ids=caller.client_ids).order_by("employee_number")
    if q:
        found = found.filter(employee_number__icontains=q[:40])
    return [_masked(e) for e in found[offset : offset + limit]]


@router.get("/payroll/employees/{employee_id}", response=EmployeeOut)
def get_employee(request, employee_id: int):
    caller = caller_of(request)
    if not 0 < employee_id < 2**62:
        raise NotFound("Employee not found.")
    employee = selectors.access_employee(client_ids=caller.client_ids, employee_id=employee_id)
    caller.require("payroll:read")
    return _masked(employee)


class EmploymentOut(Schema):
    valid_from: date
    valid_to: date | None
    status: str
    pay_group_id: int
    department: str
    position: str
    annual_salary_minor: int | None
    hourly_rate_minor: int | None
    contracted_hours_per_week: str | None = Field(
        description="the hours a week the contract sets (37.5); null: not recorded"
    )
    currency: str
    reason: str

    @staticmethod
    def resolve_contracted_hours_per_week(row) -> str | None:
        hours = services.weekly_hours(row.contracted_seconds_per_week)
        return None if hours is None else str(hours)


@router.get("/payroll/employees/{employee_id}/employments", response=list[EmploymentOut])
def employments(request, employee_id: int):
    """The employee's employment history, oldest first: each row holds from valid_from to
    valid_to (inclusive; open when null)."""
    caller = caller_of(request)
    if not 0 < employee_id < 2**62:
        raise NotFound("Employee not found.")
    employee = selectors.access_employee(client_ids=caller.client_ids, employee_id=employee_id)
    caller.require("payroll:read")
    return selectors.history(employee=employee)


class HrEventOut(Schema):
    work_item_id: int
    client_id: int
    kind: str
    employee_id: int | None
    employee_number: str
    effective: date
    status: str
    version: int
    applied_by_id: int | None
    applied_at: datetime
    verified_by_id: int | None
    verified_at: datetime | None
    note: str


class HrEventDetail(Schema):
    work_item_id: int
    item_status: str
    applied: HrEventOut | None
    actions: list[str] = Field(description="what the change's status allows now")
    comparison: list[dict] = Field(description="requested beside recorded, masked")


class HrActionIn(Schema):
    action: str = Field(description=", ".join(HR_ACTIONS))
    version: int | None = Field(default=None, ge=1)
    reason: str = Field(default="", max_length=500)


@router.get("/payroll/hr-events", response=list[HrEventOut])
def list_hr_events(request, status: str = "", offset: int = 0, limit: int = 200):
    """HR changes applied to the records (applied, verified, undone), newest first."""
    caller = caller_of(request)
    caller.require("hr:write")
    if not (0 <= offset < 2**31 and 1 <= limit <= 1000):
        raise InvalidInput("offset >= 0, limit 1 to 1000.", fields={"limit": "1-1000"})
    found = selectors.hr_events(client_ids=caller.client_ids)
    if status:
        found = found.filter(status=status[:10])
    return list(found[offset : offset + limit])


def _hr_detail(caller, item_id: int) -> dict:
    if not 0 < item_id < 2**62:
        raise NotFound("HR change not found.")
    item, event = selectors.hr_event_of_item(client_ids=caller.client_ids, item_id=item_id)
    applied = event is not None and event.status != HrEvent.Status.UNDONE
    return {
        "work_item_id": item.pk,
        "item_status": item.status,
        "applied": event,
        "actions": hr_events.actions(event),
        "comparison": hr_events.comparison(item, event) if applied else [],
    }


@router.get("/payroll/hr-events/{hr_item_id}", response=HrEventDetail)
def get_hr_event(request, hr_item_id: int):
    """An HR change item: what was done about it and the request beside the records."""
    caller = caller_of(request)
    detail = _hr_detail(caller, hr_item_id)
    caller.require("hr:write")
    return detail


@router.post("/payroll/hr-events/{hr_item_id}/actions", response=HrEventDetail)
def act_on_hr_event(request, hr_item_id: int, body: HrActionIn):
    """apply (the item must be taken and started), verify (not by whoever applied it),
    undo (before verification, with a reason). A stale `version` is 409."""
    caller = caller_of(request)
    if not 0 < hr_item_id < 2**62:
        raise NotFound("HR change not found.")
    item, _event = selectors.hr_event_of_item(client_ids=caller.client_ids, item_id=hr_item_id)
    caller.require("hr:write")
    actions.act_on_hr_change(
        actor=caller.user,
        permissions=caller.permissions,
        item=item,
        action=body.action,
        version=body.version,
        reason=body.reason,
    )
    return _hr_detail(caller, hr_item_id)
