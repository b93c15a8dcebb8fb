"""Reads for the care desk."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from tercero.delivery.work import access, selectors
from tercero.delivery.work.models import WorkItem
from tercero.platform.errors import NotFound
from tercero.platform.security import crypto
from tercero.services.care.models import (
    ChatSession,
    CustomField,
    CustomValue,
    Macro,
    Mailbox,
    Message,
    Survey,
    TicketLink,
    WebChannel,
)

CARE_TYPES = ("care.ticket", "support.ticket", "care.call")


def access_mailbox(*, client_ids: list[int], mailbox_id: int) -> Mailbox:
    found = Mailbox.objects.filter(client_id__in=client_ids, pk=mailbox_id).first()
    if found is None:
        raise NotFound("Mailbox not found.")
    return found


def access_ticket(*, user, client_ids: list[int], item_id: int) -> WorkItem:
    """A care ticket the user may open (agents: their own, or after break-glass);
    anything else is NotFound / BreakGlassRequired."""
    item = selectors.access_item(client_ids=client_ids, item_id=item_id)
    if item.work_type not in CARE_TYPES:
        raise NotFound("Ticket not found.")
    access.check(user, item)
    return item


def web_channel(*, key: str) -> WebChannel:
    """A public channel by its key (callers hold no client scope: the key decides)."""
    found = WebChannel.objects.filter(key=key, is_active=True).select_related("client").first()
    if found is None or found.client.status in ("suspended", "offboarded"):
        raise NotFound("Not found.")
    return found


def conversation(*, ticket: WorkItem, include_notes: bool = True) -> list[dict]:
    """The ticket's messages, oldest first; the customer's address shown masked."""
    found = Message.objects.filter(item=ticket).order_by("created_at", "id")
    if not include_notes:
        found = found.exclude(direction=Message.Direction.NOTE)
    return [
        {
            "id": m.pk,
            "direction": m.direction,
            "channel": m.channel,
            "sender": crypto.masked(m.sender) if crypto.is_sealed(m.sender) else "",
            "subject": m.subject,
            "body": m.body,
            "auto_generated": m.auto_generated,
            "created_at": m.created_at,
            "message_id": m.message_id,
        }
        for m in found
    ]


def links_of(*, ticket: WorkItem) -> list[dict]:
    """Tickets linked to this one, whichever side made the link."""
    found = TicketLink.objects.filter(Q(source=ticket) | Q(target=ticket)).select_related(
        "source", "target"
    )
    out = []
    for link in found:
        other = link.target if link.source_id == ticket.pk else link.source
        if link.kind == TicketLink.Kind.RELATED:
            label = "Related"
        elif link.kind == TicketLink.Kind.SPLIT:
            label = "Split from" if link.source_id == ticket.pk else "Split off into"
        else:
            label = "Merged into" if link.source_id == ticket.pk else "Merged from"
        out.append({"label": label, "ticket": other})
    return out


def custom_fields(*, ticket: WorkItem) -> list[dict]:
    values = dict(CustomValue.objects.filter(item=ticket).values_list("field_id", "value"))
    return [
        {"field": f, "value": values.get(f.pk, "")}
        for f in CustomField.objects.filter(engagement_id=ticket.engagement_id)
    ]


def macros_for(*, ticket: WorkItem):
    return Macro.objects.filter(engagement_id=ticket.engagement_id, is_active=True)


def chat_open(*, ticket: WorkItem) -> bool:
    return ChatSession.objects.filter(item=ticket, ended_at__isnull=True).exists()


def customer_online(*, ticket: WorkItem) -> bool:
    return ChatSession.objects.filter(
        item=ticket,
        ended_at__isnull=True,
        customer_seen_at__gte=timezone.now() - timedelta(seconds=30),
    ).exists()


def survey_of(*, ticket: WorkItem) -> Survey | None:
    return Survey.objects.filter(item=ticket).first()


def similar_tickets(*, ticket: WorkItem, limit: int = 5):
    """Open tickets of the same requester (keyed lookup hash), the merge candidates."""
    keys = ticket.subject_keys or []
    if not keys:
        return WorkItem.objects.none()
    found = WorkItem.objects.filter(
        client_id=ticket.client_id,
        engagement_id=ticket.engagement_id,
        work_type__in=CARE_TYPES,
        status__in=(
            "new",
            "queued",
            "assigned",
            "in_progress",
            "waiting_client",
            "waiting_customer",
        ),
    ).exclude(pk=ticket.pk)
    matching = Q()
    for key in keys:
        matching |= Q(subject_keys__icontains=key)
    return found.filter(matching).order_by("-created_at")[:limit]
