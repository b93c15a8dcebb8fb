"""Sign a session out after a stretch without a request its user made."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect

LAST_ACTIVITY = "last_activity"
SIGNED_IN_AT = "signed_in_at"
POLL_HEADER = "X-Tercero-Poll"


class IdleTimeoutMiddleware:
    """Also ends every session SESSION_ABSOLUTE_SECONDS after sign-in, busy or not.
    Background refreshes (requests carrying X-Tercero-Poll) do not count as activity,
    so a page left open on a polling screen still times out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or getattr(request, "api_token", None):
            return self.get_response(request)
        now = time.time()
        last = request.session.get(LAST_ACTIVITY, now)
        started = request.session.setdefault(SIGNED_IN_AT, now)
        too_old = now - started > settings.SESSION_ABSOLUTE_SECONDS
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
