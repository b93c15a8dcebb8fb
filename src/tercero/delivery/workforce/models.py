"""Where the provider's people work."""

import re

from django.core.exceptions import ValidationError
from django.db import models

from tercero.platform.tenancy.models import (
    ClientOwned,
    Provider,
    validate_country,
    validate_time_zone,
)

LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")


def validate_languages(value: object) -> None:
    if not isinstance(value, list) or not all(
        isinstance(code, str) and LANGUAGE_CODE.match(code) for code in value
    ):
        raise ValidationError("Languages are a list of ISO 639-1 codes such as 'en' or 'es'.")


MAX_SHRINKAGE = 0.95
DEFAULT_SHRINKAGE = 0.30


def validate_shrinkage(value: float) -> None:
    if value is None or not 0 <= value <= MAX_SHRINKAGE:
        raise ValidationError("Shrinkage is a share of paid time from 0 % to 95 %.")


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
    # share of paid time not on the work (breaks, training, leave): planning staffs for it
    shrinkage = models.FloatField(default=DEFAULT_SHRINKAGE, validators=[validate_shrinkage])
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "name"], name="site_unique_name"),
            models.CheckConstraint(
                condition=models.Q(shrinkage__gte=0, shrinkage__lte=MAX_SHRINKAGE),
                name="site_shrinkage_share",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.city}, {self.country})"


SKILL_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
CHANNELS = ("phone", "chat", "email", "web_form", "portal", "api", "webhook", "back_office")


def validate_skills(value: object) -> None:
    if not isinstance(value, dict) or not all(
        isinstance(name, str)
        and SKILL_NAME.match(name)
        and isinstance(level, int)
        and not isinstance(level, bool)
        and 1 <= level <= 5
        for name, level in value.items()
    ):
        raise ValidationError("Skills map a lower-case name to a level from 1 to 5.")


def validate_capacity(value: object) -> None:
    if not isinstance(value, dict) or not all(
        name in CHANNELS and isinstance(limit, int) and not isinstance(limit, bool) and limit >= 0
        for name, limit in value.items()
    ):
        raise ValidationError(
            f"Capacity maps a channel ({', '.join(CHANNELS)}) to a whole number of items."
        )


# django-scopes' manager is untyped, so the plugin cannot type the reverse manager of a
# client-owned model (Clearance): `agent.clearances` is unchecked
class Agent(models.Model):  # type: ignore[django-manager-missing]
    """A person who works items. Global to the provider (one agent may serve several
    clients); which engagements they may work is `Clearance`, which is client-owned."""

    class Presence(models.TextChoices):
        AVAILABLE = "available", "Available"
        BUSY = "busy", "Busy"
        BREAK = "break", "On a break"
        OFFLINE = "offline", "Offline"

    user = models.OneToOneField(
        "identity.User", on_delete=models.PROTECT, related_name="agent_profile"
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="agents")
    skills = models.JSONField(default=dict, blank=True, validators=[validate_skills])
    languages = models.JSONField(default=list, blank=True, validators=[validate_languages])
    capacity = models.JSONField(default=dict, blank=True, validators=[validate_capacity])
    presence = models.CharField(max_length=16, choices=Presence.choices, default="offline")
    presence_since = models.DateTimeField()
    # When the agent last became free of work: "idle longest" in push routing.
    idle_since = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return str(self.user)


class PresenceChange(models.Model):
    """The agent's presence history: one row per change, never edited."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="presence_history")
    presence = models.CharField(max_length=16, choices=Agent.Presence.choices)
    previous = models.CharField(max_length=16, choices=Agent.Presence.choices)
    reason = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["agent", "at"])]


class Clearance(ClientOwned):
    """The agent may work this engagement's items."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="clearances")
    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.CASCADE, related_name="clearances"
    )
    granted_by = models.ForeignKey(
        "identity.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "engagement"], name="clearance_unique"),
        ]


class Team(models.Model):
    """A group of agents and the person who leads them. Global to the provider, as its
    agents are: one team may work for several clients."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=100)
    lead = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.SET_NULL, related_name="teams"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "name"], name="team_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    """The agent belongs to this team; an agent is in one team at most."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    agent = models.OneToOneField(Agent, on_delete=models.CASCADE, related_name="membership")
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
