"""United Kingdom filing API: a finalised run's RTI status (HMRC's answers and the
check of its FPS), the FPS XML, sending it; a pay group's no-payment EPS, the EPS
claiming statutory pay back (its XML and sending it), and PAYE references with the
Small Employers' Relief flag; each employee's P45 and P60, and a pay group's P60s, as
JSON, PDF or CSV. Mounted on the payroll router (apps.py). Another client's ids answer 404."""

from datetime import date, datetime
from typing import Literal

from django.http import HttpResponse
from ninja import Field, Router, Schema, Status

from tercero.platform.api.caller import caller_of
from tercero.platform.errors import NotFound
from tercero.platform.security import crypto
from tercero.services.payroll import p45p60, rti_filing, selectors
from tercero.services.payroll.models import RtiSubmission

router = Router(tags=["payroll"])
Format = Literal["json", "pdf", "csv"]


class SubmissionOut(Schema):
    id: int
    kind: str = Field(description="fps or eps")
    kind_label: str
    key: str = Field(description="what it reports: fps:run:<id>, eps:group:<id>:<year>:<months>")
    tax_year: str
    run_id: int | None
    pay_group_id: int
    checked_against: str = Field(description="the HMRC schema that checked it; empty: none")
    status: str = Field(description="sending, accepted or error")
    status_label: str
    answer: str = Field(description="HMRC's answer in words")
    correlation_id: str
    submitted_at: datetime
    answered_at: datetime | None


def _submission(found: RtiSubmission) -> SubmissionOut:
    return SubmissionOut(
        id=found.pk,
        kind=found.kind,
        kind_label=found.get_kind_display(),
        key=found.key,
        tax_year=found.tax_year,
        run_id=found.run_id,
        pay_group_id=found.pay_group_id,
        checked_against=found.schema,
        status=found.status,
        status_label=found.get_status_display(),
        answer=found.answer,
        correlation_id=found.correlation_id,
        submitted_at=found.submitted_at,
        answered_at=found.answered_at,
    )


class RtiStatusOut(Schema):
    run_id: int
    tax_year: str
    ready: bool = Field(description="the FPS passes every check and HMRC has not accepted it")
    accepted: bool
    problems: list[str] = Field(description="what must be put right first, in words")
    schemas_checked: bool = Field(description="HMRC's schemas for the year checked the FPS")
    schema_check: str = Field(
        description="in words: the schema that checked it, or that they are not installed"
    )
    employees: int
    submissions: list[SubmissionOut]


class EpsIn(Schema):
    tax_year: str = Field(max_length=7, description="2025-26")
    month_from: int = Field(ge=1, le=12, description="tax month 1 is 6 April to 5 May")
    month_to: int = Field(ge=1, le=12)


class RecoveryIn(Schema):
    tax_year: str = Field(max_length=7, description="2026-27")
    month: int = Field(ge=1, le=12, description="claims the year to the end of this tax month")


class RecoveryOut(SubmissionOut):
    claim: str = Field(description="what it claims back, in words")


class PayeIn(Schema):
    paye_reference: str = Field(max_length=20, description="123/AB45678")
    accounts_office_reference: str = Field(max_length=20, description="123PA00045678")
    version: int | None = Field(default=None, ge=1, description="when changing: as read")
    is_small_employer: bool | None = Field(
        default=None,
        description="claims Small Employers' Relief (Class 1 NICs of 45,000 or less in the "
        "last complete tax year): 100 % plus compensation instead of 92 %; omitted: unchanged",
    )


class PayeOut(Schema):
    pay_group_id: int
    paye_reference: str
    accounts_office_reference: str
    is_small_employer: bool
    version: int


def _run(caller, run_id: int):
    if not 0 < run_id < 2**62:
        raise NotFound("Pay run not found.")
    return selectors.access_run(client_ids=caller.client_ids, run_id=run_id)


def _group(caller, pay_group_id: int):
    if not 0 < pay_group_id < 2**62:
        raise NotFound("Pay group not found.")
    return selectors.access_pay_group(client_ids=caller.client_ids, pay_group_id=pay_group_id)


def _employee(caller, employee_id: int):
    if not 0 < employee_id < 2**62:
        raise NotFound("Employee not found.")
    return selectors.access_employee(client_ids=caller.client_ids, employee_id=employee_id)


@router.get("/payroll/runs/{run_id}/rti", response=RtiStatusOut)
def rti_status(request, run_id: int):
    """HMRC's answers to the run's FPS so far, and whether it can be sent now."""
    caller = caller_of(request)
    run = _run(caller, run_id)
    caller.require("payroll:read")
    check = rti_filing.check_fps(run)
    accepted = rti_filing.is_accepted(run)
    return RtiStatusOut(
        run_id=run.pk,
        tax_year=run.tax_year,
        ready=check.is_ready and not accepted,
        accepted=accepted,
        problems=check.problems,
        schemas_checked=bool(check.document and check.document.is_checked),
        schema_check=check.schema_check,
        employees=check.document.employees if check.document else 0,
        submissions=[_submission(s) for s in rti_filing.submissions(run=run)],
    )


@router.get("/payroll/runs/{run_id}/rti/fps.xml")
def fps_xml(request, run_id: int):
    """The FPS as HMRC would receive it, without the sender's credentials (provider
    staff; it holds NI numbers and addresses, so each download is an audit event)."""
    caller = caller_of(request)
    run = _run(caller, run_id)
    caller.require("payroll:write")
    name, xml = rti_filing.fps_xml(run=run, actor=caller.user)
    response = HttpResponse(xml, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.post("/payroll/runs/{run_id}/rti/submit", response={201: SubmissionOut})
def submit_fps(request, run_id: int):
    """Send the run's FPS to HMRC and wait for the answer (accepted, or refused in
    HMRC's words). 409 once accepted or while being sent; 422 naming every problem."""
    caller = caller_of(request)
    run = _run(caller, run_id)
    caller.require("payroll:file")
    return Status(201, _submission(rti_filing.send_fps(actor=caller.user, run=run)))


@router.get("/payroll/pay-groups/{pay_group_id}/rti", response=list[SubmissionOut])
def eps_list(request, pay_group_id: int):
    """The pay group's Employer Payment Summaries and HMRC's answers."""
    caller = caller_of(request)
    group = _group(caller, pay_group_id)
    caller.require("payroll:read")
    return [_submission(s) for s in rti_filing.submissions(pay_group=group)[:200]]


@router.post("/payroll/pay-groups/{pay_group_id}/rti/eps", response={201: SubmissionOut})
def submit_eps(request, pay_group_id: int, body: EpsIn):
    """Tell HMRC nobody was paid in tax months `month_from` to `month_to` (409 when a
    finalised run paid anyone then)."""
    caller = caller_of(request)
    group = _group(caller, pay_group_id)
    caller.require("payroll:file")
    sent = rti_filing.send_eps(actor=caller.user, pay_group=group, **body.dict())
    return Status(201, _submission(sent))


@router.get("/payroll/pay-groups/{pay_group_id}/rti/eps-recovery.xml")
def recovery_xml(request, pay_group_id: int, tax_year: str = "", month: int = 0):
    """The EPS claiming back the statutory pay of the tax year to the end of tax month
    `month`, as HMRC would receive it without the sender's credentials (provider staff;
    each download is an audit event; 409 when there is nothing to recover)."""
    caller = caller_of(request)
    group = _group(caller, pay_group_id)
    caller.require("payroll:write")
    name, xml = rti_filing.recovery_xml(
        actor=caller.user, pay_group=group, tax_year=tax_year, month=month
    )
    response = HttpResponse(xml, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.post("/payroll/pay-groups/{pay_group_id}/rti/eps-recovery", response={201: RecoveryOut})
def submit_recovery(request, pay_group_id: int, body: RecoveryIn):
    """Claim back from HMRC the statutory maternity, paternity, adoption and shared
    parental pay paid in the tax year to the end of tax month `month` (92 %, or for a
    small employer all of it plus compensation). 409 when nothing was paid, or when the
    month's claim is accepted or being sent."""
    caller = caller_of(request)
    group = _group(caller, pay_group_id)
    caller.require("payroll:file")
    sent = rti_filing.send_recovery(actor=caller.user, pay_group=group, **body.dict())
    claim = rti_filing.claim_of(sent.document, tax_year=sent.tax_year)
    words = claim.sentence("Claims back") if claim else ""
    return Status(201, RecoveryOut(**_submission(sent).model_dump(), claim=words))


@router.put("/payroll/pay-groups/{pay_group_id}/paye-reference", response=PayeOut)
def set_paye_reference(request, pay_group_id: int, body: PayeIn):
    """The PAYE scheme a UK pay group files under (a stale `version` is 409)."""
    caller = caller_of(request)
    group = _group(caller, pay_group_id)
    caller.require("payroll:write")
    found = rti_filing.set_employer(actor=caller.user, pay_group=group, **body.dict())
    return PayeOut(
        pay_group_id=group.pk,
        paye_reference=str(found),
        accounts_office_reference=found.accounts_office_reference,
        is_small_employer=found.is_small_employer,
        version=found.version,
    )


class GenderIn(Schema):
    gender: str = Field(max_length=1, description="F or M, as on the NI record")


class GenderOut(Schema):
    employee_id: int
    gender: str


@router.put("/payroll/employees/{employee_id}/hmrc-gender", response=GenderOut)
def set_hmrc_gender(request, employee_id: int, body: GenderIn):
    """The gender HMRC holds for the employee, which the FPS carries (F or M)."""
    caller = caller_of(request)
    employee = _employee(caller, employee_id)
    caller.require("payroll:write")
    found = rti_filing.set_gender(actor=caller.user, employee=employee, gender=body.gender)
    return GenderOut(employee_id=employee.pk, gender=found.gender)


def _certificate_response(certificate, *, employee, caller, form: Format):
    p45p60.opened(
        certificate=certificate, actor=caller.user, client_id=employee.client_id, how=form
    )
    name = f"{certificate.form}-{certificate.payroll_id}-{certificate.tax_year}"
    if form == "pdf":
        response = HttpResponse(p45p60.pdf(certificate, employee=employee), "application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        return response
    masked = crypto.masked(employee.national_id) if employee.national_id else ""
    if form == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        p45p60.write_csv([certificate], response, national_ids={employee.pk: masked})
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    return CertificateOut(**p45p60.as_dict(certificate, national_id=masked))


class NicLineOut(Schema):
    letter: str
    at_lel_minor: int
    lel_to_pt_minor: int
    pt_to_uel_minor: int
    employee_minor: int


class CertificateOut(Schema):
    form: str = Field(description="P45 or P60")
    tax_year: str
    employee_id: int
    payroll_id: str
    national_insurance_number: str = Field(description="masked")
    employer: str
    paye_reference: str
    accounts_office_reference: str
    tax_code: str
    week1_month1: bool
    currency: str
    previous_pay_minor: int
    previous_tax_minor: int
    pay_minor: int
    tax_minor: int
    total_pay_minor: int
    total_tax_minor: int
    nics: list[NicLineOut]
    student_loan_minor: int
    postgraduate_loan_minor: int
    payments: int
    leaving_date: date | None
    last_paid: str
    student_loan_continues: bool
    postgraduate_loan_continues: bool


@router.get("/payroll/employees/{employee_id}/p45")
def p45(request, employee_id: int, format: Format = "json"):
    """A leaver's P45: `format` json (CertificateOut: amounts in minor units, the NI
    number masked), pdf or csv; each an audit event; 409 when the employee has not left."""
    caller = caller_of(request)
    employee = _employee(caller, employee_id)
    caller.require("payroll:read")
    certificate = p45p60.p45(employee=employee)
    return _certificate_response(certificate, employee=employee, caller=caller, form=format)


@router.get("/payroll/employees/{employee_id}/p60")
def p60(request, employee_id: int, tax_year: str = "", format: Format = "json"):
    """The employee's P60 for an ended tax year ("2025-26"): json, pdf or csv."""
    caller = caller_of(request)
    employee = _employee(caller, employee_id)
    caller.require("payroll:read")
    certificate = p45p60.p60(employee=employee, tax_year=tax_year)
    return _certificate_response(certificate, employee=employee, caller=caller, form=format)


@router.get("/payroll/pay-groups/{pay_group_id}/p60s.csv")
def p60s_csv(request, pay_group_id: int, tax_year: str = ""):
    """The P60 figures of everyone the pay group paid in the tax year, as CSV."""
    caller = caller_of(request)
    group = _group(caller, pay_group_id)
    caller.require("payroll:read")
    certificates = p45p60.p60s(pay_group=group, tax_year=tax_year)
    p45p60.exported(
        certificates=certificates, actor=caller.user, pay_group=group, tax_year=tax_year
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    national_ids = p45p60.masked_national_ids([c.employee_id for c in certificates])
    p45p60.write_csv(certificates, response, national_ids=national_ids)
    response["Content-Disposition"] = f'attachment; filename="p60s-{group.pk}-{tax_year}.csv"'
    return response
