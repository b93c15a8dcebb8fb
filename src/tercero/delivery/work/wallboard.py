"""The live queue wallboard: per queue, who is waiting, the longest wait, the service
level today and the chats and calls given up on today. Two queries whatever the volume.

Definitions (docs/operations.md, "The queue wallboard"):

- waiting = items queued for an agent now; longest wait = now - the oldest queued time;
- service level today = of the items received today with a first-response target that
  were answered or are past that target, the share answered in time; a queue with no
  first-response targets uses its items resolved today whose SLA was judged;
- abandoned = chats and calls received today that ended (cancelled, resolved or closed)
  before anyone answered them;
- today starts at midnight in the site's time zone setting (`TIME_ZONE`).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, F, Min, Q
from django.utils import timezone

from tercero.delivery.work import access, lifecycle, queue_hours
from tercero.delivery.work.floor_agents import start_of_today
from tercero.delivery.work.models import Channel, Queue, WorkItem
from tercero.platform.identity.models import User

LIVE_CHANNELS = (Channel.CHAT, Channel.PHONE)
ENDED = (lifecycle.CANCELLED, lifecycle.RESOLVED, lifecycle.CLOSED)


@dataclass(frozen=True)
class QueueBoard:
    queue: Queue
    waiting: int
    longest_wait_seconds: int | None
    service_level_percent: float | None
    measured: int
    abandoned: int
    hours_state: str = ""  # a queue with its own hours: open until, or when it opens


def _figures(
    client_ids: list[int], now: datetime, viewer: User | None
) -> dict[int, dict[str, Any]]:
    start = start_of_today(now)
    today = Q(created_at__gte=start)
    with_target = today & Q(response_due_at__isnull=False)
    answered = Q(first_response_at__isnull=False)
    due = with_target & (answered | Q(response_due_at__lte=now))
    in_time = with_target & Q(first_response_at__lte=F("response_due_at"))
    judged = Q(resolved_at__gte=start, sla_met__isnull=False)
    rows = (
        access.restrict(viewer, WorkItem.objects.filter(client_id__in=client_ids), client_ids)
        .filter(Q(status__in=lifecycle.OPEN) | today | Q(resolved_at__gte=start))
        .values("queue_id")
        .annotate(
            waiting=Count("id", filter=Q(status=lifecycle.QUEUED)),
            oldest=Min("queued_at", filter=Q(status=lifecycle.QUEUED)),
            due=Count("id", filter=due),
            in_time=Count("id", filter=in_time),
            judged=Count("id", filter=judged),
            met=Count("id", filter=judged & Q(sla_met=True)),
            abandoned=Count(
                "id",
                filter=today
                & Q(channel__in=LIVE_CHANNELS, status__in=ENDED, first_response_at__isnull=True),
            ),
        )
        .order_by()
    )
    return {row["queue_id"]: dict(row) for row in rows}


def _service_level(row: dict[str, Any]) -> tuple[float | None, int]:
    if row.get("due"):
        return round(100 * row["in_time"] / row["due"], 1), row["due"]
    if row.get("judged"):
        return round(100 * row["met"] / row["judged"], 1), row["judged"]
    return None, 0


def boards(
    *,
    client_ids: list[int],
    now: datetime,
    client_id: int | None = None,
    viewer: User | None = None,
) -> list[QueueBoard]:
    """Every active queue of the caller's clients (or of one of them), in client order,
    counting the items the viewer may see (the data-residency rule applies)."""
    ids = [client_id] if client_id in client_ids else client_ids
    figures = _figures(ids, now, viewer)
    found = []
    for queue in (
        Queue.objects.filter(client_id__in=ids, is_active=True)
        .select_related("engagement__client")
        .order_by("engagement__client__legal_name", "engagement__name", "name")
    ):
        row = figures.get(queue.pk, {})
        oldest = row.get("oldest")
        level, measured = _service_level(row)
        found.append(
            QueueBoard(
                queue=queue,
                waiting=row.get("waiting", 0),
                longest_wait_seconds=int((now - oldest).total_seconds()) if oldest else None,
                service_level_percent=level,
                measured=measured,
                abandoned=row.get("abandoned", 0),
                hours_state=queue_hours.state_in_words(queue, now),
            )
        )
    return found


def totals(found: list[QueueBoard], now: datetime) -> dict[str, Any]:
    """The whole board's figures: service level weighted by what each queue measured."""
    measured = sum(board.measured for board in found)
    met = sum(
        board.service_level_percent * board.measured / 100
        for board in found
        if board.service_level_percent is not None
    )
    waits = [b.longest_wait_seconds for b in found if b.longest_wait_seconds is not None]
    return {
        "waiting": sum(board.waiting for board in found),
        "longest_wait_seconds": max(waits) if waits else None,
        "service_level_percent": round(100 * met / measured, 1) if measured else None,
        "abandoned": sum(board.abandoned for board in found),
        "now": timezone.localtime(now),
    }
