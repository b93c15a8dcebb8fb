"""The crm line's API, mounted at /api/v1/: the client's CRM pulls conversions and
opportunities from here (each listing is noted as an export), staff keep accounts,
contacts and the pipeline. Contacts come out masked; names and numbers never leave."""

from datetime import datetime

from ninja import Field, Router, Schema, Status

from tercero.platform.api.caller import caller_of
from tercero.platform.errors import NotFound
from tercero.services.crm import selectors, services

router = Router(tags=["crm"])
READ = "crm:read"
WRITE = "crm:write"


class ConversionOut(Schema):
    id: int
    client_id: int
    kind: str
    value_minor: int
    currency: str
    occurred_at: datetime
    opportunity_id: int | None
    source_campaign_id: int | None
    source_lead_id: int | None


class OpportunityOut(Schema):
    id: int
    client_id: int
    account_id: int
    title: str
    stage: str
    value_minor: int
    currency: str
    owner_id: int | None
    next_step: str
    next_step_at: datetime | None
    follow_up_item_id: int | None
    version: int


class OpportunityIn(Schema):
    title: str = Field(max_length=200)
    value_minor: int = Field(default=0, ge=0, le=2**53)
    currency: str = Field(default="USD", min_length=3, max_length=3)
    engagement_id: int | None = Field(default=None, ge=1, le=2**62)


class OpportunityChange(Schema):
    version: int = Field(ge=1, le=2**31)
    stage: str | None = Field(default=None, max_length=10)
    value_minor: int | None = Field(default=None, ge=0, le=2**53)
    next_step: str | None = Field(default=None, max_length=300)
    next_step_at: datetime | None = None


class AccountIn(Schema):
    client_id: int = Field(ge=1, le=2**62)
    name: str = Field(max_length=200)
    number: str = Field(default="", max_length=40)


class AccountOut(Schema):
    id: int
    client_id: int
    name: str
    number: str
    created_at: datetime


class ContactIn(Schema):
    name: str = Field(max_length=200)
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=254)


@router.get("/crm/conversions", response=list[ConversionOut])
def conversions(
    request, kind: str = "", since: datetime | None = None, offset: int = 0, limit: int = 500
):
    """The client's conversions, newest first (the CRM export by API)."""
    caller = caller_of(request)
    caller.require(READ)
    offset, limit = max(offset, 0), min(max(limit, 1), 500)
    found = list(
        selectors.conversions(client_ids=caller.client_ids, kind=kind, since=since)[
            offset : offset + limit
        ]
    )
    for client_id in sorted({c.client_id for c in found}):
        rows = sum(1 for c in found if c.client_id == client_id)
        services.record_export(actor=caller.user, client_id=client_id, format="api", rows=rows)
    return found


@router.get("/crm/conversions/{conversion_id}", response=ConversionOut)
def conversion(request, conversion_id: int):
    caller = caller_of(request)
    found = selectors.access_conversion(client_ids=caller.client_ids, conversion_id=conversion_id)
    caller.require(READ)
    return found


@router.get("/crm/opportunities", response=list[OpportunityOut])
def opportunities(request, stage: str = "", offset: int = 0):
    caller = caller_of(request)
    caller.require(READ)
    offset = max(offset, 0)
    found = selectors.opportunities(client_ids=caller.client_ids, stage=stage)
    return list(found[offset : offset + 500])


@router.get("/crm/opportunities/{opportunity_id}", response=OpportunityOut)
def opportunity(request, opportunity_id: int):
    caller = caller_of(request)
    found = selectors.access_opportunity(
        client_ids=caller.client_ids, opportunity_id=opportunity_id
    )
    caller.require(READ)
    return found


@router.patch("/crm/opportunities/{opportunity_id}", response=OpportunityOut)
def change_opportunity(request, opportunity_id: int, body: OpportunityChange):
    """Move an opportunity on; a next step with a time becomes a follow-up work item."""
    caller = caller_of(request)
    found = selectors.access_opportunity(
        client_ids=caller.client_ids, opportunity_id=opportunity_id
    )
    caller.require(WRITE)
    return services.update_opportunity(
        actor=caller.user,
        opportunity=found,
        version=body.version,
        stage=body.stage,
        value_minor=body.value_minor,
        next_step=body.next_step,
        next_step_at=body.next_step_at,
    )


@router.post("/crm/accounts", response={201: AccountOut})
def create_account(request, body: AccountIn):
    caller = caller_of(request)
    if body.client_id not in caller.client_ids:
        raise NotFound("Client not found.")
    caller.require(WRITE)
    account = services.create_account(
        actor=caller.user, client_id=body.client_id, name=body.name, number=body.number
    )
    return Status(201, account)


@router.get("/crm/accounts", response=list[AccountOut])
def accounts(request, search: str = "", offset: int = 0):
    caller = caller_of(request)
    caller.require(READ)
    offset = max(offset, 0)
    found = selectors.accounts(client_ids=caller.client_ids, search=search[:200])
    return list(found[offset : offset + 500])


@router.get("/crm/accounts/{account_id}", response=AccountOut)
def account(request, account_id: int):
    caller = caller_of(request)
    found = selectors.access_account(client_ids=caller.client_ids, account_id=account_id)
    caller.require(READ)
    return found


@router.post("/crm/accounts/{account_id}/contacts", response={201: dict})
def add_contact(request, account_id: int, body: ContactIn):
    """A contact of the account; its name, number and e-mail are sealed at once."""
    caller = caller_of(request)
    found = selectors.access_account(client_ids=caller.client_ids, account_id=account_id)
    caller.require(WRITE)
    contact = services.add_contact(
        actor=caller.user, account=found, name=body.name, phone=body.phone, email=body.email
    )
    return Status(201, {"id": contact.pk, "account_id": found.pk})


@router.post("/crm/accounts/{account_id}/opportunities", response={201: OpportunityOut})
def add_opportunity(request, account_id: int, body: OpportunityIn):
    caller = caller_of(request)
    found = selectors.access_account(client_ids=caller.client_ids, account_id=account_id)
    caller.require(WRITE)
    created = services.create_opportunity(
        actor=caller.user,
        account=found,
        title=body.title,
        value_minor=body.value_minor,
        currency=body.currency,
        engagement_id=body.engagement_id,
    )
    return Status(201, created)
