"""A customer's history across channels for the agent: the tickets, chats, web-form
messages and calls of the customer of one ticket, at that ticket's client only.

The customer is known by the keyed lookup hashes of their e-mail address and phone
number (never their name, which two people share): a ticket, chat or form message
with the same requester e-mail or phone, a call from the same number. The viewer's
data-residency rule applies as on the ticket page (an engagement hidden from their site
is left out whole); the list links only to items the viewer may open.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q

from tercero.delivery.work import access
from tercero.delivery.work import selectors as work_selectors
from tercero.platform.security import crypto
from tercero.services.care.models import Message

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkItem
    from tercero.platform.identity.models import User

HISTORY_TYPES = ("care.ticket", "support.ticket", "care.call")
LIMIT = 200
# the fields of each work type that say who the customer is
IDENTIFYING = ("requester_email", "requester_phone", "caller_number")


@dataclass(frozen=True)
class Entry:
    item: "WorkItem"
    messages: int
    is_this_ticket: bool
    may_open: bool


def customer_keys(ticket: "WorkItem") -> list[str]:
    """The keyed hashes of the ticket's customer's e-mail and phone (read in the
    server, never shown)."""
    keys = []
    for name in IDENTIFYING:
        sealed = ticket.payload.get(name)
        if crypto.is_sealed(sealed):
            keys.append(crypto.lookup_hash(ticket.client_id, crypto.open_sealed(sealed)))
    return keys


def history(*, viewer: "User", ticket: "WorkItem") -> list[Entry]:
    """The customer's items at the ticket's client, newest first, at most LIMIT."""
    keys = customer_keys(ticket)
    matching = Q(pk=ticket.pk)
    for key in keys:
        matching |= Q(subject_keys__icontains=key)
    found = work_selectors.items(client_ids=[ticket.client_id], work_types=HISTORY_TYPES).filter(
        matching
    )
    hidden = access.residency_blocked(viewer, [ticket.client_id])
    if hidden:
        found = found.exclude(personal_data=True, engagement_id__in=hidden)
    rows = list(found.select_related("queue").order_by("-created_at", "-id")[:LIMIT])
    counts = dict(
        Message.objects.filter(item_id__in=[row.pk for row in rows])
        .exclude(direction=Message.Direction.NOTE)
        .values_list("item_id")
        .annotate(n=Count("id"))
        .values_list("item_id", "n")
    )
    openable = access.openable(viewer, [ticket.client_id], [row.pk for row in rows])
    return [
        Entry(
            item=row,
            messages=counts.get(row.pk, 0),
            is_this_ticket=row.pk == ticket.pk,
            may_open=row.pk in openable,
        )
        for row in rows
    ]
