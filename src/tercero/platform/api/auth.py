"""API authentication: bearer tokens (machines) and the session cookie (our pages)."""

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from tercero.platform.identity.models import ApiToken, User


class BearerToken(HttpBearer):
    """`Authorization: Bearer trc_...`; the token was checked by ClientScopeMiddleware."""

    openapi_description = "An API token created at /api/v1/tokens, shown once."

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found: ApiToken | None = getattr(request, "api_token", None)
        return found


class ActiveSession(SessionAuth):
    """The signed-in user's session; unsafe methods must carry the CSRF token."""

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        # a request that presents a bearer token is judged by it alone: a rejected
        # token never falls back to the browser's session cookie
        if getattr(request, "api_token", None) is not None or request.headers.get("Authorization"):
            return None
        user = request.user
        return user if isinstance(user, User) and user.is_active else None


api_auth = [BearerToken(), ActiveSession(csrf=True)]
