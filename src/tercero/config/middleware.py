"""Every request runs inside the scope of the clients its user may reach.

It brings tenancy, identity (tokens, reachable clients), the audit trail's request
context and the API's error shape together, so it sits in config, above all of them.

Two doors: `BearerDoorMiddleware`, before the session is loaded, lets API calls in on
their bearer token; everything else (pages, and API calls made with the session
cookie) goes through the session, CSRF, the second factor and the rest. A call the token
let in skips the middleware that serves sessions alone (`*PagesOnly` below): its person
is the token's, so a session cookie sent beside it is never read, and it cannot be
turned into a session call. A token that is not usable lets nothing in: that request
takes the session path, where the API still refuses it (a rejected token never falls
back to the cookie, see `platform.api.auth`).
"""

from collections.abc import Awaitable, Callable
from typing import Any

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.http.response import HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware

from tercero.platform.api.errors import error_response
from tercero.platform.audit.context import audit_context
from tercero.platform.identity.selectors import bearer_access, reachable_client_ids
from tercero.platform.tenancy.scoping import client_scope

API_PREFIX = "/api/"

type GetResponse = Callable[[HttpRequest], HttpResponseBase]
type Answer = HttpResponseBase | Awaitable[HttpResponseBase]  # as Django's middleware types it


class BearerDoorMiddleware:
    """Authenticates API bearer tokens before any session is read.

    Tokens are for the API alone: anywhere else a bearer token is refused (401) rather
    than ignored, so a request that carries one never falls back to the session cookie.
    A usable token sets `request.user` and `request.api_token`, with the clients it
    reaches read in the same statement (`request.bearer_client_ids`).
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            return error_response(400, "NUL characters are not allowed in URLs.")
        request.api_token = None  # type: ignore[attr-defined]  # read by platform.api.caller
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return self.get_response(request)
        if not request.path_info.startswith(API_PREFIX):
            if header.partition(" ")[0].lower() == "bearer":
                return _token_off_the_api()
            return self.get_response(request)
        bearer = bearer_access(header)
        if bearer is not None:
            request.user = bearer.token.user
            request.api_token = bearer.token  # type: ignore[attr-defined]
            request.bearer_client_ids = bearer.client_ids  # type: ignore[attr-defined]
        return self.get_response(request)


def _let_in_by_token(request: HttpRequest) -> bool:
    return getattr(request, "api_token", None) is not None


class SessionPagesOnly(SessionMiddleware):
    """Sessions, except for a call its bearer token let in."""

    def __call__(self, request: HttpRequest) -> Answer:
        if _let_in_by_token(request):
            return self.get_response(request)
        return super().__call__(request)


class CsrfPagesOnly(CsrfViewMiddleware):
    """CSRF, except for a call its bearer token let in (a browser cannot forge the
    header; a cookie sent beside it is never read)."""

    def __call__(self, request: HttpRequest) -> Answer:
        if _let_in_by_token(request):
            return self.get_response(request)
        return super().__call__(request)

    def process_view(
        self,
        request: HttpRequest,
        callback: Callable[..., Any],
        callback_args: tuple[Any, ...],
        callback_kwargs: dict[str, Any],
    ) -> HttpResponseForbidden | None:
        if _let_in_by_token(request):
            return None
        return super().process_view(request, callback, callback_args, callback_kwargs)


class AuthenticationPagesOnly(AuthenticationMiddleware):
    """The session's person, except for a call its bearer token let in (its person is
    the token's)."""

    def __call__(self, request: HttpRequest) -> Answer:
        if _let_in_by_token(request):
            return self.get_response(request)
        return super().__call__(request)


class MessagesPagesOnly(MessageMiddleware):
    """Flash messages, which only pages show."""

    def __call__(self, request: HttpRequest) -> Answer:
        if _let_in_by_token(request):
            return self.get_response(request)
        return super().__call__(request)


class ClientScopeMiddleware:
    """Enters the caller's client scope: a token's clients as the door read them, else
    those the session's person may reach. Anonymous requests get an empty scope: they
    can reach no client data at all."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if _let_in_by_token(request):
            clients: list[int] = request.bearer_client_ids  # type: ignore[attr-defined]
        else:
            clients = reachable_client_ids(user=request.user)
        with audit_context(ip=request.META.get("REMOTE_ADDR")), client_scope(clients=clients):
            return self.get_response(request)


def _token_off_the_api() -> HttpResponse:
    response = error_response(
        401, f"API tokens work under {API_PREFIX} only; pages need a signed-in session."
    )
    response["WWW-Authenticate"] = 'Bearer error="invalid_request"'
    return response
