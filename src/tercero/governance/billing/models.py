"""Commercials: rate cards and their effective-dated versions, the usage ledger metered
from the outbox, client invoices with their lines, and the provider's invoice numbering.

Money is integer minor units beside an ISO 4217 currency; quantities are Decimals. Sites
and the engine's objects are plain ids or foreign keys with no reverse relation: billing
reads delivery through its selectors and events, never its tables."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tercero.platform.tenancy.models import ClientOwned, Provider

USER = settings.AUTH_USER_MODEL


class Unit(models.TextChoices):
    FTE_MONTH = "fte_month", "FTE per month"
    PRODUCTIVE_HOUR = "productive_hour", "Productive hour"
    TRANSACTION = "transaction", "Transaction"
    MINUTE = "minute", "Call minute"
    OUTCOME = "outcome", "Outcome"


class Shore(models.TextChoices):
    ANY = "", "Any"
    ONSHORE = "onshore", "Onshore"
    NEARSHORE = "nearshore", "Nearshore"
    OFFSHORE = "offshore", "Offshore"


# django-scopes' manager is untyped, so the plugin cannot type the reverse managers of
# the client-owned models pointing at these (`versions`, `lines`, `credit_notes`, `usage`)
class RateCard(ClientOwned):  # type: ignore[django-manager-missing]
    """An engagement's prices, in one currency; the prices themselves live in versions."""

    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=120)
    currency = models.CharField(max_length=3)
    is_active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class RateCardVersion(ClientOwned):  # type: ignore[django-manager-missing]
    """The card's prices in force from one date to another (open-ended when `effective_to`
    is null); versions of one card never overlap, and one an issued invoice names is never
    edited."""

    rate_card = models.ForeignKey(RateCard, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    monthly_minimum_minor = models.BigIntegerField(default=0)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["rate_card_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["rate_card", "number"], name="billing_rate_card_version_unique"
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="billing_rate_card_version_dates",
            ),
            models.CheckConstraint(
                condition=Q(monthly_minimum_minor__gte=0), name="billing_minimum_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rate_card_id} v{self.number}"


class RateLine(ClientOwned):
    """One price of a version: a unit, what it applies to (work type, outcome kind, shore,
    site, skill) and how it is priced (flat, or by tiered or volume bands)."""

    class Banding(models.TextChoices):
        FLAT = "flat", "Flat price per unit"
        TIERED = "tiered", "Tiered: each unit at its own band's price"
        VOLUME = "volume", "Volume: every unit at the price of the band the total reaches"

    rate_card_version = models.ForeignKey(
        RateCardVersion, on_delete=models.CASCADE, related_name="lines"
    )
    unit = models.CharField(max_length=20, choices=Unit.choices)
    work_type = models.CharField(max_length=40, blank=True)
    outcome_kind = models.CharField(max_length=64, blank=True)
    shore = models.CharField(max_length=10, choices=Shore.choices, blank=True)
    site = models.ForeignKey(
        "workforce.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    skill = models.CharField(max_length=40, blank=True)
    banding = models.CharField(max_length=8, choices=Banding.choices, default=Banding.FLAT)
    price_minor = models.BigIntegerField(default=0)
    bands = models.JSONField(default=list, blank=True)
    description = models.CharField(max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["rate_card_version_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_minor__gte=0), name="billing_rate_line_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.description or f"{self.unit} {self.work_type}".strip()


class UsageRecord(ClientOwned):
    """One metered, billable quantity: an item resolved, a call's minutes, an outcome, an
    agent's productive hours in a day, or a month's FTE. Counted once (the partial unique
    keys), so replaying the outbox or re-running a period writes nothing."""

    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.PROTECT, related_name="+"
    )
    unit = models.CharField(max_length=20, choices=Unit.choices)
    quantity = models.DecimalField(max_digits=20, decimal_places=6)
    work_type = models.CharField(max_length=40, blank=True)
    outcome_kind = models.CharField(max_length=64, blank=True)
    shore = models.CharField(max_length=10, choices=Shore.choices, blank=True)
    site_id = models.BigIntegerField(null=True, blank=True)
    skill = models.CharField(max_length=40, blank=True)
    source_event_id = models.BigIntegerField(null=True, blank=True)
    source_key = models.CharField(max_length=120, blank=True)
    occurred_at = models.DateTimeField()
    period = models.DateField()  # first day of the month in the client's time zone
    invoice_line = models.ForeignKey(
        "InvoiceLine", null=True, blank=True, on_delete=models.SET_NULL, related_name="usage"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "unit", "source_event_id"],
                condition=Q(source_event_id__isnull=False),
                name="billing_usage_once_per_event",
            ),
            models.UniqueConstraint(
                fields=["client", "unit", "source_key"],
                condition=~Q(source_key=""),
                name="billing_usage_once_per_key",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=0), name="billing_usage_quantity_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["client", "period", "engagement"], name="billing_usage_period"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} {self.unit}"


class Invoice(ClientOwned):  # type: ignore[django-manager-missing]
    """A monthly invoice (or a credit note correcting one) for a client: drafted from the
    rated usage, reviewed, then issued with the provider's next number; never changed
    after issue."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", "Invoice"
        CREDIT_NOTE = "credit_note", "Credit note"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        REVIEWED = "reviewed", "Reviewed"
        ISSUED = "issued", "Issued"

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    engagement = models.ForeignKey(
        "engagements.Engagement",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    credited_invoice = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    number = models.CharField(max_length=40, blank=True)
    period_start = models.DateField()
    period_end = models.DateField()
    currency = models.CharField(max_length=3)
    subtotal_minor = models.BigIntegerField(default=0)
    tax_minor = models.BigIntegerField(default=0)
    total_minor = models.BigIntegerField(default=0)
    tax_rate = models.DecimalField(max_digits=6, decimal_places=3, default=0)
    tax_note = models.CharField(max_length=300, blank=True)
    buyer = models.JSONField(default=dict, blank=True)
    reviewed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-period_start", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "number"],
                condition=~Q(number=""),
                name="billing_invoice_number_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"Draft {self.pk}"


class InvoiceLine(ClientOwned):  # type: ignore[django-manager-missing]
    """One line of an invoice: a rate line's quantity and price for a usage period, a
    monthly minimum top-up, a late-usage adjustment, or a credit."""

    class Kind(models.TextChoices):
        USAGE = "usage", "Usage"
        MINIMUM = "minimum", "Monthly minimum"
        ADJUSTMENT = "adjustment", "Adjustment"
        CREDIT = "credit", "Credit"

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.USAGE)
    rate_line = models.ForeignKey(
        RateLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rate_card_version = models.ForeignKey(
        RateCardVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(max_length=300)
    unit = models.CharField(max_length=20, blank=True)
    quantity = models.DecimalField(max_digits=20, decimal_places=6)
    unit_price_minor = models.BigIntegerField(default=0)
    amount_minor = models.BigIntegerField(default=0)
    period = models.DateField()

    class Meta:
        ordering = ["invoice_id", "id"]

    def __str__(self) -> str:
        return self.description


class InvoiceSequence(models.Model):
    """The provider's next invoice number; issuing locks this row (SELECT ... FOR UPDATE)
    so numbers are gapless under concurrent issue. Global: one per provider."""

    provider = models.OneToOneField(Provider, on_delete=models.PROTECT, related_name="+")
    prefix = models.CharField(max_length=20, default="INV-")
    next_number = models.PositiveBigIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.prefix}{self.next_number}"


# Credit terms, obligations and savings baselines (models_commercial.py), and the
# parties' tax details beside invoicing: imported so Django sees the models.
from tercero.governance.billing.models_commercial import *  # noqa: E402, F403
from tercero.governance.billing.parties import BillingParty  # noqa: E402, F401
