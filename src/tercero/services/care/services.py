"""Replies to customers: a message on the ticket's conversation and an e-mail that
threads in the customer's mail program (In-Reply-To and References name their last
message; the subject carries the ticket token so a reply finds its way back)."""

from django.core.mail import EmailMessage, make_msgid
from django.db import transaction

from tercero.delivery.work import services as work
from tercero.delivery.work.models import WorkItem
from tercero.platform.errors import InvalidInput
from tercero.platform.security import crypto
from tercero.platform.security.redact import redact_cards
from tercero.services.care import inbound
from tercero.services.care.models import Mailbox, Message


def reply(*, actor, ticket: WorkItem, body: str) -> Message:
    """Send `body` to the ticket's requester from the engagement's mailbox. The e-mail
    goes out after the transaction commits; the reply counts as the first response."""
    body = redact_cards((body or "").strip())
    if not body:
        raise InvalidInput("The reply is empty.", fields={"body": "required"})
    mailbox = Mailbox.objects.filter(engagement_id=ticket.engagement_id, is_active=True).first()
    if mailbox is None:
        raise InvalidInput("This engagement has no mailbox to send from.", code="no_mailbox")
    sealed = ticket.payload.get("requester_email")
    if not crypto.is_sealed(sealed):
        raise InvalidInput("The ticket has no requester e-mail.", code="no_requester")
    to = crypto.open_sealed(sealed)
    thread = list(
        Message.objects.filter(item=ticket)
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
            subject=subject,
            body=body,
        )
        work.comment(actor=actor, item=ticket, body=body, internal=False)
        headers = {"Message-ID": message_id}
        if last_inbound:
            headers["In-Reply-To"] = last_inbound
            headers["References"] = " ".join(mid for mid, _ in thread)[-900:]
        email = EmailMessage(
            subject=subject, body=body, from_email=mailbox.address, to=[to], headers=headers
        )
        transaction.on_commit(email.send)
    return sent


def _subject(ticket: WorkItem) -> str:
    token = inbound.token_of(ticket.pk)
    title = ticket.title if ticket.title.lower().startswith("re:") else f"Re: {ticket.title}"
    return title if token in title else f"{title} {token}"
