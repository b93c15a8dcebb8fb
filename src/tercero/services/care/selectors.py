"""Reads for the care desk."""

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from tercero.delivery.work import access, selectors
from tercero.platform.errors import NotFound
from tercero.platform.identity.models import User
from tercero.platform.identity.roles import PROVIDER_ROLES
from tercero.platform.security import crypto
from tercero.services.care.automation_rules import Options
from tercero.services.care.models import (
    Article,
    Automation,
    AutomationRun,
    ChatSession,
    Checklist,
    CustomField,
    CustomValue,
    Macro,
    Mailbox,
    Message,
    Survey,
    TicketLink,
    TierQueue,
    WebChannel,
)

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkItem

CARE_TYPES = ("care.ticket", "support.ticket", "care.call")


def access_mailbox(*, client_ids: list[int], mailbox_id: int) -> Mailbox:
    found = Mailbox.objects.filter(client_id__in=client_ids, pk=mailbox_id).first()
    if found is None:
        raise NotFound("Mailbox not found.")
    return found


def access_ticket(*, user, client_ids: list[int], item_id: int) -> "WorkItem":
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


def conversation(*, ticket: "WorkItem", include_notes: bool = True) -> list[dict]:
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


def links_of(*, ticket: "WorkItem", viewer: User | None = None) -> list[dict]:
    """Tickets linked to this one, whichever side made the link, but none of an
    engagement whose residency rule hides its items from the viewer's site."""
    found = TicketLink.objects.filter(Q(source=ticket) | Q(target=ticket)).select_related(
        "source", "target"
    )
    hidden = set(access.residency_blocked(viewer, [ticket.client_id])) if viewer else set()
    out = []
    for link in found:
        other = link.target if link.source_id == ticket.pk else link.source
        if other.personal_data and other.engagement_id in hidden:
            continue
        if link.kind == TicketLink.Kind.RELATED:
            label = "Related"
        elif link.kind == TicketLink.Kind.SPLIT:
            label = "Split from" if link.source_id == ticket.pk else "Split off into"
        else:
            label = "Merged into" if link.source_id == ticket.pk else "Merged from"
        out.append({"label": label, "ticket": other})
    return out


def custom_fields(*, ticket: "WorkItem") -> list[dict]:
    values = dict(CustomValue.objects.filter(item=ticket).values_list("field_id", "value"))
    return [
        {"field": f, "value": values.get(f.pk, "")}
        for f in CustomField.objects.filter(engagement_id=ticket.engagement_id, is_active=True)
    ]


def macros_for(*, ticket: "WorkItem"):
    return Macro.objects.filter(engagement_id=ticket.engagement_id, is_active=True)


def chat_open(*, ticket: "WorkItem") -> bool:
    return ChatSession.objects.filter(item=ticket, ended_at__isnull=True).exists()


def customer_online(*, ticket: "WorkItem") -> bool:
    return ChatSession.objects.filter(
        item=ticket,
        ended_at__isnull=True,
        customer_seen_at__gte=timezone.now() - timedelta(seconds=30),
    ).exists()


def survey_of(*, ticket: "WorkItem") -> Survey | None:
    return Survey.objects.filter(item=ticket).first()


def similar_tickets(*, ticket: "WorkItem", limit: int = 5):
    """Open tickets of the same requester (keyed lookup hash), the merge candidates."""
    keys = ticket.subject_keys or []
    found = selectors.items(
        client_ids=[ticket.client_id],
        engagement_id=ticket.engagement_id,
        work_types=CARE_TYPES,
        status=[
            "new",
            "queued",
            "assigned",
            "in_progress",
            "waiting_client",
            "waiting_customer",
        ],
    ).exclude(pk=ticket.pk)
    if not keys:
        return found.none()
    matching = Q()
    for key in keys:
        matching |= Q(subject_keys__icontains=key)
    return found.filter(matching).order_by("-created_at")[:limit]


# --- knowledge base -------------------------------------------------------------------

STOP_WORDS = frozenset(
    """a about after again all am an and any are as at be been before being but by can
    cannot could did do does doing don for from get got had has have having he her
    here him his how i if in into is it its just me more most my myself no nor not
    now of off on once only or other our out over own please same she should so some
    such than that the their them then there these they this those through to too
    under until up us very want was we were what when where which while who why will
    with would you your yours hi hello thanks thank help need anyone""".split()  # noqa: SIM905
)
WORD = re.compile(r"[^\W_]+", re.UNICODE)


def search_terms(text: str) -> list[str]:
    """The meaningful words of a question, lower-case, stop words dropped, at most 12."""
    seen: list[str] = []
    for word in WORD.findall((text or "").lower()):
        if word not in STOP_WORDS and len(word) > 1 and word not in seen:
            seen.append(word)
    return seen[:12]


def articles(*, client_ids: list[int]):
    return Article.objects.filter(client_id__in=client_ids)


def access_article(*, client_ids: list[int], article_id: int) -> Article:
    found = articles(client_ids=client_ids).filter(pk=article_id).first()
    if found is None:
        raise NotFound("Article not found.")
    return found


def search_articles(
    *,
    client_ids: list[int],
    text: str,
    audience: str = "agent",
    product: str = "",
    limit: int = 10,
    include_drafts: bool = False,
) -> list[Article]:
    """Articles ranked by how well they answer `text`: any meaningful word may match
    (a question need not contain every word of the article), titles and keywords weigh
    most. The public sees published public articles; agents also internal ones; staff
    lists may include drafts."""
    terms = search_terms(text)
    if not terms or not client_ids:
        return []
    # who may see what is decided inside the ranking query, before its LIMIT: filtered
    # afterwards, internal articles and drafts could fill the top matches and hide
    # the one public answer
    visible = Visible(published_only=not include_drafts, public_only=audience == "public")
    ranked = _ranked_ids(terms, client_ids, visible)
    found = articles(client_ids=client_ids).filter(pk__in=[pk for pk, _ in ranked])
    if visible.published_only:
        found = found.filter(status=Article.Status.PUBLISHED)
    if visible.public_only:
        found = found.filter(visibility=Article.Visibility.PUBLIC)
    by_id = {a.pk: a for a in found}
    order = [by_id[pk] for pk, _ in ranked if pk in by_id]
    if product:  # the ticket's product first, keeping rank order within each group
        order.sort(key=lambda a: a.product.lower() != product.lower())
    return order[:limit]


@dataclass(frozen=True)
class Visible:
    """Which articles a search may return: published ones only, public ones only."""

    published_only: bool
    public_only: bool

    def sql(self, table: str) -> tuple[str, list[str]]:
        """The condition on `table`'s rows, with its parameters."""
        conditions, params = [], []
        if self.published_only:
            conditions.append(f"{table}.status = %s")
            params.append(Article.Status.PUBLISHED.value)
        if self.public_only:
            conditions.append(f"{table}.visibility = %s")
            params.append(Article.Visibility.PUBLIC.value)
        return "".join(f" AND {c}" for c in conditions), params


RANKED_LIMIT = 200


def _ranked_ids(
    terms: list[str], client_ids: list[int], visible: Visible
) -> list[tuple[int, float]]:
    if connection.vendor == "postgresql":
        query = " | ".join(terms)  # words only (WORD), so nothing here is syntax
        where, where_params = visible.sql("care_article")
        sql = (
            "SELECT id, ts_rank(search, to_tsquery('english', %s), 1) AS rank "
            "FROM care_article WHERE client_id = ANY(%s) "
            f"AND search @@ to_tsquery('english', %s){where} "
            f"ORDER BY rank DESC, id LIMIT {RANKED_LIMIT}"
        )
        params = [query, list(client_ids), query, *where_params]
    else:
        query = " OR ".join(f'"{term}"' for term in terms)
        placeholders = ",".join("%s" for _ in client_ids)
        where, where_params = visible.sql("a")
        sql = (
            "SELECT a.id, bm25(care_article_fts, 10.0, 8.0, 3.0, 1.0) AS rank "
            "FROM care_article_fts JOIN care_article a ON a.id = care_article_fts.rowid "
            f"WHERE care_article_fts MATCH %s AND a.client_id IN ({placeholders}){where} "
            f"ORDER BY rank, a.id LIMIT {RANKED_LIMIT}"
        )
        params = [query, *client_ids, *where_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(row[0], row[1]) for row in cursor.fetchall()]


def suggested_articles(*, ticket: "WorkItem", limit: int = 3) -> list[Article]:
    """Published articles that may answer the open ticket: from its subject and the
    customer's first message, guides for its product first."""
    first = (
        Message.objects.filter(item=ticket, direction=Message.Direction.INBOUND)
        .order_by("created_at", "id")
        .values_list("body", flat=True)
        .first()
    )
    text = f"{ticket.payload.get('subject', ticket.title)} {(first or '')[:500]}"
    return search_articles(
        client_ids=[ticket.client_id],
        text=text,
        audience="agent",
        product=ticket.payload.get("product", ""),
        limit=limit,
    )


# --- automations ----------------------------------------------------------------------


def automations(*, client_ids: list[int]):
    """Every automation rule of the clients, in each engagement's order."""
    return (
        Automation.objects.filter(client_id__in=client_ids)
        .select_related("engagement", "client")
        .order_by("engagement__name", "engagement_id", "position", "id")
    )


def access_automation(*, client_ids: list[int], automation_id: int) -> Automation:
    found = automations(client_ids=client_ids).filter(pk=automation_id).first()
    if found is None:
        raise NotFound("Automation not found.")
    return found


def automation_options(*, engagement) -> Options:
    """What a rule of `engagement` may name: its queues taking care tickets, its active
    macros and mailboxes, and the provider staff who work for its client."""
    queues = selectors.queues(
        client_ids=[engagement.client_id], engagement_id=engagement.pk, is_active=True
    ).order_by("name")
    people = User.objects.filter(
        grants__client_id=engagement.client_id, is_active=True, role__in=PROVIDER_ROLES
    ).order_by("full_name")
    return Options(
        queues={
            q.pk: q.name for q in queues if set(q.work_types) & {"care.ticket", "support.ticket"}
        },
        macros=dict(
            Macro.objects.filter(engagement=engagement, is_active=True).values_list("pk", "name")
        ),
        mailboxes=dict(
            Mailbox.objects.filter(engagement=engagement, is_active=True).values_list(
                "pk", "address"
            )
        ),
        people={u.pk: u.full_name or u.email for u in people},
    )


def automation_runs(*, ticket: "WorkItem"):
    """What the automations did on the ticket, oldest first."""
    return AutomationRun.objects.filter(item=ticket).select_related("automation")


# --- the desk's set-up ----------------------------------------------------------------


def mailboxes(*, client_ids: list[int]):
    return (
        Mailbox.objects.filter(client_id__in=client_ids)
        .select_related("engagement", "queue", "client")
        .order_by("address")
    )


def macros(*, client_ids: list[int]):
    return (
        Macro.objects.filter(client_id__in=client_ids)
        .select_related("engagement", "client")
        .order_by("engagement__name", "name")
    )


def access_macro(*, client_ids: list[int], macro_id: int) -> Macro:
    found = macros(client_ids=client_ids).filter(pk=macro_id).first()
    if found is None:
        raise NotFound("Macro not found.")
    return found


def _found(queryset, pk: int, what: str):
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise NotFound(f"{what} not found.")
    return found


def web_channels(*, client_ids: list[int]):
    return (
        WebChannel.objects.filter(client_id__in=client_ids)
        .select_related("engagement", "queue", "client")
        .order_by("key")
    )


def access_web_channel(*, client_ids: list[int], channel_id: int) -> WebChannel:
    return _found(web_channels(client_ids=client_ids), channel_id, "Web channel")


def custom_field_definitions(*, client_ids: list[int]):
    return (
        CustomField.objects.filter(client_id__in=client_ids)
        .select_related("engagement", "client")
        .order_by("engagement__name", "position", "id")
    )


def access_custom_field(*, client_ids: list[int], field_id: int) -> CustomField:
    return _found(custom_field_definitions(client_ids=client_ids), field_id, "Field")


def checklists(*, client_ids: list[int]):
    return (
        Checklist.objects.filter(client_id__in=client_ids)
        .select_related("client")
        .order_by("product", "title")
    )


def access_checklist(*, client_ids: list[int], checklist_id: int) -> Checklist:
    return _found(checklists(client_ids=client_ids), checklist_id, "Checklist")


def tiers(*, client_ids: list[int]):
    return (
        TierQueue.objects.filter(client_id__in=client_ids)
        .select_related("engagement", "queue", "client")
        .order_by("engagement__name", "tier")
    )


def access_tier(*, client_ids: list[int], tier_id: int) -> TierQueue:
    return _found(tiers(client_ids=client_ids), tier_id, "Tier")
