"""Every change the care desk makes: replies (an e-mail that threads in the customer's
mail program, or a chat line), internal notes, macros, custom field values, linking,
merging and splitting tickets, support tier escalation and hand-back, checklists."""

import uuid
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.core.mail import EmailMessage, make_msgid
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from tercero.delivery.work import lifecycle, personal, registry
from tercero.delivery.work import services as work
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput, NotFound
from tercero.platform.security import crypto
from tercero.platform.security.redact import redact_cards
from tercero.platform.versioning import update_versioned
from tercero.services.care import inbound
from tercero.services.care.models import (
    Article,
    ChatSession,
    Checklist,
    ChecklistProgress,
    CustomField,
    CustomValue,
    Macro,
    Mailbox,
    Message,
    TicketLink,
    TierQueue,
    Viewer,
)

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkItem

CARE_TYPES = ("care.ticket", "support.ticket", "care.call")
TIERS = ("L1", "L2", "L3")
MIN_ESCALATION_NOTE = 20
VIEWER_TTL = timedelta(seconds=45)


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


def _subject(ticket: "WorkItem") -> str:
    token = inbound.token_of(ticket.pk)
    title = ticket.title if ticket.title.lower().startswith("re:") else f"Re: {ticket.title}"
    return title if token in title else f"{title} {token}"


def _refuse_closed(ticket: "WorkItem") -> None:
    if ticket.status in (lifecycle.CLOSED, lifecycle.CANCELLED):
        raise Conflict(f"The ticket is {ticket.status}; reopen it first.", code="ticket_closed")


def _local_id(kind: str) -> str:
    return f"<{kind}-{uuid.uuid4().hex}@tercero.invalid>"


def _chat_line(*, actor, ticket: "WorkItem", body: str) -> Message:
    with transaction.atomic():
        line = Message.objects.create(
            client_id=ticket.client_id,
            item=ticket,
            direction=Message.Direction.OUTBOUND,
            channel="chat",
            message_id=_local_id("chat"),
            body=body,
        )
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


# --- macros and fields ---------------------------------------------------------------


def _change_payload(*, actor, ticket: "WorkItem", version: int, **changes) -> "WorkItem":
    return work.update_item(
        actor=actor,
        item=ticket,
        version=version,
        changes={"payload": {**ticket.payload, **changes}},
    )


def apply_macro(*, actor, ticket: "WorkItem", macro: Macro, version: int) -> "WorkItem":
    """The macro's reply goes to the customer, its tags and priority are set, then its
    life-cycle action (wait on the customer, or resolve) is taken — all or nothing."""
    if macro.engagement_id != ticket.engagement_id or not macro.is_active:
        raise NotFound("Macro not found.")
    with transaction.atomic():
        current = ticket
        tags = sorted({*ticket.payload.get("tags", []), *macro.add_tags})
        if tags != sorted(ticket.payload.get("tags", [])):
            current = _change_payload(actor=actor, ticket=current, version=version, tags=tags)
            version = current.version
        if macro.set_priority and macro.set_priority != current.priority:
            current = work.update_item(
                actor=actor, item=current, version=version, changes={"priority": macro.set_priority}
            )
            version = current.version
        if macro.reply.strip():
            reply(actor=actor, ticket=current, body=macro.reply)
            current.refresh_from_db()
            version = current.version
        if macro.then == "wait":
            current = work.transition(
                actor=actor, item=current, action="wait", waiting_on="customer", version=version
            )
        elif macro.then == "resolve":
            current = work.transition(
                actor=actor,
                item=current,
                action="resolve",
                version=version,
                resolution=f"Macro: {macro.name}",
            )
    return current


def clean_custom_value(field: CustomField, raw) -> str:
    """The value as stored, or InvalidInput saying what the field accepts."""
    text = "" if raw is None else str(raw).strip()
    if not text:
        if field.is_required:
            raise InvalidInput(f"{field.label} is required.", fields={field.key: "required"})
        return ""
    if field.kind == CustomField.Kind.NUMBER:
        try:
            Decimal(text)
        except InvalidOperation:
            raise InvalidInput(
                f"{field.label} must be a number.", fields={field.key: "number"}
            ) from None
    elif field.kind == CustomField.Kind.DATE:
        try:
            date.fromisoformat(text)
        except ValueError:
            raise InvalidInput(
                f"{field.label} must be a date (YYYY-MM-DD).", fields={field.key: "date"}
            ) from None
    elif field.kind == CustomField.Kind.CHOICE and text not in field.choices:
        raise InvalidInput(
            f"{field.label} must be one of: {', '.join(field.choices)}.",
            fields={field.key: "choice"},
        )
    elif field.kind == CustomField.Kind.CHECKBOX:
        if text.lower() not in ("yes", "no", "true", "false", "on", "off", "1", "0"):
            raise InvalidInput(f"{field.label} is yes or no.", fields={field.key: "yes/no"})
        text = "yes" if text.lower() in ("yes", "true", "on", "1") else "no"
    return redact_cards(text)[:500]


def set_custom_values(*, actor, ticket: "WorkItem", values: dict) -> dict[str, str]:
    """Store the engagement's custom fields for the ticket. Every field is checked first;
    one bad value stores none. Fields the form does not name are left as they were."""
    fields = {f.key: f for f in CustomField.objects.filter(engagement_id=ticket.engagement_id)}
    unknown = set(values) - set(fields)
    if unknown:
        raise InvalidInput(
            "These fields do not exist on this engagement.",
            fields=dict.fromkeys(sorted(unknown), "unknown"),
        )
    cleaned = {key: clean_custom_value(fields[key], raw) for key, raw in values.items()}
    with transaction.atomic():
        for key, value in cleaned.items():
            CustomValue.objects.update_or_create(
                client_id=ticket.client_id,
                item=ticket,
                field=fields[key],
                defaults={"value": value},
            )
        work.comment(
            actor=actor,
            item=ticket,
            body="Fields changed: " + ", ".join(fields[k].label for k in sorted(cleaned)),
            internal=True,
        )
    return cleaned


def missing_required(ticket: "WorkItem") -> list[str]:
    """Labels of required custom fields the ticket has no value for."""
    filled = set(
        CustomValue.objects.filter(item=ticket).exclude(value="").values_list("field_id", flat=True)
    )
    return [
        f.label
        for f in CustomField.objects.filter(engagement_id=ticket.engagement_id, is_required=True)
        if f.pk not in filled
    ]


def resolve(*, actor, ticket: "WorkItem", resolution: str, version: int) -> "WorkItem":
    """Resolve from the desk: the engagement's required fields must be filled first."""
    missing = missing_required(ticket)
    if missing:
        raise InvalidInput(
            "Fill in the required fields first: " + ", ".join(missing) + ".",
            code="incomplete",
            fields={"custom_fields": missing},
        )
    return work.transition(
        actor=actor, item=ticket, action="resolve", version=version, resolution=resolution
    )


# --- linking, merging, splitting -----------------------------------------------------


def _check_pair(source: "WorkItem", target: "WorkItem") -> None:
    if source.pk == target.pk:
        raise InvalidInput("A ticket cannot be linked to itself.", fields={"target": "same"})
    if source.client_id != target.client_id or target.work_type not in CARE_TYPES:
        raise NotFound("Ticket not found.")


def link(*, actor, source: "WorkItem", target: "WorkItem") -> TicketLink:
    """Mark two tickets as related (shown on both)."""
    _check_pair(source, target)
    if TicketLink.objects.filter(source=target, target=source).exists():
        raise Conflict("These tickets are already linked.", code="already_linked")
    try:
        with transaction.atomic():
            made = TicketLink.objects.create(
                client_id=source.client_id,
                source=source,
                target=target,
                kind=TicketLink.Kind.RELATED,
                created_by=actor,
            )
            work.comment(actor=actor, item=source, body=f"Linked to #{target.pk}.")
    except IntegrityError:
        raise Conflict("These tickets are already linked.", code="already_linked") from None
    return made


def merge(*, actor, source: "WorkItem", target: "WorkItem") -> "WorkItem":
    """Fold a duplicate into `target`: its conversation moves over, it is cancelled with
    a pointer to `target`, and replies to its old e-mails now thread into `target`."""
    _check_pair(source, target)
    for ticket in (source, target):
        if ticket.status not in lifecycle.OPEN:
            raise Conflict(
                f"Ticket #{ticket.pk} is {ticket.status}; only open tickets merge.",
                code="not_open",
            )
    with transaction.atomic():
        moved = Message.objects.filter(item=source).update(item=target)
        ChatSession.objects.filter(item=source).update(ended_at=timezone.now())
        TicketLink.objects.update_or_create(
            client_id=source.client_id,
            source=source,
            target=target,
            defaults={"kind": TicketLink.Kind.MERGED, "created_by": actor},
        )
        work.transition(
            actor=actor, item=source, action="cancel", reason=f"Merged into #{target.pk}"
        )
        add_note(
            actor=actor,
            ticket=target,
            body=f"Ticket #{source.pk} ({source.title}) was merged into this one; "
            f"{moved} message(s) moved here.",
        )
    target.refresh_from_db()
    return target


def split(*, actor, ticket: "WorkItem", message: Message, subject: str) -> "WorkItem":
    """Make `message` (and the customer's later messages answering it) a new ticket for
    the same requester, linked back to the one it came from."""
    if message.item_id != ticket.pk or message.direction != Message.Direction.INBOUND:
        raise InvalidInput(
            "Only a customer's message of this ticket can be split off.",
            fields={"message": "not an inbound message of this ticket"},
        )
    if Message.objects.filter(item=ticket, direction=Message.Direction.INBOUND).count() < 2:
        raise InvalidInput(
            "The ticket has only one customer message; there is nothing to split.",
            fields={"message": "only message"},
        )
    subject = (subject or "").strip() or message.subject or ticket.title
    with transaction.atomic():
        payload = {**ticket.payload, "subject": subject[:300]}
        work_type_fields = registry.get(ticket.work_type).personal_fields
        payload = personal.unsealed_for_edit(
            stored=ticket.payload, incoming=payload, names=work_type_fields
        )
        new = work.create_item(
            actor=actor,
            queue=ticket.queue,
            work_type=ticket.work_type,
            channel=ticket.channel,
            priority=ticket.priority,
            payload=payload,
        )
        Message.objects.filter(pk=message.pk).update(item=new)
        TicketLink.objects.create(
            client_id=ticket.client_id,
            source=new,
            target=ticket,
            kind=TicketLink.Kind.SPLIT,
            created_by=actor,
        )
        add_note(actor=actor, ticket=ticket, body=f"A message was split off into #{new.pk}.")
    return new


# --- technical support tiers ---------------------------------------------------------


def escalate_tier(*, actor, ticket: "WorkItem", note: str, version: int) -> "WorkItem":
    """L1 -> L2 -> L3 with a note saying what was tried (checklist progress is added);
    the ticket goes to the engagement's queue for the new tier, if it has one."""
    tier = ticket.payload.get("tier", "L1")
    if ticket.work_type != "support.ticket":
        raise InvalidInput("Only technical support tickets have tiers.", code="no_tiers")
    if tier == TIERS[-1]:
        raise Conflict("The ticket is already at the last tier (L3).", code="last_tier")
    return _change_tier(
        actor=actor, ticket=ticket, tier=TIERS[TIERS.index(tier) + 1], note=note, version=version
    )


def hand_back(*, actor, ticket: "WorkItem", note: str, version: int) -> "WorkItem":
    """Return a ticket escalated to L2/L3 to L1 with a note on what to do next."""
    if ticket.work_type != "support.ticket" or ticket.payload.get("tier", "L1") == "L1":
        raise Conflict("Only a ticket at L2 or L3 can be handed back.", code="at_first_tier")
    return _change_tier(actor=actor, ticket=ticket, tier="L1", note=note, version=version)


def _change_tier(*, actor, ticket: "WorkItem", tier: str, note: str, version: int) -> "WorkItem":
    note = (note or "").strip()
    if len(note) < MIN_ESCALATION_NOTE:
        raise InvalidInput(
            f"Write an escalation note of at least {MIN_ESCALATION_NOTE} characters: "
            "what the customer reported and what was tried.",
            fields={"note": f"at least {MIN_ESCALATION_NOTE} characters"},
        )
    if ticket.status not in lifecycle.OPEN:
        raise Conflict(f"The ticket is {ticket.status}.", code="not_open")
    before = ticket.payload.get("tier", "L1")
    with transaction.atomic():
        current = _change_payload(actor=actor, ticket=ticket, version=version, tier=tier)
        verb = "Handed back" if tier == "L1" else "Escalated"
        add_note(
            actor=actor,
            ticket=current,
            body=f"{verb} {before} -> {tier}: {note}{checklist_summary(current)}",
        )
        route = TierQueue.objects.filter(engagement_id=current.engagement_id, tier=tier).first()
        if route is not None and route.queue_id != current.queue_id:
            current = work.transfer(
                actor=actor, item=current, queue=route.queue, reason=f"{verb} to {tier}"
            )
    return current


def checklists_for(ticket: "WorkItem") -> list[Checklist]:
    product = (ticket.payload.get("product") or "").strip()
    if not product:
        return []
    return list(
        Checklist.objects.filter(
            client_id=ticket.client_id, product__iexact=product, is_active=True
        )
    )


def tick(*, actor, ticket: "WorkItem", checklist: Checklist, step: int, done: bool) -> list[int]:
    """Tick or untick one step of a product checklist on the ticket."""
    if checklist.client_id != ticket.client_id or checklist not in checklists_for(ticket):
        raise NotFound("Checklist not found.")
    if not 0 <= step < len(checklist.steps):
        raise InvalidInput("No such step.", fields={"step": f"0-{len(checklist.steps) - 1}"})
    with transaction.atomic():
        progress, _ = ChecklistProgress.objects.select_for_update().get_or_create(
            client_id=ticket.client_id, item=ticket, checklist=checklist
        )
        ticked = set(progress.done)
        (ticked.add if done else ticked.discard)(step)
        progress.done = sorted(ticked)
        progress.updated_at = timezone.now()
        progress.save(update_fields=["done", "updated_at"])
    return progress.done


def checklist_summary(ticket: "WorkItem") -> str:
    lines = []
    progress = {p.checklist_id: set(p.done) for p in ChecklistProgress.objects.filter(item=ticket)}
    for checklist in checklists_for(ticket):
        done = progress.get(checklist.pk, set())
        lines.append(
            f"\n{checklist.title}: {len(done)}/{len(checklist.steps)} steps done"
            + "".join(
                f"\n  [{'x' if i in done else ' '}] {step}"
                for i, step in enumerate(checklist.steps)
            )
        )
    return "".join(lines)


# --- collision warning ---------------------------------------------------------------


def seen(*, user, ticket: "WorkItem", replying: bool = False) -> list[Viewer]:
    """Record that `user` has the ticket open (and whether they are typing a reply);
    return the other people who have it open now."""
    now = timezone.now()
    Viewer.objects.update_or_create(
        client_id=ticket.client_id,
        item=ticket,
        user=user,
        defaults={"seen_at": now, "is_replying": replying},
    )
    return list(
        Viewer.objects.filter(item=ticket, seen_at__gte=now - VIEWER_TTL)
        .exclude(user=user)
        .select_related("user")
        .order_by("user__full_name")
    )


def left(*, user, ticket: "WorkItem") -> None:
    Viewer.objects.filter(item=ticket, user=user).delete()


# --- knowledge base -------------------------------------------------------------------

ARTICLE_FIELDS = ("title", "summary", "body", "keywords", "visibility", "kind", "product")


def _clean_article(fields: dict) -> dict:
    unknown = set(fields) - set(ARTICLE_FIELDS) - {"slug"}
    if unknown:
        raise InvalidInput(
            "These fields cannot be set.", fields=dict.fromkeys(sorted(unknown), "unknown")
        )
    cleaned = {k: redact_cards(str(v).strip()) for k, v in fields.items() if v is not None}
    problems = {}
    for name, limit in (("title", 200), ("summary", 300), ("keywords", 500), ("product", 100)):
        if len(cleaned.get(name, "")) > limit:
            problems[name] = f"at most {limit} characters"
    if "title" in cleaned and not cleaned["title"]:
        problems["title"] = "required"
    if "body" in cleaned and not cleaned["body"]:
        problems["body"] = "required"
    if cleaned.get("visibility", "internal") not in Article.Visibility.values:
        problems["visibility"] = "internal or public"
    if cleaned.get("kind", "article") not in Article.Kind.values:
        problems["kind"] = "article or guide"
    if problems:
        raise InvalidInput("Please check the highlighted fields.", fields=problems)
    return cleaned


def _free_slug(client_id: int, title: str, wanted: str = "") -> str:
    base = slugify(wanted or title)[:100] or "article"
    slug, n = base, 1
    while Article.objects.filter(client_id=client_id, slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_article(*, actor, client_id: int, **fields) -> Article:
    """A draft article; `publish_article` puts it live."""
    cleaned = _clean_article(fields)
    for name in ("title", "body"):
        if not cleaned.get(name):
            raise InvalidInput("Please check the highlighted fields.", fields={name: "required"})
    with transaction.atomic():
        cleaned["slug"] = _free_slug(client_id, cleaned["title"], cleaned.get("slug", ""))
        article = Article.objects.create(client_id=client_id, created_by=actor, **cleaned)
        record(
            action="care.article.created",
            actor=actor,
            client=client_id,
            object_type="article",
            object_id=article.pk,
        )
    return article


def update_article(*, actor, article: Article, version: int | None, changes: dict) -> Article:
    """Edit an article if nobody changed it since `version` (else 409)."""
    cleaned = _clean_article(changes)
    cleaned.pop("slug", None)
    with transaction.atomic():
        update_versioned(
            Article,
            pk=article.pk,
            version=version if version is not None else -1,
            changes={**cleaned, "updated_at": timezone.now()},
            what="article",
        )
        record(
            action="care.article.updated",
            actor=actor,
            client=article.client_id,
            object_type="article",
            object_id=article.pk,
            payload={"fields": sorted(cleaned)},
        )
    article.refresh_from_db()
    return article


def publish_article(*, actor, article: Article, version: int | None, published: bool) -> Article:
    """Put an article live (agents; the help centre too when public) or back to draft."""
    status = Article.Status.PUBLISHED if published else Article.Status.DRAFT
    with transaction.atomic():
        update_versioned(
            Article,
            pk=article.pk,
            version=version if version is not None else -1,
            changes={
                "status": status,
                "published_at": timezone.now() if published else None,
                "updated_at": timezone.now(),
            },
            what="article",
        )
        record(
            action="care.article.published" if published else "care.article.unpublished",
            actor=actor,
            client=article.client_id,
            object_type="article",
            object_id=article.pk,
        )
    article.refresh_from_db()
    return article


def delete_article(*, actor, article: Article) -> None:
    with transaction.atomic():
        record(
            action="care.article.deleted",
            actor=actor,
            client=article.client_id,
            object_type="article",
            object_id=article.pk,
            payload={"title": article.title},
        )
        article.delete()
