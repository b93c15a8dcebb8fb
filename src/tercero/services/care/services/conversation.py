"""Replies to the customer (an e-mail that threads in their mail program, or a chat line
while their chat is open) and internal notes."""

import uuid
from typing import TYPE_CHECKING

from django.core.mail import EmailMessage, make_msgid
from django.db import transaction

from tercero.delivery.work import lifecycle
from tercero.delivery.work import services as work
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.security import crypto
from tercero.platform.security.redact import redact_cards
from tercero.services.care import inbound, outbound
from tercero.services.care.models import (
    ChatSession,
    Message,
)

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkItem


def reply(*, actor, ticket: "WorkItem", body: str) -> Message:
    """Send `body` to the ticket's requester: into the chat while the customer's chat is
    open, else by e-mail from the engagement's mailbox after the transaction commits.
    The reply counts as the first response."""
    body = redact_cards((body or "").strip())
    if not body:
        raise InvalidInput("The reply is empty.", fields={"body": "required"})
    _refuse_closed(ticket)
    if ChatSession.objects.filter(item=ticket, ended_at__isnull=True).exists():
        return _chat_line(actor=actor, ticket=ticket, body=body)
    mailbox = outbound.sending_mailbox(ticket)
    if mailbox is None:
        raise InvalidInput("This engagement has no mailbox to send from.", code="no_mailbox")
    sealed = ticket.payload.get("requester_email")
    if not crypto.is_sealed(sealed):
        raise InvalidInput("The ticket has no requester e-mail.", code="no_requester")
    to = crypto.open_sealed(sealed)
    thread = list(
        Message.objects.filter(item=ticket, channel="email")
        .exclude(direction=Message.Direction.NOTE)
        .order_by("created_at", "id")
        .values_list("message_id", "direction")
    )
    last_inbound = next((mid for mid, d in reversed(thread) if d == "inbound"), "")
    subject = _subject(ticket)
    message_id = make_msgid(domain=mailbox.address.split("@", 1)[1])
    with transaction.atomic():
        sent = Message.objects.create(
            client_id=ticket.client_id,
            item=ticket,
            direction=Message.Direction.OUTBOUND,
            message_id=message_id,
            in_reply_to=last_inbound,
            sender=crypto.seal(ticket.client_id, mailbox.address, kind="email"),
            mailbox=mailbox,
            subject=subject,
            body=body,
        )
        work.comment(actor=actor, item=ticket, body=body, internal=False)
        headers = {
            "Message-ID": outbound.IdsHeader("Message-ID", [message_id]),
            **outbound.threading_headers(parent=last_inbound, thread=[mid for mid, _ in thread]),
        }
        email = EmailMessage(
            subject=subject, body=body, from_email=mailbox.address, to=[to], headers=headers
        )
        transaction.on_commit(email.send)
    return sent


def _subject(ticket: "WorkItem") -> str:
    token = inbound.token_of(ticket)
    title = ticket.title if ticket.title.lower().startswith("re:") else f"Re: {ticket.title}"
    return title if token in title else f"{title} {token}"


def _refuse_closed(ticket: "WorkItem") -> None:
    if ticket.status in (lifecycle.CLOSED, lifecycle.CANCELLED):
        raise Conflict(f"The ticket is {ticket.status}; reopen it first.", code="ticket_closed")


def _local_id(kind: str) -> str:
    return f"<{kind}-{uuid.uuid4().hex}@tercero.invalid>"


def _chat_line(*, actor, ticket: "WorkItem", body: str) -> Message:
    with transaction.atomic():
        line = Message.objects.create(
            client_id=ticket.client_id,
            item=ticket,
            direction=Message.Direction.OUTBOUND,
            channel="chat",
            message_id=_local_id("chat"),
            body=body,
        )
        work.comment(actor=actor, item=ticket, body=body, internal=False)
    return line


def add_note(*, actor, ticket: "WorkItem", body: str) -> Message:
    """An internal note on the conversation: agents see it, the customer never does."""
    body = redact_cards((body or "").strip())
    if not body:
        raise InvalidInput("The note is empty.", fields={"body": "required"})
    with transaction.atomic():
        note = Message.objects.create(
            client_id=ticket.client_id,
            item=ticket,
            direction=Message.Direction.NOTE,
            channel="note",
            message_id=_local_id("note"),
            body=body,
        )
        work.comment(actor=actor, item=ticket, body=body, internal=True)
    return note
