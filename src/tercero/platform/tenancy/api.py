from typing import TYPE_CHECKING, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from tercero.platform.api.caller import caller_of
from tercero.platform.api.inputs import patch_field
from tercero.platform.api.pagination import paginate_by_cursor
from tercero.platform.errors import NotFound
from tercero.platform.tenancy import selectors, services
from tercero.platform.tenancy.models import Client, Provider

router = Router(tags=["clients"])
if TYPE_CHECKING:  # a Literal built from the model's choices is beyond a type checker
    Vertical = str
    ClientStatus = str
else:
    Vertical = Literal[tuple(Client.Vertical.values)]
    ClientStatus = Literal[tuple(Client.Status.values)]


class ClientIn(Schema):
    legal_name: str = Field(min_length=1, max_length=200)
    country: str = Field(pattern=r"^[A-Z]{2}$")
    time_zone: str = Field(min_length=1, max_length=64)
    industry_vertical: Vertical


class ClientPatch(Schema):
    legal_name: str = patch_field(min_length=1, max_length=200)
    time_zone: str = patch_field(min_length=1, max_length=64)
    industry_vertical: Vertical = patch_field()


class ClientStatusIn(Schema):
    status: ClientStatus
    reason: str = Field(default="", max_length=500)


class ClientOut(Schema):
    id: int
    legal_name: str
    country: str
    time_zone: str
    industry_vertical: str
    status: str


class ClientFilters(Schema):
    status: str | None = Field(default=None, max_length=16)
    country: str | None = Field(default=None, max_length=2)
    q: str = Field(default="", max_length=100)


@router.get("", response=list[ClientOut])
@paginate_by_cursor
def list_clients(request: HttpRequest, filters: Query[ClientFilters]) -> QuerySet[Client]:
    caller = caller_of(request)
    caller.require("clients:read")
    return selectors.clients(client_ids=caller.client_ids, **filters.dict())


@router.get("/{client_id}", response=ClientOut)
def get_client(request: HttpRequest, client_id: int) -> Client:
    caller = caller_of(request)
    client = selectors.access_client(client_ids=caller.client_ids, client_id=client_id)
    caller.require("clients:read")
    return client


@router.post("", response={201: ClientOut})
def create_client(request: HttpRequest, body: ClientIn) -> Status[Client]:
    caller = caller_of(request)
    caller.require("clients:write")
    provider = Provider.objects.order_by("id").first()
    if provider is None:
        raise NotFound("No provider is set up; run `tercero demo` or create one.")
    client = services.create_client(
        actor=caller.user,
        provider=provider,
        legal_name=body.legal_name,
        country=body.country,
        time_zone=body.time_zone,
        industry_vertical=body.industry_vertical,
    )
    return Status(201, client)


@router.patch("/{client_id}", response=ClientOut)
def update_client(request: HttpRequest, client_id: int, body: ClientPatch) -> Client:
    caller = caller_of(request)
    client = selectors.access_client(client_ids=caller.client_ids, client_id=client_id)
    caller.require("clients:write")
    return services.update_client(
        actor=caller.user, client=client, changes=body.dict(exclude_unset=True)
    )


@router.post("/{client_id}/status", response=ClientOut)
def change_status(request: HttpRequest, client_id: int, body: ClientStatusIn) -> Client:
    caller = caller_of(request)
    client = selectors.access_client(client_ids=caller.client_ids, client_id=client_id)
    caller.require("clients:write")
    return services.change_client_status(
        actor=caller.user, client=client, status=body.status, reason=body.reason
    )
