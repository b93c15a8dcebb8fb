"""Where the provider's people work."""

import re

from django.core.exceptions import ValidationError
from django.db import models

from tercero.platform.tenancy.models import Provider, validate_country, validate_time_zone

LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")


def validate_languages(value: object) -> None:
    if not isinstance(value, list) or not all(
        isinstance(code, str) and LANGUAGE_CODE.match(code) for code in value
    ):
        raise ValidationError("Languages are a list of ISO 639-1 codes such as 'en' or 'es'.")


def validate_currency(value: str) -> None:
    if not re.fullmatch(r"[A-Z]{3}", value or ""):
        raise ValidationError("Currency is an ISO 4217 code such as 'USD'.")


class Site(models.Model):
    """A delivery centre. Global to the provider: one site serves many clients, and its
    shore is relative to each client (`shore.shore_of`)."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="sites")
    name = models.CharField(max_length=100)
    country = models.CharField(max_length=2, validators=[validate_country])
    city = models.CharField(max_length=100)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    languages = models.JSONField(default=list, validators=[validate_languages])
    hourly_cost_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3, validators=[validate_currency])
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "name"], name="site_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.city}, {self.country})"
