"""Reads of the audit trail and its checkpoints."""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q, QuerySet

from tercero.platform.audit import keys
from tercero.platform.audit.models import AuditCheckpoint, AuditEvent


def client_checkpoints(*, client_ids: Iterable[int]) -> QuerySet[AuditCheckpoint]:
    """Signed checkpoints of these clients' events, newest first."""
    return AuditCheckpoint.objects.filter(client_id__in=list(client_ids)).order_by("-sequence")


def checkpoint_public_keys() -> list[tuple[str, str]]:
    """(key id, base64url raw Ed25519 public key) that verify checkpoint signatures."""
    return [(key_id, keys.public_key_text(key)) for key_id, key in keys.public_keys().items()]


def trail(
    *,
    client_ids: Iterable[int],
    include_provider_wide: bool,
    person: str = "",
    client_id: int | None = None,
    provider_wide_only: bool = False,
    object_type: str = "",
    object_id: str = "",
    action: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEvent]:
    """Events of `client_ids` (and provider-wide ones, which belong to no client, when
    `include_provider_wide`), narrowed by the viewer's search. Read it inside
    `all_clients_scope()`: provider-wide events are in no client's scope."""
    reach = Q(client_id__in=list(client_ids))
    if include_provider_wide:
        reach |= Q(client_id__isnull=True)
    found = AuditEvent.objects.filter(reach).select_related("actor", "client")
    if provider_wide_only:
        found = found.filter(client_id__isnull=True)
    elif client_id is not None:
        found = found.filter(client_id=client_id)
    if person:
        found = found.filter(
            Q(actor_label__icontains=person) | Q(actor__full_name__icontains=person)
        )
    if object_type:
        found = found.filter(object_type=object_type)
    if object_id:
        found = found.filter(object_id=object_id)
    if action:
        found = found.filter(action__startswith=action)
    if since is not None:
        found = found.filter(occurred_at__gte=since)
    if until is not None:
        found = found.filter(occurred_at__lt=until)
    return found


def event_at(*, sequence: int) -> AuditEvent | None:
    return AuditEvent.objects.filter(sequence=sequence).select_related("actor").first()
