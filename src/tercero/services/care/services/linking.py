"""Linking, merging and splitting tickets."""

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from tercero.delivery.work import lifecycle, personal, registry
from tercero.delivery.work import services as work
from tercero.platform.errors import Conflict, InvalidInput, NotFound
from tercero.services.care.models import (
    ChatSession,
    Message,
    TicketLink,
)

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkItem
from tercero.services.care.services.conversation import add_note

CARE_TYPES = ("care.ticket", "support.ticket", "care.call")


def _check_pair(source: "WorkItem", target: "WorkItem") -> None:
    if source.pk == target.pk:
        raise InvalidInput("A ticket cannot be linked to itself.", fields={"target": "same"})
    if source.client_id != target.client_id or target.work_type not in CARE_TYPES:
        raise NotFound("Ticket not found.")


def link(*, actor, source: "WorkItem", target: "WorkItem") -> TicketLink:
    """Mark two tickets as related (shown on both)."""
    _check_pair(source, target)
    if TicketLink.objects.filter(source=target, target=source).exists():
        raise Conflict("These tickets are already linked.", code="already_linked")
    try:
        with transaction.atomic():
            made = TicketLink.objects.create(
                client_id=source.client_id,
                source=source,
                target=target,
                kind=TicketLink.Kind.RELATED,
                created_by=actor,
            )
            work.comment(actor=actor, item=source, body=f"Linked to #{target.pk}.")
    except IntegrityError:
        raise Conflict("These tickets are already linked.", code="already_linked") from None
    return made


def merge(*, actor, source: "WorkItem", target: "WorkItem") -> "WorkItem":
    """Fold a duplicate into `target`: its conversation moves over, it is cancelled with
    a pointer to `target`, and replies to its old e-mails now thread into `target`."""
    _check_pair(source, target)
    for ticket in (source, target):
        if ticket.status not in lifecycle.OPEN:
            raise Conflict(
                f"Ticket #{ticket.pk} is {ticket.status}; only open tickets merge.",
                code="not_open",
            )
    with transaction.atomic():
        moved = Message.objects.filter(item=source).update(item=target)
        ChatSession.objects.filter(item=source).update(ended_at=timezone.now())
        TicketLink.objects.update_or_create(
            client_id=source.client_id,
            source=source,
            target=target,
            defaults={"kind": TicketLink.Kind.MERGED, "created_by": actor},
        )
        work.transition(
            actor=actor, item=source, action="cancel", reason=f"Merged into #{target.pk}"
        )
        add_note(
            actor=actor,
            ticket=target,
            body=f"Ticket #{source.pk} ({source.title}) was merged into this one; "
            f"{moved} message(s) moved here.",
        )
    target.refresh_from_db()
    return target


def split(*, actor, ticket: "WorkItem", message: Message, subject: str) -> "WorkItem":
    """Make `message` (and the customer's later messages answering it) a new ticket for
    the same requester, linked back to the one it came from."""
    if message.item_id != ticket.pk or message.direction != Message.Direction.INBOUND:
        raise InvalidInput(
            "Only a customer's message of this ticket can be split off.",
            fields={"message": "not an inbound message of this ticket"},
        )
    if Message.objects.filter(item=ticket, direction=Message.Direction.INBOUND).count() < 2:
        raise InvalidInput(
            "The ticket has only one customer message; there is nothing to split.",
            fields={"message": "only message"},
        )
    subject = (subject or "").strip() or message.subject or ticket.title
    with transaction.atomic():
        payload = {**ticket.payload, "subject": subject[:300]}
        work_type_fields = registry.get(ticket.work_type).personal_fields
        payload = personal.unsealed_for_edit(
            stored=ticket.payload, incoming=payload, names=work_type_fields
        )
        new = work.create_item(
            actor=actor,
            queue=ticket.queue,
            work_type=ticket.work_type,
            channel=ticket.channel,
            priority=ticket.priority,
            payload=payload,
        )
        Message.objects.filter(pk=message.pk).update(item=new)
        TicketLink.objects.create(
            client_id=ticket.client_id,
            source=new,
            target=ticket,
            kind=TicketLink.Kind.SPLIT,
            created_by=actor,
        )
        add_note(actor=actor, ticket=ticket, body=f"A message was split off into #{new.pk}.")
    return new
