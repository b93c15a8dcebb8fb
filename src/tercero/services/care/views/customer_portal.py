"""The end-customer portal, "my requests", at /care/w/<key>/requests/: a client's
customers (not client users: their portal is the engine's) ask for a sign-in link, open
it, and read and answer their own requests in the client's brand.

The channel key decides the client; the session remembers which sign-in link opened it,
and every page looks the customer's tickets up again within that client alone."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from tercero.platform.errors import Conflict, DomainError, NotFound
from tercero.platform.identity.lockout import client_ip
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.care import chat, customer_portal
from tercero.services.care.views.public import _channel_view

SESSION_KEY = "care_portal"


def _context(channel, **extra) -> dict:
    return {"channel": channel, "brand": customer_portal.brand_of(channel), **extra}


def _session(request, channel):
    """The signed-in customer of this channel's client, or None."""
    held = request.session.get(SESSION_KEY) or {}
    if held.get("client") != channel.client_id or not isinstance(held.get("link"), int):
        return None
    try:
        return customer_portal.signed_in(channel=channel, link_id=held["link"])
    except NotFound:
        return None


@never_cache
@_channel_view
def my_requests(request, channel):
    """Signed in: the customer's requests. Otherwise the form asking for a link, which
    answers the same whether the address has requests or not."""
    session = _session(request, channel)
    if session is not None:
        context = _context(
            channel,
            requests=list(customer_portal.requests_of(session=session)),
            words=customer_portal.STATUS_WORDS,
        )
        return render(request, "care/portal_list.html", context)
    email, error, sent, status = request.POST.get("email", ""), None, False, 200
    if request.method == "POST":
        try:
            customer_portal.request_link(
                channel=channel, email=email, visitor=chat.visitor_of(client_ip(request))
            )
            sent = True
        except DomainError as refused:
            error, status = refused, refused.status
    context = _context(channel, email=email, error=error, sent=sent)
    return render(request, "care/portal_request.html", context, status=status)


@never_cache
def sign_in(request, key: str, signed: str):
    """Opening the link shows one button (mail scanners follow links); its POST signs in."""
    with all_clients_scope():
        try:
            link = customer_portal.link_of(signed)
        except NotFound as error:
            raise Http404(error.message) from error
        channel = link.channel
    if channel.key != key:
        raise Http404("This link is not valid.")
    with client_scope(clients=[link.client_id]):
        if request.method == "POST":
            try:
                link = customer_portal.sign_in(link=link)
            except DomainError as error:
                return _link_refused(request, channel, error)
            request.session.cycle_key()
            request.session[SESSION_KEY] = {"client": link.client_id, "link": link.pk}
            return redirect("care:portal", channel.key)
        if link.used_at is not None or link.expires_at <= timezone.now():
            spent = Conflict("This link was already used or has expired. Ask for a new one.")
            return _link_refused(request, channel, spent)
        return render(request, "care/portal_sign_in.html", _context(channel))


def _link_refused(request, channel, error):
    context = _context(channel, error=error)
    return render(request, "care/portal_sign_in.html", context, status=410)


@never_cache
@_channel_view
def request_page(request, channel, ticket_id: int):
    """One of the customer's requests: the public conversation and an answer box."""
    session = _session(request, channel)
    if session is None:
        raise Http404("Request not found.")
    try:
        ticket = customer_portal.access_request(session=session, ticket_id=ticket_id)
    except NotFound as error:
        raise Http404(error.message) from error
    error, body, status = None, "", 200
    if request.method == "POST":
        body = request.POST.get("body", "")
        try:
            customer_portal.reply(session=session, ticket=ticket, body=body)
        except DomainError as refused:
            error, status = refused, refused.status
        else:
            return redirect("care:portal_request", channel.key, ticket.pk)
    context = _context(
        channel,
        ticket=ticket,
        status_words=customer_portal.STATUS_WORDS,
        conversation=customer_portal.public_conversation(ticket=ticket),
        error=error,
        body=body,
    )
    return render(request, "care/portal_request_page.html", context, status=status)


@never_cache
@_channel_view
def sign_out(request, channel):
    if request.method == "POST":
        request.session.pop(SESSION_KEY, None)
    return redirect("care:portal", channel.key)
