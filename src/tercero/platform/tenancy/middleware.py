"""Every request runs inside the scope of the clients its user may reach."""

from tercero.platform.api.errors import error_response
from tercero.platform.audit.context import audit_context
from tercero.platform.identity.selectors import authenticate_bearer, reachable_client_ids
from tercero.platform.tenancy.scoping import client_scope


class ClientScopeMiddleware:
    """Authenticates API bearer tokens, then enters the caller's client scope.

    Anonymous requests get an empty scope: they can reach no client data at all.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            return error_response(400, "NUL characters are not allowed in URLs.")
        request.api_token = None
        token = authenticate_bearer(request.headers.get("Authorization", ""))
        if token is not None:
            request.user = token.user
            request.api_token = token
        clients = reachable_client_ids(user=request.user, token=token)
        with audit_context(ip=request.META.get("REMOTE_ADDR")), client_scope(clients=clients):
            return self.get_response(request)
