"""Data capture's outbox event, for billing and quality checks: a document keyed. How
many fields were keyed and rejected and what kind of document, never what was keyed
(events reach clients' endpoints and the audit chain)."""

from typing import TYPE_CHECKING

from tercero.delivery.work import services as work
from tercero.delivery.work.event_types import EventData, EventType

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkEvent, WorkItem

KEYED = "capture.document.keyed"


class DocumentKeyed(EventData):
    item_id: int
    document_kind: str
    fields_total: int
    fields_keyed: int
    fields_rejected: int


EVENTS = (EventType(KEYED, DocumentKeyed, "A document's fields were keyed (its item resolved)."),)


def document_moved(item: "WorkItem", event: "WorkEvent") -> None:
    """Publish `capture.document.keyed` when a document's item is resolved (the engine
    calls this inside the move's transaction)."""
    if event.kind != "item.resolved":
        return
    payload = item.payload
    work.publish(
        kind=KEYED,
        client_id=item.client_id,
        item=item,
        actor=event.actor,
        data={
            "item_id": item.pk,
            "document_kind": payload.get("document_kind", "form"),
            "fields_total": payload["fields_total"],
            "fields_keyed": payload.get("fields_keyed", 0),
            "fields_rejected": payload.get("fields_rejected", 0),
        },
    )
