"""Setting up a client's care desk without Django admin: its mailboxes (address, queue,
acknowledgement, sender and signature, IMAP polling) and its macros. Every change is
checked against the engagement (a queue of another engagement, a work type the queue
does not take) and audited; an IMAP password is sealed under the master key and never
shown again."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from tercero.delivery.work import selectors as work_selectors
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.security.redact import redact_cards
from tercero.services.care import mail_html
from tercero.services.care.models import Macro, Mailbox
from tercero.services.care.poller import set_imap_password

TICKET_TYPES = ("care.ticket", "support.ticket")
MAILBOX_FIELDS = (
    "address",
    "queue_id",
    "work_type",
    "is_active",
    "acknowledgement",
    "sender_name",
    "sender_address",
    "signature_text",
    "signature_html",
    "imap_host",
    "imap_port",
    "imap_ssl",
    "imap_user",
    "imap_folder",
)
MACRO_FIELDS = ("name", "reply", "add_tags", "set_priority", "then", "is_active")
THEN = {"": "nothing more", "wait": "wait on the customer", "resolve": "resolve the ticket"}


def _unknown(fields: dict, allowed: tuple[str, ...]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise InvalidInput(
            "These fields cannot be set.", fields=dict.fromkeys(sorted(unknown), "unknown")
        )


def _mailbox_fields(engagement, fields: dict[str, Any]) -> dict[str, Any]:
    """The mailbox's stored fields, or InvalidInput naming each problem."""
    problems: dict[str, str] = {}
    cleaned = dict(fields)
    address = str(fields.get("address", "")).strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        problems["address"] = "an e-mail address"
    cleaned["address"] = address
    queue = (
        work_selectors.queues(client_ids=[engagement.client_id], engagement_id=engagement.pk)
        .filter(pk=fields.get("queue_id") or 0)
        .first()
    )
    work_type = fields.get("work_type") or "care.ticket"
    if work_type not in TICKET_TYPES:
        problems["work_type"] = "care.ticket or support.ticket"
    if queue is None:
        problems["queue_id"] = "a queue of this engagement"
    elif work_type not in queue.work_types:
        problems["queue_id"] = f"a queue that takes {work_type} items"
    cleaned["work_type"] = work_type
    cleaned["acknowledgement"] = redact_cards(str(fields.get("acknowledgement") or "").strip())
    if len(cleaned["acknowledgement"]) > 5000:
        problems["acknowledgement"] = "at most 5000 characters"
    problems.update(_brand(fields, cleaned))
    port = fields.get("imap_port", 993)
    if not isinstance(port, int) or not 1 <= port <= 65535:
        problems["imap_port"] = "a port from 1 to 65535"
    for name, limit in (("imap_host", 200), ("imap_user", 200), ("imap_folder", 100)):
        cleaned[name] = str(fields.get(name) or "").strip()
        if len(cleaned[name]) > limit:
            problems[name] = f"at most {limit} characters"
    cleaned["imap_folder"] = cleaned["imap_folder"] or "INBOX"
    if problems:
        raise InvalidInput("Please check the mailbox.", fields=problems)
    return cleaned


def _brand(fields: dict[str, Any], cleaned: dict[str, Any]) -> dict[str, str]:
    """The sender and signature, cleaned into `cleaned`; the problems found."""
    problems: dict[str, str] = {}
    cleaned["sender_name"] = " ".join(str(fields.get("sender_name") or "").split())
    if len(cleaned["sender_name"]) > 100:
        problems["sender_name"] = "at most 100 characters"
    sender = str(fields.get("sender_address") or "").strip().lower()
    if sender:
        try:
            validate_email(sender)
        except ValidationError:
            problems["sender_address"] = "an e-mail address, or blank for the mailbox's own"
    cleaned["sender_address"] = sender
    cleaned["signature_text"] = redact_cards(str(fields.get("signature_text") or "").strip())
    if len(cleaned["signature_text"]) > 5000:
        problems["signature_text"] = "at most 5000 characters"
    markup = str(fields.get("signature_html") or "")
    if len(markup) > 20000:
        problems["signature_html"] = "at most 20000 characters"
    cleaned["signature_html"] = mail_html.sanitise(redact_cards(markup[:20000]))
    return problems


def create_mailbox(*, actor, engagement, imap_password: str = "", **fields) -> Mailbox:
    """A new address of the engagement: its mail becomes tickets in the queue given."""
    _unknown(fields, MAILBOX_FIELDS)
    cleaned = _mailbox_fields(engagement, fields)
    try:
        with transaction.atomic():
            mailbox = Mailbox.objects.create(
                client_id=engagement.client_id, engagement=engagement, **cleaned
            )
            if imap_password:
                set_imap_password(mailbox=mailbox, password=imap_password)
                mailbox.refresh_from_db()
            _audit("care.mailbox.created", actor, mailbox, fields=sorted(cleaned))
    except IntegrityError:
        raise Conflict("Another mailbox has this address.", fields={"address": "taken"}) from None
    return mailbox


def update_mailbox(*, actor, mailbox: Mailbox, imap_password: str = "", **changes) -> Mailbox:
    """Change the mailbox; a blank password keeps the one it has."""
    _unknown(changes, MAILBOX_FIELDS)
    current = {name: getattr(mailbox, name) for name in MAILBOX_FIELDS}
    cleaned = _mailbox_fields(mailbox.engagement, {**current, **changes})
    try:
        with transaction.atomic():
            Mailbox.objects.filter(pk=mailbox.pk).update(**cleaned)
            if imap_password:
                set_imap_password(mailbox=mailbox, password=imap_password)
            changed = sorted(k for k in cleaned if cleaned[k] != current[k])
            _audit(
                "care.mailbox.changed",
                actor,
                mailbox,
                fields=changed + (["imap_password"] if imap_password else []),
            )
    except IntegrityError:
        raise Conflict("Another mailbox has this address.", fields={"address": "taken"}) from None
    mailbox.refresh_from_db()
    return mailbox


def _macro_fields(fields: dict[str, Any]) -> dict[str, Any]:
    problems: dict[str, str] = {}
    name = " ".join(str(fields.get("name") or "").split())
    if not 0 < len(name) <= 100:
        problems["name"] = "a name of at most 100 characters"
    reply = redact_cards(str(fields.get("reply") or "").strip())
    if len(reply) > 20000:
        problems["reply"] = "at most 20000 characters"
    tags = fields.get("add_tags") or []
    tags = [t.strip().lower() for t in tags.split(",")] if isinstance(tags, str) else tags
    tags = sorted({str(t).strip().lower() for t in tags if str(t).strip()})
    if len(tags) > 30 or any(len(t) > 50 for t in tags):
        problems["add_tags"] = "at most 30 tags of at most 50 characters"
    priority = fields.get("set_priority") or None
    if priority is not None and priority not in (1, 2, 3, 4):
        problems["set_priority"] = "1 (P1, highest) to 4, or none"
    then = fields.get("then") or ""
    if then not in THEN:
        problems["then"] = "nothing, wait or resolve"
    if not (reply or tags or priority or then):
        problems["reply"] = "a reply, tags, a priority or a next step"
    if problems:
        raise InvalidInput("Please check the macro.", fields=problems)
    return {
        "name": name,
        "reply": reply,
        "add_tags": tags,
        "set_priority": priority,
        "then": then,
        "is_active": bool(fields.get("is_active", True)),
    }


def create_macro(*, actor, engagement, **fields) -> Macro:
    """A canned reply with field changes for the engagement's agents."""
    _unknown(fields, MACRO_FIELDS)
    cleaned = _macro_fields(fields)
    try:
        with transaction.atomic():
            macro = Macro.objects.create(
                client_id=engagement.client_id, engagement=engagement, **cleaned
            )
            _audit("care.macro.created", actor, macro, fields=sorted(cleaned))
    except IntegrityError:
        raise _macro_taken() from None
    return macro


def update_macro(*, actor, macro: Macro, **changes) -> Macro:
    _unknown(changes, MACRO_FIELDS)
    current = {name: getattr(macro, name) for name in MACRO_FIELDS}
    cleaned = _macro_fields({**current, **changes})
    try:
        with transaction.atomic():
            Macro.objects.filter(pk=macro.pk).update(**cleaned)
            changed = sorted(k for k in cleaned if cleaned[k] != current[k])
            _audit("care.macro.changed", actor, macro, fields=changed)
    except IntegrityError:
        raise _macro_taken() from None
    macro.refresh_from_db()
    return macro


def _macro_taken() -> Conflict:
    return Conflict("Another macro of this engagement has this name.", fields={"name": "taken"})


def _audit(action: str, actor, row, **payload) -> None:
    record(
        action=action,
        actor=actor,
        client=row.client_id,
        object_type=type(row).__name__.lower(),
        object_id=row.pk,
        payload=payload,
    )
