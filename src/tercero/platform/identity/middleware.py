"""Sign a session out after a stretch without a request its user made, or long after
sign-in (the provider's session lifetime); keep a half-signed-in session on the steps
that finish signing in."""

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

from tercero.platform.tenancy.models import Provider

LAST_ACTIVITY = "last_activity"
SIGNED_IN_AT = "signed_in_at"
# the absolute lifetime in seconds, read from the provider once per session
LIFETIME = "lifetime_seconds"
POLL_HEADER = "X-Tercero-Poll"
# Who passed the password but not yet the second factor: {"user", "backend", "next",
# "step", "at"}. It is not a sign-in: request.user stays anonymous.
MFA_PENDING = "mfa_pending"
MFA_PENDING_SECONDS = 300
_OPEN_WHILE_PENDING = ("login", "login_mfa", "mfa_setup", "logout")


def pending_sign_in(session: SessionBase) -> dict[str, Any] | None:
    """The half-way sign-in this session holds, or None once it is older than
    MFA_PENDING_SECONDS (then it is forgotten)."""
    pending: dict[str, Any] | None = session.get(MFA_PENDING)
    if not pending or time.time() - pending.get("at", 0) > MFA_PENDING_SECONDS:
        session.pop(MFA_PENDING, None)
        return None
    return pending


class SecondFactorPendingMiddleware:
    """A session that passed the password but not the second factor reaches only the
    sign-in steps, sign-out and static files; any other page sends it to its step. The
    API needs no exception: such a session is anonymous there and gets 401."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.user.is_authenticated or MFA_PENDING not in request.session:
            return self.get_response(request)
        pending = pending_sign_in(request.session)
        if pending is None or _open_while_pending(request.path):
            return self.get_response(request)
        return redirect(pending.get("step") or "login_mfa")


def _open_while_pending(path: str) -> bool:
    if path.startswith(("/api/", f"/{settings.STATIC_URL.lstrip('/')}")):
        return True
    return path in {reverse(name) for name in _OPEN_WHILE_PENDING}


def absolute_seconds(user: Any) -> int:
    """How long a session of `user` lives after sign-in, busy or not: their provider's
    `session_hours`, else SESSION_ABSOLUTE_SECONDS."""
    providers = Provider.objects.order_by("id")
    if user.client_id is not None:
        providers = providers.filter(clients__pk=user.client_id)
    hours = providers.values_list("session_hours", flat=True).first()
    return hours * 3600 if hours else settings.SESSION_ABSOLUTE_SECONDS


class IdleTimeoutMiddleware:
    """Signs a session out SESSION_IDLE_SECONDS after the last request its user made,
    and the provider's absolute lifetime after sign-in, busy or not (read once, when the
    session is first seen: a new setting applies from the next sign-in). Background
    refreshes (requests carrying X-Tercero-Poll) do not count as activity, so a page
    left open on a polling screen still times out."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or getattr(request, "api_token", None):
            return self.get_response(request)
        now = time.time()
        started = request.session.setdefault(SIGNED_IN_AT, now)
        # a session that has only polled since sign-in has been idle since sign-in
        last = request.session.get(LAST_ACTIVITY, started)
        lifetime = request.session.get(LIFETIME)
        if lifetime is None:
            lifetime = request.session[LIFETIME] = absolute_seconds(user)
        too_old = now - started > lifetime
        if now - last > settings.SESSION_IDLE_SECONDS or too_old:
            logout(request)
            if request.headers.get("HX-Request"):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = settings.LOGIN_URL_PATH
                return response
            return redirect(f"{settings.LOGIN_URL_PATH}?next={request.path}")
        if not request.headers.get(POLL_HEADER):
            request.session[LAST_ACTIVITY] = now
        return self.get_response(request)
