"""The web channel: the contact form and the chat widget an engagement embeds in its
own site. The customer holds a random chat token (only its SHA-256 is stored); every
line they type is an inbound message of the ticket, every agent reply an outbound one,
so the transcript is the ticket's conversation.
"""

import hashlib
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from tercero.delivery.work import selectors
from tercero.delivery.work import services as work
from tercero.platform.errors import Conflict, DomainError, InvalidInput, NotFound
from tercero.platform.security.redact import redact_cards
from tercero.services.care.customer import customer_replied
from tercero.services.care.models import ChatSession, Message, WebChannel

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkItem

MAX_LINE = 5000
LINES_PER_MINUTE = 20
# New chats a minute: each visitor (a network address; an IPv6 /64, what one household
# or host is given) may open a few, and the channel's engagement as a whole a ceiling
# far above one visitor's share; beyond either a new chat is refused, not queued.
VISITOR_CHATS_PER_MINUTE = 3
CHATS_PER_MINUTE = 300
FORMS_PER_MINUTE = 30  # likewise for contact-form messages
IDLE_END = timedelta(minutes=30)


class TooManyChats(DomainError):
    """One visitor opened more chats in a minute than a person does."""

    status = 429
    code = "slow_down"


def visitor_of(address: str | None) -> str:
    """A visitor's key: a keyed hash of their network address (IPv6 by its /64), so the
    address itself is not stored. Unknown addresses share one key."""
    return salted_hmac("care.chat.visitor", _network(address), algorithm="sha256").hexdigest()


def _network(address: str | None) -> str:
    """What counts as one visitor: an IPv6 address's /64, any other address itself, and
    one shared 'unknown' for a missing or unreadable one."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or "unknown"
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)


@dataclass(frozen=True)
class Started:
    ticket: "WorkItem"
    token: str  # shown to the customer's browser once


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _requester(name: str, email: str) -> dict:
    name = " ".join((name or "").split())[:200]
    email = (email or "").strip().lower()[:254]
    problems = {}
    if not name:
        problems["name"] = "required"
    if email:
        try:
            validate_email(email)
        except ValidationError:
            problems["email"] = "not an e-mail address"
    if problems:
        raise InvalidInput("Please check the highlighted fields.", fields=problems)
    return {"requester_name": name, "requester_email": email}


def _line(text: str, *, field: str = "message") -> str:
    text = redact_cards((text or "").replace("\x00", "").strip())
    if not text:
        raise InvalidInput("Type a message first.", fields={field: "required"})
    if len(text) > MAX_LINE:
        raise InvalidInput(
            f"Messages are at most {MAX_LINE} characters.", fields={field: "too long"}
        )
    return text


def _inbound(ticket: "WorkItem", *, channel: str, body: str, subject: str = "") -> Message:
    return Message.objects.create(
        client_id=ticket.client_id,
        item=ticket,
        direction=Message.Direction.INBOUND,
        channel=channel,
        message_id=f"<{channel}-{secrets.token_hex(16)}@tercero.invalid>",
        subject=subject[:300],
        body=body,
    )


def submit_form(
    *, channel: WebChannel, name: str, email: str, subject: str, message: str
) -> "WorkItem":
    """The contact form: one ticket with the customer's message as its first line."""
    if not (channel.is_active and channel.has_form):
        raise NotFound("This contact form is closed.")
    requester = _requester(name, email)
    if not requester["requester_email"]:
        raise InvalidInput("We need an e-mail address to answer you.", fields={"email": "required"})
    body = _line(message)
    subject = " ".join(redact_cards(subject or "").split())[:300] or body[:80]
    recent = selectors.items(
        client_ids=[channel.client_id],
        queue_id=channel.queue_id,
        channel="web_form",
        created_after=timezone.now() - timedelta(minutes=1),
    ).count()
    if recent >= FORMS_PER_MINUTE:
        raise Conflict("We are receiving many messages right now; please try again shortly.")
    with transaction.atomic():
        ticket = work.create_item(
            actor=None,
            queue=channel.queue,
            work_type="care.ticket",
            channel="web_form",
            payload={"subject": subject, **requester},
        )
        _inbound(ticket, channel="web_form", body=body, subject=subject)
    return ticket


def start_chat(
    *, channel: WebChannel, name: str, email: str, message: str, visitor: str = ""
) -> Started:
    """A new chat: a care.ticket on the chat channel and the customer's first line.
    `visitor` (`visitor_of` their address) is held to VISITOR_CHATS_PER_MINUTE, the
    channel's engagement to the channel's `new_chats_per_minute`."""
    if not (channel.is_active and channel.has_chat):
        raise NotFound("Chat is closed.")
    requester = _requester(name, email)
    body = _line(message)
    _refuse_flood(channel, visitor or visitor_of(None))
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        ticket = work.create_item(
            actor=None,
            queue=channel.queue,
            work_type="care.ticket",
            channel="chat",
            payload={"subject": f"Chat: {body[:80]}", **requester},
        )
        ChatSession.objects.create(
            client_id=ticket.client_id,
            item=ticket,
            token_hash=token_hash(token),
            visitor=visitor or visitor_of(None),
        )
        _inbound(ticket, channel="chat", body=body)
    return Started(ticket=ticket, token=token)


def _refuse_flood(channel: WebChannel, visitor: str) -> None:
    recent = ChatSession.objects.filter(
        client_id=channel.client_id, started_at__gte=timezone.now() - timedelta(minutes=1)
    )
    if recent.filter(visitor=visitor).count() >= VISITOR_CHATS_PER_MINUTE:
        raise TooManyChats("You have opened several chats just now; please wait a minute.")
    limit = channel.new_chats_per_minute or CHATS_PER_MINUTE
    if recent.filter(item__engagement_id=channel.engagement_id).count() >= limit:
        raise Conflict("Too many new chats right now; please try again shortly.", code="busy")


def session_of(*, channel: WebChannel, token: str) -> ChatSession:
    """The chat `token` opens on this channel, or NotFound (never says which part was
    wrong). A chat belongs to the channel's engagement, not to the queue it started in:
    the desk may transfer it to another queue (of the same engagement, as the engine
    allows) and the customer's widget goes on working."""
    found = (
        ChatSession.objects.filter(
            token_hash=token_hash(token or ""),
            client_id=channel.client_id,
            item__engagement_id=channel.engagement_id,
        )
        .select_related("item")
        .first()
    )
    if found is None:
        raise NotFound("Chat not found.")
    return found


def say(*, session: ChatSession, text: str) -> Message:
    """A line from the customer. A chat waiting on the customer is worked again and a
    resolved one reopened by it; an ended one is not (the customer starts a new chat)."""
    if session.ended_at is not None:
        raise Conflict("This chat has ended; start a new one.", code="chat_ended")
    body = _line(text)
    now = timezone.now()
    if (
        Message.objects.filter(
            item_id=session.item_id,
            direction=Message.Direction.INBOUND,
            created_at__gte=now - timedelta(minutes=1),
        ).count()
        >= LINES_PER_MINUTE
    ):
        raise Conflict("You are typing faster than we can read; wait a moment.", code="slow_down")
    with transaction.atomic():
        line = _inbound(session.item, channel="chat", body=body)
        ChatSession.objects.filter(pk=session.pk).update(customer_seen_at=now)
        customer_replied(ticket=session.item, channel="chat")
    return line


def transcript(*, session: ChatSession, after: int = 0) -> list[dict]:
    """What the customer sees: their lines and the agents' replies, never notes."""
    ChatSession.objects.filter(pk=session.pk).update(customer_seen_at=timezone.now())
    lines = (
        Message.objects.filter(item_id=session.item_id, pk__gt=after)
        .exclude(direction=Message.Direction.NOTE)
        .order_by("id")[:200]
    )
    return [
        {
            "id": line.pk,
            "from": "you" if line.direction == Message.Direction.INBOUND else "agent",
            "text": line.body,
            "at": line.created_at.isoformat(),
        }
        for line in lines
    ]


def end_chat(*, session: ChatSession) -> None:
    """The customer (or an idle timeout) ends the chat; later replies go by e-mail."""
    if session.ended_at is None:
        ChatSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(
            ended_at=timezone.now()
        )


def end_idle_chats(*, now=None) -> int:
    """Chats whose customer has not been seen for IDLE_END are ended."""
    now = now or timezone.now()
    return ChatSession.objects.filter(
        ended_at__isnull=True, customer_seen_at__lt=now - IDLE_END
    ).update(ended_at=now)


def widget_snippet(channel, base: str) -> str:
    """The HTML a client pastes into its site to show the chat widget."""
    return (
        f'<script src="{base}{reverse("care:widget")}" data-tercero-chat="{channel.key}" '
        f'data-base="{base}" defer></script>'
    )
