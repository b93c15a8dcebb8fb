from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from tercero.delivery.workforce import selectors, services
from tercero.delivery.workforce.models import Site
from tercero.delivery.workforce.shore import shore_of
from tercero.platform.api.caller import caller_of
from tercero.platform.api.inputs import patch_field
from tercero.platform.api.pagination import paginate_by_cursor
from tercero.platform.errors import NotFound
from tercero.platform.tenancy.models import Client, Provider

router = Router(tags=["sites"])


class SiteIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    country: str = Field(pattern=r"^[A-Z]{2}$")
    city: str = Field(min_length=1, max_length=100)
    time_zone: str = Field(min_length=1, max_length=64)
    languages: list[str] = Field(default_factory=list, max_length=50)
    hourly_cost_minor: int = Field(ge=0, le=10**9)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    shrinkage: float = Field(default=0.3, ge=0, le=0.95, description="share of paid time")


class SitePatch(Schema):
    name: str = patch_field(min_length=1, max_length=100)
    city: str = patch_field(min_length=1, max_length=100)
    time_zone: str = patch_field(min_length=1, max_length=64)
    languages: list[str] = patch_field(max_length=50)
    hourly_cost_minor: int = patch_field(ge=0, le=10**9)
    currency: str = patch_field(pattern=r"^[A-Z]{3}$")
    shrinkage: float = patch_field(ge=0, le=0.95)
    is_active: bool = patch_field()


class SiteOut(Schema):
    id: int
    name: str
    country: str
    city: str
    time_zone: str
    languages: list[str]
    hourly_cost_minor: int
    currency: str
    shrinkage: float
    is_active: bool


class SiteFilters(Schema):
    country: str | None = Field(default=None, max_length=2)
    is_active: bool | None = None
    q: str = Field(default="", max_length=100)


class ShoreOut(Schema):
    site_id: int
    client_id: int
    shore: str


@router.get("", response=list[SiteOut])
@paginate_by_cursor
def list_sites(request: HttpRequest, filters: Query[SiteFilters]) -> QuerySet[Site]:
    caller_of(request).require("sites:read")
    return selectors.sites(country=filters.country, is_active=filters.is_active, q=filters.q)


@router.get("/{site_id}", response=SiteOut)
def get_site(request: HttpRequest, site_id: int) -> Site:
    caller_of(request).require("sites:read")
    return selectors.access_site(site_id=site_id)


@router.get("/{site_id}/shore/{client_id}", response=ShoreOut)
def get_shore(request: HttpRequest, site_id: int, client_id: int) -> dict[str, object]:
    """Shore is relative: onshore, nearshore or offshore for this client."""
    caller = caller_of(request)
    if client_id not in caller.client_ids:
        raise NotFound("Client not found.")
    site = selectors.access_site(site_id=site_id)
    caller.require("sites:read")
    client = get_object_or_404(Client, pk=client_id)
    return {"site_id": site.pk, "client_id": client.pk, "shore": shore_of(site, client)}


@router.post("", response={201: SiteOut})
def create_site(request: HttpRequest, body: SiteIn) -> Status[Site]:
    caller = caller_of(request)
    caller.require("sites:write")
    provider = Provider.objects.order_by("id").first()
    if provider is None:
        raise NotFound("No provider is set up; run `tercero demo` or create one.")
    site = services.create_site(
        actor=caller.user,
        provider=provider,
        name=body.name,
        country=body.country,
        city=body.city,
        time_zone=body.time_zone,
        languages=body.languages,
        hourly_cost_minor=body.hourly_cost_minor,
        currency=body.currency,
        shrinkage=body.shrinkage,
    )
    return Status(201, site)


@router.patch("/{site_id}", response=SiteOut)
def update_site(request: HttpRequest, site_id: int, body: SitePatch) -> Site:
    caller = caller_of(request)
    site = selectors.access_site(site_id=site_id)
    caller.require("sites:write")
    return services.update_site(actor=caller.user, site=site, changes=body.dict(exclude_unset=True))
