"""The engagement: what a client has outsourced, on what terms, and how it is run."""

from django.db import models

from tercero.delivery.engagements import lifecycle
from tercero.platform import catalogue
from tercero.platform.tenancy.models import ClientOwned


class Category(models.TextChoices):
    BPO = "BPO", "BPO"
    KPO = "KPO", "KPO"
    LPO = "LPO", "LPO"
    RPO = "RPO", "RPO"
    HRO = "HRO", "HRO"
    IPO = "IPO", "IPO"
    CRMO = "CRMO", "CRMO"


# django-scopes' manager is untyped, so the plugin cannot type the reverse managers of
# client-owned models (queues, clearances): `engagement.queues` is unchecked
class Engagement(ClientOwned):  # type: ignore[django-manager-missing]
    """A statement of work. `version` guards edits: a stale write is refused."""

    class Office(models.TextChoices):
        FRONT = "front", "Front office"
        BACK = "back", "Back office"

    class Orientation(models.TextChoices):
        HORIZONTAL = "horizontal", "Horizontal"
        VERTICAL = "vertical", "Vertical"

    class Regulation(models.TextChoices):
        NONE = "none", "None"
        LIGHT = "light", "Light"
        MODERATE = "moderate", "Moderate"
        STRICT = "strict", "Strict"

    class Cover(models.TextChoices):
        BUSINESS_HOURS = "business_hours", "Business hours"
        EXTENDED = "extended", "Extended hours"
        ALWAYS = "24_7", "24/7"

    class Pricing(models.TextChoices):
        PER_FTE = "per_fte", "Per FTE"
        PER_HOUR = "per_hour", "Per hour"
        PER_TRANSACTION = "per_transaction", "Per transaction"
        PER_MINUTE = "per_minute", "Per minute"
        OUTCOME = "outcome", "Outcome-based"

    class Status(models.TextChoices):
        DRAFT = lifecycle.DRAFT, "Draft"
        SCOPING = lifecycle.SCOPING, "Scoping"
        PROPOSED = lifecycle.PROPOSED, "Proposed"
        TRANSITION = lifecycle.TRANSITION, "Transition"
        LIVE = lifecycle.LIVE, "Live"
        ENDED = lifecycle.ENDED, "Ended"

    name = models.CharField(max_length=200)
    # one of the installed service lines' offerings (platform/catalogue.py), checked
    # when written: a new service line needs no migration here
    service_line = models.CharField(max_length=32)
    category = models.CharField(max_length=8, choices=Category.choices)
    office = models.CharField(max_length=8, choices=Office.choices)
    orientation = models.CharField(max_length=16, choices=Orientation.choices)
    scope = models.TextField(blank=True)
    monthly_volume = models.PositiveIntegerField(default=0)
    process_steps = models.PositiveIntegerField(default=1)
    exception_rate_percent = models.FloatField(default=0)
    systems_count = models.PositiveIntegerField(default=1)
    regulation = models.CharField(max_length=16, choices=Regulation.choices, default="none")
    languages = models.JSONField(default=list)
    hours_of_cover = models.CharField(
        max_length=16, choices=Cover.choices, default="business_hours"
    )
    time_zone = models.CharField(max_length=64)
    working_hours = models.JSONField(default=dict)
    holiday_country = models.CharField(max_length=3, blank=True)
    holiday_subdivision = models.CharField(max_length=10, blank=True)
    closures = models.JSONField(default=list)
    sla_targets = models.JSONField(default=list)
    pricing_model = models.CharField(max_length=16, choices=Pricing.choices)
    rates = models.JSONField(default=list)
    channels = models.JSONField(default=list)
    residency_allowed_shores = models.JSONField(default=list)
    residency_allowed_countries = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    complexity_score = models.FloatField(default=0)
    complexity_band = models.CharField(max_length=16, default="low")
    complexity_breakdown = models.JSONField(default=list)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "name"], name="engagement_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_service_line_display(self) -> str:
        """The service line's title, or its key when no installed module offers it."""
        return catalogue.offerings().get(self.service_line, self.service_line)

    @property
    def is_24_7(self) -> bool:
        return self.hours_of_cover == self.Cover.ALWAYS

    def complexity_inputs(self) -> dict[str, object]:
        return {
            "volume": self.monthly_volume,
            "process_steps": self.process_steps,
            "exception_rate": self.exception_rate_percent,
            "systems": self.systems_count,
            "regulation": self.regulation,
            "languages": len(self.languages),
            "hours_of_cover": self.hours_of_cover,
        }
