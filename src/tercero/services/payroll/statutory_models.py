"""A UK statutory absence: sickness, maternity, adoption, paternity, shared parental,
parental bereavement or neonatal care leave, or paid annual leave (holiday), with what
its pay was worked out on. Imported by models.py, so the app's models
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
        BEREAVEMENT = "bereavement", "Parental bereavement"
        NEONATAL_CARE = "neonatal_care", "Neonatal care"
        HOLIDAY = "holiday", "Holiday (paid annual leave)"

    employee = models.ForeignKey(
        "payroll.Employee", on_delete=models.CASCADE, related_name="statutory_absences"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)  # None: until the entitlement ends
    # the expected week of childbirth's due date, the adoption matching date, the date of
    # the child's death (bereavement) or the baby's date of birth (neonatal care)
    expected_on = models.DateField(null=True, blank=True)
    # the baby's actual date of birth or the adoption placement (maternity pay may start
    # the day after an early birth; paternity pay's 52 weeks count from it)
    child_arrived_on = models.DateField(null=True, blank=True)
    care_started_on = models.DateField(null=True, blank=True)  # neonatal care pay
    # average weekly earnings: whole pence (a fraction of a penny left off) for reading,
    # and exact, in pence as "numerator/denominator", for the pay (HMRC: not rounded)
    average_weekly_earnings_minor = models.BigIntegerField()
    average_weekly_earnings_exact = models.CharField(max_length=60)
    is_earnings_given = models.BooleanField(default=False)  # an override, not worked out
    earnings_text = models.CharField(max_length=400, blank=True)  # how they were found
    # Monday 0 .. Sunday 6, e.g. "0,1,2,3,4": the days SSP is paid for
    qualifying_days = models.CharField(max_length=13, default="0,1,2,3,4")
    # ShPP: the weeks left to share; SNCP: the weeks of neonatal care of 7 or more days
    weeks_available = models.PositiveSmallIntegerField(null=True, blank=True)
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
