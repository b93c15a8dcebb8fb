"""`record` is the one way to write the audit trail."""

import re

from django.db import connection, transaction
from django.utils import timezone

from tercero.platform.audit import chain
from tercero.platform.audit.context import current_ip
from tercero.platform.audit.models import AuditEvent

# Serialises writers on PostgreSQL for the rest of their transaction, so two events
# can never take the same predecessor. SQLite's IMMEDIATE transactions already do.
_CHAIN_LOCK_KEY = 0x7E2C_E210
_ACTION = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")


def record(
    *,
    action: str,
    actor=None,
    client=None,
    object_type: str = "",
    object_id: object = "",
    reason: str = "",
    payload: dict | None = None,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction."""
    if not _ACTION.match(action):
        raise ValueError(f"audit action {action!r} must be a dotted past tense")
    payload = payload or {}
    with transaction.atomic():
        _lock_chain()
        last = AuditEvent.objects.order_by("-sequence").values("sequence", "hash").first()
        fields = {
            "sequence": (last["sequence"] + 1) if last else 1,
            "occurred_at": timezone.now(),
            "actor_id": getattr(actor, "pk", actor),
            "actor_label": getattr(actor, "email", "") if actor else "system",
            "client_id": getattr(client, "pk", client),
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id),
            "ip": current_ip(),
            "reason": reason,
            "payload_digest": chain.payload_digest(payload),
            "prev_hash": last["hash"] if last else chain.GENESIS_HASH,
        }
        event = AuditEvent(**fields, payload=payload, hash=chain.event_hash(**fields))
        event.save(force_insert=True)
    return event


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
