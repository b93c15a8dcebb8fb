"""Who is calling the API and what they may do: role permissions narrowed by token scopes."""

from dataclasses import dataclass

from django.http import HttpRequest

from tercero.platform.errors import PermissionDenied
from tercero.platform.identity.models import ApiToken, User
from tercero.platform.tenancy.scoping import clients_in_scope


@dataclass(frozen=True)
class Caller:
    user: User
    token: ApiToken | None
    client_ids: list[int]

    @property
    def permissions(self) -> frozenset[str]:
        allowed = self.user.permissions
        if self.token is not None:
            allowed = allowed & frozenset(self.token.scopes)
        return allowed

    def require(self, permission: str) -> None:
        """Refuse with 403 unless the caller holds `permission`."""
        if permission not in self.permissions:
            raise PermissionDenied(f"This needs the '{permission}' permission.")


def caller_of(request: HttpRequest) -> Caller:
    """The authenticated caller; the client ids come from the request's scope."""
    user = request.user
    if not isinstance(user, User):
        # the API's auth and the pages' login guard run first: nobody gets here unsigned
        raise PermissionDenied("Sign in first.")
    return Caller(
        user=user,
        token=getattr(request, "api_token", None),
        client_ids=clients_in_scope() or [],
    )
