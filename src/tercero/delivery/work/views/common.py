"""What every work page shares: who is asking, and turning refusals into pages."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from tercero.delivery.workforce.models import Agent
from tercero.platform.api.caller import caller_of
from tercero.platform.errors import DomainError, NotFound, PermissionDenied

POLL_HEADERS = '{"X-Tercero-Poll": "1"}'


def page(permission: str | None = None, *, staff: bool | None = None):
    """A signed-in page: `permission` required (403), `staff` True for provider staff
    only and False for client users only (404 for the others: not their pages)."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if staff is not None and user.is_provider_staff != staff:
                raise Http404("Not found.")
            caller = caller_of(request)
            if permission and permission not in caller.permissions:
                raise DjangoPermissionDenied(f"This page needs the '{permission}' permission.")
            try:
                return view(request, caller, *args, **kwargs)
            except NotFound as error:
                raise Http404(error.message) from error
            except PermissionDenied as error:
                raise DjangoPermissionDenied(error.message) from error

        return wrapper

    return decorate


def back(request, fallback: str):
    """Redirect to the page the form came from (same site only), else `fallback`."""
    target = request.POST.get("next") or request.META.get("HTTP_REFERER", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


def refused(request, error: DomainError) -> None:
    """Show a refusal from a service as a message on the next page."""
    detail = ""
    if error.fields.get("allowed"):
        detail = " Allowed now: " + ", ".join(error.fields["allowed"]) + "."
    elif error.fields:
        detail = " " + "; ".join(f"{k}: {v}" for k, v in error.fields.items() if k != "allowed")
    messages.error(request, f"{error.message}{detail}")


def own_agent(user) -> Agent | None:
    return Agent.objects.filter(user=user).select_related("site", "user").first()


def version_of(request) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None
