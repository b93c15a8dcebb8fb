"""Care's outbox events, for quality checks, billing, automations and clients' webhooks:
a ticket solved or reopened, a satisfaction score received, the customer writing again.
Counts, times and ids only: nothing about the customer (events reach clients' endpoints
and the audit chain)."""

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import Field

from tercero.delivery.work import services as work
from tercero.delivery.work.event_types import EventData, EventType

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkEvent, WorkItem

SOLVED = "care.ticket.solved"
REOPENED = "care.ticket.reopened"
CSAT_RECEIVED = "care.csat.received"
CUSTOMER_REPLIED = "care.customer.replied"


class TicketSolved(EventData):
    item_id: int
    work_type: str
    channel: str
    reopen_count: int
    first_response_at: datetime | None
    resolved_at: datetime
    # wall-clock seconds from the ticket's arrival (None: never answered before solving)
    first_response_seconds: int | None
    resolution_seconds: int


class TicketReopened(EventData):
    item_id: int
    work_type: str
    channel: str
    reopen_count: int


class CsatReceived(EventData):
    survey_id: int
    item_id: int
    score: int = Field(ge=1, le=5)


class CustomerReplied(EventData):
    item_id: int
    channel: str


EVENTS = (
    EventType(SOLVED, TicketSolved, "A customer or support ticket was resolved."),
    EventType(REOPENED, TicketReopened, "A resolved or closed ticket was reopened."),
    EventType(CSAT_RECEIVED, CsatReceived, "A customer answered the satisfaction survey."),
    EventType(
        CUSTOMER_REPLIED,
        CustomerReplied,
        "The customer wrote into an existing ticket (e-mail or chat).",
    ),
)


def ticket_moved(item: "WorkItem", event: "WorkEvent") -> None:
    """A ticket's move in the engine's life cycle, told in care's words (the engine calls
    this inside the move's transaction)."""
    if event.kind == "item.resolved":
        work.publish(
            kind=SOLVED,
            client_id=item.client_id,
            item=item,
            actor=event.actor,
            data=_solved(item),
        )
    elif event.kind == "item.reopened":
        work.publish(
            kind=REOPENED,
            client_id=item.client_id,
            item=item,
            actor=event.actor,
            data={
                "item_id": item.pk,
                "work_type": item.work_type,
                "channel": item.channel,
                "reopen_count": item.reopen_count,
            },
        )


def _solved(item: "WorkItem") -> dict:
    responded = item.first_response_at
    return {
        "item_id": item.pk,
        "work_type": item.work_type,
        "channel": item.channel,
        "reopen_count": item.reopen_count,
        "first_response_at": responded,
        "resolved_at": item.resolved_at,
        "first_response_seconds": _seconds(item.created_at, responded),
        "resolution_seconds": _seconds(item.created_at, item.resolved_at),
    }


def _seconds(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else max(int((end - start).total_seconds()), 0)
