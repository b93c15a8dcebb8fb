"""A customer's history across channels, for the agent, linked from the ticket page."""

from django.shortcuts import render

from tercero.platform.audit.services import record
from tercero.platform.pages import page
from tercero.platform.security import crypto
from tercero.services.care import history, selectors


@page("work:read", staff=True)
def customer_history(request, caller, ticket_id: int):
    """The tickets, chats, form messages and calls of this ticket's customer at its
    client; the same access, residency and masks as the ticket page. Each opening is
    audited."""
    ticket = selectors.access_ticket(
        user=caller.user, client_ids=caller.client_ids, item_id=ticket_id
    )
    entries = history.history(viewer=request.user, ticket=ticket)
    record(
        action="care.customer_history.viewed",
        actor=request.user,
        client=ticket.client_id,
        object_type="work_item",
        object_id=ticket.pk,
        payload={"items": len(entries)},
    )
    context = {
        "ticket": ticket,
        "entries": entries,
        "limit": history.LIMIT,
        "customer": {
            "name": _mask(ticket.payload.get("requester_name")),
            "email": _mask(ticket.payload.get("requester_email")),
            "phone": _mask(
                ticket.payload.get("requester_phone") or ticket.payload.get("caller_number")
            ),
        },
    }
    return render(request, "care/customer_history.html", context)


def _mask(value) -> str:
    """The stored mask of a sealed value; nothing at all of one that is not sealed."""
    return crypto.masked(value) if crypto.is_sealed(value) else ""
