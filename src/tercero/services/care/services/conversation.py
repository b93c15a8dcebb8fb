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
from tercero.services.care.models import ChatSession, Mailbox, Message

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
    mailbox, to = _addressed(ticket)
    with transaction.atomic():
        sent = _email(ticket, mailbox=mailbox, to=to, body=body)
        work.comment(actor=actor, item=ticket, body=body, internal=False)
    return sent


def send_automatic(*, ticket: "WorkItem", body: str, auto_submitted: str) -> Message | None:
    """A message the desk's automations send the requester (an acknowledgement, a
    reminder, a macro's reply): a chat line while their chat is open, else an e-mail
    threaded like a reply and marked `Auto-Submitted` (RFC 3834 section 5) so that the
    customer's own auto-replies leave it unanswered. It is not a first response. None
    when there is nobody to send it to (no mailbox, no requester e-mail)."""
    body = redact_cards((body or "").strip())
    if ChatSession.objects.filter(item=ticket, ended_at__isnull=True).exists():
        return _chat_line(actor=None, ticket=ticket, body=body)
    try:
        mailbox, to = _addressed(ticket)
    except InvalidInput:
        return None
    with transaction.atomic():
        return _email(ticket, mailbox=mailbox, to=to, body=body, auto_submitted=auto_submitted)


def _addressed(ticket: "WorkItem") -> tuple[Mailbox, str]:
    """(the mailbox the desk answers from, the requester's address) or InvalidInput."""
    mailbox = outbound.sending_mailbox(ticket)
    if mailbox is None:
        raise InvalidInput("This engagement has no mailbox to send from.", code="no_mailbox")
    sealed = ticket.payload.get("requester_email")
    if not crypto.is_sealed(sealed):
        raise InvalidInput("The ticket has no requester e-mail.", code="no_requester")
    return mailbox, crypto.open_sealed(sealed)


def _email(
    ticket: "WorkItem", *, mailbox: Mailbox, to: str, body: str, auto_submitted: str = ""
) -> Message:
    """Store the e-mail on the conversation and send it once the transaction commits,
    threaded under the customer's last message."""
    thread = list(
        Message.objects.filter(item=ticket, channel="email")
        .exclude(direction=Message.Direction.NOTE)
        .order_by("created_at", "id")
        .values_list("message_id", "direction")
    )
    last_inbound = next((mid for mid, d in reversed(thread) if d == "inbound"), "")
    subject = _subject(ticket)
    message_id = make_msgid(domain=mailbox.address.split("@", 1)[1])
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
        auto_generated=bool(auto_submitted),
    )
    headers = {
        "Message-ID": outbound.IdsHeader("Message-ID", [message_id]),
        **outbound.threading_headers(parent=last_inbound, thread=[mid for mid, _ in thread]),
    }
    if auto_submitted:
        headers["Auto-Submitted"] = auto_submitted
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
    """A line into the customer's open chat (from an automation when `actor` is None:
    then not a first response)."""
    with transaction.atomic():
        line = Message.objects.create(
            client_id=ticket.client_id,
            item=ticket,
            direction=Message.Direction.OUTBOUND,
            channel="chat",
            message_id=_local_id("chat"),
            body=body,
            auto_generated=actor is None,
        )
        if actor is not None:
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
