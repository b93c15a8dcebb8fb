"""Per-client data keys. A value sealed for a client can be opened only while its key
exists: deleting a client's keys (crypto-shredding) makes all its sealed data unreadable."""

from django.db import models
from django.utils import timezone

from tercero.platform.tenancy.models import ClientOwned


class DataKey(ClientOwned):
    """A client's key, wrapped by a master key. `data` keys have versions: the newest
    active one seals new values; older ones stay readable until retired after the
    re-encryption moved every value off them. The single `index` key makes keyed hashes
    for exact-match lookup and is never rotated (its hashes would stop matching)."""

    class Purpose(models.TextChoices):
        DATA = "data", "Data"
        INDEX = "index", "Lookup index"

    class State(models.TextChoices):
        ACTIVE = "active", "Active (seals new values)"
        READABLE = "readable", "Readable (being re-encrypted away)"
        RETIRED = "retired", "Retired (no value uses it)"

    purpose = models.CharField(max_length=8, choices=Purpose.choices)
    version = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    master_id = models.CharField(max_length=32)
    wrapped = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "purpose", "version"], name="datakey_unique_version"
            ),
        ]
        ordering = ["client_id", "purpose", "version"]

    def __str__(self) -> str:
        return f"{self.purpose} key v{self.version} of client {self.client_id}"


class RevealGrant(ClientOwned):
    """Permission for one person to see one record's personal data in clear, for a few
    minutes, with the reason they gave. Pending grants wait for a supervisor (step-up
    after a misuse alert)."""

    class Status(models.TextChoices):
        GRANTED = "granted", "Granted"
        PENDING = "pending", "Waiting for a supervisor"
        REFUSED = "refused", "Refused"

    user = models.ForeignKey("identity.User", on_delete=models.CASCADE, related_name="+")
    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    reason = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.GRANTED)
    decided_by = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["user", "object_type", "object_id"], name="revealgrant_lookup")
        ]
        ordering = ["-created_at"]


class StepUp(models.Model):
    """While a row is open, the user's reveals wait for a supervisor's approval (raised
    by a misuse alert, lifted by a team lead). Reviewed global table: it is about one
    member of staff, whichever clients they serve."""

    user = models.ForeignKey("identity.User", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(lifted_at__isnull=True), name="stepup_one_open"
            )
        ]


class MisuseRule(ClientOwned):
    """Per-hour limits for one member of staff's use of a client's data. The row with no
    engagement is the client's default; an engagement's row overrides it."""

    engagement_id = models.BigIntegerField(null=True, blank=True)
    records_per_hour = models.PositiveIntegerField(default=150)
    reveals_per_hour = models.PositiveIntegerField(default=20)
    exports_per_hour = models.PositiveIntegerField(default=5)
    off_shift_per_hour = models.PositiveIntegerField(default=10)
    unassigned_per_hour = models.PositiveIntegerField(default=3)
    # when an alert fires, the person's reveals need a supervisor until a lead lifts it
    step_up = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "engagement_id"], name="misuserule_unique")
        ]


class SecurityAlert(ClientOwned):
    """Something a team lead must look at: a break-glass access, or a person's use of
    data beyond their limits or their own usual pattern."""

    class Kind(models.TextChoices):
        BREAK_GLASS = "break_glass", "Opened an item not assigned to them"
        RECORDS = "records", "Many customer records opened"
        REVEALS = "reveals", "Many personal-data reveals"
        EXPORTS = "exports", "Many exports"
        OFF_SHIFT = "off_shift", "Access while off shift"
        UNASSIGNED = "unassigned", "Repeated access to unassigned items"

    user = models.ForeignKey("identity.User", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # the hour (UTC) the count belongs to; one alert per person, client, kind and hour
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=1)
    limit = models.PositiveIntegerField(default=0)
    detail = models.CharField(max_length=500, blank=True)
    object_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "client", "kind", "window_start"],
                condition=~models.Q(kind="break_glass"),
                name="securityalert_one_per_hour",
            )
        ]
        indexes = [models.Index(fields=["acknowledged_at", "created_at"], name="alert_open")]


class PrivacyPolicy(ClientOwned):
    """How long a client's finished work keeps its personal data. With no row, or no
    days, nothing is purged automatically."""

    retention_days = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client"], name="privacypolicy_one")]
