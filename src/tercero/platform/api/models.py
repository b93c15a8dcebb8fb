"""Stored responses for `Idempotency-Key` replays."""

from django.conf import settings
from django.db import models


class IdempotencyRecord(models.Model):
    """The first response to a (caller, key) pair, replayed for every repeat.

    Reviewed global table: it is keyed by the caller, not by client, and is read before
    the handler decides which client the request concerns.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_digest = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    body = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_user_key")
        ]
