"""Giving items to agents: pull (`get_next`), push (`offer`, `offer_waiting`) and manual
(`assign`).

Claiming is exactly-once on both engines: PostgreSQL picks with `FOR UPDATE SKIP LOCKED`
and claims in the same statement; SQLite runs the pick and the conditional update inside
one IMMEDIATE transaction; and on both a partial unique index allows one open
`Assignment` per item."""

import json
import threading
from collections.abc import Iterable
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import Count, F
from django.utils import timezone

from tercero.delivery.work import event_types, lifecycle, routing
from tercero.delivery.work.models import Assignment, Queue, SkillRequirement, WorkEvent, WorkItem
from tercero.delivery.work.services._common import _end_assignment, _lock_agent, _log, _stale
from tercero.delivery.workforce.models import Agent
from tercero.platform.errors import Conflict, IllegalTransition, InvalidInput
from tercero.platform.tenancy.scoping import client_scope, clients_in_scope

PULLABLE = ("pull", "push")


def get_next(*, agent: Agent, client_ids: Iterable[int], attempts: int = 5) -> WorkItem | None:
    """Claim the best item the agent may work (pull). None when nothing is eligible."""
    ids = sorted(client_ids)
    with client_scope(clients=ids), _one_sqlite_writer():
        for _ in range(attempts):
            outcome = _claim_next(agent=agent, client_ids=ids)
            if outcome is not False:
                return outcome
    return None


_SQLITE_WRITER = threading.Lock()


@contextmanager
def _one_sqlite_writer():
    """SQLite has one writer at a time anyway; queueing this process's claimers on a lock
    spares them its busy-wait lottery, in which an unlucky thread can starve past the
    busy timeout. PostgreSQL claimers run in parallel."""
    if connection.vendor != "sqlite":
        yield
        return
    with _SQLITE_WRITER:
        yield


def _claim_next(*, agent: Agent, client_ids: list[int]):
    with transaction.atomic():
        if connection.vendor == "postgresql":
            context = routing.locked_context_postgresql(agent.pk, client_ids=client_ids)
        else:
            context = routing.context_of(_lock_agent(agent.pk), client_ids=client_ids)
        locked = context.agent
        if locked.presence != Agent.Presence.AVAILABLE:
            raise Conflict(
                f"You are {locked.get_presence_display().lower()}; set yourself available "
                "to take work.",
                code="agent_not_available",
            )
        if not context.engagements or not context.open_channels():
            return None
        groups = routing.calendar_groups(context)
        group = groups[0] if len(groups) == 1 else _best_group(context, groups)
        if group is None:
            return None
        item = _claim_in(context, group, how=Assignment.How.PULL, actor=locked.user_id)
        if item is None:
            return False if len(groups) > 1 else None
    return item


def _best_group(context: routing.AgentContext, groups: list[list[int]]) -> list[int] | None:
    """Compare each calendar group's best item in business time: priority, then least
    SLA slack, then oldest."""
    now = timezone.now()
    best, best_key = None, None
    for group in groups:
        head = (
            routing.eligible_items(context, engagement_ids=group, routings=PULLABLE)
            .values("priority", "due_at", "queued_at", "engagement_id")
            .first()
        )
        if head is None:
            continue
        if head["due_at"] is None:
            slack = float("inf")
        else:
            cal = context.engagements[head["engagement_id"]].calendar
            slack = cal.between(now, head["due_at"]).total_seconds()
        key = (head["priority"], slack, head["queued_at"])
        if best_key is None or key < best_key:
            best, best_key = group, key
    return best


def _claim_in(context, engagement_ids: list[int], *, how: str, actor) -> WorkItem | None:
    now = timezone.now()
    if connection.vendor == "postgresql":
        return _claim_postgresql(context, engagement_ids, how=how, actor=actor, now=now)
    if not context.queue_ids(engagement_ids, PULLABLE):
        return None
    sql, params = _pick_sql(context, engagement_ids, _shape_key(context, engagement_ids))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None or not _take(row[0], context.agent, how=how, actor=actor, now=now):
        return None
    return WorkItem.objects.get(pk=row[0])


def _shape_key(context, engagement_ids) -> tuple:
    return (
        connection.vendor,
        tuple(sorted(clients_in_scope() or ())),
        *routing.shape(context, engagement_ids, PULLABLE),
    )


def _take(item_id: int, agent: Agent, *, how: str, actor, now, sources=(lifecycle.QUEUED,)):
    """Conditional claim of one item (the caller holds the transaction)."""
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


_PICKS: dict[tuple, tuple[str, tuple]] = {}
_COLUMNS = [f.column for f in WorkItem._meta.concrete_fields]


def _pick_sql(context, engagement_ids, key: tuple) -> tuple[str, tuple]:
    """The compiled pick for this query shape (compiling is most of an ORM claim's cost,
    and an agent's shape rarely changes between claims)."""
    found = _PICKS.get(key)
    if found is None:
        candidates = routing.eligible_items(
            context, engagement_ids=engagement_ids, routings=PULLABLE
        )
        picked = candidates.values("id")[:1]
        if connection.vendor == "postgresql":
            picked = picked.select_for_update(skip_locked=True, of=("self",))
        found = picked.query.get_compiler(connection=connection).as_sql()
        if len(_PICKS) > 10_000:
            _PICKS.clear()
        _PICKS[key] = found
    return found


def _claim_postgresql(context, engagement_ids, *, how: str, actor, now) -> WorkItem | None:
    """Pick and claim in one statement: the pick skips rows other claimers hold."""
    if not context.queue_ids(engagement_ids, PULLABLE):
        return None
    pick_sql, pick_params = _pick_sql(context, engagement_ids, _shape_key(context, engagement_ids))
    agent = context.agent
    item, assignment, event = (m._meta.db_table for m in (WorkItem, Assignment, WorkEvent))
    actor_id = getattr(actor, "pk", actor)
    columns = ", ".join(f"w.{c}" for c in _COLUMNS)
    sql = f"""
        WITH picked AS ({pick_sql}),
        claimed AS (
            UPDATE {item} w SET status = 'assigned', assignee_id = %s, assigned_at = %s,
                updated_at = %s, version = w.version + 1
            FROM picked WHERE w.id = picked.id AND w.status = 'queued'
            RETURNING {columns}
        ),
        held AS (
            INSERT INTO {assignment}
                (client_id, item_id, agent_id, channel, how, assigned_by_id, started_at,
                 ended_at, end_reason)
            SELECT client_id, id, %s, channel, %s, %s, %s, NULL, '' FROM claimed
        ),
        logged AS (
            INSERT INTO {event} (client_id, item_id, engagement_id, kind, actor_id, data, at)
            SELECT client_id, id, engagement_id, 'item.assigned', %s, %s::jsonb, %s
            FROM claimed
        )
        SELECT * FROM claimed
    """
    params = (
        *pick_params,
        agent.pk,
        now,
        now,
        agent.pk,
        how,
        actor_id if how == Assignment.How.MANUAL else None,
        now,
        actor_id,
        json.dumps(event_types.checked("item.assigned", {"agent_id": agent.pk, "how": how})),
        now,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    return WorkItem.from_db(
        connection.alias,
        [f.attname for f in WorkItem._meta.concrete_fields],
        [_from_db(f, value) for f, value in zip(WorkItem._meta.concrete_fields, row, strict=True)],
    )


def _from_db(field, value):
    convert = getattr(field, "from_db_value", None)
    return value if convert is None else convert(value, None, connection)


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
                if _take(item.pk, locked, how=Assignment.How.PUSH, actor=None, now=timezone.now()):
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

    def share(agent: Agent) -> tuple:
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
                if item_id is None or not _take(
                    item_id, locked, how=Assignment.How.PUSH, actor=None, now=timezone.now()
                ):
                    return given
                given += 1


def assign(*, actor, item: WorkItem, agent: Agent, version: int | None = None) -> WorkItem:
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
        if not _take(
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
