"""The conditional claim of one chosen item, shared by push, manual assignment and the
SQLite pull: the item moves only from the statuses the caller names, so two takers of
the same item cannot both win (and the database allows one open assignment per item)."""

from datetime import datetime

from django.db.models import F

from tercero.delivery.work import lifecycle
from tercero.delivery.work.models import Assignment, WorkItem
from tercero.delivery.work.services._common import _log
from tercero.delivery.workforce.models import Agent
from tercero.platform.identity.models import User


def take(
    item_id: int,
    agent: Agent,
    *,
    how: str,
    actor: User | None,
    now: datetime,
    sources: tuple[str, ...] = (lifecycle.QUEUED,),
) -> bool:
    """Give the item to `agent` if it is still in one of `sources` (the caller holds the
    transaction); False when someone else moved it first."""
    won = WorkItem.objects.filter(pk=item_id, status__in=sources).update(
        status=lifecycle.ASSIGNED,
        assignee=agent,
        assigned_at=now,
        updated_at=now,
        version=F("version") + 1,
    )
    if not won:
        return False
    item = WorkItem.objects.only("id", "client_id", "engagement_id", "channel").get(pk=item_id)
    Assignment.objects.create(
        client_id=item.client_id,
        item=item,
        agent=agent,
        channel=item.channel,
        how=how,
        assigned_by=actor if how == Assignment.How.MANUAL else None,
        started_at=now,
    )
    _log(item, "item.assigned", actor, {"agent_id": agent.pk, "how": how}, at=now)
    return True
