"""Care's automations at work: event rules run from the outbox (a ticket created,
changed by a person, written into by the customer, near an SLA breach), time rules from
a periodic job (waited N business days on the customer, counted in the engagement's
calendar). An engagement's rules run in their order, each seeing what the ones before it
did.

Exactly once: a rule acts on a ticket inside one transaction that holds the ticket's row
lock and inserts its `AutomationRun` (ticket, rule, occasion) under a unique constraint.
A second worker on the same occasion waits for the lock, then finds the row (or the
ticket moved on) and does nothing. A rule whose action is refused is logged as failed,
with nothing of it kept.

Rules react to people and customers, not to one another: `updated` fires on changes a
person made, never on an automation's, so rules cannot set each other off in a loop.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import groupby
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from tercero.delivery.engagements.business_time import BusinessCalendar
from tercero.delivery.work import lifecycle, locks, selectors
from tercero.delivery.work import services as work
from tercero.delivery.work.outbox import Consumer
from tercero.platform.errors import DomainError
from tercero.platform.identity.models import User
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.care import automation_rules as rules
from tercero.services.care.models import Automation, AutomationRun, Macro, Mailbox, Message
from tercero.services.care.services.conversation import send_automatic

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkEvent, WorkItem

TICKET_TYPES = ("care.ticket", "support.ticket")
EVENT_TRIGGERS = tuple(rules.EVENT_KINDS)


def fire(
    *, rule: Automation, item_id: int, occasion: str = "", now: datetime | None = None
) -> AutomationRun | None:
    """Run `rule` on the ticket once for `occasion` when its conditions hold (a time
    rule's occasion is the waiting spell, read under the ticket's lock). Returns the run,
    or None when the rule did not apply or already ran on this occasion."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            ticket = locks.lock_item(item_id=item_id)
            if rule.trigger in rules.TIME_TRIGGERS:
                occasion = _waiting_spell(rule, ticket, now)
            if not occasion or _ran(rule, ticket, occasion) or not _applies(rule, ticket):
                return None
            run = AutomationRun.objects.create(
                client_id=ticket.client_id,
                automation=rule,
                item_id=ticket.pk,
                occasion=occasion,
                ran_at=now,
            )
            run.did = _act(rule, ticket)
            run.save(update_fields=["did"])
            return run
    except IntegrityError:
        return None  # this rule already ran on this occasion
    except DomainError as error:
        return _failed(rule, item_id, occasion, now, error)


def _failed(
    rule: Automation, item_id: int, occasion: str, now: datetime, error: DomainError
) -> AutomationRun | None:
    """Log a refused rule on the ticket (once per occasion), nothing of its actions kept."""
    try:
        with transaction.atomic():
            return AutomationRun.objects.create(
                client_id=rule.client_id,
                automation=rule,
                item_id=item_id,
                occasion=occasion,
                ran_at=now,
                did=[f"refused: {error.message}"],
                is_failed=True,
            )
    except IntegrityError:
        return None


def _ran(rule: Automation, ticket: "WorkItem", occasion: str) -> bool:
    """Already run on this occasion: read under the ticket's lock, so it is a cheap
    first answer; the unique row stays the guarantee."""
    return AutomationRun.objects.filter(item=ticket, automation=rule, occasion=occasion).exists()


def _waiting_spell(rule: Automation, ticket: "WorkItem", now: datetime) -> str:
    """The waiting spell a time rule counts ('' when the ticket is not waiting on the
    customer or has not waited the rule's business days yet). Counted in the rule's
    engagement's calendar: a ticket of another engagement never passes `_applies`."""
    since = ticket.waiting_since
    if ticket.status != lifecycle.WAITING_CUSTOMER or since is None:
        return ""
    if not _has_waited(rule, since, BusinessCalendar.of(rule.engagement), now):
        return ""
    return _spell(since)


def _has_waited(
    rule: Automation, since: datetime, calendar: BusinessCalendar, now: datetime
) -> bool:
    return calendar.add_business_days(since, rule.waited_business_days or 0) <= now


def _spell(since: datetime) -> str:
    return f"waiting since {since.isoformat()}"


def _applies(rule: Automation, ticket: "WorkItem") -> bool:
    if ticket.work_type not in TICKET_TYPES or ticket.engagement_id != rule.engagement_id:
        return False
    return rule.is_active and rules.matches(rule.conditions, facts_of(ticket))


def facts_of(ticket: "WorkItem") -> rules.Facts:
    """What a rule's conditions read: the subject, the customer's latest message, and
    the mailbox the ticket came in through."""
    inbound = Message.objects.filter(item=ticket, direction=Message.Direction.INBOUND)
    latest = inbound.order_by("-created_at", "-id").values_list("body", flat=True).first()
    first_mailbox = (
        inbound.exclude(mailbox=None)
        .order_by("created_at", "id")
        .values_list("mailbox_id", flat=True)
    ).first()
    return rules.Facts(
        subject=str(ticket.payload.get("subject") or ticket.title),
        body=latest or "",
        channel=ticket.channel,
        priority=ticket.priority,
        tags=frozenset(str(t).lower() for t in ticket.payload.get("tags", [])),
        mailbox_id=first_mailbox,
        queue_id=ticket.queue_id,
    )


# --- actions -------------------------------------------------------------------------


def _act(rule: Automation, ticket: "WorkItem") -> list[str]:
    """Take the rule's actions in order; what each did, in words."""
    did = []
    for action in rule.actions:
        current = selectors.access_item(client_ids=[ticket.client_id], item_id=ticket.pk)
        did.append(ACTIONS[action["action"]](rule, current, action["value"]))
    return did


def _move(rule: Automation, ticket: "WorkItem", queue_id: int) -> str:
    queue = selectors.access_queue(client_ids=[ticket.client_id], queue_id=queue_id)
    if ticket.queue_id == queue.pk:
        return f"left it in the queue {queue.name} (already there)"
    work.transfer(actor=None, item=ticket, queue=queue, reason=f"Automation: {rule.name}")
    return f"moved it to the queue {queue.name}"


def _priority(rule: Automation, ticket: "WorkItem", value: str) -> str:
    if ticket.priority != int(value):
        work.update_item(
            actor=None, item=ticket, version=ticket.version, changes={"priority": int(value)}
        )
    return f"set the priority to P{value}"


def _tag(rule: Automation, ticket: "WorkItem", tag: str) -> str:
    tags = [str(t) for t in ticket.payload.get("tags", [])]
    if tag in tags:
        return f"kept the tag {tag} (already there)"
    work.update_payload(
        actor=None, item=ticket, changes={"tags": [*tags, tag]}, reason=f"Automation: {rule.name}"
    )
    return f"added the tag {tag}"


def _macro(rule: Automation, ticket: "WorkItem", macro_id: int) -> str:
    """The macro's tags, priority, reply (sent as an automatic message) and move."""
    macro = Macro.objects.filter(pk=macro_id, engagement_id=ticket.engagement_id).first()
    if macro is None or not macro.is_active:
        return "applied no macro (it was removed or switched off)"
    for tag in macro.add_tags:
        _tag(rule, _fresh(ticket), str(tag).lower())
    if macro.set_priority:
        _priority(rule, _fresh(ticket), str(macro.set_priority))
    if macro.reply.strip():
        send_automatic(ticket=_fresh(ticket), body=macro.reply, auto_submitted="auto-replied")
    if macro.then == "wait":
        work.transition(actor=None, item=_fresh(ticket), action="wait", waiting_on="customer")
    elif macro.then == "resolve":
        work.transition(
            actor=None, item=_fresh(ticket), action="resolve", resolution=f"Macro: {macro.name}"
        )
    return f"applied the macro {macro.name}"


def _notify(rule: Automation, ticket: "WorkItem", user_id: int) -> str:
    """An e-mail to a person who works for the client: the rule and a link, nothing
    about the customer."""
    person = User.objects.filter(
        pk=user_id, is_active=True, grants__client_id=ticket.client_id
    ).first()
    if person is None:
        return "notified nobody (the person no longer works for this client)"
    link = settings.PUBLIC_BASE_URL.rstrip("/") + reverse("work:item", args=[ticket.pk])
    email = EmailMessage(
        subject=f"Ticket #{ticket.pk}: {rule.name}",
        body=f'The automation "{rule.name}" fired on ticket #{ticket.pk}.\n\n{link}\n',
        to=[person.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    transaction.on_commit(email.send)
    return f"notified {person.full_name or person.email}"


def _acknowledge(rule: Automation, ticket: "WorkItem", value: Any) -> str:
    mailbox = Mailbox.objects.filter(pk=facts_of(ticket).mailbox_id).first()
    if mailbox is None or not mailbox.acknowledgement.strip():
        return "sent no acknowledgement (the ticket's mailbox has none)"
    sent = send_automatic(
        ticket=ticket, body=mailbox.acknowledgement, auto_submitted="auto-replied"
    )
    if sent is None:
        return "sent no acknowledgement (no requester e-mail)"
    return f"sent the acknowledgement of {mailbox.address}"


def _remind(rule: Automation, ticket: "WorkItem", text: str) -> str:
    sent = send_automatic(ticket=ticket, body=text, auto_submitted="auto-generated")
    return "reminded the customer" if sent is not None else "reminded nobody (no requester e-mail)"


def _close(rule: Automation, ticket: "WorkItem", value: Any) -> str:
    days = rule.waited_business_days
    resolved = work.transition(
        actor=None,
        item=ticket,
        action="resolve",
        resolution=f"Closed automatically: no answer from the customer in {days} business days.",
        reason=f"Automation: {rule.name}",
    )
    work.transition(actor=None, item=resolved, action="close", reason=f"Automation: {rule.name}")
    return "closed the ticket"


def _fresh(ticket: "WorkItem") -> "WorkItem":
    return selectors.access_item(client_ids=[ticket.client_id], item_id=ticket.pk)


ACTIONS: dict[str, Callable[[Automation, "WorkItem", Any], str]] = {
    "move_to_queue": _move,
    "set_priority": _priority,
    "add_tag": _tag,
    "apply_macro": _macro,
    "notify": _notify,
    "acknowledge": _acknowledge,
    "remind": _remind,
    "close": _close,
}


# --- when they run -------------------------------------------------------------------


def on_events(events: list["WorkEvent"]) -> None:
    """The outbox's batch: each event that fires an event trigger of an engagement with
    active rules runs them (one query decides which engagements have any)."""
    engaged = set(
        Automation.objects.filter(
            engagement_id__in={e.engagement_id for e in events if e.item_id},
            trigger__in=EVENT_TRIGGERS,
            is_active=True,
        ).values_list("engagement_id", flat=True)
    )
    for event in events:
        if event.item_id and event.engagement_id in engaged:
            on_event(event)


def on_event(event: "WorkEvent") -> None:
    triggers = [
        trigger
        for trigger, kinds in rules.EVENT_KINDS.items()
        if event.kind in kinds and (trigger not in rules.BY_PEOPLE or event.actor_id is not None)
    ]
    if not triggers or event.item_id is None:
        return
    occasion = "created" if event.kind == "item.created" else f"event {event.pk}"
    with client_scope(clients=[event.client_id]):
        for rule in Automation.objects.filter(
            engagement_id=event.engagement_id, trigger__in=triggers, is_active=True
        ):
            fire(rule=rule, item_id=event.item_id, occasion=occasion)


def run_waiting_rules(*, now: datetime | None = None) -> int:
    """Time rules: every ticket that has waited a rule's business days on the customer
    gets it, once per waiting spell. Returns how many rules fired."""
    now = now or timezone.now()
    with all_clients_scope():
        found = list(
            Automation.objects.filter(is_active=True, trigger__in=rules.TIME_TRIGGERS)
            .select_related("engagement")
            .order_by("engagement_id", "position", "id")
        )
    fired = 0
    for _, group in groupby(found, key=lambda rule: rule.engagement_id):
        fired += _run_engagement(list(group), now)
    return fired


def _run_engagement(group: list[Automation], now: datetime) -> int:
    engagement = group[0].engagement
    # N business days are never fewer than N calendar days (less a DST hour): a cheap
    # first cut before each ticket's calendar sum
    shortest = min(rule.waited_business_days or 0 for rule in group)
    fired = 0
    with client_scope(clients=[engagement.client_id]):
        waiting = (
            selectors.items(
                client_ids=[engagement.client_id],
                engagement_id=engagement.pk,
                status=[lifecycle.WAITING_CUSTOMER],
                work_types=TICKET_TYPES,
            )
            .filter(waiting_since__lte=now - timedelta(days=shortest, hours=-2))
            .order_by("waiting_since", "pk")
        )
        due = _due(group, list(waiting.values_list("pk", "waiting_since")), now)
        ran = set(
            AutomationRun.objects.filter(automation__in=group, item__in=waiting.values("pk"))
            .values_list("item_id", "automation_id", "occasion")
            .iterator()
        )
        for item_id, rule, spell in due:
            if (item_id, rule.pk, spell) not in ran:
                fired += fire(rule=rule, item_id=item_id, now=now) is not None
    return fired


def _due(
    group: list[Automation], waiting: list[tuple[int, datetime]], now: datetime
) -> list[tuple[int, Automation, str]]:
    """(ticket, rule, waiting spell) for each rule of the group a ticket has waited long
    enough for, as read before any lock: a first cut, so a ticket whose rules all ran or
    are not due yet costs no lock; `fire` decides again under the ticket's lock."""
    calendar = BusinessCalendar.of(group[0].engagement)
    return [
        (item_id, rule, _spell(since))
        for item_id, since in waiting
        for rule in group
        if _has_waited(rule, since, calendar, now)
    ]


# runs the event rules (the care manifest registers it)
CONSUMER = Consumer(
    name="care.automations",
    handle=lambda event: on_events([event]),
    handle_batch=on_events,
    kinds=frozenset().union(*rules.EVENT_KINDS.values()),
)
