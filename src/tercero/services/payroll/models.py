"""HR records of a client's employees, and the pay groups they are paid in.

Personal fields are sealed under the client's key (masked everywhere, opened only with a
reason); the national id also has a keyed lookup hash so duplicates are found without
decrypting. Employment is effective-dated: each row holds from `valid_from` to
`valid_to` (inclusive; open-ended when null), and a change closes the current row the
day before it starts.
"""

from django.db import models
from django.utils import timezone

from tercero.platform.tenancy.models import ClientOwned


class PayGroup(ClientOwned):
    class Frequency(models.TextChoices):
        WEEKLY = "weekly", "Weekly"
        BIWEEKLY = "biweekly", "Every two weeks"
        SEMIMONTHLY = "semimonthly", "Twice a month"
        MONTHLY = "monthly", "Monthly"

    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=100)
    frequency = models.CharField(max_length=12, choices=Frequency.choices)
    currency = models.CharField(max_length=3)
    jurisdiction = models.CharField(max_length=2, default="GB")
    rules = models.JSONField(default=list)  # rules.Rule fields, in evaluation order
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "name"], name="paygroup_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Employee(ClientOwned):
    SEALED = ("full_name", "date_of_birth", "address", "national_id", "iban", "account_number")

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
    tax_code = models.CharField(max_length=12, blank=True)
    ni_category = models.CharField(max_length=1, blank=True)
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
