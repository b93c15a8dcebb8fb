"""The outbound line's work type: one call to one lead of a campaign.

The lead's name and number are personal data: sealed at rest, masked on every page until
revealed, and the item is created as holding personal data so the engagement's
data-residency rule applies to it.
"""

from pydantic import BaseModel, Field

from tercero.delivery.work import registry


class CallPayload(BaseModel):
    campaign_id: int = Field(ge=1)
    lead_id: int = Field(ge=1)
    campaign: str = Field(default="", max_length=120, title="Campaign")
    lead_name: str = Field(default="", max_length=200, title="Lead")
    lead_phone: str = Field(default="", max_length=40, title="Number")
    attempt: int = Field(default=1, ge=1)


CALL = registry.WorkType(
    key="outbound.call",
    title="Outbound call",
    payload_schema=CallPayload,
    office="front",
    channel="phone",
    default_skills={"telemarketing": 1},
    sla_metrics=("resolution",),
    summary=lambda p: f"Call for {p.campaign or 'campaign ' + str(p.campaign_id)}",
    display_fields=(
        ("campaign", "Campaign"),
        ("lead_name", "Lead"),
        ("lead_phone", "Number"),
        ("attempt", "Attempt"),
    ),
    personal_fields=("lead_name", "lead_phone"),
    personal_kinds={"lead_name": "name", "lead_phone": ""},
    holds_personal_data=True,
)
