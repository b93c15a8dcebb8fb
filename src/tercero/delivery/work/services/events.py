"""The one door to the outbox for events the engine's life cycle does not write itself:
a service line's own events (`care.ticket.solved`), security alerts and signed audit
checkpoints, so consumers and a client's webhooks hear of them."""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from tercero.delivery.work import event_types
from tercero.delivery.work.models import WorkEvent, WorkItem
from tercero.platform.audit.checkpoints import CHECKPOINT_SIGNED, Checkpoint
from tercero.platform.audit.models import AuditCheckpoint
from tercero.platform.security.models import SecurityAlert

if TYPE_CHECKING:
    from tercero.platform.identity.models import User


def publish(
    *,
    kind: str,
    client_id: int,
    data: dict[str, Any],
    item: WorkItem | None = None,
    engagement_id: int | None = None,
    actor: "User | None" = None,
    at: datetime | None = None,
) -> WorkEvent:
    """Write one outbox event in the caller's transaction, its `data` checked against the
    schema registered for `kind`. An unknown kind, data that does not fit, an item of
    another client or a call outside a transaction is a programming error (ValueError)."""
    if not transaction.get_connection().in_atomic_block:
        raise ValueError(f"Publish {kind!r} inside the transaction of the change it describes.")
    if item is not None and item.client_id != client_id:
        raise ValueError(f"Event {kind!r}: item #{item.pk} belongs to another client.")
    return WorkEvent.objects.create(
        client_id=client_id,
        item=item,
        engagement_id=engagement_id if item is None else item.engagement_id,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        data=event_types.checked(kind, data),
        at=at or timezone.now(),
    )


def security_alert_event(alert: SecurityAlert, engagement_id: int | None) -> None:
    """A security alert as an outbox event (so a client's webhook hears of it). Alerts
    not tied to one engagement stay on the ops console only."""
    if engagement_id is None:
        return
    WorkEvent.objects.create(
        client_id=alert.client_id,
        item_id=alert.object_id if alert.kind == "break_glass" else None,
        engagement_id=engagement_id,
        kind="security.alert",
        actor=None,
        data=event_types.checked(
            "security.alert",
            {
                "alert_id": alert.pk,
                "kind": alert.kind,
                "user_id": alert.user_id,
                "count": alert.count,
                "limit": alert.limit,
            },
        ),
        at=alert.created_at,
    )


def audit_checkpoint_event(row: AuditCheckpoint, checkpoint: Checkpoint) -> None:
    """A client's signed audit checkpoint as an outbox event, so its webhooks receive
    it: the signed document, about that client's own latest event only."""
    publish(
        kind=CHECKPOINT_SIGNED,
        client_id=row.client_id,
        data=checkpoint.model_dump(),
        at=row.signed_at,
    )
