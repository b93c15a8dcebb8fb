"""The end-customer portal ("my requests"): a client's customer asks for a sign-in link by
e-mail, opens it once, and sees and answers their own tickets of that client, in the
client's brand. No passwords: the link is signed and names a random token whose hash
alone is stored (as survey links do); it works once within LINK_MINUTES, and the session
it opens lasts SESSION_HOURS.

An address with no requests gets the same answer as one with requests, and no mail, so
the form tells nobody who is a customer. Requests are limited per address and per
network address, known or not. A customer's requests are the client's care and support
tickets whose requester e-mail is exactly theirs (found by the keyed lookup hash, then
compared in clear), never a cancelled or merged one.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tercero.delivery.work import selectors as work_selectors
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, DomainError, InvalidInput, NotFound
from tercero.platform.security import crypto
from tercero.platform.security.redact import redact_cards
from tercero.services.care import chat, inbound, outbound
from tercero.services.care.customer import customer_replied
from tercero.services.care.models import Mailbox, Message, PortalLink, WebChannel

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkItem

LINK_MINUTES = 15
SESSION_HOURS = 2
# link requests: per address and per network address (a visitor), known or unknown
PER_ADDRESS = 3
PER_VISITOR = 10
LIMIT_WINDOW = timedelta(minutes=15)
TICKET_TYPES = ("care.ticket", "support.ticket")
_SALT = "tercero.care.portal"

# what the customer reads for each status of the engine
STATUS_WORDS = {
    "new": "Received",
    "queued": "Received",
    "assigned": "Being worked on",
    "in_progress": "Being worked on",
    "waiting_client": "Being worked on",
    "waiting_customer": "Waiting for your reply",
    "resolved": "Solved",
    "closed": "Closed",
}


class TooManyLinks(DomainError):
    """More sign-in links asked for than a person needs."""

    status = 429
    code = "slow_down"


@dataclass(frozen=True)
class Brand:
    name: str
    colour: str


def brand_of(channel: WebChannel) -> Brand:
    colour = channel.brand_colour or ""
    valid = (
        len(colour) == 7
        and colour[0] == "#"
        and all(c in "0123456789abcdefABCDEF" for c in colour[1:])
    )
    return Brand(name=channel.brand_name or channel.title, colour=colour if valid else "#1f5fa8")


def _address(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(
            "Enter the e-mail address you wrote to us from.",
            fields={"email": "not an e-mail address"},
        ) from None
    return email


def _tickets_of(*, client_id: int, email: str):
    """The client's care and support tickets whose requester e-mail is exactly `email`."""
    digest = crypto.lookup_hash(client_id, email)
    found = (
        work_selectors.items(client_ids=[client_id], work_types=TICKET_TYPES)
        .filter(subject_keys__icontains=digest)
        .exclude(status="cancelled")
    )
    exact = []
    for ticket in found:
        sealed = ticket.payload.get("requester_email")
        if crypto.is_sealed(sealed) and crypto.open_sealed(sealed).strip().lower() == email:
            exact.append(ticket.pk)
    return found.filter(pk__in=exact)


def _refuse_too_many(channel: WebChannel, email_key: str, visitor: str, now) -> None:
    recent = PortalLink.objects.filter(
        client_id=channel.client_id, requested_at__gte=now - LIMIT_WINDOW
    )
    if recent.filter(email_key=email_key).count() >= PER_ADDRESS or (
        recent.filter(visitor=visitor).count() >= PER_VISITOR
    ):
        raise TooManyLinks("You have asked for several links just now; please wait a few minutes.")


def request_link(*, channel: WebChannel, email: str, visitor: str, now=None) -> PortalLink:
    """Record the request and, when the address has requests at the channel's client and
    the engagement has a mailbox, e-mail it a sign-in link (after commit). The caller
    answers the same either way."""
    now = now or timezone.now()
    if not channel.is_active:
        raise NotFound("Not found.")
    email = _address(email)
    email_key = inbound.sender_key(channel.client_id, email)
    _refuse_too_many(channel, email_key, visitor, now)
    mailbox = (
        Mailbox.objects.filter(engagement_id=channel.engagement_id, is_active=True)
        .order_by("id")
        .first()
    )
    known = mailbox is not None and _tickets_of(client_id=channel.client_id, email=email).exists()
    token = secrets.token_urlsafe(24) if known else ""
    with transaction.atomic():
        link = PortalLink.objects.create(
            client_id=channel.client_id,
            channel=channel,
            email_key=email_key,
            email=crypto.seal(channel.client_id, email, kind="email") if known else "",
            visitor=visitor,
            token_hash=chat.token_hash(token) if known else "",
            requested_at=now,
            expires_at=now + timedelta(minutes=LINK_MINUTES),
        )
        if known and mailbox is not None:
            _send_link(channel=channel, mailbox=mailbox, email=email, token=token)
            record(
                action="care.portal.link_sent",
                client=channel.client_id,
                object_type="portal_link",
                object_id=link.pk,
                payload={"channel_id": channel.pk},
            )
    return link


def _send_link(*, channel: WebChannel, mailbox: Mailbox, email: str, token: str) -> None:
    signed = signing.Signer(salt=_SALT).sign(token)
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    url = f"{base}{reverse('care:portal_sign_in', args=[channel.key, signed])}"
    brand = brand_of(channel)
    body = (
        f"Hello,\n\nHere is your link to see and answer your requests to {brand.name}:\n\n"
        f"  {url}\n\nIt works once, for {LINK_MINUTES} minutes. If you did not ask for it, "
        "ignore this e-mail: nothing happens without the link."
    )
    mail = outbound.compose(
        mailbox=mailbox,
        to=email,
        subject=f"Your link to your requests to {brand.name}",
        text=body,
        headers={"Auto-Submitted": "auto-generated"},
    )
    transaction.on_commit(mail.send)


def link_of(signed: str) -> PortalLink:
    """The link a signed token names (callers look it up across clients). A bad
    signature or unknown token is NotFound; the caller checks use and expiry."""
    try:
        token = signing.Signer(salt=_SALT).unsign(signed)
    except signing.BadSignature:
        raise NotFound("This link is not valid.") from None
    found = (
        PortalLink.objects.filter(token_hash=chat.token_hash(token)).exclude(token_hash="").first()
    )
    if found is None:
        raise NotFound("This link is not valid.")
    return found


def sign_in(*, link: PortalLink, now=None) -> PortalLink:
    """Use the link, once and in time: the session it opens lasts SESSION_HOURS."""
    now = now or timezone.now()
    if link.expires_at <= now:
        raise Conflict("This link has expired. Ask for a new one.", code="expired")
    with transaction.atomic():
        used = PortalLink.objects.filter(
            pk=link.pk, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now, session_until=now + timedelta(hours=SESSION_HOURS))
        if not used:
            raise Conflict("This link was already used. Ask for a new one.", code="used")
        record(
            action="care.portal.signed_in",
            client=link.client_id,
            object_type="portal_link",
            object_id=link.pk,
            payload={"channel_id": link.channel_id},
        )
    link.refresh_from_db()
    return link


def signed_in(*, channel: WebChannel, link_id: int, now=None) -> PortalLink:
    """The live session of this channel's client, or NotFound."""
    now = now or timezone.now()
    found = PortalLink.objects.filter(
        pk=link_id, client_id=channel.client_id, used_at__isnull=False, session_until__gt=now
    ).first()
    if found is None:
        raise NotFound("Please sign in again.")
    return found


def email_of(session: PortalLink) -> str:
    return crypto.open_sealed(session.email)


def requests_of(*, session: PortalLink):
    """The customer's own tickets at the session's client, newest first."""
    return _tickets_of(client_id=session.client_id, email=email_of(session)).order_by(
        "-created_at", "-id"
    )


def access_request(*, session: PortalLink, ticket_id: int) -> "WorkItem":
    """One of the customer's own tickets; anyone else's (or another client's) is 404."""
    found = requests_of(session=session).filter(pk=ticket_id).first()
    if found is None:
        raise NotFound("Request not found.")
    return found


def public_conversation(*, ticket: "WorkItem") -> list[dict]:
    """What the customer sees of a ticket: their messages and the desk's replies, oldest
    first; never internal notes."""
    found = Message.objects.filter(item=ticket).exclude(direction=Message.Direction.NOTE)
    return [
        {
            "mine": m.direction == Message.Direction.INBOUND,
            "body": m.body,
            "created_at": m.created_at,
        }
        for m in found.order_by("created_at", "id")
    ]


def reply(*, session: PortalLink, ticket: "WorkItem", body: str) -> Message:
    """The customer answers on the portal: an inbound message, and as with a mail reply
    a ticket waiting on them is worked again and a finished one reopened."""
    body = redact_cards((body or "").replace("\x00", "").strip())
    if not body:
        raise InvalidInput("Type your answer first.", fields={"body": "required"})
    if len(body) > chat.MAX_LINE:
        raise InvalidInput(
            f"Answers are at most {chat.MAX_LINE} characters.", fields={"body": "too long"}
        )
    with transaction.atomic():
        message = Message.objects.create(
            client_id=ticket.client_id,
            item=ticket,
            direction=Message.Direction.INBOUND,
            channel="portal",
            message_id=f"<portal-{secrets.token_hex(16)}@tercero.invalid>",
            sender=session.email,
            sender_key=session.email_key,
            subject=ticket.title[:300],
            body=body,
        )
        customer_replied(ticket=ticket, channel="portal")
        record(
            action="care.portal.replied",
            client=ticket.client_id,
            object_type="work_item",
            object_id=ticket.pk,
            payload={"message_id": message.pk},
        )
    return message
