"""Lead lists and leads in the API: load a list (JSON rows, all or nothing), read lists
and leads (name and number masked), and `why not now?` for one lead."""

from datetime import datetime, timedelta

from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from tercero.platform.api.caller import caller_of
from tercero.platform.errors import InvalidInput
from tercero.platform.security import crypto
from tercero.services.outbound import compliance, lead_import, scrub, selectors

router = Router(tags=["outbound"])
MANAGE = "outbound:manage"
DIAL = "outbound:dial"


class ListOut(Schema):
    id: int
    campaign_id: int
    name: str
    priority: int
    status: str
    source_file: str
    rows_total: int
    rows_loaded: int
    rows_rejected: int
    rows_merged: int
    rows_held: int
    scrubbed_at: datetime | None
    created_at: datetime


class ListIn(Schema):
    name: str = Field(max_length=120)
    priority: int = Field(default=0, ge=-1000, le=1000)
    rows: list[dict] = Field(
        max_length=200_000,
        description="phone, name, postal_code, country and the campaign's custom fields by key",
    )


class LeadOut(Schema):
    id: int
    lead_list_id: int
    phone: str = Field(description="masked")
    name: str = Field(description="masked")
    postal_code: str
    country: str
    time_zone: str
    fields: dict
    status: str
    attempts: int
    next_callable_at: datetime | None
    held_reason: str
    disposition: str


def list_out(lead_list) -> dict:
    return {name: getattr(lead_list, name) for name in ListOut.model_fields}


def lead_out(lead) -> dict:
    data = {name: getattr(lead, name) for name in LeadOut.model_fields}
    data["phone"] = crypto.masked(lead.phone)
    data["name"] = crypto.masked(lead.name) if lead.name else ""
    return data


@router.get("/outbound/campaigns/{campaign_id}/lists", response=list[ListOut])
def lists(request, campaign_id: int):
    caller = caller_of(request)
    campaign = selectors.access_campaign(client_ids=caller.client_ids, campaign_id=campaign_id)
    caller.require(DIAL)
    return [list_out(x) for x in selectors.lead_lists(campaign=campaign)]


@router.post("/outbound/campaigns/{campaign_id}/lists", response={201: ListOut})
def load_list(request, campaign_id: int, body: ListIn):
    """Load a list: every row checked first; any bad row is 422 naming each (line, field,
    reason) and nothing is loaded. Duplicates are merged (the first kept) and counted."""
    caller = caller_of(request)
    campaign = selectors.access_campaign(client_ids=caller.client_ids, campaign_id=campaign_id)
    caller.require(MANAGE)
    rows = [(line, row) for line, row in enumerate(body.rows, start=1)]
    lead_list = lead_import.load(
        actor=caller.user, campaign=campaign, name=body.name, rows=rows, priority=body.priority
    )
    return Status(201, list_out(lead_list))


@router.get("/outbound/lists/{list_id}", response=ListOut)
def get_list(request, list_id: int):
    caller = caller_of(request)
    lead_list = selectors.access_lead_list(client_ids=caller.client_ids, list_id=list_id)
    caller.require(DIAL)
    return list_out(lead_list)


@router.get("/outbound/campaigns/{campaign_id}/leads", response=list[LeadOut])
def leads(
    request,
    campaign_id: int,
    status: str = "",
    list_id: int = Query(0, ge=0, le=2**62),
    offset: int = Query(0, ge=0, le=10**7),
):
    caller = caller_of(request)
    campaign = selectors.access_campaign(client_ids=caller.client_ids, campaign_id=campaign_id)
    caller.require(DIAL)
    found = selectors.leads(campaign=campaign, status=status, lead_list_id=list_id or None)
    return [lead_out(lead) for lead in found[offset : offset + 200]]


@router.get("/outbound/leads/{lead_id}", response=LeadOut)
def get_lead(request, lead_id: int):
    caller = caller_of(request)
    lead = selectors.access_lead(client_ids=caller.client_ids, lead_id=lead_id)
    caller.require(DIAL)
    return lead_out(lead)


@router.get("/outbound/leads/{lead_id}/why-not")
def why_not(request, lead_id: int, at: datetime | None = None):
    """May this lead be called now (or at `at`)? Every rule that says no, its legal
    source, and the next moment it may be called (UTC and the lead's local time)."""
    caller = caller_of(request)
    lead = selectors.access_lead(client_ids=caller.client_ids, lead_id=lead_id)
    caller.require(DIAL)
    if at is not None and at.tzinfo is None:
        raise InvalidInput("Give the moment with its offset.", fields={"at": "e.g. ...Z"})
    if at is not None and abs(at - timezone.now()) > timedelta(days=400):
        raise InvalidInput("Ask about a moment within 400 days.", fields={"at": "too far"})
    verdict = scrub.why_not_now(lead, at=at)
    return {"lead_id": lead.pk, "status": lead.status, **compliance.as_json(verdict)}
