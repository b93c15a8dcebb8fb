"""United States payroll API: an employee's Form W-4 (read, and a new one put on file)
and a US pay group's Form 941 and W-2 figures for a year, as JSON or CSV. Mounted on
the payroll router (apps.py)."""

from datetime import date

from django.http import HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from tercero.platform.api.caller import caller_of
from tercero.platform.errors import NotFound
from tercero.services.payroll import outputs, selectors, us_forms
from tercero.services.payroll.models import WithholdingCertificate

router = Router(tags=["payroll"])


class W4In(Schema):
    received_on: date
    form: str = Field(default="2020", description="2020 (2020 or later) or 2019 (earlier)")
    filing_status: str = Field(default="single", max_length=20)
    multiple_jobs: bool = False
    dependents: str = Field(default="0", max_length=20, description="Step 3, dollars")
    other_income: str = Field(default="0", max_length=20, description="Step 4(a)")
    deductions: str = Field(default="0", max_length=20, description="Step 4(b)")
    extra: str = Field(default="0", max_length=20, description="Step 4(c), or line 6")
    allowances: int = Field(default=0, ge=0, le=99, description="2019 or earlier: line 5")
    exempt: bool = False
    state: str = Field(default="PA", max_length=2)


class W4Out(Schema):
    employee_id: int
    received_on: date
    form: str
    filing_status: str
    multiple_jobs: bool
    dependents: str
    other_income: str
    deductions: str
    extra: str
    allowances: int
    exempt: bool
    state: str
    version: int


def _w4_out(certificate: WithholdingCertificate) -> W4Out:
    return W4Out(
        employee_id=certificate.employee_id,
        received_on=certificate.received_on,
        form=certificate.form,
        filing_status=certificate.filing_status,
        multiple_jobs=certificate.multiple_jobs,
        allowances=certificate.allowances,
        exempt=certificate.exempt,
        state=certificate.state,
        version=certificate.version,
        **{
            name: outputs.money(getattr(certificate, f"{name}_minor"), "USD")
            for name in us_forms.W4_AMOUNTS
        },
    )


def _employee(caller, employee_id: int):
    if not 0 < employee_id < 2**62:
        raise NotFound("Employee not found.")
    return selectors.access_employee(client_ids=caller.client_ids, employee_id=employee_id)


@router.get("/payroll/employees/{employee_id}/w4", response=W4Out)
def get_w4(request, employee_id: int):
    """The Form W-4 on file (404 when there is none: withheld as single, no entries)."""
    caller = caller_of(request)
    employee = _employee(caller, employee_id)
    caller.require("payroll:read")
    certificate = us_forms.certificate_of(employee=employee)
    if certificate is None:
        raise NotFound("No Form W-4 on file.")
    return _w4_out(certificate)


@router.put("/payroll/employees/{employee_id}/w4", response=W4Out)
def put_w4(request, employee_id: int, body: W4In):
    """Put a new Form W-4 on file; the next calculation withholds by it."""
    caller = caller_of(request)
    employee = _employee(caller, employee_id)
    caller.require("payroll:write")
    certificate = us_forms.record_w4(actor=caller.user, employee=employee, **body.dict())
    return _w4_out(certificate)


class FormLine(Schema):
    line: str
    description: str
    wages: str | None
    amount: str


class Form941Out(Schema):
    quarter: int
    lines: list[FormLine]


class W2Out(Schema):
    employee_number: str
    state: str
    boxes: list[FormLine]


class TaxFormsOut(Schema):
    pay_group_id: int
    year: int
    currency: str
    form_941: list[Form941Out]
    forms_w2: list[W2Out]


class YearIn(Schema):
    year: int | None = Field(default=None, ge=2000, le=2100, description="this year if left out")

    def chosen(self) -> int:
        return self.year or timezone.localdate().year


def _us_group(caller, pay_group_id: int):
    if not 0 < pay_group_id < 2**62:
        raise NotFound("Pay group not found.")
    group = selectors.access_pay_group(client_ids=caller.client_ids, pay_group_id=pay_group_id)
    if group.jurisdiction != "US":
        raise NotFound("Tax forms are kept for United States pay groups.")
    return group


@router.get("/payroll/pay-groups/{pay_group_id}/tax-forms", response=TaxFormsOut)
def tax_forms(request, pay_group_id: int, query: Query[YearIn]):
    """Form 941 for each quarter and each employee's Form W-2 figures for `year`, from
    the pay group's finalised runs (dollars as decimal strings; line 1 a head count)."""
    caller = caller_of(request)
    group = _us_group(caller, pay_group_id)
    caller.require("payroll:read")
    year = query.chosen()
    quarters = [
        Form941Out(
            quarter=quarter,
            lines=[
                FormLine(
                    line=line,
                    description=what,
                    wages=None if wages is None else us_forms.dollars(wages),
                    amount=str(amount) if line == "1" else us_forms.dollars(amount),
                )
                for line, what, wages, amount in us_forms.form_941(
                    group=group, year=year, quarter=quarter
                ).lines()
            ],
        )
        for quarter in range(1, 5)
    ]
    employees = [
        W2Out(
            employee_number=w2.employee_number,
            state=w2.state,
            boxes=[
                FormLine(line=box, description=what, wages=None, amount=us_forms.dollars(cents))
                for box, what, cents in w2.boxes()
            ],
        )
        for w2 in us_forms.forms_w2(group=group, year=year)
    ]
    return TaxFormsOut(pay_group_id=group.pk, year=year, currency=group.currency,
                       form_941=quarters, forms_w2=employees)  # fmt: skip


@router.get("/payroll/pay-groups/{pay_group_id}/tax-forms.csv")
def tax_forms_csv(request, pay_group_id: int, query: Query[YearIn]):
    """The same figures as CSV, one row per Form 941 line and W-2 box."""
    caller = caller_of(request)
    group = _us_group(caller, pay_group_id)
    caller.require("payroll:read")
    year = query.chosen()
    response = HttpResponse(
        us_forms.forms_csv(group=group, year=year), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="tax-forms-{group.pk}-{year}.csv"'
    return response
