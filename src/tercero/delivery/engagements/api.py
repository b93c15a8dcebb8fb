from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from tercero.delivery.engagements import selectors, services
from tercero.delivery.engagements.calendar import Rate, SlaTarget
from tercero.delivery.engagements.models import Category, Engagement
from tercero.platform.api.caller import caller_of
from tercero.platform.api.inputs import patch_field
from tercero.platform.api.pagination import paginate_by_cursor
from tercero.platform.errors import NotFound
from tercero.platform.tenancy.models import Client

router = Router(tags=["engagements"])

Language = Field(pattern=r"^[a-z]{2}$")
if TYPE_CHECKING:  # a Literal built from the model's choices is beyond a type checker
    CategoryName = str
else:
    CategoryName = Literal[tuple(Category.values)]
Shore = Literal["onshore", "nearshore", "offshore"]
Channel = Literal["email", "web_form", "chat", "phone", "portal", "api", "webhook"]
HHMM = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


class Closure(Schema):
    date: date
    reason: str = Field(default="", max_length=200)


class EngagementFields(Schema):
    scope: str = Field(default="", max_length=20_000)
    monthly_volume: int = Field(default=0, ge=0, le=10**9)
    process_steps: int = Field(default=1, ge=1, le=1000)
    exception_rate_percent: float = Field(default=0, ge=0, le=100)
    systems_count: int = Field(default=1, ge=0, le=1000)
    regulation: Literal["none", "light", "moderate", "strict"] = "none"
    languages: list[str] = Field(default_factory=list, max_length=50)
    hours_of_cover: Literal["business_hours", "extended", "24_7"] = "business_hours"
    working_hours: dict[Literal["0", "1", "2", "3", "4", "5", "6"], list[tuple[str, str]]] = Field(
        default_factory=dict
    )
    holiday_country: str = Field(default="", max_length=3)
    holiday_subdivision: str = Field(default="", max_length=10)
    closures: list[Closure] = Field(default_factory=list, max_length=1000)
    sla_targets: list[SlaTarget] = Field(default_factory=list, max_length=100)
    rates: list[Rate] = Field(default_factory=list, max_length=100)
    channels: list[Channel] = Field(default_factory=list, max_length=7)
    residency_allowed_shores: list[Shore] = Field(default_factory=list, max_length=3)
    residency_allowed_countries: list[str] = Field(default_factory=list, max_length=250)


class EngagementIn(EngagementFields):
    client_id: int = Field(ge=1, le=2**62)
    name: str = Field(min_length=1, max_length=200)
    service_line: str = Field(
        min_length=1, max_length=32, description="a service line an installed module runs"
    )
    category: CategoryName
    office: Literal["front", "back"]
    orientation: Literal["horizontal", "vertical"]
    pricing_model: Literal["per_fte", "per_hour", "per_transaction", "per_minute", "outcome"]
    time_zone: str = Field(min_length=1, max_length=64)


class EngagementPatch(Schema):
    version: int = Field(ge=1, le=2**31)
    name: str = patch_field(min_length=1, max_length=200)
    scope: str = patch_field(max_length=20_000)
    monthly_volume: int = patch_field(ge=0, le=10**9)
    process_steps: int = patch_field(ge=1, le=1000)
    exception_rate_percent: float = patch_field(ge=0, le=100)
    systems_count: int = patch_field(ge=0, le=1000)
    regulation: Literal["none", "light", "moderate", "strict"] = patch_field()
    hours_of_cover: Literal["business_hours", "extended", "24_7"] = patch_field()
    time_zone: str = patch_field(min_length=1, max_length=64)
    sla_targets: list[SlaTarget] = patch_field(max_length=100)
    rates: list[Rate] = patch_field(max_length=100)
    residency_allowed_shores: list[Shore] = patch_field(max_length=3)
    residency_allowed_countries: list[str] = patch_field(max_length=250)


class StatusIn(Schema):
    status: Literal["draft", "scoping", "proposed", "transition", "live", "ended"]
    reason: str = Field(default="", max_length=500)


class FactorOut(Schema):
    factor: str
    label: str
    input: float | int | str
    level: int
    weight: int
    contribution: float
    explanation: str


class EngagementOut(Schema):
    id: int
    client_id: int
    name: str
    service_line: str
    category: str
    office: str
    orientation: str
    scope: str
    monthly_volume: int
    languages: list[str]
    hours_of_cover: str
    time_zone: str
    working_hours: dict[str, Any]
    holiday_country: str
    holiday_subdivision: str
    closures: list[Any]
    sla_targets: list[Any]
    pricing_model: str
    rates: list[Any]
    channels: list[str]
    residency_allowed_shores: list[str]
    residency_allowed_countries: list[str]
    status: str
    complexity_score: float
    complexity_band: str
    complexity_breakdown: list[FactorOut]
    version: int


class EngagementFilters(Schema):
    client_id: int | None = Field(default=None, ge=1, le=2**62)
    status: str | None = Field(default=None, max_length=16)
    service_line: str | None = Field(default=None, max_length=32)
    office: str | None = Field(default=None, max_length=8)
    q: str = Field(default="", max_length=100)


def _as_model_fields(body: dict[str, Any]) -> dict[str, Any]:
    if "working_hours" in body:
        body["working_hours"] = {
            int(day): [list(i) for i in spans] for day, spans in body["working_hours"].items()
        }
    if "closures" in body:
        body["closures"] = [
            {"date": c["date"].isoformat(), "reason": c["reason"]} for c in body["closures"]
        ]
    return body


@router.get("", response=list[EngagementOut])
@paginate_by_cursor
def list_engagements(
    request: HttpRequest, filters: Query[EngagementFilters]
) -> QuerySet[Engagement]:
    caller = caller_of(request)
    caller.require("engagements:read")
    return selectors.engagements(client_ids=caller.client_ids, **filters.dict())


@router.get("/{engagement_id}", response=EngagementOut)
def get_engagement(request: HttpRequest, engagement_id: int) -> Engagement:
    caller = caller_of(request)
    engagement = selectors.access_engagement(
        client_ids=caller.client_ids, engagement_id=engagement_id
    )
    caller.require("engagements:read")
    return engagement


@router.post("", response={201: EngagementOut})
def create_engagement(request: HttpRequest, body: EngagementIn) -> Status[Engagement]:
    caller = caller_of(request)
    if body.client_id not in caller.client_ids:
        raise NotFound("Client not found.")
    caller.require("engagements:write")
    fields = _as_model_fields(body.dict(exclude={"client_id"}))
    client = Client.objects.get(pk=body.client_id)
    return Status(201, services.create_engagement(actor=caller.user, client=client, **fields))


@router.patch("/{engagement_id}", response=EngagementOut)
def update_engagement(
    request: HttpRequest, engagement_id: int, body: EngagementPatch
) -> Engagement:
    caller = caller_of(request)
    engagement = selectors.access_engagement(
        client_ids=caller.client_ids, engagement_id=engagement_id
    )
    caller.require("engagements:write")
    changes = _as_model_fields(body.dict(exclude_unset=True, exclude={"version"}))
    return services.update_engagement(
        actor=caller.user, engagement=engagement, version=body.version, changes=changes
    )


@router.post("/{engagement_id}/status", response=EngagementOut)
def change_status(request: HttpRequest, engagement_id: int, body: StatusIn) -> Engagement:
    caller = caller_of(request)
    engagement: Engagement = selectors.access_engagement(
        client_ids=caller.client_ids, engagement_id=engagement_id
    )
    caller.require("engagements:write")
    return services.change_engagement_status(
        actor=caller.user, engagement=engagement, status=body.status, reason=body.reason
    )
