"""Giving items to agents: pull (`get_next`), push (`offer`, `offer_waiting`) and manual
(`assign`).

Claiming is exactly-once on both engines: PostgreSQL picks with `FOR UPDATE SKIP LOCKED`
and claims in the same statement (`claim_sql`, every routing rule in it); SQLite runs the
pick and the conditional update inside one IMMEDIATE transaction; and on both a partial
unique index allows one open `Assignment` per item. `pull` holds the claim behind
`get_next`, `taking` the conditional claim of a chosen item that push and manual share."""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from tercero.delivery.work import lifecycle, routing
from tercero.delivery.work.models import Assignment, Queue, SkillRequirement, WorkItem
from tercero.delivery.work.services._common import _end_assignment, _lock_agent, _stale
from tercero.delivery.work.services.pull import PULLABLE, claim_next
from tercero.delivery.work.services.taking import take
from tercero.delivery.workforce.models import Agent
from tercero.platform.errors import Conflict, IllegalTransition, InvalidInput
from tercero.platform.identity.models import User
from tercero.platform.tenancy.scoping import client_scope

__all__ = ["PULLABLE", "assign", "get_next", "offer", "offer_waiting", "required_skills"]


def get_next(*, agent: Agent, client_ids: Iterable[int], attempts: int = 5) -> WorkItem | None:
    """Claim the best item the agent may work (pull). None when nothing is eligible."""
    ids = sorted(client_ids)
    with client_scope(clients=ids):
        for _ in range(attempts):
            outcome = claim_next(agent=agent, client_ids=ids)
            if outcome is not False:
                return outcome
    return None


def offer(*, item: WorkItem) -> Agent | None:
    """Push: give a newly queued item to a qualified available agent, the one idle
    longest or least loaded as the queue says. None when nobody qualifies now (the item
    waits; `offer_waiting` tries again when an agent frees up).

    Candidates are ranked from one load query; the routing rules are then checked under
    each candidate's lock in rank order, stopping at the first who qualifies."""
    with client_scope(clients=[item.client_id]):
        agents = list(
            Agent.objects.filter(
                presence=Agent.Presence.AVAILABLE,
                user__is_active=True,
                clearances__engagement_id=item.engagement_id,
            ).select_related("site", "user")
        )
        required = required_skills(item)
        for agent in _push_order(item.queue, agents):
            with transaction.atomic():
                locked = _lock_agent(agent.pk)
                context = routing.context_of(locked, client_ids=[item.client_id])
                if locked.presence != Agent.Presence.AVAILABLE or routing.reasons(
                    context, item, required
                ):
                    continue
                if take(item.pk, locked, how=Assignment.How.PUSH, actor=None, now=timezone.now()):
                    return locked
                return None  # someone else took the item meanwhile
    return None


def _push_order(queue: Queue, agents: list[Agent]) -> list[Agent]:
    if queue.push_strategy != Queue.PushStrategy.LEAST_LOADED:
        return sorted(agents, key=lambda a: (a.idle_since, a.pk))
    held = dict(
        Assignment.objects.filter(agent__in=agents, ended_at__isnull=True)
        .values_list("agent_id")
        .annotate(n=Count("id"))
    )

    def share(agent: Agent) -> tuple[float, datetime, int]:
        room = max(sum(agent.capacity.values()), 1)
        return (held.get(agent.pk, 0) / room, agent.idle_since, agent.pk)

    return sorted(agents, key=share)


def offer_waiting(*, agent: Agent, client_ids: Iterable[int]) -> int:
    """An agent became free: hand them waiting push-queue items up to their capacity."""
    given = 0
    ids = sorted(client_ids)
    with client_scope(clients=ids):
        while True:
            with transaction.atomic():
                locked = _lock_agent(agent.pk)
                if locked.presence != Agent.Presence.AVAILABLE:
                    return given
                context = routing.context_of(locked, client_ids=ids)
                if not context.engagements or not context.open_channels():
                    return given
                candidates = routing.eligible_items(
                    context, engagement_ids=list(context.engagements), routings=("push",)
                )
                item_id = candidates.values_list("id", flat=True).first()
                if item_id is None or not take(
                    item_id, locked, how=Assignment.How.PUSH, actor=None, now=timezone.now()
                ):
                    return given
                given += 1


def assign(
    *, actor: User | None, item: WorkItem, agent: Agent, version: int | None = None
) -> WorkItem:
    """Manual: a team lead gives the item to an agent. The routing rules still apply;
    a refusal lists every rule the agent fails."""
    if item.status not in (lifecycle.QUEUED, lifecycle.ASSIGNED):
        raise IllegalTransition(
            f"An item that is {item.status} cannot be assigned.",
            allowed=lifecycle.allowed_actions(item.status),
        )
    with transaction.atomic():
        locked = _lock_agent(agent.pk)
        context = routing.context_of(locked, client_ids=[item.client_id])
        refused = routing.reasons(context, item, required_skills(item))
        if refused:
            raise InvalidInput(
                f"{locked.user.full_name} may not take this item.",
                code="not_eligible",
                fields={"reasons": refused},
            )
        current = WorkItem.objects.select_for_update().get(pk=item.pk)
        if version is not None and current.version != version:
            raise _stale()
        if current.status == lifecycle.ASSIGNED:
            _end_assignment(current, reason="reassigned")
        if not take(
            item.pk,
            locked,
            how=Assignment.How.MANUAL,
            actor=actor,
            now=timezone.now(),
            sources=(lifecycle.QUEUED, lifecycle.ASSIGNED),
        ):
            raise Conflict("Someone else changed the item; reload and retry.", code="stale_version")
    item.refresh_from_db()
    return item


def required_skills(item: WorkItem) -> dict[str, int]:
    return dict(SkillRequirement.objects.filter(item=item).values_list("skill", "min_level"))
