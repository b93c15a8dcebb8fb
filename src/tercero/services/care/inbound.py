"""Inbound e-mail: one raw RFC 822 message becomes a new ticket, a message on an
existing ticket, or a logged rejection — never an exception and never half of one.

Threading: `In-Reply-To`/`References` naming a message we know, else a ticket token
`[#T-123-k7m2q9xa4d]` in the subject (its random part makes it unguessable; the old bare
`[#T-123]` still reads for tickets the desk mailed before tokens had one), else a new
ticket. A merged ticket's token leads to the ticket it was merged into. Only the
ticket's requester and the people who wrote into it before post into it by its token
(or by naming a customer's message): a stranger's mail opens a new ticket, with a note
naming the ticket it pointed at, and reopens nothing.

The customer is the `From` address, and answers go to `Reply-To` when there is one. A
form relay (`no-reply@...` with a customer's `Reply-To`) is the customer's own mail,
the customer being the `Reply-To` address.

Auto-replies and loops (Auto-Submitted, Precedence bulk/junk/auto_reply, X-Autoreply,
an empty Return-Path, delivery reports, mailer daemons, our own addresses) never open a
ticket and are never answered; a bounce (DSN) of one of our replies becomes an internal
note on its ticket naming the failed recipient and why. A sender's mails beyond
CARE_MAIL_PER_SENDER_PER_MINUTE within a minute open no ticket: each is added to the
ticket their latest mail went to, with one note (a loop, or several requests at once
that an agent may split). A message seen before (same Message-ID) is a no-op, so a
poller may deliver twice.
"""

import email
import email.policy
import hashlib
import hmac
import html as htmllib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from tercero.delivery.work import selectors
from tercero.delivery.work import services as work
from tercero.platform.errors import DomainError
from tercero.platform.security import crypto
from tercero.platform.security.redact import redact_cards
from tercero.platform.tenancy.scoping import clients_in_scope
from tercero.services.care.customer import customer_replied
from tercero.services.care.models import Mailbox, Message, Rejection, TicketLink, TicketToken

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkItem

TOKEN = re.compile(r"\[#T-(\d{1,12})(?:-([a-z0-9]{6,16}))?\]", re.IGNORECASE)
TOKEN_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o or 1/l/i to misread
TOKEN_LENGTH = 10  # 31**10, about 8e14 tokens for each ticket number
AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
BOUNCERS = ("mailer-daemon", "postmaster")
RELAYS = ("no-reply", "noreply", "do-not-reply", "donotreply")
DAEMONS = BOUNCERS + RELAYS
MERGE_HOPS = 10


@dataclass(frozen=True)
class Outcome:
    """What happened to one inbound e-mail."""

    status: str  # "created", "threaded", "duplicate", "rejected"
    item_id: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class Sender:
    """Who wrote: `address` (From, or the Reply-To of a form relay), `answer_to` (where
    replies go: Reply-To when there is one) and the name to show."""

    address: str
    answer_to: str
    name: str
    relay: bool


def max_message_bytes() -> int:
    """The largest raw e-mail taken in, through IMAP and the raw-mail endpoint alike."""
    return int(settings.CARE_MAIL_MAX_BYTES)


def token_of(ticket: "WorkItem | int") -> str:
    """The ticket's subject token, `[#T-<id>-<random>]`, made on first use (a ticket's
    id is looked up among the clients in scope)."""
    if isinstance(ticket, int):
        ticket = selectors.access_item(client_ids=clients_in_scope() or [], item_id=ticket)
    found = TicketToken.objects.filter(item=ticket).first()
    if found is None:
        # a ticket the desk mailed before tokens had a random part keeps its bare token
        mailed = Message.objects.filter(
            item=ticket, direction=Message.Direction.OUTBOUND, channel="email"
        ).exists()
        token = "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))
        try:
            with transaction.atomic():
                found = TicketToken.objects.create(
                    client_id=ticket.client_id, item=ticket, token=token, accepts_bare=mailed
                )
        except IntegrityError:  # made meanwhile by another reply
            found = TicketToken.objects.get(item=ticket)
    return f"[#T-{ticket.pk}-{found.token}]"


def sender_key(client_id: int, address: str) -> str:
    """The client's keyed hash of an exact address (hex-encoded first, so the hash's
    normalising cannot make two addresses one)."""
    return crypto.lookup_hash(client_id, address.lower().encode().hex())


def ingest(*, mailbox: Mailbox, raw: bytes) -> Outcome:
    """Turn one raw e-mail into a ticket or a message, or log why not."""
    limit = max_message_bytes()
    if len(raw) > limit:
        return _reject(mailbox, "", f"larger than {limit // 2**20} MB", len(raw))
    parsed = _parse(raw)
    message_id = _message_id(parsed, raw)
    if Message.objects.filter(client_id=mailbox.client_id, message_id=message_id).exists():
        return Outcome("duplicate", reason="seen before")
    sender = _sender(parsed, mailbox)
    if sender is None:
        return _reject(mailbox, message_id, "no sender address (From)", len(raw))
    subject = _clean(str(parsed.get("Subject", "") or "")) or "(no subject)"
    auto = _auto_generated(parsed, sender, mailbox)
    bounced = _bounce(mailbox, parsed, message_id) if auto else None
    if bounced is not None:
        return bounced
    body, files, dropped = _content(parsed)
    key = sender_key(mailbox.client_id, sender.address)
    ticket, named = _thread(mailbox, parsed, subject, key, sender.address)
    if ticket is None and auto:
        return _reject(mailbox, message_id, f"auto-generated ({auto}); not answered", len(raw))
    held = _held_on(mailbox, key) if ticket is None else None
    try:
        with transaction.atomic():
            ticket, status, notes = _ticket_for(mailbox, ticket, held, named, subject, sender)
            if status == "threaded" and not auto and held is None:
                # before the files: a finished ticket takes files once it is reopened
                ticket = _customer_wrote(ticket)
            dropped += _attach(ticket, files)
            if dropped:
                body += "\n\n[Attachments not kept: " + "; ".join(dropped) + "]"
            Message.objects.create(
                client_id=mailbox.client_id,
                item=ticket,
                direction=Message.Direction.INBOUND,
                message_id=message_id,
                in_reply_to=_header(parsed, "In-Reply-To")[:300],
                sender=crypto.seal(mailbox.client_id, sender.address, kind="email"),
                sender_key=key,
                mailbox=mailbox,
                subject=subject[:300],
                body=redact_cards(body),
                auto_generated=bool(auto),
            )
            for note in notes:
                _note(ticket, note, about=message_id)
    except DomainError as error:
        return _reject(mailbox, message_id, f"refused: {error.message}", len(raw))
    reason = "held: too many e-mails from this sender in a minute" if held is not None else ""
    return Outcome(status, item_id=ticket.pk, reason=reason)


def _ticket_for(
    mailbox: Mailbox,
    ticket: "WorkItem | None",
    held: "WorkItem | None",
    named: "WorkItem | None",
    subject: str,
    sender: Sender,
) -> tuple["WorkItem", str, list[str]]:
    """(the ticket the mail goes to, "created" or "threaded", notes to add there)."""
    if held is not None:
        return held, "threaded", _held_note(mailbox, sender_key(mailbox.client_id, sender.address))
    if ticket is not None:
        return ticket, "threaded", []
    made = work.create_item(
        actor=None,
        queue=mailbox.queue,
        work_type=mailbox.work_type,
        channel="email",
        payload={
            "subject": _clean(TOKEN.sub(" ", subject))[:300] or "(no subject)",
            "requester_name": sender.name[:200],
            "requester_email": sender.answer_to[:254],
        },
    )
    notes = []
    if named is not None:
        notes.append(
            f"This e-mail named ticket #{named.pk}, but its sender is not a participant "
            "of that ticket, so it was opened as a new ticket."
        )
    return made, "created", notes


def _customer_wrote(ticket: "WorkItem") -> "WorkItem":
    """The customer's mail moves the ticket: waiting on them resumes, finished reopens."""
    return customer_replied(ticket=ticket)


def _note(ticket: "WorkItem", body: str, *, about: str) -> None:
    """An internal note in the conversation from the desk itself (no author), tied to
    the e-mail it is about."""
    digest = hashlib.sha256(f"{about}|{body}".encode()).hexdigest()[:40]
    Message.objects.create(
        client_id=ticket.client_id,
        item=ticket,
        direction=Message.Direction.NOTE,
        channel="note",
        message_id=f"<note-{digest}@tercero.invalid>",
        body=body,
        auto_generated=True,
    )


def _sender(parsed, mailbox: Mailbox) -> Sender | None:
    from_name, from_address = parseaddr(_header(parsed, "From"))
    from_address = from_address.lower()
    if "@" not in from_address:
        return None
    reply_name, reply_to = "", ""
    ours = _our_addresses(mailbox)
    for name, address in getaddresses([_header(parsed, "Reply-To")]):
        if "@" in address and address.lower() not in ours:
            reply_name, reply_to = name, address.lower()
            break
    relay = bool(
        reply_to
        and reply_to != from_address
        and from_address.split("@", 1)[0].startswith(RELAYS)
        and not reply_to.split("@", 1)[0].startswith(DAEMONS)
    )
    return Sender(
        address=reply_to if relay else from_address,
        answer_to=reply_to or from_address,
        name=_clean(reply_name if relay else from_name),
        relay=relay,
    )


def _bounce(mailbox: Mailbox, parsed, message_id: str) -> Outcome | None:
    """A delivery report about one of our replies becomes an internal note on its ticket
    naming the failed recipient (masked, as the desk shows addresses) and why; None when
    the report is about no e-mail of ours."""
    originals, failures = _report(parsed)
    ours = (
        Message.objects.filter(
            client_id=mailbox.client_id,
            direction=Message.Direction.OUTBOUND,
            message_id__in=originals,
        )
        .select_related("item")
        .order_by("-created_at", "-id")
        .first()
        if originals
        else None
    )
    if ours is None:
        return None
    ticket = _surviving(ours.item)
    requester = ticket.payload.get("requester_email")
    requester = crypto.open_sealed(requester).lower() if crypto.is_sealed(requester) else ""
    lines = []
    for recipient, reason in failures or [("", "")]:
        if recipient and recipient == requester:
            who = f"the requester's address ({crypto.mask(recipient, 'email')})"
        elif recipient:
            who = crypto.mask(recipient, "email")
        else:
            who = "its recipient"
        lines.append(f"- {who}: {_masked_addresses(reason) or 'no reason given'}")
    body = (
        f"Our reply of {ours.created_at:%Y-%m-%d %H:%M} UTC ({ours.subject or 'no subject'})"
        " was not delivered:\n" + "\n".join(lines)
    )
    Message.objects.create(
        client_id=ticket.client_id,
        item=ticket,
        direction=Message.Direction.NOTE,
        channel="note",
        message_id=message_id,
        mailbox=mailbox,
        subject="Delivery failed",
        body=redact_cards(body),
        auto_generated=True,
    )
    return Outcome("threaded", item_id=ticket.pk, reason="a bounce of our reply; noted")


def _report(parsed) -> tuple[list[str], list[tuple[str, str]]]:
    """(ids of the e-mail a delivery report is about, [(failed recipient, reason)]) from
    its delivery-status and returned-message parts (RFC 3464) and its own threading
    headers."""
    originals: list[str] = []
    failures: list[tuple[str, str]] = []
    for part in parsed.walk() if parsed.is_multipart() else [parsed]:
        kind = part.get_content_type()
        try:
            if kind == "message/delivery-status":
                for block in part.get_payload() or []:
                    failures += _failed(block)
            elif kind == "message/rfc822":
                inner = part.get_payload()
                inner = inner[0] if isinstance(inner, list) and inner else inner
                originals.append(_header(inner, "Message-ID"))
            elif kind == "text/rfc822-headers":
                text = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
                originals.append(_header(email.message_from_string(text), "Message-ID"))
        except Exception:  # a broken part of a report: read what else there is
            continue
    for name in ("In-Reply-To", "References"):
        originals += re.findall(r"<[^<>\s]+>", _header(parsed, name))
    return [o.strip() for o in originals if o.strip()], failures


def _failed(block) -> list[tuple[str, str]]:
    """The failed recipient of one per-recipient block of a delivery-status part."""
    action = _header(block, "Action").lower()
    status = _header(block, "Status")
    if not (action.startswith("failed") or (not action and status.startswith("5"))):
        return []
    recipient = _header(block, "Final-Recipient") or _header(block, "Original-Recipient")
    recipient = recipient.rsplit(";", 1)[-1].strip().strip("<>").lower()
    diagnostic = _header(block, "Diagnostic-Code").split(";", 1)[-1].strip()
    return [(recipient, " ".join(part for part in (status, diagnostic) if part)[:300])]


def _masked_addresses(text: str) -> str:
    return re.sub(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", lambda m: crypto.mask(m[0], "email"), text)


def _attach(ticket: "WorkItem", files: list[tuple[str, bytes]]) -> list[str]:
    """Keep the files the engine accepts (type by content, size); name the others."""
    refused = []
    for name, content in files:
        try:
            with transaction.atomic():
                work.attach(actor=None, item=ticket, upload=SimpleUploadedFile(name, content))
        except DomainError as error:
            refused.append(f"{name} ({error.message})")
    return refused


def _reject(mailbox: Mailbox, message_id: str, reason: str, size: int) -> Outcome:
    Rejection.objects.create(
        client_id=mailbox.client_id,
        mailbox=mailbox,
        message_id=message_id[:300],
        reason=reason[:300],
        size=min(size, 2**31 - 1),
    )
    return Outcome("rejected", reason=reason)


def _parse(raw: bytes) -> EmailMessage:
    """The strict parser, and the lenient one when the strict one gives up."""
    try:
        return email.message_from_bytes(raw, policy=email.policy.default)
    except Exception:  # broken MIME of any kind: keep what can be read
        return email.message_from_bytes(raw, policy=email.policy.compat32)


def _header(parsed, name: str) -> str:
    try:
        return _clean(str(parsed.get(name, "") or ""))
    except Exception:  # a header the parser cannot decode
        return ""


def _message_id(parsed, raw: bytes) -> str:
    found = _header(parsed, "Message-ID").strip()
    if found:
        return found[:300]
    return f"<{hashlib.sha256(raw).hexdigest()}@no-message-id>"


def _clean(text: str) -> str:
    return " ".join(text.replace("\x00", "").split())


def _auto_generated(parsed, sender: Sender, mailbox: Mailbox) -> str:
    """Why the message is machine-made (a reason), or '' when a person wrote it."""
    submitted = _header(parsed, "Auto-Submitted").lower()
    if submitted and submitted != "no":
        return f"Auto-Submitted: {submitted}"
    if _header(parsed, "Precedence").lower() in AUTO_PRECEDENCE:
        return "Precedence: " + _header(parsed, "Precedence").lower()
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if _header(parsed, name):
            return name
    if _header(parsed, "Return-Path") == "<>":
        return "empty Return-Path (a bounce)"
    if parsed.get_content_type() == "multipart/report":
        return "a delivery report"
    written_by = parseaddr(_header(parsed, "From"))[1].lower()
    local = written_by.split("@", 1)[0]
    if local.startswith(BOUNCERS) or (local.startswith(RELAYS) and not sender.relay):
        return f"sent by {local}"
    ours = _our_addresses(mailbox)
    if written_by in ours or sender.address in ours:
        return "sent by one of our own mailboxes (a loop)"
    return ""


def _our_addresses(mailbox: Mailbox) -> set[str]:
    """The desk's addresses: where mail arrives and the sender addresses replies use."""
    pairs = Mailbox.objects.values_list("address", "sender_address")
    return {a.lower() for pair in pairs for a in pair if a} | {mailbox.address.lower()}


def _thread(
    mailbox: Mailbox, parsed, subject: str, key: str, address: str
) -> tuple["WorkItem | None", "WorkItem | None"]:
    """(the ticket this mail answers or None, the ticket it pointed at whose stranger
    its sender is, or None)."""
    named = " ".join([_header(parsed, "In-Reply-To"), _header(parsed, "References")])
    ids = [value for _, value in getaddresses([named]) if value] + re.findall(r"<[^>]+>", named)
    if ids:
        known = list(
            Message.objects.filter(
                client_id=mailbox.client_id,
                message_id__in={i if i.startswith("<") else f"<{i}>" for i in ids},
            )
            .select_related("item")
            .order_by("-created_at", "-id")[:20]
        )
        if known:
            ticket = _surviving(known[0].item)
            # an id of our own mail reaches only the people the desk wrote to
            ours = any(m.direction == Message.Direction.OUTBOUND for m in known)
            if ours or _participant(ticket, key, address):
                return ticket, None
            return None, ticket
    stranger_of = None
    for number, random_part in TOKEN.findall(subject):
        ticket = (
            selectors.items(client_ids=[mailbox.client_id], engagement_id=mailbox.engagement_id)
            .filter(pk=int(number))
            .first()
        )
        if ticket is None or not _token_holds(ticket, random_part):
            continue
        target = _surviving(ticket)
        if _participant(ticket, key, address) or _participant(target, key, address):
            return target, None
        stranger_of = stranger_of or target
    return None, stranger_of


def _token_holds(ticket: "WorkItem", random_part: str) -> bool:
    """The random part is the ticket's; a bare token only for a ticket the desk mailed
    before tokens had a random part."""
    stored = TicketToken.objects.filter(item=ticket).first()
    if random_part:
        return stored is not None and hmac.compare_digest(
            stored.token.encode(), random_part.lower().encode()
        )
    if stored is not None:
        return stored.accepts_bare
    return Message.objects.filter(
        item=ticket, direction=Message.Direction.OUTBOUND, channel="email"
    ).exists()


def _surviving(ticket: "WorkItem") -> "WorkItem":
    """The ticket, or the one it was merged into (following merges of merges)."""
    for _ in range(MERGE_HOPS):
        if ticket.status != "cancelled":
            break
        link = (
            TicketLink.objects.filter(source=ticket, kind=TicketLink.Kind.MERGED)
            .select_related("target")
            .order_by("-created_at")
            .first()
        )
        if link is None:
            break
        ticket = link.target
    return ticket


def _participant(ticket: "WorkItem", key: str, address: str) -> bool:
    """The address is the ticket's requester's, or has written into the ticket."""
    requester = ticket.payload.get("requester_email")
    if crypto.is_sealed(requester) and crypto.open_sealed(requester).lower() == address:
        return True
    inbound = Message.objects.filter(item=ticket, direction=Message.Direction.INBOUND)
    if inbound.filter(sender_key=key).exists():
        return True
    # messages stored before senders were hashed: their sealed senders are opened
    for sealed in inbound.filter(sender_key="").values_list("sender", flat=True)[:200]:
        if crypto.is_sealed(sealed) and crypto.open_sealed(sealed).lower() == address:
            return True
    return False


def _recent(mailbox: Mailbox, key: str):
    return Message.objects.filter(
        client_id=mailbox.client_id,
        sender_key=key,
        direction=Message.Direction.INBOUND,
        created_at__gte=timezone.now() - timedelta(minutes=1),
    )


def _held_on(mailbox: Mailbox, key: str) -> "WorkItem | None":
    """Past the sender's rate, the ticket their latest mail went to (else None)."""
    recent = _recent(mailbox, key)
    if recent.count() < int(settings.CARE_MAIL_PER_SENDER_PER_MINUTE):
        return None
    latest = recent.select_related("item").order_by("-created_at", "-id").first()
    return latest.item if latest is not None else None


def _held_note(mailbox: Mailbox, key: str) -> list[str]:
    """The note for the first mail held in a burst (none for the ones after it)."""
    limit = int(settings.CARE_MAIL_PER_SENDER_PER_MINUTE)
    if _recent(mailbox, key).count() != limit:
        return []
    return [
        f"More than {limit} e-mails from this sender within a minute: this one and the "
        "ones after it in that minute were added here instead of opening new tickets "
        "(a mail loop, or several requests at once: split one off if it needs its own "
        "ticket)."
    ]


def _content(parsed) -> tuple[str, list[tuple[str, bytes]], list[str]]:
    """(text body, attachments kept, attachments dropped with why)."""
    body, files, dropped = "", [], []
    limit = settings.ATTACHMENT_MAX_BYTES
    for part in parsed.walk() if parsed.is_multipart() else [parsed]:
        if part.is_multipart():
            continue
        filename = part.get_filename()
        disposition = (part.get_content_disposition() or "").lower()
        if filename or disposition == "attachment":
            content = part.get_payload(decode=True) or b""
            name = _clean(str(filename or "attachment"))[:200] or "attachment"
            if len(content) > limit:
                dropped.append(f"{name} ({len(content) // 2**20} MB, over the limit)")
            else:
                files.append((name, content))
            continue
        if part.get_content_type() in ("text/plain", "text/html") and not body:
            body = _text_of(part)
    return body.strip(), files, dropped


def _text_of(part) -> str:
    raw = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "utf-8"
    try:
        text = raw.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name
        text = raw.decode("latin-1", errors="replace")
    if part.get_content_type() == "text/html":
        text = _html_to_text(text)
    return text.replace("\x00", "")


def _html_to_text(html: str) -> str:
    """The words of an HTML body: scripts, styles and tags out, line breaks kept, then
    character references decoded (after the tags, so a decoded `&lt;` stays text) and
    no-break spaces made plain."""
    text = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", html)
    text = re.sub(r"(?is)<br\s*/?>|</p\s*>|</div\s*>|</li\s*>|</tr\s*>", "\n", text)
    text = re.sub(r"(?s)<[^>]+>", " ", text)
    text = htmllib.unescape(text).replace("\xa0", " ").replace("\u202f", " ")
    return "\n".join(" ".join(line.split()) for line in text.splitlines())
