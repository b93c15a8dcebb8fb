"""The operator of the install (Provider) and the companies it serves (Client)."""

from django.core.exceptions import ValidationError
from django.db import models
from django_scopes import ScopedManager

from tercero.platform.tenancy import regions


def validate_time_zone(value: str) -> None:
    if value not in regions.time_zones():
        raise ValidationError(f"{value!r} is not an IANA time zone.")


def validate_country(value: str) -> None:
    if value not in regions.COUNTRY_REGION:
        raise ValidationError(f"{value!r} is not a known ISO 3166-1 alpha-2 country code.")


# A session's absolute lifetime, in hours, that a provider may choose: long enough for a
# shift with its breaks, never more than two shifts back to back.
SESSION_HOURS_MIN = 1
SESSION_HOURS_MAX = 16


class Provider(models.Model):
    """The BPO company operating this Tercero install."""

    name = models.CharField(max_length=200, unique=True)
    country = models.CharField(max_length=2, validators=[validate_country])
    created_at = models.DateTimeField(auto_now_add=True)
    # how long a session lives after sign-in however busy (None: SESSION_ABSOLUTE_SECONDS)
    session_hours = models.PositiveSmallIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class Client(models.Model):
    """A company whose departments the provider runs. Every piece of client data points here."""

    class Status(models.TextChoices):
        PROSPECT = "prospect", "Prospect"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        OFFBOARDED = "offboarded", "Offboarded"

    class Vertical(models.TextChoices):
        RETAIL = "retail", "Retail and e-commerce"
        MANUFACTURING = "manufacturing", "Manufacturing"
        INSURANCE = "insurance", "Insurance"
        BANKING = "banking", "Banking and financial services"
        HEALTHCARE = "healthcare", "Healthcare"
        TELECOM = "telecom", "Telecommunications"
        TECHNOLOGY = "technology", "Technology"
        TRAVEL = "travel", "Travel and hospitality"
        PUBLIC = "public", "Public sector"
        OTHER = "other", "Other"

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="clients")
    legal_name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, validators=[validate_country])
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    industry_vertical = models.CharField(max_length=32, choices=Vertical.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROSPECT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "legal_name"], name="client_unique_name"),
        ]
        ordering = ["legal_name"]

    def __str__(self) -> str:
        return self.legal_name


class ClientOwned(models.Model):
    """Base for every row that belongs to one client.

    The default manager is scoped: a query outside `client_scope(...)` raises, and inside
    one it only sees the clients in scope. On PostgreSQL, row-level security repeats the
    rule in the database (see `tenancy.rls`).
    """

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")

    # django-scopes is untyped, so the plugin cannot tell its manager's type
    objects = ScopedManager(client="client")  # type: ignore[django-manager-missing]

    class Meta:
        abstract = True
