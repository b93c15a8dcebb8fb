from typing import Literal

from ninja import Field, Query, Router, Schema, Status

from tercero.platform.api.caller import caller_of
from tercero.platform.api.pagination import paginate_by_cursor
from tercero.platform.errors import NotFound
from tercero.platform.tenancy import selectors, services
from tercero.platform.tenancy.models import Client, Provider

router = Router(tags=["clients"])
Vertical = Literal[tuple(Client.Vertical.values)]
ClientStatus = Literal[tuple(Client.Status.values)]


class ClientIn(Schema):
    legal_name: str = Field(min_length=1, max_length=200)
    country: str = Field(pattern=r"^[A-Z]{2}$")
    time_zone: str = Field(min_length=1, max_length=64)
    industry_vertical: Vertical


class ClientPatch(Schema):
    legal_name: str = Field(default=None, min_length=1, max_length=200)
    time_zone: str = Field(default=None, min_length=1, max_length=64)
    industry_vertical: Vertical = Field(default=None)


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
def list_clients(request, filters: Query[ClientFilters]):
    caller = caller_of(request)
    caller.require("clients:read")
    return selectors.clients(client_ids=caller.client_ids, **filters.dict())


@router.get("/{client_id}", response=ClientOut)
def get_client(request, client_id: int):
    caller = caller_of(request)
    client = selectors.access_client(client_ids=caller.client_ids, client_id=client_id)
    caller.require("clients:read")
    return client


@router.post("", response={201: ClientOut})
def create_client(request, body: ClientIn):
    caller = caller_of(request)
    caller.require("clients:write")
    provider = Provider.objects.order_by("id").first()
    if provider is None:
        raise NotFound("No provider is set up; run `tercero demo` or create one.")
    return Status(201, services.create_client(actor=caller.user, provider=provider, **body.dict()))


@router.patch("/{client_id}", response=ClientOut)
def update_client(request, client_id: int, body: ClientPatch):
    caller = caller_of(request)
    client = selectors.access_client(client_ids=caller.client_ids, client_id=client_id)
    caller.require("clients:write")
    return services.update_client(
        actor=caller.user, client=client, changes=body.dict(exclude_unset=True)
    )


@router.post("/{client_id}/status", response=ClientOut)
def change_status(request, client_id: int, body: ClientStatusIn):
    caller = caller_of(request)
    client = selectors.access_client(client_ids=caller.client_ids, client_id=client_id)
    caller.require("clients:write")
    return services.change_client_status(
        actor=caller.user, client=client, status=body.status, reason=body.reason
    )
