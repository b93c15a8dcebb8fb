"""The engine's own outbox consumer: every work event joins the audit chain.

Work changes are frequent (one claim is one event), so they are chained into the audit
trail by this consumer, in event order and a block per outbox batch, rather than inside
the claim's transaction, which would serialise every claim behind the chain's lock. The
`WorkEvent` table is itself append-only from the moment it is written.
"""

from tercero.delivery.work import outbox
from tercero.delivery.work.models import WorkEvent
from tercero.delivery.work.outbox import Consumer, register_consumer
from tercero.platform.audit.checkpoints import CHECKPOINT_SIGNED
from tercero.platform.audit.services import Entry, record_block
from tercero.platform.ops.selectors import register_backlog


def audit_entry(event: WorkEvent) -> Entry:
    """The audit event that stands for work event `event`."""
    return Entry(
        action=f"work.{event.kind}",
        actor=event.actor_id,
        client=event.client_id,
        object_type="work_item" if event.item_id else "engagement",
        object_id=event.item_id or event.engagement_id,
        payload={"work_event_id": event.pk, "at": event.at.isoformat(), **event.data},
    )


def chain_block_into_audit(events: list[WorkEvent]) -> None:
    # a checkpoint of the chain joining the chain would outdate itself
    record_block([audit_entry(event) for event in events if event.kind != CHECKPOINT_SIGNED])


def chain_into_audit(event: WorkEvent) -> None:
    chain_block_into_audit([event])


def register() -> None:
    register_consumer(
        Consumer(name="audit", handle=chain_into_audit, handle_batch=chain_block_into_audit)
    )
    # every consumer's backlog, service lines' included, shown on the operations page
    register_backlog("outbox", outbox.lag)
