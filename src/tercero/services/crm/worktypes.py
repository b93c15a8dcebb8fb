"""The crm line's work type: a follow-up task on an opportunity (call back, send the
proposal), in the engagement's queue, due at the opportunity's next step."""

from datetime import datetime

from pydantic import BaseModel, Field

from tercero.delivery.work import registry


class FollowUpPayload(BaseModel):
    opportunity_id: int = Field(ge=1)
    account: str = Field(default="", max_length=200, title="Account")
    next_step: str = Field(default="", max_length=300, title="Next step")
    next_step_at: datetime | None = Field(default=None, title="Due")


FOLLOW_UP = registry.WorkType(
    key="crm.follow_up",
    title="Follow-up on an opportunity",
    payload_schema=FollowUpPayload,
    office="front",
    channel="back_office",
    default_skills={},
    sla_metrics=("resolution",),
    summary=lambda p: f"Follow up: {p.next_step or 'opportunity ' + str(p.opportunity_id)}",
    display_fields=(("account", "Account"), ("next_step", "Next step"), ("next_step_at", "Due")),
)
