"""A UK statutory absence: sickness, maternity, adoption, paternity or shared parental
leave, with what its pay was worked out on. Imported by models.py, so the app's models
are one set; changed only through statutory_leave.py."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from tercero.platform.tenancy.models import ClientOwned


class StatutoryAbsence(ClientOwned):
    class Kind(models.TextChoices):
        SICKNESS = "sickness", "Sickness"
        MATERNITY = "maternity", "Maternity"
        ADOPTION = "adoption", "Adoption"
        PATERNITY = "paternity", "Paternity"
        SHARED_PARENTAL = "shared_parental", "Shared parental"

    employee = models.ForeignKey(
        "payroll.Employee", on_delete=models.CASCADE, related_name="statutory_absences"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)  # None: until the entitlement ends
    # the expected week of childbirth's due date, or the adoption matching date
    expected_on = models.DateField(null=True, blank=True)
    # average weekly earnings: whole pence (a fraction of a penny left off) for reading,
    # and exact, in pence as "numerator/denominator", for the pay (HMRC: not rounded)
    average_weekly_earnings_minor = models.BigIntegerField()
    average_weekly_earnings_exact = models.CharField(max_length=60)
    is_earnings_given = models.BooleanField(default=False)  # an override, not worked out
    earnings_text = models.CharField(max_length=400, blank=True)  # how they were found
    # Monday 0 .. Sunday 6, e.g. "0,1,2,3,4": the days SSP is paid for
    qualifying_days = models.CharField(max_length=13, default="0,1,2,3,4")
    weeks_available = models.PositiveSmallIntegerField(null=True, blank=True)  # ShPP
    version = models.PositiveIntegerField(default=1)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["employee_id", "kind", "start"]
        indexes = [models.Index(fields=["employee", "kind", "start"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gte=models.F("start")),
                name="statutory_absence_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} from {self.start}"
