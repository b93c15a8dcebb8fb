"""Payroll's work types: a pay run is worked as one item, done when the run is
finalised (or cancelled); an HR change (hire, change, leave, terminate) a client asks
for is one item, done when an HR agent has applied it and a second person verified it."""

from datetime import date, time
from typing import Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from tercero.delivery.work import registry
from tercero.platform.errors import InvalidInput
from tercero.services.payroll import gb, identifiers, lifecycle, student_loans


class RunPayload(BaseModel):
    run_id: int = Field(ge=1)
    pay_group: str = Field(max_length=100)
    tax_year: str = Field(max_length=7)
    period: int = Field(ge=1, le=53)
    pay_date: date
    kind: str = Field(default="regular", max_length=10)


def _deadline(payload: RunPayload):
    # banks need the payment file three business days before the pay date
    return registry.Deadline(anchor=payload.pay_date, business_days_before=3, at=time(12, 0))


def _complete(payload: RunPayload, resolution: str) -> list[str]:
    from tercero.services.payroll.models import PayRun

    status = PayRun.objects.filter(pk=payload.run_id).values_list("status", flat=True).first()
    if status not in lifecycle.ENDED:
        return ["The pay run is not finalised yet."]
    return []


RUN = registry.WorkType(
    key="payroll.run",
    title="Pay run",
    payload_schema=RunPayload,
    office="back",
    channel="back_office",
    default_skills={"payroll": 1},
    sla_metrics=("turnaround",),
    deadline=_deadline,
    summary=lambda p: f"{p.pay_group}: {p.tax_year} period {p.period}, paid {p.pay_date}",
    display_fields=(
        ("pay_group", "Pay group"),
        ("tax_year", "Tax year"),
        ("period", "Period"),
        ("pay_date", "Pay date"),
        ("kind", "Kind"),
    ),
    completion_check=_complete,
    panel_url="payroll:run-panel",
)


AMOUNT = r"^\d{1,12}(\.\d{1,3})?$"
CHANGES = (
    "pay_group",
    "annual_salary",
    "hourly_rate",
    "contracted_hours",
    "department",
    "position",
)
HOURS = r"^\d{1,3}(\.\d{1,2})?$"


class HrEventPayload(BaseModel):
    """A change to an employee's HR record, as the client asks for it. Identifiers are
    checked here, so a typo is refused when the request is made, not when it is applied."""

    event: Literal["hire", "change", "leave", "terminate"] = Field(
        title="Event",
        description="hire: a new employee; change: new pay or position; leave: leave of "
        "absence; terminate: employment ends",
    )
    employee_number: str = Field(min_length=1, max_length=40, title="Employee number")
    effective: date = Field(
        title="Effective date",
        description="hire: first day of work; change: first day of the new terms; leave: "
        "first day of leave; terminate: last day of work",
    )
    return_date: date | None = Field(
        default=None, title="Back at work on", description="leave only: the first day back"
    )
    reason: str = Field(default="", max_length=200, title="Reason")
    pay_group: str = Field(default="", max_length=100, title="Pay group")
    annual_salary: str = Field(default="", max_length=20, pattern=rf"({AMOUNT})|^$")
    hourly_rate: str = Field(default="", max_length=20, pattern=rf"({AMOUNT})|^$")
    contracted_hours: str = Field(
        default="",
        max_length=6,
        pattern=rf"({HOURS})|^$",
        title="Contracted hours a week",
        description="e.g. 37.5; a salary is checked against the minimum wage per hour",
    )
    department: str = Field(default="", max_length=100)
    position: str = Field(default="", max_length=100)
    full_name: str = Field(default="", max_length=200, title="Full name")
    date_of_birth: date | None = Field(default=None, title="Date of birth")
    address: str = Field(default="", max_length=400)
    country: str = Field(default="GB", pattern=r"^[A-Z]{2}$", title="Country (ISO code)")
    national_id: str = Field(
        default="", max_length=40, title="National id", description="GB: National Insurance number"
    )
    iban: str = Field(default="", max_length=40, title="Bank account (IBAN)")
    routing_number: str = Field(default="", max_length=9, title="US routing number")
    account_number: str = Field(default="", max_length=17, title="US account number")
    email: str = Field(default="", max_length=254, title="E-mail for payslips")
    tax_code: str = Field(default="", max_length=12, title="Tax code")
    ni_category: str = Field(default="", max_length=1, pattern=r"^[A-Z]?$", title="NI category")
    student_loan_plans: str = Field(
        default="", max_length=20, title="Student loans", description="Plans 1, 2, 4, 5 and PGL"
    )
    director_since: date | None = Field(
        default=None,
        title="Company director since",
        description="United Kingdom: directors' NICs on an annual earnings period (CA44)",
    )
    director_nic_method: Literal["annual", "alternative"] = Field(
        default="annual",
        title="Director's NICs method",
        description="annual: the annual earnings period; alternative: per pay period, "
        "squared on the year's last pay day",
    )
    previous_pay: str = Field(
        default="",
        max_length=20,
        pattern=rf"({AMOUNT})|^$",
        title="Pay this tax year before joining (P45)",
    )
    previous_tax: str = Field(
        default="",
        max_length=20,
        pattern=rf"({AMOUNT})|^$",
        title="Tax paid on it (P45)",
    )

    @field_validator("national_id")
    @classmethod
    def _national_id(cls, value: str, info: ValidationInfo) -> str:
        return _checked(identifiers.national_id, info.data.get("country", ""), value)

    @field_validator("iban")
    @classmethod
    def _iban(cls, value: str) -> str:
        return _checked(identifiers.iban, value)

    @field_validator("routing_number")
    @classmethod
    def _routing(cls, value: str) -> str:
        return _checked(identifiers.us_routing_number, value)

    @field_validator("account_number")
    @classmethod
    def _account(cls, value: str) -> str:
        return _checked(identifiers.us_account_number, value)

    @field_validator("tax_code")
    @classmethod
    def _tax_code(cls, value: str) -> str:
        return _checked(lambda text: gb.parse_code(text).text, value)

    @field_validator("ni_category", mode="before")
    @classmethod
    def _ni_category(cls, value: str) -> str:
        return _checked(gb.ni_category, value)

    @field_validator("student_loan_plans")
    @classmethod
    def _student_loan_plans(cls, value: str) -> str:
        return _checked(student_loans.parse_plans, value)

    @model_validator(mode="after")
    def _complete(self):
        if bool(self.routing_number) != bool(self.account_number):
            raise ValueError("A US bank account needs both the routing and the account number.")
        if self.event == "hire":
            missing = [n for n in ("full_name", "pay_group") if not getattr(self, n)]
            if not (self.annual_salary or self.hourly_rate):
                missing.append("annual_salary or hourly_rate")
            if missing:
                raise ValueError(f"A hire needs {', '.join(missing)}.")
        if self.event == "change" and not any(getattr(self, n) for n in CHANGES):
            raise ValueError(f"A change needs at least one of {', '.join(CHANGES)}.")
        if self.return_date is not None and (
            self.event != "leave" or self.return_date <= self.effective
        ):
            raise ValueError("The date back at work is for a leave, after its first day.")
        return self


def _checked(check, *args) -> str:
    """An identifier in standard form; empty stays empty; a bad one is a field error."""
    if not args[-1]:
        return ""
    try:
        return check(*args)
    except InvalidInput as error:
        raise ValueError(error.message) from None


def _hr_done(item_id: int) -> list[str]:
    from tercero.services.payroll.models import HrEvent

    status = HrEvent.objects.filter(work_item_id=item_id).values_list("status", flat=True).first()
    refused, _code = lifecycle.refusal(
        lifecycle.HR_CHANGE, "resolve", status or lifecycle.NOT_APPLIED, ""
    )
    return [refused] if refused else []


HR_EVENT = registry.WorkType(
    key="payroll.hr_event",
    title="HR change",
    payload_schema=HrEventPayload,
    office="back",
    channel="back_office",
    default_skills={"hr": 1},
    sla_metrics=("turnaround",),
    summary=lambda p: f"{p.event.capitalize()} {p.employee_number} from {p.effective}",
    display_fields=(
        ("event", "Event"),
        ("employee_number", "Employee number"),
        ("effective", "Effective date"),
        ("return_date", "Back at work on"),
        ("reason", "Reason"),
        ("pay_group", "Pay group"),
        ("annual_salary", "Annual salary"),
        ("hourly_rate", "Hourly rate"),
        ("contracted_hours", "Contracted hours a week"),
        ("department", "Department"),
        ("position", "Position"),
        ("full_name", "Full name"),
        ("date_of_birth", "Date of birth"),
        ("address", "Address"),
        ("country", "Country"),
        ("national_id", "National id"),
        ("iban", "Bank account (IBAN)"),
        ("routing_number", "US routing number"),
        ("account_number", "US account number"),
        ("email", "E-mail"),
        ("tax_code", "Tax code"),
        ("ni_category", "NI category"),
        ("student_loan_plans", "Student loans"),
        ("director_since", "Company director since"),
        ("director_nic_method", "Director's NICs method"),
        ("previous_pay", "Pay this tax year before joining (P45)"),
        ("previous_tax", "Tax paid on it (P45)"),
    ),
    item_check=_hr_done,
    personal_fields=(
        "full_name",
        "date_of_birth",
        "address",
        "national_id",
        "iban",
        "account_number",
        "email",
    ),
    personal_kinds={
        "full_name": "name",
        "date_of_birth": "date",
        "national_id": "national_id",
        "iban": "iban",
        "account_number": "account",
        "email": "email",
    },
    attachment="optional",
    panel_url="payroll:hr-panel",
)
