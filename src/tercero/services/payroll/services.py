"""Every change to HR records: hiring an employee, changing their employment from a date,
and their leaving. Identifiers are checked before anything is stored; personal fields are
sealed; each change is an audit event."""

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction

from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.security import crypto
from tercero.services.payroll import calc, gb, identifiers, selectors, student_loans
from tercero.services.payroll.models import Employee, Employment, PayGroup

if TYPE_CHECKING:
    from tercero.platform.identity.models import User


def to_minor(amount, currency: str, *, field: str) -> int | None:
    """A money amount in major units (string or Decimal) as integer minor units; more
    decimals than the currency has is an error, never a silent rounding."""
    if amount in (None, ""):
        return None
    places = calc.places(currency)
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise InvalidInput(f"{field} is not an amount.", fields={field: "amount"}) from None
    if not value.is_finite() or value < 0 or value >= Decimal(10) ** 12:
        raise InvalidInput(f"{field} is out of range.", fields={field: "0 to 10^12"})
    minor = value.scaleb(places)
    if minor != minor.to_integral_value():
        raise InvalidInput(
            f"{field} has more decimals than {currency} allows.", fields={field: f"{places} dp"}
        )
    return int(minor)


def _sealed(client_id: int, value: str, kind: str = "") -> str:
    value = (value or "").strip()
    return crypto.seal(client_id, value, kind=kind) if value else ""


def hire(
    *,
    actor,
    client_id: int,
    employee_number: str,
    full_name: str,
    country: str,
    start: date,
    pay_group: PayGroup,
    annual_salary=None,
    hourly_rate=None,
    contracted_hours=None,
    date_of_birth: str = "",
    address: str = "",
    national_id: str = "",
    iban: str = "",
    routing_number: str = "",
    account_number: str = "",
    email: str = "",
    tax_code: str = "",
    ni_category: str = "",
    student_loan_plans: str = "",
    pension_enrolled_on: date | None = None,
    director_since: date | None = None,
    director_nic_method: str = "annual",
    department: str = "",
    position: str = "",
    previous_pay=None,
    previous_tax=None,
) -> Employee:
    """A new employee with their first employment row from `start`; `previous_pay` and
    `previous_tax` are a starter's P45 figures for the tax year `start` is in."""
    country = (country or "").upper()
    problems = {}
    if not (employee_number or "").strip():
        problems["employee_number"] = "required"
    if not (full_name or "").strip():
        problems["full_name"] = "required"
    if len(country) != 2:
        problems["country"] = "ISO 3166 code, e.g. GB"
    if pay_group.client_id != client_id:
        problems["pay_group"] = "not this client's"
    if problems:
        raise InvalidInput("Please check the highlighted fields.", fields=problems)
    national = identifiers.national_id(country, national_id) if national_id else ""
    account = _bank(iban, routing_number, account_number)
    if tax_code:
        tax_code = gb.parse_code(tax_code).text
    ni_category = gb.ni_category(ni_category)
    student_loan_plans = student_loans.parse_plans(student_loan_plans)
    if director_nic_method not in ("annual", "alternative"):
        raise InvalidInput(
            "A director's NICs method is annual or alternative.",
            fields={"director_nic_method": "annual or alternative"},
        )
    p45 = _p45(pay_group, start, previous_pay, previous_tax)
    with transaction.atomic():
        try:
            employee = Employee.objects.create(
                client_id=client_id,
                employee_number=employee_number.strip(),
                full_name=_sealed(client_id, full_name, "name"),
                date_of_birth=_sealed(client_id, date_of_birth, "date"),
                address=_sealed(client_id, address),
                country=country,
                national_id=_sealed(client_id, national, "national_id"),
                national_id_hash=crypto.lookup_hash(client_id, national) if national else "",
                iban=_sealed(client_id, account["iban"], "iban"),
                routing_number=account["routing_number"],
                account_number=_sealed(client_id, account["account_number"], "account"),
                email=_sealed(client_id, _email(email), "email"),
                tax_code=tax_code,
                ni_category=ni_category,
                student_loan_plans=student_loan_plans,
                pension_enrolled_on=pension_enrolled_on,
                director_since=director_since,
                director_nic_method=director_nic_method,
                **p45,
            )
        except IntegrityError:
            raise Conflict(
                "An employee with this number exists.", fields={"employee_number": "taken"}
            ) from None
        _employment(
            employee,
            start=start,
            pay_group=pay_group,
            annual_salary=annual_salary,
            hourly_rate=hourly_rate,
            contracted_hours=contracted_hours,
            department=department,
            position=position,
            reason="hire",
        )
        record(
            action="payroll.employee.hired",
            actor=actor,
            client=client_id,
            object_type="employee",
            object_id=employee.pk,
            payload={"start": start.isoformat()},
        )
    return employee


def _p45(pay_group: PayGroup, start: date, pay, tax) -> dict:
    if pay in (None, "") and tax in (None, ""):
        return {}
    currency = pay_group.currency
    tax_year, _ = calc.tax_period(
        jurisdiction=pay_group.jurisdiction, frequency=pay_group.frequency, pay_date=start
    )
    return {
        "previous_tax_year": tax_year,
        "previous_pay_minor": to_minor(pay, currency, field="previous_pay") or 0,
        "previous_tax_minor": to_minor(tax, currency, field="previous_tax") or 0,
    }


def _email(value: str) -> str:
    value = (value or "").strip()
    if value and (len(value) > 254 or "@" not in value[1:-1] or " " in value):
        raise InvalidInput("That is not an e-mail address.", fields={"email": "address"})
    return value


def _bank(iban: str, routing_number: str, account_number: str) -> dict:
    if iban:
        return {"iban": identifiers.iban(iban), "routing_number": "", "account_number": ""}
    if routing_number or account_number:
        return {
            "iban": "",
            "routing_number": identifiers.us_routing_number(routing_number),
            "account_number": identifiers.us_account_number(account_number),
        }
    return {"iban": "", "routing_number": "", "account_number": ""}


def _employment(employee: Employee, *, start: date, pay_group: PayGroup, **fields) -> Employment:
    currency = pay_group.currency
    salary = to_minor(fields.pop("annual_salary", None), currency, field="annual_salary")
    hourly = to_minor(fields.pop("hourly_rate", None), currency, field="hourly_rate")
    weekly = weekly_seconds(fields.pop("contracted_hours", None))
    if salary is None and hourly is None:
        raise InvalidInput(
            "Give an annual salary or an hourly rate.", fields={"annual_salary": "required"}
        )
    return Employment.objects.create(
        client_id=employee.client_id,
        employee=employee,
        valid_from=start,
        pay_group=pay_group,
        annual_salary_minor=salary,
        hourly_rate_minor=hourly,
        contracted_seconds_per_week=weekly,
        currency=currency,
        **fields,
    )


def change_employment(
    *,
    actor: "User | None",
    employee: Employee,
    effective: date,
    pay_group: PayGroup | None = None,
    department: str | None = None,
    position: str | None = None,
    annual_salary: Decimal | str | None = None,
    hourly_rate: Decimal | str | None = None,
    contracted_hours: Decimal | str | None = None,
    status: str | None = None,
    reason: str = "",
) -> Employment:
    """A change from `effective` on (a new salary, position, pay group or status): the
    row in force that day ends the day before, the new one starts; rows after
    `effective` are refused (correct them first), so history is never rewritten
    silently. What is left None carries over from the row in force; `reason` is the
    new row's own."""
    given = {
        "department": department,
        "position": position,
        "annual_salary": annual_salary,
        "hourly_rate": hourly_rate,
        "contracted_hours": contracted_hours,
        "status": status,
    }
    changes: dict[str, Any] = {name: value for name, value in given.items() if value is not None}
    if reason:
        changes["reason"] = reason
    changed = sorted([*changes, "pay_group"] if pay_group is not None else changes)
    with transaction.atomic():
        rows = Employment.objects.select_for_update().filter(employee=employee)
        current = selectors.employment_on(employee=employee, day=effective)
        if current is None:
            raise Conflict("The employee is not employed on that day.", code="not_employed")
        if rows.filter(valid_from__gt=effective).exists():
            raise Conflict(
                "A later change exists; change from its date or undo it first.",
                code="later_change",
            )
        if current.valid_from == effective:
            raise Conflict("A change already starts that day.", code="same_day")
        pay_group = pay_group or current.pay_group
        if pay_group.client_id != employee.client_id:
            raise InvalidInput("Pay group not found.", fields={"pay_group": "not this client's"})
        carried = {
            "department": current.department,
            "position": current.position,
            "status": current.status,
            "annual_salary": to_major(current.annual_salary_minor, current.currency),
            "hourly_rate": to_major(current.hourly_rate_minor, current.currency),
            "contracted_hours": weekly_hours(current.contracted_seconds_per_week),
        }
        carried.update(changes)
        end = current.valid_to
        Employment.objects.filter(pk=current.pk).update(valid_to=effective - timedelta(days=1))
        made = _employment(employee, start=effective, pay_group=pay_group, **carried)
        if end is not None:
            Employment.objects.filter(pk=made.pk).update(valid_to=end)
        record(
            action="payroll.employment.changed",
            actor=actor,
            client=employee.client_id,
            object_type="employee",
            object_id=employee.pk,
            payload={"effective": effective.isoformat(), "fields": changed},
        )
    made.refresh_from_db()
    return made


def weekly_seconds(hours: Decimal | str | None) -> int | None:
    """Contracted hours a week ("37.5") as seconds; None or "" when not recorded."""
    if hours is None or hours == "":
        return None
    try:
        value = Decimal(str(hours).strip())
    except ArithmeticError:
        value = Decimal("NaN")
    if not value.is_finite() or not 0 < value <= 168 or value != value.quantize(Decimal("0.01")):
        raise InvalidInput(
            "Contracted hours a week are a number above 0 and at most 168, to two decimals (37.5).",
            fields={"contracted_hours": "hours a week, 0.01 to 168"},
        )
    return int(value * 3600)


def weekly_hours(seconds: int | None) -> Decimal | None:
    """Seconds a week as hours (135000 -> 37.5), the way people write them."""
    if seconds is None:
        return None
    hours = (Decimal(seconds) / 3600).quantize(Decimal("0.01"))
    return hours.quantize(Decimal(1)) if hours == hours.to_integral_value() else hours.normalize()


def to_major(minor: int | None, currency: str):
    if minor is None:
        return None
    places = calc.places(currency)
    return Decimal(minor).scaleb(-places)


def leave(*, actor, employee: Employee, last_day: date, reason: str = "leaver") -> None:
    """The employee's last day: their employment ends then; pay runs after it skip them."""
    with transaction.atomic():
        current = selectors.employment_on(employee=employee, day=last_day)
        if current is None:
            raise Conflict("The employee is not employed on that day.", code="not_employed")
        if Employment.objects.filter(employee=employee, valid_from__gt=last_day).exists():
            raise Conflict("A change after the last day exists.", code="later_change")
        Employment.objects.filter(pk=current.pk).update(valid_to=last_day, reason=reason[:200])
        record(
            action="payroll.employee.left",
            actor=actor,
            client=employee.client_id,
            object_type="employee",
            object_id=employee.pk,
            payload={"last_day": last_day.isoformat()},
        )


def record_pension_opt_out(*, actor, employee: Employee, opted_out_on: date) -> Employee:
    """The employee opted out of the workplace pension on `opted_out_on`: within a month
    of enrolment the next pay run refunds what was deducted, later it only stops the
    contributions (pensions.membership). Once only, and never before enrolment."""
    with transaction.atomic():
        current = Employee.objects.select_for_update().get(pk=employee.pk)
        if current.pension_opted_out_on is not None:
            raise Conflict("The opt-out is already recorded.", code="opted_out")
        if current.pension_enrolled_on and opted_out_on < current.pension_enrolled_on:
            raise InvalidInput(
                "An opt-out comes after the enrolment date.", fields={"opted_out_on": "date"}
            )
        Employee.objects.filter(pk=current.pk).update(
            pension_opted_out_on=opted_out_on, version=current.version + 1
        )
        record(
            action="payroll.pension.opted_out",
            actor=actor,
            client=current.client_id,
            object_type="employee",
            object_id=current.pk,
            payload={"opted_out_on": opted_out_on.isoformat()},
        )
    current.refresh_from_db()
    return current
