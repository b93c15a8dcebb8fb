"""Replies to the customer (an e-mail that threads in their mail program, or a chat line
while their chat is open) and internal notes."""

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.core.files.uploadedfile import UploadedFile
from django.core.mail import make_msgid
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


def reply(
    *,
    actor,
    ticket: "WorkItem",
    body: str,
    html: str = "",
    cc: Sequence[str] | str = (),
    files: Sequence[UploadedFile] = (),
) -> Message:
    """Send `body` to the ticket's requester: into the chat while the customer's chat is
    open, else by e-mail from the engagement's mailbox after the transaction commits,
    with the mailbox's signature, as plain text and HTML (`html`, sanitised, when the
    agent wrote HTML), copied to `cc`, with `files` kept on the ticket and attached.
    The reply counts as the first response."""
    html = redact_cards(html or "")
    if html.strip():
        body = outbound.mail_html.to_text(outbound.mail_html.sanitise(html))
    body = redact_cards((body or "").strip())
    if not body:
        raise InvalidInput("The reply is empty.", fields={"body": "required"})
    _refuse_closed(ticket)
    if ChatSession.objects.filter(item=ticket, ended_at__isnull=True).exists():
        if cc or files:
            raise InvalidInput(
                "The customer's chat is open: a chat line carries no copies or files.",
                fields={"cc" if cc else "files": "chat open"},
            )
        return _chat_line(actor=actor, ticket=ticket, body=body)
    mailbox, to = _addressed(ticket)
    outbound.check_attachment_sizes([f.size or 0 for f in files])
    signed = outbound.signed_reply(
        mailbox=mailbox, text=body, html=html, cc=outbound.clean_cc(cc, to=to, mailbox=mailbox)
    )
    with transaction.atomic():
        attached = [_keep(actor, ticket, upload) for upload in files]
        sent = _email(ticket, mailbox=mailbox, to=to, body=body, signed=signed, files=attached)
        work.comment(actor=actor, item=ticket, body=body, internal=False)
    return sent


def _keep(actor, ticket: "WorkItem", upload: UploadedFile) -> outbound.Attachment:
    """The file stored on the ticket (the engine checks its type and size) and read
    back for the e-mail."""
    stored = work.attach(actor=actor, item=ticket, upload=upload)
    upload.seek(0)
    return outbound.Attachment(stored.name, upload.read(), stored.content_type)


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
    ticket: "WorkItem",
    *,
    mailbox: Mailbox,
    to: str,
    body: str,
    auto_submitted: str = "",
    signed: outbound.Reply | None = None,
    files: Sequence[outbound.Attachment] = (),
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
    message_id = make_msgid(domain=mailbox.sending_domain)
    sent = Message.objects.create(
        client_id=ticket.client_id,
        item=ticket,
        direction=Message.Direction.OUTBOUND,
        message_id=message_id,
        in_reply_to=last_inbound,
        sender=crypto.seal(ticket.client_id, mailbox.from_address, kind="email"),
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
    email = outbound.compose(
        mailbox=mailbox,
        to=to,
        subject=subject,
        text=signed.text if signed else body,
        html=signed.html if signed else "",
        cc=signed.cc if signed else (),
        attachments=files,
        headers=headers,
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
