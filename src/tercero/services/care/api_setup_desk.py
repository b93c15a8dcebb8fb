"""The rest of the care desk's set-up in the API: web channels, custom fields, product
checklists, support tiers, SLA policies, and copying one client's set-up to another
client's engagement. For holders of `care:setup` (the copy: `care:copy_setup`, provider
admins); another client's row or engagement is 404. Lists page by cursor."""

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from tercero.delivery.engagements.selectors import access_engagement, engagements
from tercero.platform.api.caller import caller_of
from tercero.platform.api.pagination import paginate_by_cursor
from tercero.platform.errors import NotFound
from tercero.services.care import selectors
from tercero.services.care.services import (
    setup_channels,
    setup_copy,
    setup_fields,
    setup_service_levels,
)
from tercero.services.care.services.automations import CARE_SETUP
from tercero.services.care.services.setup_base import CARE_COPY

router = Router(tags=["care"])
ID = Field(ge=1, le=2**62)
CARE_LINES = ("customer_care", "technical_support")


class SetupFilters(Schema):
    engagement_id: int | None = Field(default=None, ge=1, le=2**62)


class ChannelIn(Schema):
    engagement_id: int = ID
    key: str = Field(max_length=40)
    queue_id: int = ID
    title: str = Field(default="Contact us", max_length=100)
    greeting: str = Field(default="Hello! How can we help?", max_length=300)
    allowed_origins: list[str] = Field(default_factory=list, max_length=20)
    has_chat: bool = True
    has_form: bool = True
    is_active: bool = True
    brand_name: str = Field(default="", max_length=100)
    brand_colour: str = Field(default="#1f5fa8", max_length=7)
    new_chats_per_minute: int = Field(default=300, ge=1, le=setup_channels.MAX_CHATS_PER_MINUTE)


class ChannelChange(Schema):
    key: str = Field(default=None, max_length=40)
    queue_id: int = Field(default=None, ge=1, le=2**62)
    title: str = Field(default=None, max_length=100)
    greeting: str = Field(default=None, max_length=300)
    allowed_origins: list[str] = Field(default=None, max_length=20)
    has_chat: bool = Field(default=None)
    has_form: bool = Field(default=None)
    is_active: bool = Field(default=None)
    brand_name: str = Field(default=None, max_length=100)
    brand_colour: str = Field(default=None, max_length=7)
    new_chats_per_minute: int = Field(default=None, ge=1, le=setup_channels.MAX_CHATS_PER_MINUTE)


class ChannelOut(Schema):
    id: int
    engagement_id: int
    key: str
    queue_id: int
    title: str
    greeting: str
    allowed_origins: list[str]
    has_chat: bool
    has_form: bool
    is_active: bool
    brand_name: str
    brand_colour: str
    new_chats_per_minute: int


FieldKind = Literal["text", "number", "date", "choice", "checkbox"]


class CustomFieldIn(Schema):
    engagement_id: int = ID
    key: str = Field(max_length=40)
    label: str = Field(max_length=80)
    kind: FieldKind = "text"
    choices: list[str] = Field(default_factory=list, max_length=setup_fields.MAX_CHOICES)
    is_required: bool = False
    position: int = Field(default=0, ge=0, le=999)
    is_active: bool = True


class CustomFieldChange(Schema):
    key: str = Field(default=None, max_length=40)
    label: str = Field(default=None, max_length=80)
    kind: FieldKind = Field(default=None)
    choices: list[str] = Field(default=None, max_length=setup_fields.MAX_CHOICES)
    is_required: bool = Field(default=None)
    position: int = Field(default=None, ge=0, le=999)
    is_active: bool = Field(default=None)


class CustomFieldOut(Schema):
    id: int
    engagement_id: int
    key: str
    label: str
    kind: str
    choices: list[str]
    is_required: bool
    position: int
    is_active: bool


class ChecklistIn(Schema):
    client_id: int = ID
    product: str = Field(max_length=100)
    title: str = Field(max_length=150)
    steps: list[str] = Field(max_length=setup_fields.MAX_STEPS)
    is_active: bool = True


class ChecklistChange(Schema):
    product: str = Field(default=None, max_length=100)
    title: str = Field(default=None, max_length=150)
    steps: list[str] = Field(default=None, max_length=setup_fields.MAX_STEPS)
    is_active: bool = Field(default=None)


class ChecklistOut(Schema):
    id: int
    client_id: int
    product: str
    title: str
    steps: list[str]
    is_active: bool


class TierIn(Schema):
    engagement_id: int = ID
    tier: Literal["L1", "L2", "L3"]
    queue_id: int = ID


class TierChange(Schema):
    tier: Literal["L1", "L2", "L3"] = Field(default=None)
    queue_id: int = Field(default=None, ge=1, le=2**62)


class TierOut(Schema):
    id: int
    engagement_id: int
    tier: str
    queue_id: int


class TargetIn(Schema):
    metric: Literal[tuple(setup_service_levels.METRICS)]  # type: ignore[valid-type]
    priority: Literal["P1", "P2", "P3", "P4"] | None = None
    amount: float = Field(ge=1, le=366 * 86400)
    unit: Literal[tuple(setup_service_levels.UNITS)]  # type: ignore[valid-type]


class TargetOut(Schema):
    metric: str
    priority: str | None
    amount: float
    unit: str
    words: str


class PolicyIn(Schema):
    version: int = Field(ge=1, le=2**31)
    targets: list[TargetIn] = Field(max_length=setup_service_levels.MAX_TARGETS)


class PolicyOut(Schema):
    engagement_id: int
    engagement: str
    version: int
    targets: list[TargetOut]

    @staticmethod
    def resolve_engagement_id(engagement) -> int:
        return engagement.pk

    @staticmethod
    def resolve_engagement(engagement) -> str:
        return engagement.name

    @staticmethod
    def resolve_targets(engagement) -> list[dict[str, Any]]:
        return setup_service_levels.policy_of(engagement)


class CopyIn(Schema):
    source_engagement_id: int = ID
    target_engagement_id: int = ID
    # a new address for each source mailbox to copy ({source mailbox id: address});
    # a mailbox without one is not copied
    mailbox_addresses: dict[int, str] = Field(default_factory=dict, max_length=100)
    confirm: bool = False


class StepOut(Schema):
    kind: str
    name: str
    outcome: Literal["copy", "clash", "skip"]
    reason: str


class CopyOut(Schema):
    done: bool
    steps: list[StepOut]


def _setter(request: HttpRequest):
    caller = caller_of(request)
    caller.require(CARE_SETUP)
    return caller


def _by_engagement(found, filters: SetupFilters):
    if filters.engagement_id is not None:
        return found.filter(engagement_id=filters.engagement_id)
    return found


def _whole_numbers(targets: list[TargetIn]) -> list[dict[str, Any]]:
    """Targets as the rules read them: whole amounts as int, so that 2.5 hours is
    refused in words rather than rounded."""
    out = []
    for target in targets:
        given = target.dict()
        if float(given["amount"]).is_integer():
            given["amount"] = int(given["amount"])
        out.append(given)
    return out


# --- web channels ---------------------------------------------------------------------


@router.get("/care/web-channels", response=list[ChannelOut])
@paginate_by_cursor
def list_web_channels(request: HttpRequest, filters: Query[SetupFilters]):
    """The web channels (contact form, chat) of the clients the caller sets up."""
    caller = _setter(request)
    return _by_engagement(selectors.web_channels(client_ids=caller.client_ids), filters)


@router.post("/care/web-channels", response={201: ChannelOut})
def create_web_channel(request: HttpRequest, body: ChannelIn):
    caller = caller_of(request)
    engagement = access_engagement(client_ids=caller.client_ids, engagement_id=body.engagement_id)
    caller.require(CARE_SETUP)
    made = setup_channels.create_web_channel(
        actor=caller.user, engagement=engagement, **body.dict(exclude={"engagement_id"})
    )
    return Status(201, made)


@router.get("/care/web-channels/{channel_id}", response=ChannelOut)
def get_web_channel(request: HttpRequest, channel_id: int):
    caller = caller_of(request)
    found = selectors.access_web_channel(client_ids=caller.client_ids, channel_id=channel_id)
    caller.require(CARE_SETUP)
    return found


@router.patch("/care/web-channels/{channel_id}", response=ChannelOut)
def change_web_channel(request: HttpRequest, channel_id: int, body: ChannelChange):
    """Change the fields given; `is_active: false` switches the channel off."""
    caller = caller_of(request)
    found = selectors.access_web_channel(client_ids=caller.client_ids, channel_id=channel_id)
    caller.require(CARE_SETUP)
    return setup_channels.update_web_channel(
        actor=caller.user, channel=found, **body.dict(exclude_unset=True)
    )


# --- custom fields --------------------------------------------------------------------


@router.get("/care/custom-fields", response=list[CustomFieldOut])
@paginate_by_cursor
def list_custom_fields(request: HttpRequest, filters: Query[SetupFilters]):
    caller = _setter(request)
    found = selectors.custom_field_definitions(client_ids=caller.client_ids)
    return _by_engagement(found, filters)


@router.post("/care/custom-fields", response={201: CustomFieldOut})
def create_custom_field(request: HttpRequest, body: CustomFieldIn):
    caller = caller_of(request)
    engagement = access_engagement(client_ids=caller.client_ids, engagement_id=body.engagement_id)
    caller.require(CARE_SETUP)
    made = setup_fields.create_custom_field(
        actor=caller.user, engagement=engagement, **body.dict(exclude={"engagement_id"})
    )
    return Status(201, made)


@router.get("/care/custom-fields/{field_id}", response=CustomFieldOut)
def get_custom_field(request: HttpRequest, field_id: int):
    caller = caller_of(request)
    found = selectors.access_custom_field(client_ids=caller.client_ids, field_id=field_id)
    caller.require(CARE_SETUP)
    return found


@router.patch("/care/custom-fields/{field_id}", response=CustomFieldOut)
def change_custom_field(request: HttpRequest, field_id: int, body: CustomFieldChange):
    """Change the fields given; `is_active: false` takes it off tickets (values stay)."""
    caller = caller_of(request)
    found = selectors.access_custom_field(client_ids=caller.client_ids, field_id=field_id)
    caller.require(CARE_SETUP)
    return setup_fields.update_custom_field(
        actor=caller.user, field=found, **body.dict(exclude_unset=True)
    )


# --- checklists -----------------------------------------------------------------------


@router.get("/care/checklists", response=list[ChecklistOut])
@paginate_by_cursor
def list_checklists(request: HttpRequest):
    caller = _setter(request)
    return selectors.checklists(client_ids=caller.client_ids)


@router.post("/care/checklists", response={201: ChecklistOut})
def create_checklist(request: HttpRequest, body: ChecklistIn):
    caller = caller_of(request)
    if body.client_id not in caller.client_ids:
        raise NotFound("Client not found.")
    caller.require(CARE_SETUP)
    made = setup_fields.create_checklist(actor=caller.user, **body.dict())
    return Status(201, made)


@router.get("/care/checklists/{checklist_id}", response=ChecklistOut)
def get_checklist(request: HttpRequest, checklist_id: int):
    caller = caller_of(request)
    found = selectors.access_checklist(client_ids=caller.client_ids, checklist_id=checklist_id)
    caller.require(CARE_SETUP)
    return found


@router.patch("/care/checklists/{checklist_id}", response=ChecklistOut)
def change_checklist(request: HttpRequest, checklist_id: int, body: ChecklistChange):
    caller = caller_of(request)
    found = selectors.access_checklist(client_ids=caller.client_ids, checklist_id=checklist_id)
    caller.require(CARE_SETUP)
    return setup_fields.update_checklist(
        actor=caller.user, checklist=found, **body.dict(exclude_unset=True)
    )


# --- tiers ----------------------------------------------------------------------------


@router.get("/care/tiers", response=list[TierOut])
@paginate_by_cursor
def list_tiers(request: HttpRequest, filters: Query[SetupFilters]):
    caller = _setter(request)
    return _by_engagement(selectors.tiers(client_ids=caller.client_ids), filters)


@router.post("/care/tiers", response={201: TierOut})
def create_tier(request: HttpRequest, body: TierIn):
    caller = caller_of(request)
    engagement = access_engagement(client_ids=caller.client_ids, engagement_id=body.engagement_id)
    caller.require(CARE_SETUP)
    made = setup_service_levels.create_tier(
        actor=caller.user, engagement=engagement, tier=body.tier, queue_id=body.queue_id
    )
    return Status(201, made)


@router.get("/care/tiers/{tier_id}", response=TierOut)
def get_tier(request: HttpRequest, tier_id: int):
    caller = caller_of(request)
    found = selectors.access_tier(client_ids=caller.client_ids, tier_id=tier_id)
    caller.require(CARE_SETUP)
    return found


@router.patch("/care/tiers/{tier_id}", response=TierOut)
def change_tier(request: HttpRequest, tier_id: int, body: TierChange):
    caller = caller_of(request)
    found = selectors.access_tier(client_ids=caller.client_ids, tier_id=tier_id)
    caller.require(CARE_SETUP)
    given = body.dict(exclude_unset=True)
    return setup_service_levels.update_tier(
        actor=caller.user,
        route=found,
        tier=given.get("tier", found.tier),
        queue_id=given.get("queue_id", found.queue_id),
    )


@router.delete("/care/tiers/{tier_id}", response={204: None})
def remove_tier(request: HttpRequest, tier_id: int):
    """Escalating to this tier then keeps a ticket in its queue."""
    caller = caller_of(request)
    found = selectors.access_tier(client_ids=caller.client_ids, tier_id=tier_id)
    caller.require(CARE_SETUP)
    setup_service_levels.remove_tier(actor=caller.user, route=found)
    return Status(204, None)


# --- SLA policies ---------------------------------------------------------------------


def _care_engagement(caller, engagement_id: int):
    engagement = access_engagement(client_ids=caller.client_ids, engagement_id=engagement_id)
    if engagement.service_line not in CARE_LINES:
        raise NotFound("No care desk on this engagement.")
    return engagement


@router.get("/care/sla-policies", response=list[PolicyOut])
@paginate_by_cursor
def list_sla_policies(request: HttpRequest):
    """Each care engagement's SLA targets, as written and in words."""
    caller = _setter(request)
    return engagements(client_ids=caller.client_ids).filter(service_line__in=CARE_LINES)


@router.get("/care/sla-policies/{engagement_id}", response=PolicyOut)
def get_sla_policy(request: HttpRequest, engagement_id: int):
    caller = caller_of(request)
    engagement = _care_engagement(caller, engagement_id)
    caller.require(CARE_SETUP)
    return engagement


@router.put("/care/sla-policies/{engagement_id}", response=PolicyOut)
def set_sla_policy(request: HttpRequest, engagement_id: int, body: PolicyIn):
    """Replace the engagement's targets; `version` is the engagement's (stale: 409)."""
    caller = caller_of(request)
    engagement = _care_engagement(caller, engagement_id)
    caller.require(CARE_SETUP)
    return setup_service_levels.set_policy(
        actor=caller.user,
        engagement=engagement,
        version=body.version,
        targets=_whole_numbers(body.targets),
    )


# --- copying a set-up -----------------------------------------------------------------


@router.post("/care/setup-copies", response=CopyOut)
def copy_setup(request: HttpRequest, body: CopyIn):
    """Without `confirm`: what would be copied, clash or be skipped, and why. With it:
    the copy, done in one go; clashing names are reported, never overwritten."""
    caller = caller_of(request)
    source = _care_engagement(caller, body.source_engagement_id)
    target = _care_engagement(caller, body.target_engagement_id)
    caller.require(CARE_COPY)
    arguments = {"source": source, "target": target, "mailbox_addresses": body.mailbox_addresses}
    if body.confirm:
        steps = setup_copy.copy_setup(actor=caller.user, **arguments)
    else:
        steps = setup_copy.plan_copy(**arguments)
    return {"done": body.confirm, "steps": [step.__dict__ for step in steps]}
