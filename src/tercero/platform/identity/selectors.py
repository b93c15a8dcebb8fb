"""Reads about people: who a caller is and which clients they may reach."""

from dataclasses import dataclass
from functools import cache

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.http import urlsafe_base64_decode

from tercero.platform.api import rows
from tercero.platform.errors import NotFound
from tercero.platform.identity import tokens
from tercero.platform.identity.models import ApiToken, Grant, User
from tercero.platform.tenancy.models import Client
from tercero.platform.tenancy.scoping import all_clients_scope


@dataclass(frozen=True)
class Bearer:
    """A usable API token and the clients its call may reach now: its own client while
    its person still belongs to it (client staff) or holds a current grant to it
    (provider staff), else none."""

    token: ApiToken
    client_ids: list[int]


@cache
def _bearer_sql(vendor: str) -> str:
    token, user = rows.columns(ApiToken, "t"), rows.columns(User, "u")
    grant = Grant._meta.db_table
    return (
        f"SELECT {token.sql}, {user.sql}, EXISTS (SELECT 1 FROM {grant} g"
        " WHERE g.user_id = t.user_id AND g.client_id = t.client_id"
        " AND (g.expires_at IS NULL OR g.expires_at > %s))"
        f" FROM {ApiToken._meta.db_table} t JOIN {User._meta.db_table} u ON u.id = t.user_id"
        " WHERE t.key_id = %s"
    )


def bearer_access(header: str) -> Bearer | None:
    """The usable token named by an `Authorization: Bearer ...` header with the clients
    it reaches, read in one statement (the token, its person and their grant to the
    token's client), fresh on every call: a revoked or expired token, a deactivated
    person or a removed grant is refused on the very next request. None when the header
    names no usable token."""
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    parts = tokens.split_token(presented.strip())
    if parts is None:
        return None
    key_id, secret = parts
    now = timezone.now()
    with all_clients_scope():  # the token names its client; no scope exists before it
        row = rows.fetch_one(_bearer_sql(connection.vendor), [now, key_id])
    if row is None:
        return None
    token_columns = rows.columns(ApiToken, "t")
    token = token_columns.build(row)
    if not tokens.secret_matches(secret, token.secret_hash):
        return None
    user = rows.columns(User, "u").build(row, len(token_columns.names))
    ApiToken.user.field.set_cached_value(token, user)
    if not token.is_usable(now):
        return None
    granted = bool(row[-1]) if user.is_provider_staff else user.client_id == token.client_id
    return Bearer(token=token, client_ids=[token.client_id] if granted else [])


def authenticate_bearer(header: str) -> ApiToken | None:
    """The usable token named by an `Authorization: Bearer ...` header, else None."""
    found = bearer_access(header)
    return None if found is None else found.token


def reachable_client_ids(
    *, user: User | AnonymousUser | None, token: ApiToken | None = None
) -> list[int]:
    """Client ids `user` may reach now; a token narrows it to the token's client."""
    if not isinstance(user, User) or not user.is_active:
        return []
    if user.is_provider_staff:
        now = timezone.now()
        with all_clients_scope():  # the grants build the scope itself
            ids = list(
                Grant.objects.filter(user=user)
                .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
                .values_list("client_id", flat=True)
            )
    else:
        ids = [] if user.client_id is None else [user.client_id]
    if token is not None:
        return [token.client_id] if token.client_id in ids else []
    return ids


def reachable_clients(*, user: User, token: ApiToken | None = None) -> QuerySet[Client]:
    ids = reachable_client_ids(user=user, token=token)
    return Client.objects.filter(pk__in=ids).order_by("legal_name")


def access_client(*, user: User, client_id: int, token: ApiToken | None = None) -> Client:
    """The client if `user` may reach it; NotFound otherwise (never 'forbidden')."""
    if client_id not in reachable_client_ids(user=user, token=token):
        raise NotFound("Client not found.")
    return Client.objects.get(pk=client_id)


def visible_users(*, user: User, client_ids: list[int]) -> QuerySet[User]:
    """Users a caller may list: client staff of reachable clients; provider staff are
    visible to provider staff only."""
    client_users = Q(client_id__in=client_ids)
    if user.is_provider_staff:
        return User.objects.filter(client_users | Q(client__isnull=True))
    return User.objects.filter(client_users)


def access_user(*, user: User, user_id: int, client_ids: list[int]) -> User:
    found = visible_users(user=user, client_ids=client_ids).filter(pk=user_id).first()
    if found is None:
        raise NotFound("User not found.")
    return found


def tokens_of(*, user: User, token: ApiToken | None = None) -> QuerySet[ApiToken]:
    """`user`'s tokens; called with a token, only those for that token's client."""
    found = ApiToken.objects.filter(user=user)
    if token is not None:
        found = found.filter(client_id=token.client_id)
    return found.order_by("-id")


def access_token(*, user: User, token_id: int, token: ApiToken | None = None) -> ApiToken:
    found = tokens_of(user=user, token=token).filter(pk=token_id).first()
    if found is None:
        raise NotFound("Token not found.")
    return found


def invited_user(*, uid: str) -> User | None:
    """The person an invitation link names (its token is checked when it is used)."""
    try:
        user_id = int(urlsafe_base64_decode(uid).decode())
    except (ValueError, UnicodeDecodeError):
        return None
    with all_clients_scope():  # the person is not signed in: no scope exists yet
        return User.objects.filter(pk=user_id).first()


def grants_of(*, user: User, client_ids: list[int]) -> list[Grant]:
    """The person's grants to the caller's clients (a grant to another client stays
    unseen), soonest to end first."""
    with all_clients_scope():  # grants are read in the all-clients scope, as to sign in
        found = Grant.objects.filter(user=user, client_id__in=client_ids)
        return list(found.select_related("client").order_by("client__legal_name"))


def access_grant(*, grant_id: int, client_ids: list[int]) -> Grant:
    with all_clients_scope():
        found = (
            Grant.objects.filter(pk=grant_id, client_id__in=client_ids)
            .select_related("user", "client")
            .first()
        )
    if found is None:
        raise NotFound("Grant not found.")
    return found
