"""Every request runs inside the scope of the clients its user may reach.

It brings tenancy, identity (tokens, reachable clients), the audit trail's request
context and the API's error shape together, so it sits in config, above all of them."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from tercero.platform.api.errors import error_response
from tercero.platform.audit.context import audit_context
from tercero.platform.identity.selectors import authenticate_bearer, reachable_client_ids
from tercero.platform.tenancy.scoping import client_scope

API_PREFIX = "/api/"


class ClientScopeMiddleware:
    """Authenticates API bearer tokens, then enters the caller's client scope.

    Tokens are for the API alone: anywhere else a bearer token is refused (401) rather
    than ignored, so a request that carries one never falls back to the session cookie.
    Anonymous requests get an empty scope: they can reach no client data at all.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            return error_response(400, "NUL characters are not allowed in URLs.")
        request.api_token = None  # type: ignore[attr-defined]  # read by platform.api.caller
        header = request.headers.get("Authorization", "")
        on_api = request.path_info.startswith(API_PREFIX)
        if not on_api and header.partition(" ")[0].lower() == "bearer":
            return _token_off_the_api()
        token = authenticate_bearer(header) if on_api else None
        if token is not None:
            request.user = token.user
            request.api_token = token  # type: ignore[attr-defined]
        clients = reachable_client_ids(user=request.user, token=token)
        with audit_context(ip=request.META.get("REMOTE_ADDR")), client_scope(clients=clients):
            return self.get_response(request)


def _token_off_the_api() -> HttpResponse:
    response = error_response(
        401, f"API tokens work under {API_PREFIX} only; pages need a signed-in session."
    )
    response["WWW-Authenticate"] = 'Bearer error="invalid_request"'
    return response
