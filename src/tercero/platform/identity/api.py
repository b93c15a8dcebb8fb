from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from tercero.platform.api.caller import Caller, caller_of
from tercero.platform.api.pagination import paginate_by_cursor
from tercero.platform.errors import NotFound
from tercero.platform.identity import selectors, services
from tercero.platform.identity.models import ApiToken, Grant, User
from tercero.platform.identity.roles import PERMISSIONS, Role
from tercero.platform.tenancy.models import Client

router = Router(tags=["people"])
RoleName = Field(pattern="^(" + "|".join(Role.values) + ")$")


class UserOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    client_id: int | None
    is_active: bool


class UserIn(Schema):
    email: str = Field(pattern=r"^[^@\s]{1,64}@[^@\s]{1,190}$")
    full_name: str = Field(min_length=1, max_length=200)
    role: str = RoleName
    client_id: int | None = Field(default=None, ge=1, le=2**62)
    password: str | None = Field(default=None, min_length=1, max_length=200)


class UserFilters(Schema):
    role: str | None = Field(default=None, max_length=32)
    client_id: int | None = Field(default=None, ge=1, le=2**62)
    is_active: bool | None = None
    q: str = Field(default="", max_length=100)


class GrantIn(Schema):
    user_id: int = Field(ge=1, le=2**62)
    client_id: int = Field(ge=1, le=2**62)
    reason: str = Field(default="", max_length=300)
    expires_at: datetime | None = None


class GrantOut(Schema):
    id: int
    user_id: int
    client_id: int
    reason: str
    expires_at: datetime | None


class TokenIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    client_id: int = Field(ge=1, le=2**62)
    scopes: list[str] = Field(min_length=1, max_length=len(PERMISSIONS))
    expires_at: datetime | None = None


class TokenOut(Schema):
    id: int
    name: str
    client_id: int
    key_id: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="The secret, shown this once.")


def _client_in_reach(caller: Caller, client_id: int) -> Client:
    if client_id not in caller.client_ids:
        raise NotFound("Client not found.")
    return Client.objects.get(pk=client_id)


@router.get("/users", response=list[UserOut], tags=["people"])
@paginate_by_cursor
def list_users(request: HttpRequest, filters: Query[UserFilters]) -> QuerySet[User]:
    caller = caller_of(request)
    caller.require("users:read")
    found = selectors.visible_users(user=caller.user, client_ids=caller.client_ids)
    if filters.role:
        found = found.filter(role=filters.role)
    if filters.client_id:
        found = found.filter(client_id=filters.client_id)
    if filters.is_active is not None:
        found = found.filter(is_active=filters.is_active)
    if filters.q:
        found = found.filter(email__icontains=filters.q) | found.filter(
            full_name__icontains=filters.q
        )
    return found


@router.get("/users/me", response=UserOut)
def me(request: HttpRequest) -> User:
    return caller_of(request).user


@router.get("/users/{user_id}", response=UserOut)
def get_user(request: HttpRequest, user_id: int) -> User:
    caller = caller_of(request)
    user = selectors.access_user(user=caller.user, user_id=user_id, client_ids=caller.client_ids)
    caller.require("users:read")
    return user


@router.post("/users", response={201: UserOut})
def create_user(request: HttpRequest, body: UserIn) -> Status[User]:
    caller = caller_of(request)
    client = None if body.client_id is None else _client_in_reach(caller, body.client_id)
    caller.require("users:write")
    user = services.create_user(
        actor=caller.user,
        email=body.email,
        full_name=body.full_name,
        role=body.role,
        client=client,
        password=body.password,
    )
    return Status(201, user)


@router.post("/users/{user_id}/deactivate", response=UserOut)
def deactivate_user(request: HttpRequest, user_id: int) -> User:
    caller = caller_of(request)
    user = selectors.access_user(user=caller.user, user_id=user_id, client_ids=caller.client_ids)
    caller.require("users:write")
    return services.set_user_active(actor=caller.user, user=user, is_active=False)


@router.post("/users/{user_id}/invite", response={202: UserOut})
def invite_user(request: HttpRequest, user_id: int) -> Status[User]:
    """Mail the person a one-time link to choose their password."""
    caller = caller_of(request)
    user = selectors.access_user(user=caller.user, user_id=user_id, client_ids=caller.client_ids)
    caller.require("users:write")
    services.invite_user(actor=caller.user, user=user)
    return Status(202, user)


@router.post("/users/{user_id}/reactivate", response=UserOut)
def reactivate_user(request: HttpRequest, user_id: int) -> User:
    caller = caller_of(request)
    user = selectors.access_user(user=caller.user, user_id=user_id, client_ids=caller.client_ids)
    caller.require("users:write")
    return services.set_user_active(actor=caller.user, user=user, is_active=True)


@router.get("/grants", response=list[GrantOut], tags=["grants"])
@paginate_by_cursor
def list_grants(request: HttpRequest) -> QuerySet[Grant]:
    caller = caller_of(request)
    caller.require("users:read")
    return Grant.objects.filter(client_id__in=caller.client_ids)


@router.post("/grants", response={201: GrantOut}, tags=["grants"])
def create_grant(request: HttpRequest, body: GrantIn) -> Status[Grant]:
    caller = caller_of(request)
    client = _client_in_reach(caller, body.client_id)
    user = selectors.access_user(
        user=caller.user, user_id=body.user_id, client_ids=caller.client_ids
    )
    caller.require("grants:write")
    grant = services.grant_client_access(
        actor=caller.user, user=user, client=client, reason=body.reason, expires_at=body.expires_at
    )
    return Status(201, grant)


@router.delete("/grants/{grant_id}", response={204: None}, tags=["grants"])
def delete_grant(request: HttpRequest, grant_id: int) -> Status[None]:
    caller = caller_of(request)
    grant = Grant.objects.filter(pk=grant_id, client_id__in=caller.client_ids).first()
    if grant is None:
        raise NotFound("Grant not found.")
    caller.require("grants:write")
    services.revoke_client_access(actor=caller.user, grant=grant)
    return Status(204, None)


@router.get("/tokens", response=list[TokenOut], tags=["tokens"])
@paginate_by_cursor
def list_tokens(request: HttpRequest) -> QuerySet[ApiToken]:
    caller = caller_of(request)
    return selectors.tokens_of(user=caller.user, token=caller.token)


@router.post("/tokens", response={201: NewTokenOut}, tags=["tokens"])
def create_token(request: HttpRequest, body: TokenIn) -> Status[dict[str, Any]]:
    caller = caller_of(request)
    client = _client_in_reach(caller, body.client_id)
    caller.require("tokens:write")
    token, plain = services.create_api_token(
        actor=caller.user,
        client=client,
        name=body.name,
        scopes=body.scopes,
        expires_at=body.expires_at,
        parent=caller.token,
    )
    return Status(201, {**TokenOut.from_orm(token).dict(), "token": plain})


@router.delete("/tokens/{token_id}", response=TokenOut, tags=["tokens"])
def revoke_token(request: HttpRequest, token_id: int) -> ApiToken:
    caller = caller_of(request)
    token = selectors.access_token(user=caller.user, token_id=token_id, token=caller.token)
    caller.require("tokens:write")
    return services.revoke_api_token(actor=caller.user, token=token)
