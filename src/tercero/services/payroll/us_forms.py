"""A United States pay group's Forms W-4 on file, and the figures of its Form 941
(per quarter) and Forms W-2 (per employee and year), read from the stored results of
its finalised runs: nothing is worked out again from HR records.

Which line is which tax comes from the rule version each run pinned (a line's code is
the client's; its routine, e.g. "us.fit", is the pack's). Wages are the taxable
earnings of each result; the part under the Social Security wage base, and above the
Additional Medicare threshold, follows from the year to date the result stored. A
quarter is the quarter the wages were paid in (the pay date), as Form 941 counts them.

Form 941 (Instructions for Form 941): line 1 counts the employees paid for a pay period
that includes the 12th of the quarter's last month; lines 5a, 5c and 5d are the wages
times 12.4 %, 2.9 % and 0.9 % rounded to the cent; line 7 is the fractions of cents:
what was actually withheld and owed per payment (employee and employer shares) less
line 5e.
"""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from tercero.platform.audit.services import record
from tercero.platform.errors import InvalidInput
from tercero.services.payroll import calc, us
from tercero.services.payroll.models import (
    Employee,
    PayGroup,
    PayResult,
    PayRuleSet,
    PayRun,
    WithholdingCertificate,
)
from tercero.services.payroll.services import to_minor

if TYPE_CHECKING:
    from tercero.platform.identity.models import User

W4_AMOUNTS = ("dependents", "other_income", "deductions", "extra")


def record_w4(
    *,
    actor: "User | None",
    employee: Employee,
    received_on: date,
    form: str = "2020",
    filing_status: str = "single",
    multiple_jobs: bool = False,
    dependents: str = "0",
    other_income: str = "0",
    deductions: str = "0",
    extra: str = "0",
    allowances: int = 0,
    exempt: bool = False,
    state: str = "PA",
) -> WithholdingCertificate:
    """Put an employee's new Form W-4 on file (it replaces the one before from the next
    calculation). Refused, naming the field, when the withholding could not apply it."""
    amounts = {
        name: to_minor(value or "0", "USD", field=name) or 0
        for name, value in zip(
            W4_AMOUNTS, (dependents, other_income, deductions, extra), strict=True
        )
    }
    w4 = us.W4(form=form, filing_status=filing_status, multiple_jobs=multiple_jobs,
               allowances=allowances, exempt=exempt, state=(state or "").upper(),
               **{name: Decimal(minor).scaleb(-2) for name, minor in amounts.items()})  # fmt: skip
    us.check(w4, year=_pack_year(received_on))
    fields = {
        "form": w4.form,
        "filing_status": w4.filing_status,
        "multiple_jobs": w4.multiple_jobs,
        "allowances": w4.allowances,
        "exempt": w4.exempt,
        "state": w4.state,
        "received_on": received_on,
        **{f"{name}_minor": minor for name, minor in amounts.items()},
    }
    with transaction.atomic():
        found = WithholdingCertificate.objects.select_for_update().filter(employee=employee)
        certificate = found.first()
        if certificate is None:
            certificate = WithholdingCertificate.objects.create(
                client_id=employee.client_id, employee=employee, **fields
            )
        else:
            found.update(version=certificate.version + 1, **fields)
            certificate.refresh_from_db()
        record(
            action="payroll.withholding_certificate.recorded",
            actor=actor,
            client=employee.client_id,
            object_type="employee",
            object_id=employee.pk,
            payload={"form": w4.form, "filing_status": w4.filing_status, "state": w4.state},
        )
    return certificate


def _pack_year(day: date) -> str:
    """The pack a certificate is checked against: its year's, or the latest one."""
    years = sorted(path.stem[3:] for path in us.PACKS.glob("us-*.json"))
    return str(day.year) if str(day.year) in years else years[-1]


def certificate_of(*, employee: Employee) -> WithholdingCertificate | None:
    return WithholdingCertificate.objects.filter(employee=employee).first()


@dataclass
class Wages:
    """One employee's (or a quarter's) sums in cents."""

    wages: int = 0  # W-2 box 1, 941 line 2
    income_tax: int = 0  # box 2, line 3
    social_security_wages: int = 0  # box 3, line 5a
    social_security_tax: int = 0  # box 4 (employee's share)
    medicare_wages: int = 0  # box 5, line 5c
    medicare_tax: int = 0  # box 6 (employee's share, Additional Medicare included)
    additional_medicare_wages: int = 0  # line 5d
    employer_social_security: int = 0
    employer_medicare: int = 0
    futa_wages: int = 0
    futa_tax: int = 0
    state_wages: int = 0  # box 16
    state_income_tax: int = 0  # box 17
    state_unemployment: int = 0  # box 14, the employee's contributions

    def add(self, other: "Wages") -> None:
        for name, value in vars(other).items():
            setattr(self, name, getattr(self, name) + value)


# line routine -> the sum it adds to
ROUTINE_SUMS = {
    "us.fit": "income_tax",
    "us.social_security": "social_security_tax",
    "us.medicare": "medicare_tax",
    "us.social_security_employer": "employer_social_security",
    "us.medicare_employer": "employer_medicare",
    "us.futa": "futa_tax",
    "us.state_income_tax": "state_income_tax",
    "us.state_unemployment": "state_unemployment",
}


def _routines(run: PayRun) -> tuple[dict[str, str], set[str]]:
    """The run's pinned rules: each tax line's routine, and the taxable earnings."""
    rules = PayRuleSet.objects.get(pay_group_id=run.pay_group_id, number=run.rules_version).rules
    routines = {rule["code"]: rule["tax"] for rule in rules if rule.get("kind") == "tax"}
    taxable = {
        rule["code"]
        for rule in rules
        if rule.get("category") == "earning" and rule.get("taxable", True)
    }
    return routines, taxable


def _cents(value: Decimal) -> int:
    return int(value.scaleb(2).to_integral_value(rounding=ROUND_HALF_UP))


def result_wages(lines: list, ytd: dict, routines: dict, taxable: set, rates: dict) -> Wages:
    """What one stored result adds to the forms."""
    sums = Wages()
    for code, _name, _category, amount in lines:
        if code in taxable:
            sums.wages += amount
        if routines.get(code) in ROUTINE_SUMS:
            name = ROUTINE_SUMS[routines[code]]
            setattr(sums, name, getattr(sums, name) + amount)
    paid = Decimal(sums.wages).scaleb(-2)
    before = Decimal(ytd.get(calc.TAXABLE_TO_DATE, 0)).scaleb(-2) - paid
    sums.social_security_wages = _cents(
        us.capped(paid, before, Decimal(rates["social_security"]["wage_base"]))
    )
    sums.medicare_wages = sums.wages
    sums.additional_medicare_wages = _cents(
        us.above(paid, before, Decimal(rates["medicare"]["additional_threshold"]))
    )
    sums.futa_wages = _cents(us.capped(paid, before, Decimal(rates["futa"]["wage_base"])))
    sums.state_wages = sums.wages
    return sums


def _finalised(group: PayGroup, year: int):
    return PayRun.objects.filter(
        pay_group=group, status=PayRun.Status.FINALISED, pay_date__year=year
    ).order_by("pay_date", "pk")


def _each_result(group: PayGroup, year: int):
    """(run, employee id, its Wages) for every stored result of the year's finalised
    runs, in the order they were paid."""
    rates = us.pack(str(year))
    for run in _finalised(group, year):
        routines, taxable = _routines(run)
        rows = PayResult.objects.filter(run=run).order_by("employee_id")
        for employee_id, lines, ytd in rows.values_list("employee_id", "lines", "ytd"):
            yield run, employee_id, result_wages(lines, ytd, routines, taxable, rates)


@dataclass(frozen=True)
class Form941:
    """Form 941's lines for one quarter, in cents (line 1 a head count)."""

    year: int
    quarter: int
    sums: Wages
    line_1: int
    line_5a_tax: int
    line_5c_tax: int
    line_5d_tax: int

    @property
    def line_5e(self) -> int:
        return self.line_5a_tax + self.line_5c_tax + self.line_5d_tax

    @property
    def line_6(self) -> int:
        return self.sums.income_tax + self.line_5e

    @property
    def line_7(self) -> int:
        """Fractions of cents: the per-payment amounts less what line 5e works out."""
        s = self.sums
        paid = (
            s.social_security_tax
            + s.medicare_tax
            + s.employer_social_security
            + s.employer_medicare
        )
        return paid - self.line_5e

    @property
    def line_10(self) -> int:
        return self.line_6 + self.line_7

    def lines(self) -> list[tuple[str, str, int | None, int]]:
        """(line, what it is, wages column or None, the amount) as the form sets it out."""
        s = self.sums
        return [
            ("1", "Employees paid for the pay period including the 12th", None, self.line_1),
            ("2", "Wages, tips, and other compensation", None, s.wages),
            ("3", "Federal income tax withheld", None, s.income_tax),
            ("5a", "Taxable social security wages x 0.124", s.social_security_wages,
             self.line_5a_tax),
            ("5c", "Taxable Medicare wages x 0.029", s.medicare_wages, self.line_5c_tax),
            ("5d", "Wages subject to Additional Medicare Tax withholding x 0.009",
             s.additional_medicare_wages, self.line_5d_tax),
            ("5e", "Total social security and Medicare taxes", None, self.line_5e),
            ("6", "Total taxes before adjustments", None, self.line_6),
            ("7", "Current quarter's adjustment for fractions of cents", None, self.line_7),
            ("10", "Total taxes after adjustments", None, self.line_10),
            ("12", "Total taxes after adjustments and nonrefundable credits", None,
             self.line_10),
        ]  # fmt: skip


QUARTER_TWELFTHS = {1: 3, 2: 6, 3: 9, 4: 12}  # the month whose 12th line 1 counts


def form_941(*, group: PayGroup, year: int, quarter: int) -> Form941:
    """Form 941's figures for a quarter of a United States pay group."""
    if group.jurisdiction != "US":
        raise InvalidInput("Form 941 is for United States pay groups.")
    if quarter not in QUARTER_TWELFTHS:
        raise InvalidInput("A quarter is 1 to 4.", fields={"quarter": "1 to 4"})
    twelfth = date(year, QUARTER_TWELFTHS[quarter], 12)
    sums, counted = Wages(), set()
    for run, employee_id, wages in _each_result(group, year):
        if (run.pay_date.month - 1) // 3 + 1 != quarter:
            continue
        sums.add(wages)
        if wages.wages and run.period_start <= twelfth <= run.period_end:
            counted.add(employee_id)
    rates = us.pack(str(year))
    social = Decimal(rates["social_security"]["employee_rate"]) + Decimal(
        rates["social_security"]["employer_rate"]
    )
    medicare = Decimal(rates["medicare"]["employee_rate"]) + Decimal(
        rates["medicare"]["employer_rate"]
    )
    additional = Decimal(rates["medicare"]["additional_rate"])
    return Form941(
        year=year,
        quarter=quarter,
        sums=sums,
        line_1=len(counted),
        line_5a_tax=_cents(Decimal(sums.social_security_wages).scaleb(-2) * social),
        line_5c_tax=_cents(Decimal(sums.medicare_wages).scaleb(-2) * medicare),
        line_5d_tax=_cents(Decimal(sums.additional_medicare_wages).scaleb(-2) * additional),
    )


@dataclass(frozen=True)
class FormW2:
    employee_number: str
    state: str
    sums: Wages

    def boxes(self) -> list[tuple[str, str, int]]:
        s = self.sums
        return [
            ("1", "Wages, tips, other compensation", s.wages),
            ("2", "Federal income tax withheld", s.income_tax),
            ("3", "Social security wages", s.social_security_wages),
            ("4", "Social security tax withheld", s.social_security_tax),
            ("5", "Medicare wages and tips", s.medicare_wages),
            ("6", "Medicare tax withheld", s.medicare_tax),
            ("14", f"{self.state} unemployment (employee)", s.state_unemployment),
            ("16", f"{self.state} state wages", s.state_wages),
            ("17", f"{self.state} state income tax", s.state_income_tax),
        ]


def forms_w2(*, group: PayGroup, year: int) -> list[FormW2]:
    """Each employee's Form W-2 figures for the year from this pay group."""
    if group.jurisdiction != "US":
        raise InvalidInput("Form W-2 is for United States pay groups.")
    by_employee: dict[int, Wages] = defaultdict(Wages)
    for _run, employee_id, wages in _each_result(group, year):
        by_employee[employee_id].add(wages)
    numbers = dict(Employee.objects.filter(pk__in=by_employee).values_list("pk", "employee_number"))
    states = dict(
        WithholdingCertificate.objects.filter(employee_id__in=by_employee).values_list(
            "employee_id", "state"
        )
    )
    return [
        FormW2(numbers[pk], states.get(pk, "PA"), by_employee[pk])
        for pk in sorted(by_employee, key=lambda pk: numbers[pk])
    ]


def dollars(cents: int) -> str:
    return str(Decimal(cents).scaleb(-2))


def forms_csv(*, group: PayGroup, year: int) -> str:
    """Every quarter's Form 941 lines and every employee's W-2 boxes, one row each."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["form", "period", "employee", "line or box", "description", "wages",
                     "amount"])  # fmt: skip
    for quarter in range(1, 5):
        form = form_941(group=group, year=year, quarter=quarter)
        for line, text, wages, amount in form.lines():
            money = line != "1"
            writer.writerow(["941", f"{year} Q{quarter}", "", line, text,
                             "" if wages is None else dollars(wages),
                             dollars(amount) if money else amount])  # fmt: skip
    for w2 in forms_w2(group=group, year=year):
        for box, text, amount in w2.boxes():
            writer.writerow(["W-2", str(year), w2.employee_number, box, text, "",
                             dollars(amount)])  # fmt: skip
    return out.getvalue()
