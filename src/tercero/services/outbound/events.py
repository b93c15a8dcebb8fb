"""The outbound line's outbox events, for crm, billing, quality and clients' webhooks.
Ids, counts, outcomes and money only: never a lead's name or number (events reach
clients' endpoints and the audit chain). Registered here, published by the module that
makes the change: lead_import (list loaded), the dialler (call made, number blocked), the
agent screen (sale made, lead converted)."""

from datetime import datetime

from pydantic import Field

from tercero.delivery.work.event_types import EventData, EventType

LIST_LOADED = "outbound.lead_list.loaded"
CALL_MADE = "outbound.call.made"
SALE_MADE = "outbound.sale.made"
LEAD_CONVERTED = "outbound.lead.converted"
NUMBER_BLOCKED = "outbound.number.blocked"


class ListLoaded(EventData):
    campaign_id: int
    lead_list_id: int
    rows_total: int
    rows_loaded: int
    rows_merged: int
    rows_held: int


class CallMade(EventData):
    campaign_id: int
    lead_id: int
    attempt_id: int
    agent_id: int | None
    outcome: str = Field(max_length=10)
    disposition: str = Field(default="", max_length=40)
    talk_seconds: int = Field(ge=0)
    started_at: datetime


class SaleMade(EventData):
    campaign_id: int
    lead_id: int
    attempt_id: int | None
    agent_id: int | None
    value_minor: int = Field(ge=0)
    currency: str = Field(min_length=3, max_length=3)
    occurred_at: datetime


class LeadConverted(EventData):
    campaign_id: int
    lead_id: int
    kind: str = Field(max_length=20)  # "sale" | "appointment" | ...
    attempt_id: int | None
    item_id: int | None  # the outbound.call item whose payload holds the contact details
    occurred_at: datetime


class NumberBlocked(EventData):
    campaign_id: int | None
    lead_id: int | None
    source: str = Field(max_length=20)  # a DncEntry source: "disposition", "manual"...
    scope: str = Field(max_length=8)  # "client" | "provider"


EVENTS = (
    EventType(LIST_LOADED, ListLoaded, "A lead list was loaded and scrubbed."),
    EventType(CALL_MADE, CallMade, "A call attempt to a lead ended."),
    EventType(SALE_MADE, SaleMade, "A call ended in a sale (value in minor units)."),
    EventType(LEAD_CONVERTED, LeadConverted, "A lead became a customer: a sale, an appointment..."),
    EventType(NUMBER_BLOCKED, NumberBlocked, "A number was put on a do-not-call list."),
)
