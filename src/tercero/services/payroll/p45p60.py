"""P45 and P60, the certificates a UK employer gives its employees, from the stored
results of finalised runs (rti_figures.py; nothing is calculated again):

- P60, at the end of a tax year, per employee: pay and income tax in previous
  employments (the starter's P45 the payroll continued from), in this employment and
  for the year; the final tax code; NICs by category letter (earnings at the LEL in
  whole pounds, LEL to PT, PT to UEL, the employee's contributions); student and
  postgraduate loan deductions in whole pounds. HMRC: "P60 End of Year Certificate".
- P45, for an employee who left: leaving date, tax code at leaving (Week 1/Month 1
  marked), the last week or month paid, total pay and tax to date (previous employments
  included) and in this employment, whether loan deductions continue. HMRC: "P45 Details
  of employee leaving work", parts 1A and 2.

Both come as a PDF (the payslips' WeasyPrint path) and as CSV. Opening one is an audit
event, as opening a payslip is. The NI letter is the one on the employee's record, as the
FPS reports it (results do not store the letter per payment).
"""

import csv
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.security import crypto
from tercero.services.payroll import gb, outputs, rti, rti_figures
from tercero.services.payroll.models import Employee, PayGroup, PayResult, PayRun

# audit actions are dotted words: the P45 is the leaving certificate, the P60 the year's
ACTIONS = {"P45": "leaving_certificate", "P60": "year_end_certificate"}
TAX_YEAR = re.compile(r"^(\d{4})-(\d{2})$")
CURRENCY = "GBP"


@dataclass(frozen=True)
class NicLine:
    """One NI category letter's figures for the year, in minor units."""

    letter: str
    at_lel_minor: int  # whole pounds
    lel_to_pt_minor: int
    pt_to_uel_minor: int
    employee_minor: int


@dataclass(frozen=True)
class Certificate:
    form: str  # "P45" or "P60"
    tax_year: str
    employee_id: int
    payroll_id: str
    employer: str
    paye_reference: str
    accounts_office_reference: str
    tax_code: str
    week1_month1: bool
    previous_pay_minor: int
    previous_tax_minor: int
    pay_minor: int  # taxable pay in this employment
    tax_minor: int
    nics: tuple[NicLine, ...]
    student_loan_minor: int  # whole pounds
    postgraduate_loan_minor: int  # whole pounds
    payments: int
    leaving_date: date | None = None
    last_paid: str = ""  # "Month 2", "Week 7"
    student_loan_continues: bool = False
    postgraduate_loan_continues: bool = False

    @property
    def total_pay_minor(self) -> int:
        return self.previous_pay_minor + self.pay_minor

    @property
    def total_tax_minor(self) -> int:
        return self.previous_tax_minor + self.tax_minor


def tax_year_of(day: date) -> str:
    """The UK tax year a day falls in: 6 April to 5 April ("2025-26")."""
    start = day.year if (day.month, day.day) >= (4, 6) else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def parse_tax_year(text: str) -> str:
    """A tax year as people write it ("2025-26"), or a 422 saying so."""
    found = TAX_YEAR.match((text or "").strip())
    if found is None or (int(found[1]) + 1) % 100 != int(found[2]):
        raise InvalidInput(
            f"'{text}' is not a tax year: write it as 2025-26.", fields={"tax_year": "2025-26"}
        )
    return found.group(0)


def _whole_pounds(minor: int) -> int:
    return minor // 100 * 100


def _last_paid(results: list[PayResult]) -> str:
    if not results:
        return ""
    run = results[-1].run
    if run.pay_group.frequency in ("monthly", "annual"):
        return f"Month {rti_figures.tax_month(run.pay_date)}"
    return f"Week {min(rti_figures.tax_week(run.pay_date), 56)}"


def _certificate(
    *,
    form: str,
    employee: Employee,
    tax_year: str,
    group: PayGroup,
    ytd: rti_figures.YearToDate,
    results: list[PayResult],
) -> Certificate:
    employer = rti.employer_of(group)
    figures, bands = ytd.figures, ytd.bands
    code = gb.parse_code(employee.tax_code or "1257L")
    plans = (employee.student_loan_plans or "").split()
    previous = employee.previous_tax_year == tax_year
    return Certificate(
        form=form,
        tax_year=tax_year,
        employee_id=employee.pk,
        payroll_id=employee.employee_number,
        employer=group.client.legal_name,
        paye_reference=str(employer),
        accounts_office_reference=employer.accounts_office_reference,
        tax_code=code.text,
        week1_month1=not code.cumulative,
        previous_pay_minor=employee.previous_pay_minor if previous else 0,
        previous_tax_minor=employee.previous_tax_minor if previous else 0,
        pay_minor=max(figures.taxable_pay, 0),
        tax_minor=figures.tax,
        nics=(
            NicLine(
                letter=employee.ni_category or "A",
                at_lel_minor=_whole_pounds(bands.at_lel),
                lel_to_pt_minor=bands.lel_to_pt,
                pt_to_uel_minor=bands.pt_to_uel,
                employee_minor=figures.nic_employee,
            ),
        ),
        student_loan_minor=_whole_pounds(figures.student_loan),
        postgraduate_loan_minor=_whole_pounds(figures.postgraduate_loan),
        payments=ytd.payments,
        leaving_date=rti_figures.leaving_date(employee) if form == "P45" else None,
        last_paid=_last_paid(results),
        student_loan_continues=any(p != "PGL" for p in plans),
        postgraduate_loan_continues="PGL" in plans,
    )


def _uk(employee: Employee) -> None:
    if employee.country != "GB":
        raise Conflict(
            "P45s and P60s are the United Kingdom's; this employee is not on a UK payroll.",
            code="not_uk",
        )


def _group_of(employee: Employee, results: list[PayResult]) -> PayGroup:
    """The pay group whose PAYE scheme issues the certificate: the latest one paying."""
    if results:
        return results[-1].run.pay_group
    employment = employee.employments.select_related("pay_group", "pay_group__client").last()
    if employment is None:
        raise Conflict("This employee has no employment.", code="no_employment")
    return employment.pay_group


def p60(*, employee: Employee, tax_year: str, today: date | None = None) -> Certificate:
    """The employee's P60 for `tax_year`: refused before the year has ended and for a
    year nobody paid them."""
    _uk(employee)
    tax_year = parse_tax_year(tax_year)
    end = rti_figures.tax_year_end(tax_year)
    if (today or timezone.localdate()) <= end:
        raise Conflict(
            f"The P60 for {tax_year} is made once the tax year ends on {end:%-d %B %Y}; "
            "until then the payslips show the figures to date.",
            code="year_not_ended",
        )
    results = list(rti_figures.finalised_results(employee_ids=[employee.pk], tax_year=tax_year))
    if not results:
        raise Conflict(
            f"{employee.employee_number} was not paid in {tax_year}: there is no P60.",
            code="not_paid_in_year",
        )
    ytd = rti_figures.year_to_date(employee_ids=[employee.pk], tax_year=tax_year)
    return _certificate(
        form="P60",
        employee=employee,
        tax_year=tax_year,
        group=_group_of(employee, results),
        ytd=ytd[employee.pk],
        results=results,
    )


def p45(*, employee: Employee) -> Certificate:
    """The P45 of an employee who left: the tax year's figures to the leaving date, from
    every finalised payment of that year (a final payment after leaving included)."""
    _uk(employee)
    left = rti_figures.leaving_date(employee)
    if left is None:
        raise Conflict(
            f"{employee.employee_number} has not left: a P45 is made when the employment ends.",
            code="not_a_leaver",
        )
    tax_year = tax_year_of(left)
    results = list(rti_figures.finalised_results(employee_ids=[employee.pk], tax_year=tax_year))
    ytd = rti_figures.year_to_date(employee_ids=[employee.pk], tax_year=tax_year)
    return _certificate(
        form="P45",
        employee=employee,
        tax_year=tax_year,
        group=_group_of(employee, results),
        ytd=ytd.get(employee.pk, rti_figures.YearToDate()),
        results=results,
    )


def p60s(*, pay_group: PayGroup, tax_year: str, today: date | None = None) -> list[Certificate]:
    """The P60 of everyone a pay group paid in `tax_year` (their whole year with the
    client, every pay group), by payroll ID."""
    tax_year = parse_tax_year(tax_year)
    paid = (
        PayResult.objects.filter(
            run__pay_group=pay_group,
            run__tax_year=tax_year,
            run__status=PayRun.Status.FINALISED,
        )
        .values_list("employee_id", flat=True)
        .distinct()
    )
    employees = Employee.objects.filter(pk__in=list(paid)).order_by("employee_number")
    return [p60(employee=employee, tax_year=tax_year, today=today) for employee in employees]


def years_paid(employee: Employee, *, today: date | None = None) -> list[str]:
    """The ended tax years the employee has finalised UK pay in, newest first."""
    years = (
        PayResult.objects.filter(
            employee=employee,
            run__status=PayRun.Status.FINALISED,
            run__pay_group__jurisdiction="GB",
        )
        .values_list("run__tax_year", flat=True)
        .distinct()
    )
    now = today or timezone.localdate()
    return sorted(
        (year for year in set(years) if rti_figures.tax_year_end(year) < now), reverse=True
    )


# --- outputs --------------------------------------------------------------------------------


def opened(*, certificate: Certificate, actor, client_id: int, how: str) -> None:
    """Opening a certificate (its pay, tax and NI number) is an audit event."""
    with transaction.atomic():
        record(
            action=f"payroll.{ACTIONS[certificate.form]}.opened",
            actor=actor,
            client=client_id,
            object_type="employee",
            object_id=certificate.employee_id,
            payload={"tax_year": certificate.tax_year, "as": how},
        )


def exported(*, certificates: list[Certificate], actor, pay_group: PayGroup, tax_year: str):
    with transaction.atomic():
        record(
            action="payroll.year_end_certificates.exported",
            actor=actor,
            client=pay_group.client_id,
            object_type="pay_group",
            object_id=pay_group.pk,
            payload={"tax_year": tax_year, "employees": len(certificates)},
        )


def _text(minor: int) -> str:
    return outputs.amount_text(minor, CURRENCY)


AMOUNTS = (
    "previous_pay", "previous_tax", "pay", "tax", "total_pay", "total_tax", "student_loan",
    "postgraduate_loan",
)  # fmt: skip


def html(certificate: Certificate, *, employee: Employee) -> str:
    name = crypto.open_sealed(employee.full_name) if employee.full_name else ""
    nino = crypto.open_sealed(employee.national_id) if employee.national_id else ""
    money = {key: _text(getattr(certificate, f"{key}_minor")) for key in AMOUNTS}
    nics = [
        (line.letter, _text(line.at_lel_minor), _text(line.lel_to_pt_minor),
         _text(line.pt_to_uel_minor), _text(line.employee_minor))
        for line in certificate.nics
    ]  # fmt: skip
    context = {"c": certificate, "name": name, "money": money, "nics": nics}
    context["national_id"] = nino.replace(" ", "").upper()
    return render_to_string("payroll/tax_certificate.html", context)


def pdf(certificate: Certificate, *, employee: Employee) -> bytes:
    from weasyprint import HTML  # imported here: loading Pango costs ~0.3 s

    return HTML(string=html(certificate, employee=employee)).write_pdf()


COLUMNS = (
    "form", "tax_year", "payroll_id", "national_insurance_number", "paye_reference",
    "tax_code", "week1_month1", "currency", "previous_pay", "previous_tax", "pay", "tax",
    "total_pay", "total_tax", "ni_letter", "earnings_at_lel", "lel_to_pt", "pt_to_uel",
    "employee_nics", "student_loan", "postgraduate_loan", "payments", "leaving_date",
    "last_paid",
)  # fmt: skip


def write_csv(certificates: Iterable[Certificate], sink, *, national_ids: dict[int, str]) -> int:
    """A row per employee and NI letter; amounts as plain decimals in the `currency`
    column's units; the NI number masked (the PDF is the employee's copy)."""
    writer = csv.writer(sink)
    writer.writerow(COLUMNS)
    count = 0
    for c in certificates:
        for line in c.nics:
            money = [
                outputs.money(minor, CURRENCY)
                for minor in (c.previous_pay_minor, c.previous_tax_minor, c.pay_minor,
                              c.tax_minor, c.total_pay_minor, c.total_tax_minor)
            ]  # fmt: skip
            writer.writerow(
                [c.form, c.tax_year, c.payroll_id, national_ids.get(c.employee_id, ""),
                 c.paye_reference, c.tax_code, "yes" if c.week1_month1 else "no", CURRENCY,
                 *money, line.letter, outputs.money(line.at_lel_minor, CURRENCY),
                 outputs.money(line.lel_to_pt_minor, CURRENCY),
                 outputs.money(line.pt_to_uel_minor, CURRENCY),
                 outputs.money(line.employee_minor, CURRENCY),
                 outputs.money(c.student_loan_minor, CURRENCY),
                 outputs.money(c.postgraduate_loan_minor, CURRENCY), c.payments,
                 c.leaving_date.isoformat() if c.leaving_date else "", c.last_paid]
            )  # fmt: skip
        count += 1
    return count


def masked_national_ids(employee_ids: list[int]) -> dict[int, str]:
    found = Employee.objects.filter(pk__in=employee_ids).values_list("pk", "national_id")
    return {pk: crypto.masked(value) if value else "" for pk, value in found}


def as_dict(certificate: Certificate, *, national_id: str) -> dict:
    """The certificate for the API: amounts in minor units of `currency`."""
    return {
        "form": certificate.form,
        "tax_year": certificate.tax_year,
        "employee_id": certificate.employee_id,
        "payroll_id": certificate.payroll_id,
        "national_insurance_number": national_id,
        "employer": certificate.employer,
        "paye_reference": certificate.paye_reference,
        "accounts_office_reference": certificate.accounts_office_reference,
        "tax_code": certificate.tax_code,
        "week1_month1": certificate.week1_month1,
        "currency": CURRENCY,
        "previous_pay_minor": certificate.previous_pay_minor,
        "previous_tax_minor": certificate.previous_tax_minor,
        "pay_minor": certificate.pay_minor,
        "tax_minor": certificate.tax_minor,
        "total_pay_minor": certificate.total_pay_minor,
        "total_tax_minor": certificate.total_tax_minor,
        "nics": [asdict(line) for line in certificate.nics],
        "student_loan_minor": certificate.student_loan_minor,
        "postgraduate_loan_minor": certificate.postgraduate_loan_minor,
        "payments": certificate.payments,
        "leaving_date": certificate.leaving_date,
        "last_paid": certificate.last_paid,
        "student_loan_continues": certificate.student_loan_continues,
        "postgraduate_loan_continues": certificate.postgraduate_loan_continues,
    }
