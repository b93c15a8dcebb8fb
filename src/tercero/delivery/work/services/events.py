"""Outbox events that belong to no item's life cycle (security alerts, signed audit
checkpoints), so a client's webhooks hear of them."""

from tercero.delivery.work.models import WorkEvent
from tercero.platform.audit.checkpoints import CHECKPOINT_SIGNED, Checkpoint
from tercero.platform.audit.models import AuditCheckpoint


def security_alert_event(alert, engagement_id: int | None) -> None:
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
        data={
            "alert_id": alert.pk,
            "kind": alert.kind,
            "user_id": alert.user_id,
            "count": alert.count,
            "limit": alert.limit,
        },
        at=alert.created_at,
    )


def audit_checkpoint_event(row: AuditCheckpoint, checkpoint: Checkpoint) -> None:
    """A client's signed audit checkpoint as an outbox event, so its webhooks receive
    it: the signed document, about that client's own latest event only."""
    WorkEvent.objects.create(
        client_id=row.client_id,
        item=None,
        engagement=None,
        kind=CHECKPOINT_SIGNED,
        actor=None,
        data=checkpoint.model_dump(),
        at=row.signed_at,
    )
