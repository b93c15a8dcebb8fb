"""Inbound e-mail: one raw RFC 822 message becomes a new ticket, a message on an
existing ticket, or a logged rejection — never an exception and never half of one.

Threading: `In-Reply-To`/`References` naming a message we know, else a ticket token
`[#T-123]` in the subject, else a new ticket. Auto-replies and loops (Auto-Submitted,
Precedence bulk/junk/auto_reply, X-Autoreply, an empty Return-Path, mailer daemons,
our own addresses) never open a ticket and are never answered. A message seen before
(same Message-ID) is a no-op, so a poller may deliver twice.
"""

import email
import email.policy
import hashlib
import html as htmllib
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from tercero.delivery.work import selectors
from tercero.delivery.work import services as work
from tercero.platform.errors import DomainError
from tercero.platform.security import crypto
from tercero.platform.security.redact import redact_cards
from tercero.services.care.customer import customer_replied
from tercero.services.care.models import Mailbox, Message, Rejection

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkItem

MAX_MESSAGE_BYTES = 30 * 1024 * 1024
TOKEN = re.compile(r"\[#T-(\d{1,12})\]")
AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
DAEMONS = ("mailer-daemon", "postmaster", "no-reply", "noreply", "do-not-reply")


@dataclass(frozen=True)
class Outcome:
    """What happened to one inbound e-mail."""

    status: str  # "created", "threaded", "duplicate", "rejected"
    item_id: int | None = None
    reason: str = ""


def token_of(item_id: int) -> str:
    return f"[#T-{item_id}]"


def ingest(*, mailbox: Mailbox, raw: bytes) -> Outcome:
    """Turn one raw e-mail into a ticket or a message, or log why not."""
    if len(raw) > MAX_MESSAGE_BYTES:
        return _reject(mailbox, "", f"larger than {MAX_MESSAGE_BYTES // 2**20} MB", len(raw))
    parsed = _parse(raw)
    message_id = _message_id(parsed, raw)
    if Message.objects.filter(client_id=mailbox.client_id, message_id=message_id).exists():
        return Outcome("duplicate", reason="seen before")
    sender_name, sender = parseaddr(str(parsed.get("From", "") or ""))
    if "@" not in sender:
        return _reject(mailbox, message_id, "no sender address (From)", len(raw))
    subject = _clean(str(parsed.get("Subject", "") or "")) or "(no subject)"
    body, files, dropped = _content(parsed)
    auto = _auto_generated(parsed, sender, mailbox)
    ticket = _thread(mailbox, parsed, subject)
    if ticket is None and auto:
        return _reject(mailbox, message_id, f"auto-generated ({auto}); not answered", len(raw))
    try:
        with transaction.atomic():
            if ticket is None:
                ticket = work.create_item(
                    actor=None,
                    queue=mailbox.queue,
                    work_type=mailbox.work_type,
                    channel="email",
                    payload={
                        "subject": subject[:300],
                        "requester_name": _clean(sender_name)[:200],
                        "requester_email": sender.lower()[:254],
                    },
                )
                status = "created"
            else:
                status = "threaded"
            dropped += _attach(ticket, files)
            if dropped:
                body += "\n\n[Attachments not kept: " + "; ".join(dropped) + "]"
            Message.objects.create(
                client_id=mailbox.client_id,
                item=ticket,
                direction=Message.Direction.INBOUND,
                message_id=message_id,
                in_reply_to=_header(parsed, "In-Reply-To")[:300],
                sender=crypto.seal(mailbox.client_id, sender.lower(), kind="email"),
                subject=subject[:300],
                body=redact_cards(body),
                auto_generated=bool(auto),
            )
            if status == "threaded" and not auto:
                customer_replied(ticket=ticket)
    except DomainError as error:
        return _reject(mailbox, message_id, f"refused: {error.message}", len(raw))
    return Outcome(status, item_id=ticket.pk)


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


def _auto_generated(parsed, sender: str, mailbox: Mailbox) -> str:
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
    local = sender.split("@", 1)[0].lower()
    if local.startswith(DAEMONS):
        return f"sent by {local}"
    if sender.lower() in _our_addresses(mailbox):
        return "sent by one of our own mailboxes (a loop)"
    return ""


def _our_addresses(mailbox: Mailbox) -> set[str]:
    return {a.lower() for a in Mailbox.objects.values_list("address", flat=True)} | {
        mailbox.address.lower()
    }


def _thread(mailbox: Mailbox, parsed, subject: str) -> "WorkItem | None":
    named = " ".join([_header(parsed, "In-Reply-To"), _header(parsed, "References")])
    ids = [value for _, value in getaddresses([named]) if value] + re.findall(r"<[^>]+>", named)
    if ids:
        known = (
            Message.objects.filter(
                client_id=mailbox.client_id,
                message_id__in={i if i.startswith("<") else f"<{i}>" for i in ids},
            )
            .select_related("item")
            .order_by("-created_at")
            .first()
        )
        if known is not None:
            return known.item
    token = TOKEN.search(subject)
    if token:
        return (
            selectors.items(client_ids=[mailbox.client_id], engagement_id=mailbox.engagement_id)
            .filter(pk=int(token.group(1)))
            .first()
        )
    return None


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
