"""Commercial terms beside the prices: SLA credit terms and the credits they gave, the
obligations of both sides with their monthly occurrences, and the client's in-house
baseline that savings are measured against. Percentages are Decimals; money is integer
minor units beside an ISO 4217 currency."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tercero.platform.tenancy.models import ClientOwned

USER = settings.AUTH_USER_MODEL
UNITS = [
    ("fte_month", "FTE per month"),
    ("productive_hour", "Productive hour"),
    ("transaction", "Transaction"),
    ("minute", "Call minute"),
    ("outcome", "Outcome"),
]


class CreditTerms(ClientOwned):  # type: ignore[django-manager-missing]
    """An engagement's SLA credit terms: the share of the month's fees at risk, the pool
    allocation spread over the measures (e.g. 150 %), and the earn-back window."""

    engagement = models.OneToOneField(
        "engagements.Engagement", on_delete=models.PROTECT, related_name="+"
    )
    at_risk_percent = models.DecimalField(max_digits=7, decimal_places=3)
    pool_percent = models.DecimalField(max_digits=7, decimal_places=3)
    earn_back_months = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["engagement_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(at_risk_percent__gte=0, at_risk_percent__lte=100),
                name="billing_credit_terms_at_risk_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at_risk_percent} % at risk"


class CreditMeasure(ClientOwned):
    """One measure of the terms and its share of the pool: an SLA clock of the engagement
    ("first_response", "resolution") with the share of items that must meet it, or a
    quality figure by its label ("quality:Quality score"), whose own target applies unless
    one is given here."""

    terms = models.ForeignKey(CreditTerms, on_delete=models.CASCADE, related_name="measures")
    measure = models.CharField(max_length=120)
    allocation_percent = models.DecimalField(max_digits=7, decimal_places=3)
    target_percent = models.DecimalField(null=True, blank=True, max_digits=7, decimal_places=3)

    class Meta:
        ordering = ["terms_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["terms", "measure"], name="billing_credit_measure_once"
            ),
        ]

    def __str__(self) -> str:
        return self.measure


class SlaCredit(ClientOwned):
    """A credit a missed measure gave in a month (recorded when the month's invoice is
    drafted), with the measurement it comes from and when it was earned back."""

    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.PROTECT, related_name="+"
    )
    period = models.DateField()
    measure = models.CharField(max_length=120)
    label = models.CharField(max_length=200)
    result_percent = models.DecimalField(null=True, blank=True, max_digits=7, decimal_places=3)
    target_percent = models.DecimalField(max_digits=7, decimal_places=3)
    measured = models.PositiveIntegerField(default=0)
    excused = models.PositiveIntegerField(default=0)
    fees_minor = models.BigIntegerField(default=0)
    amount_minor = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    description = models.CharField(max_length=300)
    earned_back_period = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-period", "engagement_id", "measure"]
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "period", "measure"], name="billing_sla_credit_once"
            ),
        ]

    def __str__(self) -> str:
        return self.description


class Obligation(ClientOwned):  # type: ignore[django-manager-missing]
    """What one side must supply for an engagement and by when: once (`due_date`) or every
    month (`monthly_day`, "by the 20th"), at `due_time` in the client's time zone. A late
    client obligation excuses the named SLA measures for items (of `work_type`, blank =
    any) whose deadline falls from the due moment to `excuse_days` days after it."""

    class Side(models.TextChoices):
        CLIENT = "client", "Client"
        PROVIDER = "provider", "Provider"

    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(max_length=200)
    side = models.CharField(max_length=10, choices=Side.choices)
    due_date = models.DateField(null=True, blank=True)
    monthly_day = models.PositiveSmallIntegerField(null=True, blank=True)
    due_time = models.TimeField()
    measures = models.JSONField(default=list, blank=True)
    work_type = models.CharField(max_length=40, blank=True)
    excuse_days = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["engagement_id", "title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_date__isnull=False, monthly_day__isnull=True)
                | Q(due_date__isnull=True, monthly_day__gte=1, monthly_day__lte=28),
                name="billing_obligation_one_rule",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ObligationOccurrence(ClientOwned):
    """One due moment of an obligation: open, met (when, by whom, late or not), or late
    (recorded by the periodic job when the moment passed unmet)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        MET = "met", "Met"
        LATE = "late", "Late"

    obligation = models.ForeignKey(Obligation, on_delete=models.CASCADE, related_name="occurrences")
    due_at = models.DateTimeField()
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)
    met_at = models.DateTimeField(null=True, blank=True)
    met_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    late_recorded_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["obligation", "due_at"], name="billing_obligation_due_once"
            ),
        ]

    @property
    def was_late(self) -> bool:
        return self.late_recorded_at is not None or (
            self.met_at is not None and self.met_at > self.due_at
        )

    def __str__(self) -> str:
        return f"{self.obligation_id} due {self.due_at:%Y-%m-%d}"


class SavingsBaseline(ClientOwned):
    """The client's in-house cost of the work, entered per engagement: per unit of a
    billable unit (a transaction, an hour) or per FTE per month."""

    engagement = models.OneToOneField(
        "engagements.Engagement", on_delete=models.PROTECT, related_name="+"
    )
    unit = models.CharField(max_length=20, choices=UNITS)
    cost_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    note = models.CharField(max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["engagement_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cost_minor__gte=0), name="billing_baseline_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cost_minor} {self.currency} per {self.unit}"


__all__ = [
    "CreditMeasure",
    "CreditTerms",
    "Obligation",
    "ObligationOccurrence",
    "SavingsBaseline",
    "SlaCredit",
]
