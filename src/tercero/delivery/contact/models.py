"""Proof of who is on the line: codes the provider issues when its agents contact a
client's customers (outbound) or when a customer calls in (inbound), and the public
page where customers check a contact."""

from datetime import datetime

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tercero.platform.tenancy.models import ClientOwned

ACCENT_COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", "A colour such as #0b5cad.")
SLUG = RegexValidator(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$", "Lower-case letters, digits, -.")


class VerificationPage(ClientOwned):
    """The public page at /verify/<slug>/ where the client's customers check that
    someone contacting them really works for the provider."""

    slug = models.CharField(max_length=60, unique=True, validators=[SLUG])
    display_name = models.CharField(max_length=100)
    accent_colour = models.CharField(max_length=7, blank=True, validators=[ACCENT_COLOUR])
    support_phone = models.CharField(max_length=40, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return f"{self.display_name} (/verify/{self.slug}/)"

    @property
    def accent_ink(self) -> str:
        """Text on the accent colour: dark on light colours, white on dark ones (WCAG
        2.x relative luminance; 0.179 is where both give the same contrast)."""
        channels = [int(self.accent_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
        return "#1b1f24" if luminance > 0.179 else "#ffffff"


class ContactVerification(ClientOwned):
    """One code bound to one contact (a phone number or e-mail address, kept only as a
    keyed hash and a mask), one agent and one client. Outbound: the agent tells the
    customer the code and the customer checks it on the public page. Inbound: the code
    is sent to the details on record and the caller reads it back to the agent."""

    class Direction(models.TextChoices):
        OUTBOUND = "outbound", "Outbound (we contact the customer)"
        INBOUND = "inbound", "Inbound (the customer calls us)"

    class Channel(models.TextChoices):
        CALL = "call", "Phone call"
        SMS = "sms", "Text message"
        EMAIL = "email", "E-mail"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CONFIRMED = "confirmed", "Confirmed"
        FAILED = "failed", "Failed"
        ENDED = "ended", "Ended"

    direction = models.CharField(max_length=8, choices=Direction.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    agent = models.ForeignKey("identity.User", on_delete=models.PROTECT, related_name="+")
    work_item = models.ForeignKey(
        "work.WorkItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    engagement = models.ForeignKey(
        "engagements.Engagement",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # keyed HMAC of the normalised phone number or address (crypto.lookup_hash)
    contact_hash = models.CharField(max_length=64)
    contact_shown = models.CharField(max_length=100)
    # "<salt>$<keyed HMAC of the code>": the code itself is shown once and never stored
    code_hash = models.CharField(max_length=120)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    wrong_attempts = models.PositiveSmallIntegerField(default=0)
    outcome = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    checked_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["client", "contact_hash", "expires_at"], name="contact_active_lookup"
            ),
            models.Index(fields=["client", "created_at"], name="contact_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(direction="outbound") | Q(channel="email"),
                name="contact_inbound_code_by_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.contact_shown}"

    def is_live(self, now: datetime) -> bool:
        """The code may still be used: active and not yet expired."""
        return self.status == self.Status.ACTIVE and now < self.expires_at

    def state_at(self, now: datetime) -> str:
        """What a list shows: the status, with an active code past its time as expired."""
        if self.status == self.Status.ACTIVE and now >= self.expires_at:
            return "expired"
        return self.status

    @property
    def state(self) -> str:
        return self.state_at(timezone.now())

    @property
    def outcome_text(self) -> str:
        return self.outcome.replace("_", " ")

    @property
    def agent_first_name(self) -> str:
        name = (self.agent.full_name or "").split()
        return name[0] if name else "An agent"


class LookupCounter(ClientOwned):
    """How many checks one source made on a client's public page in one time window.
    In the database, not in memory, so that every web process counts the same checks.
    `key` is a keyed hash ("ip" of the address, "contact" of the contact's hash)."""

    kind = models.CharField(max_length=8)
    key = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "kind", "key", "window_start"], name="lookupcounter_unique"
            ),
        ]
        indexes = [models.Index(fields=["window_start"], name="lookupcounter_window")]
