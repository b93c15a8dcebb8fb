"""Customer care and technical support tickets as work types.

A `care.ticket` is one customer's request (by e-mail, web form, chat or phone) with its
conversation; a `support.ticket` adds product, version, device/OS and a support tier
(L1-L3); a `care.call` is one phone call. The requester's name, e-mail and phone (a
caller's number) are personal data: sealed at rest and masked on every page until
revealed. Every care item holds personal data, in its fields or in the conversation (an
address, an order, a phone number typed into a chat), so each is created as holding it
and the engagement's data-residency rule applies to it on every path.
"""

from typing import Literal

from pydantic import BaseModel, Field

from tercero.delivery.work import registry
from tercero.services.care import events

PERSONAL = ("requester_name", "requester_email", "requester_phone")
KINDS = {"requester_name": "name", "requester_email": "email", "requester_phone": ""}


class TicketPayload(BaseModel):
    subject: str = Field(min_length=1, max_length=300)
    requester_name: str = Field(default="", max_length=200, title="Requester name")
    requester_email: str = Field(default="", max_length=254, title="Requester e-mail")
    requester_phone: str = Field(default="", max_length=40, title="Requester phone")
    requester_external_id: str = Field(default="", max_length=100, title="Customer id")
    tags: list[str] = Field(default_factory=list, max_length=30)
    language: str = Field(default="", pattern=r"^([a-z]{2})?$")


class SupportPayload(TicketPayload):
    product: str = Field(default="", max_length=100)
    version: str = Field(default="", max_length=50)
    device_os: str = Field(default="", max_length=100, title="Device / OS")
    tier: Literal["L1", "L2", "L3"] = "L1"


DISPLAY = (
    ("subject", "Subject"),
    ("requester_name", "Requester"),
    ("requester_email", "E-mail"),
    ("requester_phone", "Phone"),
    ("requester_external_id", "Customer id"),
)

TICKET = registry.WorkType(
    key="care.ticket",
    title="Customer ticket",
    payload_schema=TicketPayload,
    office="front",
    channel="email",
    default_skills={"customer_care": 1},
    language_field="language",
    sla_metrics=("first_response", "resolution"),
    summary=lambda p: p.subject,
    display_fields=DISPLAY,
    personal_fields=PERSONAL,
    personal_kinds=KINDS,
    holds_personal_data=True,
    attachment="optional",
    panel_url="care:panel",
    panel_replies_and_resolves=True,
    on_transition=events.ticket_moved,
)

SUPPORT = registry.WorkType(
    key="support.ticket",
    title="Technical support ticket",
    payload_schema=SupportPayload,
    office="front",
    channel="email",
    default_skills={"technical_support": 1},
    language_field="language",
    sla_metrics=("first_response", "resolution"),
    summary=lambda p: p.subject,
    display_fields=(
        *DISPLAY,
        ("product", "Product"),
        ("version", "Version"),
        ("device_os", "Device / OS"),
        ("tier", "Tier"),
    ),
    personal_fields=PERSONAL,
    personal_kinds=KINDS,
    holds_personal_data=True,
    attachment="optional",
    panel_url="care:panel",
    panel_replies_and_resolves=True,
    on_transition=events.ticket_moved,
)


class CallPayload(BaseModel):
    call_id: str = Field(min_length=1, max_length=100)
    direction: Literal["inbound", "outbound"] = "inbound"
    state: Literal["ringing", "answered", "ended"] = "ringing"
    caller_number: str = Field(default="", max_length=40, title="Caller number")
    agent_extension: str = Field(default="", max_length=40)
    started_at: str = ""
    answered_at: str = ""
    ended_at: str = ""
    duration_seconds: int = Field(default=0, ge=0, le=7 * 86400)
    recording_url: str = Field(default="", max_length=500)
    disposition: str = Field(default="", max_length=100)
    notes: str = Field(default="", max_length=5000)


CALL = registry.WorkType(
    key="care.call",
    title="Phone call",
    payload_schema=CallPayload,
    office="front",
    channel="phone",
    default_skills={"customer_care": 1},
    sla_metrics=("resolution",),
    summary=lambda p: f"{p.direction.capitalize()} call {p.call_id}",
    display_fields=(
        ("caller_number", "Caller"),
        ("state", "State"),
        ("started_at", "Started"),
        ("answered_at", "Answered"),
        ("ended_at", "Ended"),
        ("duration_seconds", "Duration (s)"),
        ("recording_url", "Recording"),
        ("disposition", "Disposition"),
    ),
    personal_fields=("caller_number",),
    personal_kinds={"caller_number": ""},
    holds_personal_data=True,
)
