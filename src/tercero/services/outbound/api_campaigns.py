"""Campaigns in the API: list, create, read, change (version-checked), start/pause/close.
Another client's ids answer 404; an unknown rule pack is 422."""

from datetime import datetime
from decimal import Decimal

from ninja import Field, Router, Schema, Status

from tercero.delivery.engagements.selectors import access_engagement
from tercero.platform.api.caller import caller_of
from tercero.services.outbound import campaigns, selectors

router = Router(tags=["outbound"])
MANAGE = "outbound:manage"
DIAL = "outbound:dial"


class CampaignOut(Schema):
    id: int
    client_id: int
    engagement_id: int
    name: str
    goal: str
    mode: str
    pack: str
    status: str
    queue_id: int | None
    script: dict
    dispositions: list[dict]
    lead_fields: list[dict]
    recycling: dict
    abandon_cap_percent: Decimal
    caller_id: str
    version: int
    created_at: datetime


class CampaignIn(Schema):
    engagement_id: int = Field(ge=1, le=2**62)
    name: str = Field(max_length=120)
    pack: str = Field(max_length=12)
    goal: str = "sales"
    mode: str = "preview"
    queue_id: int | None = Field(default=None, ge=1, le=2**62)
    script: dict = Field(default_factory=dict)
    dispositions: list[dict] | None = None
    lead_fields: list[dict] = Field(default_factory=list)
    recycling: dict | None = None
    abandon_cap_percent: Decimal = Decimal(3)
    caller_id: str = Field(default="", max_length=16)


class CampaignPatch(Schema):
    version: int = Field(ge=1)
    changes: dict = Field(description="any of: " + ", ".join(campaigns.EDITABLE))


class StatusIn(Schema):
    version: int = Field(ge=1)
    status: str = Field(description="active, paused or closed")


def out(campaign) -> dict:
    return {name: getattr(campaign, name) for name in CampaignOut.model_fields}


@router.get("/outbound/campaigns", response=list[CampaignOut])
def list_campaigns(request, status: str = ""):
    caller = caller_of(request)
    caller.require(DIAL)
    return [out(c) for c in selectors.campaigns(client_ids=caller.client_ids, status=status)[:500]]


@router.post("/outbound/campaigns", response={201: CampaignOut})
def create_campaign(request, body: CampaignIn):
    """A draft campaign in one of the caller's engagements (default dispositions and
    recycling when none are given)."""
    caller = caller_of(request)
    caller.require(MANAGE)
    engagement = access_engagement(client_ids=caller.client_ids, engagement_id=body.engagement_id)
    fields = body.dict(exclude={"engagement_id", "queue_id"}, exclude_none=True)
    if body.queue_id:
        fields["queue"] = body.queue_id
    campaign = campaigns.create_campaign(actor=caller.user, engagement=engagement, fields=fields)
    return Status(201, out(campaign))


@router.get("/outbound/campaigns/{campaign_id}", response=CampaignOut)
def get_campaign(request, campaign_id: int):
    caller = caller_of(request)
    campaign = selectors.access_campaign(client_ids=caller.client_ids, campaign_id=campaign_id)
    caller.require(DIAL)
    return out(campaign)


@router.patch("/outbound/campaigns/{campaign_id}", response=CampaignOut)
def change_campaign(request, campaign_id: int, body: CampaignPatch):
    """Change the script, dispositions, fields, recycling, mode, pack, cap or queue. A
    stale `version` is 409."""
    caller = caller_of(request)
    campaign = selectors.access_campaign(client_ids=caller.client_ids, campaign_id=campaign_id)
    caller.require(MANAGE)
    campaign = campaigns.update_campaign(
        actor=caller.user, campaign=campaign, version=body.version, changes=body.changes
    )
    return out(campaign)


@router.post("/outbound/campaigns/{campaign_id}/status", response=CampaignOut)
def set_status(request, campaign_id: int, body: StatusIn):
    """Start (needs a queue and a ready list: else 409 naming what is missing), pause or
    close the campaign."""
    caller = caller_of(request)
    campaign = selectors.access_campaign(client_ids=caller.client_ids, campaign_id=campaign_id)
    caller.require(MANAGE)
    campaign = campaigns.set_status(
        actor=caller.user, campaign=campaign, version=body.version, status=body.status
    )
    return out(campaign)
