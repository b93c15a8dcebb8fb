"""The audit trail: append-only, each event chained to the one before by a keyed hash."""

from typing import Any, NoReturn

from django.conf import settings
from django.db import models

from tercero.platform.tenancy.models import Client, ClientOwned


class AuditEvent(models.Model):
    """One thing that happened. Written only by `audit.services.record`; never changed.

    `hash` is an HMAC under the chain key `key_id` (kept outside the database) of every
    field below and `prev_hash`, so editing, deleting, reordering or forging any row breaks
    the chain at that row (`tercero audit verify`); an empty `key_id` marks an event
    written before the chain was keyed. `client` is null for provider-wide events (a site
    created, a user signing in). Reviewed global table: auditors read across clients;
    pages filter by the reader's clients.
    """

    sequence = models.BigIntegerField(unique=True)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=254, blank=True)
    client = models.ForeignKey(Client, null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True)
    reason = models.CharField(max_length=500, blank=True)
    payload = models.JSONField(default=dict)
    payload_digest = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    key_id = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["sequence"]
        indexes = [
            models.Index(fields=["client", "sequence"], name="audit_client_seq"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            # the misuse detector reads the last hour of the trail every few seconds
            models.Index(fields=["occurred_at"], name="audit_occurred"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ValueError("Audit events are append-only.")


class AuditCheckpoint(ClientOwned):
    """A copy, for the client's portal, of a signed checkpoint of that client's latest
    event. The checkpoint file outside the database is what `verify` trusts; `document`
    is the signed JSON line exactly as written there."""

    sequence = models.BigIntegerField()
    hash = models.CharField(max_length=64)
    count = models.BigIntegerField()
    signed_at = models.DateTimeField()
    document = models.TextField()

    class Meta:
        ordering = ["-sequence"]
        indexes = [models.Index(fields=["client", "-sequence"], name="audit_checkpoint_client")]

    def __str__(self) -> str:
        return f"checkpoint #{self.sequence}"
