"""Reads of queues, items, events and agents, always within the caller's clients."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.db.models import Avg, Count, F, Min, Q, QuerySet
from django.utils import timezone

from tercero.delivery.engagements.models import Engagement
from tercero.delivery.work import lifecycle
from tercero.delivery.work.models import Attachment, Comment, Queue, WorkEvent, WorkItem
from tercero.delivery.workforce.models import Agent, Clearance
from tercero.platform.api import rows
from tercero.platform.errors import NotFound

RUNNING = (lifecycle.NEW, lifecycle.QUEUED, lifecycle.ASSIGNED, lifecycle.IN_PROGRESS)


def queues(
    *,
    client_ids: list[int],
    client_id: int | None = None,
    engagement_id: int | None = None,
    routing: str | None = None,
    is_active: bool | None = None,
    q: str = "",
) -> QuerySet[Queue]:
    found = Queue.objects.filter(client_id__in=client_ids)
    if client_id is not None:
        found = found.filter(client_id=client_id)
    if engagement_id is not None:
        found = found.filter(engagement_id=engagement_id)
    if routing:
        found = found.filter(routing=routing)
    if is_active is not None:
        found = found.filter(is_active=is_active)
    if q:
        found = found.filter(name__icontains=q)
    return found


def queue_taking(*, engagement_id: int, work_type: str) -> Queue | None:
    """The engagement's first open queue that takes `work_type` items, or None."""
    for queue in Queue.objects.filter(engagement_id=engagement_id, is_active=True).order_by("pk"):
        if work_type in queue.work_types:
            return queue
    return None


def access_queue(*, client_ids: list[int], queue_id: int) -> Queue:
    """The queue with its engagement (what intake checks first), or NotFound when it is
    not one of `client_ids`'. One hand-written statement: every create through the API
    runs it, and the query compiler cost more than the insert (`platform.api.rows`)."""
    if not client_ids:
        raise NotFound("Queue not found.")
    queue, engagement = rows.columns(Queue, "q"), rows.columns(Engagement, "e")
    row = rows.fetch_one(
        f"SELECT {queue.sql}, {engagement.sql} FROM {Queue._meta.db_table} q"
        f" JOIN {Engagement._meta.db_table} e ON e.id = q.engagement_id"
        f" WHERE q.id = %s AND q.client_id IN ({rows.placeholders(len(client_ids))})",
        [queue_id, *client_ids],
    )
    if row is None:
        raise NotFound("Queue not found.")
    found = queue.build(row)
    Queue.engagement.field.set_cached_value(found, engagement.build(row, len(queue.names)))
    return found


def sla_state_filter(state: str, *, now: datetime) -> Q:
    """Items whose running clock is in `state` now (a paused clock counts as it stood
    when it paused; a finished item by whether it met its due time)."""
    running = Q(status__in=RUNNING)
    paused = Q(status__in=lifecycle.WAITING)
    if state == "none":
        return Q(due_at__isnull=True)
    if state == "breached":
        return (
            (running & Q(due_at__lte=now))
            | (paused & Q(due_at__lte=F("waiting_since")))
            | Q(sla_met=False)
        )
    if state == "at_risk":
        return (running & Q(at_risk_at__lte=now, due_at__gt=now)) | (
            paused & Q(at_risk_at__lte=F("waiting_since"), due_at__gt=F("waiting_since"))
        )
    if state == "on_track":
        return (
            (running & Q(at_risk_at__gt=now))
            | (paused & Q(at_risk_at__gt=F("waiting_since")))
            | Q(sla_met=True)
        )
    raise ValueError(state)


def items(
    *,
    client_ids: list[int],
    client_id: int | None = None,
    engagement_id: int | None = None,
    queue_id: int | None = None,
    status: list[str] | None = None,
    sla_state: str | None = None,
    assignee_id: int | None = None,
    unassigned: bool | None = None,
    priority: int | None = None,
    work_type: str | None = None,
    work_types: Sequence[str] | None = None,
    channel: str | None = None,
    external_ref: str | None = None,
    due_before: datetime | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    q: str = "",
) -> QuerySet[WorkItem]:
    found = WorkItem.objects.filter(client_id__in=client_ids).select_related("engagement")
    exact = {
        "client_id": client_id,
        "engagement_id": engagement_id,
        "queue_id": queue_id,
        "assignee_id": assignee_id,
        "priority": priority,
        "work_type": work_type or None,
        "channel": channel or None,
        "external_ref": external_ref or None,
    }
    found = found.filter(**{name: value for name, value in exact.items() if value is not None})
    if work_types is not None:
        found = found.filter(work_type__in=list(work_types))
    if status:
        found = found.filter(status__in=status)
    if unassigned is not None:
        found = found.filter(assignee__isnull=unassigned)
    if sla_state:
        found = found.filter(sla_state_filter(sla_state, now=timezone.now()))
    if due_before is not None:
        found = found.filter(due_at__lt=due_before)
    if created_after is not None:
        found = found.filter(created_at__gte=created_after)
    if created_before is not None:
        found = found.filter(created_at__lt=created_before)
    if q:
        found = found.filter(Q(title__icontains=q) | Q(external_ref__icontains=q))
    return found


def access_item(*, client_ids: list[int], item_id: int) -> WorkItem:
    found = (
        WorkItem.objects.filter(client_id__in=client_ids, pk=item_id)
        .select_related("engagement", "queue")
        .first()
    )
    if found is None:
        raise NotFound("Work item not found.")
    return found


def events_of(*, item: WorkItem) -> QuerySet[WorkEvent]:
    return WorkEvent.objects.filter(item=item).order_by("id")


def comments_of(*, item: WorkItem, include_internal: bool) -> QuerySet[Comment]:
    found = Comment.objects.filter(item=item).select_related("author")
    return found if include_internal else found.filter(internal=False)


def queue_stats(*, queue: Queue) -> dict[str, Any]:
    now = timezone.now()
    mine = WorkItem.objects.filter(queue=queue)
    by_status = dict(mine.values_list("status").annotate(n=Count("id")))
    waiting = mine.filter(status=lifecycle.QUEUED)
    oldest = waiting.aggregate(oldest=Min("queued_at"))["oldest"]
    handled = mine.filter(resolved_at__isnull=False)
    cleared = Clearance.objects.filter(engagement_id=queue.engagement_id)
    return {
        "queue_id": queue.pk,
        "by_status": {status: by_status.get(status, 0) for status in lifecycle.STATUSES},
        "open": sum(by_status.get(s, 0) for s in lifecycle.OPEN),
        "oldest_waiting_seconds": int((now - oldest).total_seconds()) if oldest else 0,
        "at_risk": mine.filter(sla_state_filter("at_risk", now=now)).count(),
        "breached_open": mine.filter(status__in=lifecycle.OPEN)
        .filter(sla_state_filter("breached", now=now))
        .count(),
        "resolved": handled.count(),
        "resolved_within_sla_percent": _percent(
            handled.filter(sla_met=True).count(), handled.exclude(sla_met=None).count()
        ),
        "average_handle_seconds": int(handled.aggregate(avg=Avg("handle_seconds"))["avg"] or 0),
        "agents_cleared": cleared.count(),
        "agents_available": cleared.filter(agent__presence=Agent.Presence.AVAILABLE).count(),
    }


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def agents(
    *,
    client_ids: list[int],
    site_id: int | None = None,
    presence: str | None = None,
    engagement_id: int | None = None,
    skill: str | None = None,
    language: str | None = None,
    q: str = "",
) -> QuerySet[Agent]:
    """Agents are provider staff; a caller sees those granted to one of its clients."""
    found = (
        Agent.objects.filter(user__grants__client_id__in=client_ids)
        .select_related("user", "site")
        .distinct()
    )
    if site_id is not None:
        found = found.filter(site_id=site_id)
    if presence:
        found = found.filter(presence=presence)
    if engagement_id is not None:
        found = found.filter(clearances__engagement_id=engagement_id)
    if q:
        found = found.filter(Q(user__full_name__icontains=q) | Q(user__email__icontains=q))
    if skill:
        found = found.filter(skills__has_key=skill)
    if language:
        # a list of two-letter codes stored as JSON text: match the quoted code
        found = found.filter(languages__icontains=f'"{language.lower()[:2]}"')
    return found


def access_agent(*, client_ids: list[int], agent_id: int) -> Agent:
    found = (
        Agent.objects.filter(pk=agent_id, user__grants__client_id__in=client_ids)
        .select_related("user", "site")
        .first()
    )
    if found is None:
        raise NotFound("Agent not found.")
    return found


def clearances_of(*, agent: Agent, client_ids: list[int]) -> QuerySet[Clearance]:
    return Clearance.objects.filter(agent=agent, client_id__in=client_ids).select_related(
        "engagement"
    )


def attachments_of(*, item: WorkItem) -> QuerySet[Attachment]:
    return Attachment.objects.filter(item=item)


def access_attachment(*, client_ids: list[int], attachment_id: int) -> Attachment:
    found = (
        Attachment.objects.filter(client_id__in=client_ids, pk=attachment_id)
        .select_related("item")
        .first()
    )
    if found is None:
        raise NotFound("Attachment not found.")
    return found


# --- SLA attainment: the one count the SLA reports and billing's credits share -----------


def attainment(found: QuerySet[WorkItem], key: str) -> list[dict[str, Any]]:
    """Per `key` value: items measured, met, and the percentage met."""
    rows = (
        found.exclude(sla_met=None)
        .values(key)
        .annotate(measured=Count("id"), met=Count("id", filter=Q(sla_met=True)))
        .order_by(key)
    )
    return [
        {
            "key": row[key],
            "measured": row["measured"],
            "met": row["met"],
            "percent": round(100 * row["met"] / row["measured"], 1) if row["measured"] else None,
        }
        for row in rows
    ]


def resolved_between(*, client_ids: list[int], first: date, last: date) -> QuerySet[WorkItem]:
    """Items of `client_ids` resolved from `first` to `last` (inclusive): what the
    monthly SLA report measures."""
    return WorkItem.objects.filter(
        client_id__in=client_ids, resolved_at__date__gte=first, resolved_at__date__lte=last
    )


def sla_measurements(
    *, client_ids: list[int], engagement_id: int, first: date, last: date
) -> list[dict[str, Any]]:
    """Each item of the engagement resolved from `first` to `last`, with its clocks: id,
    work type, the resolution deadline and whether it was met (`sla_met`, as the report
    counts it), the first-response deadline and the first response."""
    return [
        dict(row)
        for row in resolved_between(client_ids=client_ids, first=first, last=last)
        .filter(engagement_id=engagement_id)
        .values("id", "work_type", "due_at", "sla_met", "response_due_at", "first_response_at")
        .order_by("id")
    ]
