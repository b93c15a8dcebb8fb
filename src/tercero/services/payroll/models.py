"""HR records of a client's employees, and the pay groups they are paid in.

Personal fields are sealed under the client's key (masked everywhere, opened only with a
reason); the national id also has a keyed lookup hash so duplicates are found without
decrypting. Employment is effective-dated: each row holds from `valid_from` to
`valid_to` (inclusive; open-ended when null), and a change closes the current row the
day before it starts.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from tercero.platform.tenancy.models import ClientOwned


class PayGroup(ClientOwned):
    class Frequency(models.TextChoices):
        WEEKLY = "weekly", "Weekly"
        BIWEEKLY = "biweekly", "Every two weeks"
        FOUR_WEEKLY = "four_weekly", "Every four weeks"
        SEMIMONTHLY = "semimonthly", "Twice a month"
        MONTHLY = "monthly", "Monthly"
        ANNUAL = "annual", "Annually"

    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=100)
    frequency = models.CharField(max_length=12, choices=Frequency.choices)
    currency = models.CharField(max_length=3)
    jurisdiction = models.CharField(max_length=2, default="GB")
    rules = models.JSONField(default=list)  # rules.Rule fields, in evaluation order
    # the paying account: SEPA (IBAN, BIC) or NACHA (originating bank's routing number,
    # the receiving point's routing number, the company id the bank gave)
    payer_iban = models.CharField(max_length=34, blank=True)
    payer_bic = models.CharField(max_length=11, blank=True)
    payer_routing = models.CharField(max_length=9, blank=True)
    bank_routing = models.CharField(max_length=9, blank=True)
    company_id = models.CharField(max_length=10, blank=True)
    # the pay calendar (paydates.py): periods follow from the first day of any one period;
    # pay dates from the rule, moved back to a business day. No anchor: no calendar, each
    # run's dates are given by hand.
    period_anchor = models.DateField(null=True, blank=True)
    pay_rule = models.CharField(
        max_length=12,
        choices=[("offset", "Days after the period ends"), ("day_of_month", "Day of the month")],
        default="offset",
    )
    pay_offset_days = models.SmallIntegerField(default=0)
    pay_day = models.PositiveSmallIntegerField(default=28)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "name"], name="paygroup_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class PayRuleSet(ClientOwned):
    """One version of a pay group's earnings and deductions, written when the rules change
    and never changed after: a run is calculated with the version it pins, so its
    results can always be explained by the rules that made them."""

    pay_group = models.ForeignKey(PayGroup, on_delete=models.PROTECT, related_name="rule_sets")
    number = models.PositiveIntegerField()
    rules = models.JSONField()
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pay_group", "number"], name="payruleset_unique")
        ]

    def __str__(self) -> str:
        return f"{self.pay_group_id} rules v{self.number}"


class Employee(ClientOwned):
    SEALED = (
        "full_name",
        "date_of_birth",
        "address",
        "national_id",
        "iban",
        "account_number",
        "email",
    )

    employee_number = models.CharField(max_length=40)
    full_name = models.CharField(max_length=400)
    date_of_birth = models.CharField(max_length=200, blank=True)
    address = models.CharField(max_length=800, blank=True)
    country = models.CharField(max_length=2)
    national_id = models.CharField(max_length=300, blank=True)
    national_id_hash = models.CharField(max_length=64, blank=True, db_index=True)
    iban = models.CharField(max_length=300, blank=True)
    routing_number = models.CharField(max_length=9, blank=True)  # a bank's public number
    account_number = models.CharField(max_length=300, blank=True)
    email = models.CharField(max_length=400, blank=True)  # where payslips are sent
    tax_code = models.CharField(max_length=12, blank=True)
    ni_category = models.CharField(max_length=1, blank=True)
    # the student and postgraduate loans HMRC told the employer to collect: "2 PGL"
    student_loan_plans = models.CharField(max_length=20, blank=True)
    # workplace pension automatic enrolment: the day enrolled and, if it happened, the
    # day the employee opted out (within a month of enrolment: refunded)
    pension_enrolled_on = models.DateField(null=True, blank=True)
    pension_opted_out_on = models.DateField(null=True, blank=True)
    # a starter's P45: pay and tax in this tax year before joining, which cumulative PAYE
    # counts as already paid (only in the tax year they belong to)
    previous_tax_year = models.CharField(max_length=7, blank=True)
    previous_pay_minor = models.BigIntegerField(default=0)
    previous_tax_minor = models.BigIntegerField(default=0)
    # a company director (United Kingdom, HMRC CA44): appointed on this day; NICs are
    # worked on an annual earnings period (pro rata from a mid-year appointment), by the
    # annual method or the alternative one (per period, squared on the year's last pay day)
    director_since = models.DateField(null=True, blank=True)
    director_nic_method = models.CharField(
        max_length=12,
        choices=[("annual", "Annual earnings period"), ("alternative", "Alternative method")],
        default="annual",
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "employee_number"], name="employee_unique_number"
            )
        ]

    def __str__(self) -> str:
        return self.employee_number


class Employment(ClientOwned):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ON_LEAVE = "on_leave", "On leave"
        TERMINATED = "terminated", "Terminated"

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="employments")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    pay_group = models.ForeignKey(PayGroup, on_delete=models.PROTECT, related_name="+")
    department = models.CharField(max_length=100, blank=True)
    position = models.CharField(max_length=100, blank=True)
    annual_salary_minor = models.BigIntegerField(null=True, blank=True)
    hourly_rate_minor = models.BigIntegerField(null=True, blank=True)
    # the hours a week the contract sets, in seconds (37.5 hours: 135,000): what a salary
    # is divided by for the minimum wage check (minimum_wage.py); None: not recorded
    contracted_seconds_per_week = models.PositiveIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "valid_from"], name="employment_unique_start"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="employment_dates_in_order",
            ),
            models.CheckConstraint(
                condition=models.Q(annual_salary_minor__isnull=False)
                | models.Q(hourly_rate_minor__isnull=False),
                name="employment_has_pay",
            ),
        ]


class PayRun(ClientOwned):
    """One pay group's pay for one period: inputs, results, approval and release. It is
    worked as a `payroll.run` item; once finalised nothing in it changes (corrections go
    into a later run or an off-cycle run)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        CALCULATING = "calculating", "Calculating"
        CALCULATED = "calculated", "Calculated"
        SUBMITTED = "submitted", "Awaiting client approval"
        APPROVED = "approved", "Approved"
        FINALISED = "finalised", "Finalised"
        CANCELLED = "cancelled", "Cancelled"

    class Kind(models.TextChoices):
        REGULAR = "regular", "Regular"
        OFF_CYCLE = "off_cycle", "Off-cycle"

    pay_group = models.ForeignKey(PayGroup, on_delete=models.PROTECT, related_name="runs")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.REGULAR)
    tax_year = models.CharField(max_length=7)  # "2026-27"
    period = models.PositiveSmallIntegerField()  # tax period: month 1-12, week 1-53...
    period_start = models.DateField()
    period_end = models.DateField()
    pay_date = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    work_item = models.ForeignKey(
        "work.WorkItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rules_version = models.PositiveIntegerField(default=1)  # PayRuleSet.number it uses
    variance_percent = models.PositiveSmallIntegerField(default=10)
    employees_total = models.PositiveIntegerField(default=0)
    employees_done = models.PositiveIntegerField(default=0)
    flagged = models.PositiveIntegerField(default=0)
    gross_minor = models.BigIntegerField(default=0)
    deductions_minor = models.BigIntegerField(default=0)
    net_minor = models.BigIntegerField(default=0)
    employer_minor = models.BigIntegerField(default=0)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(max_length=500, blank=True)  # the approver's reason to send back
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    calculated_at = models.DateTimeField(null=True, blank=True)
    finalised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pay_date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["pay_group", "tax_year", "period"],
                condition=models.Q(kind="regular") & ~models.Q(status="cancelled"),
                name="payrun_one_regular_per_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.pay_group} {self.tax_year} period {self.period}"

    @property
    def is_locked(self) -> bool:
        return self.status in (self.Status.FINALISED, self.Status.CANCELLED)


class PayInput(ClientOwned):
    """A figure for one employee in one run (hours, overtime, a bonus...), by input name."""

    run = models.ForeignKey(PayRun, on_delete=models.CASCADE, related_name="inputs")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=40)
    value = models.CharField(max_length=30)  # a decimal, exactly as imported

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "employee", "name"], name="payinput_unique")
        ]


class PayResult(ClientOwned):
    """One employee's payslip in one run: written once (unique run + employee), which is
    what makes a killed run safe to start again."""

    run = models.ForeignKey(PayRun, on_delete=models.CASCADE, related_name="results")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+")
    gross_minor = models.BigIntegerField()
    deductions_minor = models.BigIntegerField()
    net_minor = models.BigIntegerField()
    employer_minor = models.BigIntegerField()
    lines = models.JSONField()  # [[code, name, category, amount_minor], ...]
    ytd = models.JSONField()  # year to date after this run: {code: minor, "TAXABLE": minor}
    basis = models.JSONField(default=dict)  # what it was computed from (period salary...)
    flags = models.JSONField(default=list)  # variance review: "net_moved", "new_joiner"...
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "employee"], name="payresult_once")]


class Posting(ClientOwned):
    """A journal line of a finalised run (debit or credit to one account), the ledger
    postings the finance module reads."""

    run = models.ForeignKey(PayRun, on_delete=models.CASCADE, related_name="postings")
    account = models.CharField(max_length=80)
    description = models.CharField(max_length=200)
    debit_minor = models.BigIntegerField(default=0)
    credit_minor = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["pk"]


class HrEvent(ClientOwned):
    """What was done about one HR change request (a `payroll.hr_event` work item): the
    agent who applied it to the records, and the second person who verified it. The
    item cannot be resolved until both have happened; `undo` holds what to put back
    if the application is undone before verification."""

    class Status(models.TextChoices):
        APPLIED = "applied", "Applied, awaiting verification"
        VERIFIED = "verified", "Verified"
        UNDONE = "undone", "Undone"

    work_item = models.OneToOneField("work.WorkItem", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10)  # hire, change, leave, terminate
    employee = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="hr_events"
    )
    employee_number = models.CharField(max_length=40)
    effective = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.APPLIED)
    undo = models.JSONField(default=dict)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    applied_at = models.DateTimeField(default=timezone.now)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)  # why it was undone
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-applied_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.employee_number} from {self.effective}"


class WithholdingCertificate(ClientOwned):
    """A United States employee's Form W-4 as the payroll applies it (us.W4): the one on
    file now; a new form replaces it from the next run (us_forms.record_w4)."""

    class Form(models.TextChoices):
        FROM_2020 = "2020", "2020 or later"
        BEFORE_2020 = "2019", "2019 or earlier"

    employee = models.OneToOneField(Employee, on_delete=models.CASCADE, related_name="+")
    form = models.CharField(max_length=4, choices=Form.choices, default=Form.FROM_2020)
    filing_status = models.CharField(max_length=20, default="single")
    multiple_jobs = models.BooleanField(default=False)  # Step 2(c)
    dependents_minor = models.BigIntegerField(default=0)  # Step 3
    other_income_minor = models.BigIntegerField(default=0)  # Step 4(a)
    deductions_minor = models.BigIntegerField(default=0)  # Step 4(b)
    extra_minor = models.BigIntegerField(default=0)  # Step 4(c), or line 6 before 2020
    allowances = models.PositiveSmallIntegerField(default=0)  # line 5 before 2020
    exempt = models.BooleanField(default=False)
    state = models.CharField(max_length=2, default="PA")  # where the work is done
    received_on = models.DateField()
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    # the fields the calculation reads (calc.Snapshot.withholding)
    APPLIED = (
        "form", "filing_status", "multiple_jobs", "dependents_minor", "other_income_minor",
        "deductions_minor", "extra_minor", "allowances", "exempt", "state",
    )  # fmt: skip


# Real Time Information filing (rti_models.py): one set of payroll models
from tercero.services.payroll.rti_models import RtiEmployer, RtiPerson, RtiSubmission  # noqa: E402, F401
from tercero.services.payroll.statutory_models import StatutoryAbsence  # noqa: E402, F401
