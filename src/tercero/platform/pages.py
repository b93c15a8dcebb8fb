"""What every page shares, whichever floor it belongs to: the guard that says who may
open it, refusals from a service shown as messages, the version a form was loaded at,
and going back to the page a form came from.

Pages call services and selectors, which raise the domain errors of `platform.errors`;
`page` turns the ones a page does not catch into 404 and 403 as the API does."""

from collections.abc import Callable
from functools import wraps
from typing import Concatenate

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import resolve
from django.utils.http import url_has_allowed_host_and_scheme

from tercero.platform.api.caller import Caller, caller_of
from tercero.platform.errors import DomainError, NotFound, PermissionDenied

POLL_HEADERS = '{"X-Tercero-Poll": "1"}'

# a page answers with any response: a rendered page, a redirect, a file download
type PageView[**P] = Callable[Concatenate[HttpRequest, Caller, P], HttpResponseBase]
type View[**P] = Callable[Concatenate[HttpRequest, P], HttpResponseBase]


def page[**P](
    permission: str | None = None, *, staff: bool | None = None
) -> Callable[[PageView[P]], View[P]]:
    """A signed-in page, called with the request and its `Caller`: `permission` required
    (403), `staff` True for provider staff only and False for client users only (404 for
    the others: not their pages). NotFound and PermissionDenied from the view become 404
    and 403."""

    def decorate(view: PageView[P]) -> View[P]:
        @wraps(view)
        def wrapper(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            caller = page_caller(request, permission, staff=staff)
            try:
                return view(request, caller, *args, **kwargs)
            except NotFound as error:
                raise Http404(error.message) from error
            except PermissionDenied as error:
                raise DjangoPermissionDenied(error.message) from error

        guarded: View[P] = login_required(wrapper)
        # what the page needs, for pages that embed it (e.g. an item's service panel)
        guarded.tercero_permission = permission  # type: ignore[attr-defined]
        return guarded

    return decorate


def may_open(url: str, caller: Caller) -> bool:
    """Whether the caller has the permission the page at `url` needs (pages embedded in
    another, such as an item's service panel, are shown only to those who may open them)."""
    needed = getattr(resolve(url).func, "tercero_permission", None)
    return needed is None or needed in caller.permissions


def page_caller(
    request: HttpRequest, permission: str | None = None, *, staff: bool | None = None
) -> Caller:
    """The signed-in caller of a page, after the checks `page` describes."""
    user = request.user
    if staff is not None and getattr(user, "is_provider_staff", None) != staff:
        raise Http404("Not found.")
    caller = caller_of(request)
    if permission and permission not in caller.permissions:
        raise DjangoPermissionDenied(f"This page needs the '{permission}' permission.")
    return caller


def back(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    """Redirect to the page the form came from (same site only), else `fallback`."""
    target = request.POST.get("next") or request.META.get("HTTP_REFERER", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


def refused(request: HttpRequest, error: DomainError) -> None:
    """Show a refusal from a service as a message on the next page."""
    detail = ""
    if error.fields.get("allowed"):
        detail = " Allowed now: " + ", ".join(error.fields["allowed"]) + "."
    elif isinstance(error.fields.get("reasons"), list):
        detail = " " + " ".join(str(reason) for reason in error.fields["reasons"])
    elif error.fields:
        detail = " " + "; ".join(f"{k}: {v}" for k, v in error.fields.items() if k != "allowed")
    messages.error(request, f"{error.message}{detail}")


def version_of(request: HttpRequest) -> int | None:
    """The version of the object the form was loaded with (None when it sent none)."""
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None
