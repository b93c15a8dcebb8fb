"""The crm line's outbox events: what billing prices (outcome pricing by event kind) and
what clients' CRMs receive by webhook. Ids, kinds, money and times only, never a
contact's name, number or e-mail."""

from datetime import datetime

from pydantic import Field

from tercero.delivery.work.event_types import EventData, EventType

CONVERSION_RECORDED = "crm.conversion.recorded"


class ConversionRecorded(EventData):
    conversion_id: int
    opportunity_id: int | None
    kind: str = Field(max_length=20)
    value_minor: int = Field(ge=0)
    currency: str = Field(min_length=3, max_length=3)
    occurred_at: datetime
    campaign_id: int | None = None
    lead_id: int | None = None


EVENTS = (
    EventType(
        CONVERSION_RECORDED,
        ConversionRecorded,
        "A conversion (sale, appointment...) was recorded for the client, with its value.",
    ),
)
