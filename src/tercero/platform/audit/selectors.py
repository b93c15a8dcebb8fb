"""Reads of the audit trail's checkpoints."""

from collections.abc import Iterable

from django.db.models import QuerySet

from tercero.platform.audit import keys
from tercero.platform.audit.models import AuditCheckpoint


def client_checkpoints(*, client_ids: Iterable[int]) -> QuerySet[AuditCheckpoint]:
    """Signed checkpoints of these clients' events, newest first."""
    return AuditCheckpoint.objects.filter(client_id__in=list(client_ids)).order_by("-sequence")


def checkpoint_public_keys() -> list[tuple[str, str]]:
    """(key id, base64url raw Ed25519 public key) that verify checkpoint signatures."""
    return [(key_id, keys.public_key_text(key)) for key_id, key in keys.public_keys().items()]
