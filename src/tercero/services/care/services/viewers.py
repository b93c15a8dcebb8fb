"""Collision warning: who else has the ticket open, or is replying to it."""

from datetime import timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from tercero.services.care.models import (
    Viewer,
)

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkItem


VIEWER_TTL = timedelta(seconds=45)


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
