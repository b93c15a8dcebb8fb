"""What Real Time Information filing with HMRC keeps: a UK pay group's employer
references (the PAYE scheme HMRC knows it by), and each document sent to HMRC with
HMRC's answer. Imported by models.py, so the app's models are one set."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from tercero.platform.tenancy.models import ClientOwned


class RtiEmployer(ClientOwned):
    """A UK pay group's PAYE scheme: the employer PAYE reference ("123/AB45678": tax
    office number, then the reference) and the Accounts Office reference."""

    pay_group = models.OneToOneField(
        "payroll.PayGroup", on_delete=models.CASCADE, related_name="rti_employer"
    )
    tax_office_number = models.CharField(max_length=3)
    tax_office_reference = models.CharField(max_length=10)
    accounts_office_reference = models.CharField(max_length=13)
    # Small Employers' Relief: Class 1 NICs of £45,000 or less in the last complete tax
    # year (GOV.UK, Get financial help with statutory pay): all of the statutory pay is
    # recovered, plus compensation, instead of 92 %
    is_small_employer = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.tax_office_number}/{self.tax_office_reference}"


class RtiPerson(ClientOwned):
    """What HMRC's Full Payment Submission asks of an employee beyond the HR record:
    the gender HMRC holds for them (M or F, as on their National Insurance record)."""

    class Gender(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"

    employee = models.OneToOneField(
        "payroll.Employee", on_delete=models.CASCADE, related_name="rti_person"
    )
    gender = models.CharField(max_length=1, choices=Gender.choices)
    updated_at = models.DateTimeField(default=timezone.now)


class RtiSubmission(ClientOwned):
    """One document posted to HMRC's gateway and what came back. `key` names what the
    document reports ("fps:run:12", "eps:group:3:2025-26:1-2"): while one of a key is
    being sent or has been accepted, no other is sent (a partial unique constraint);
    after an error a corrected document may be sent again."""

    class Kind(models.TextChoices):
        FPS = "fps", "Full Payment Submission"
        EPS = "eps", "Employer Payment Summary"

    class Status(models.TextChoices):
        SENDING = "sending", "Sending to HMRC"
        ACCEPTED = "accepted", "Accepted by HMRC"
        ERROR = "error", "Refused or not answered"

    key = models.CharField(max_length=80)
    kind = models.CharField(max_length=3, choices=Kind.choices)
    run = models.ForeignKey(
        "payroll.PayRun",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rti_submissions",
    )
    pay_group = models.ForeignKey("payroll.PayGroup", on_delete=models.PROTECT, related_name="+")
    tax_year = models.CharField(max_length=7)
    schema = models.CharField(max_length=60)  # the XSD it was checked against
    document = models.TextField()  # the GovTalk message as sent, without the password
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.SENDING)
    correlation_id = models.CharField(max_length=32, blank=True)
    answer = models.TextField(blank=True)  # HMRC's message in words
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "key"],
                condition=models.Q(status__in=["sending", "accepted"]),
                name="rtisubmission_once_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.status}"
