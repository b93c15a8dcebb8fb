"""Pull: the claim behind `get_next`, one transaction per attempt.

PostgreSQL: one statement sets the scope and locks the agent, one statement applies
every routing rule and claims (`claim_sql`); when the connection can pipeline, both go
in one round trip. SQLite: the agent's state from the ORM, the compiled pick and the
conditional update, inside one IMMEDIATE transaction (one writer at a time).

`claim_next` returns the item, None when nothing is eligible, or False when this attempt
found nothing it could be sure of (a calendar group's best item was taken meanwhile, a
site or client changed under the shore map, a queue's hours under the hours map) and
the caller should try again. A queue with its own hours offers nothing while closed.
"""

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any, Literal

from django.db import connection, transaction
from django.utils import timezone
from psycopg import Connection, Cursor, Pipeline, pq

from tercero.delivery.work import routing, sla
from tercero.delivery.work.models import Assignment, WorkItem
from tercero.delivery.work.services import claim_sql
from tercero.delivery.work.services._common import _lock_agent
from tercero.delivery.work.services.taking import take
from tercero.delivery.workforce.models import Agent
from tercero.platform.errors import Conflict
from tercero.platform.tenancy.scoping import clients_in_scope

PULLABLE = ("pull", "push")
PIPELINES = Pipeline.is_supported()
Claimed = WorkItem | None | Literal[False]


def claim_next(*, agent: Agent, client_ids: list[int]) -> Claimed:
    if connection.vendor == "postgresql":
        return _claim_next_postgresql(agent_id=agent.pk, client_ids=client_ids)
    with _one_sqlite_writer():
        return _claim_next_orm(agent=agent, client_ids=client_ids)


# --- PostgreSQL ----------------------------------------------------------------------

# The shore map and hours map last used per (agent, clients): guesses the statement
# checks by value (and, for hours, by time).
_SHORES: dict[tuple[int, tuple[int, ...]], str] = {}
_HOURS: dict[tuple[int, tuple[int, ...]], str] = {}
_SHORE_PAIRS = """
    SELECT s.country, s.time_zone, cl.country, cl.time_zone
    FROM workforce_agent a JOIN workforce_site s ON s.id = a.site_id, tenancy_client cl
    WHERE a.id = %s AND cl.id = ANY(%s::bigint[])
"""


def _claim_next_postgresql(*, agent_id: int, client_ids: list[int]) -> Claimed:
    with connection.wrap_database_errors:
        found = _claim_at_once(agent_id=agent_id, client_ids=client_ids)
        _require_available(agent_id, found.presence)
        unknown = found.shores_unknown or found.hours_unknown
        if found.item is not None or (found.calendars <= 1 and not unknown):
            return found.item
        with transaction.atomic():
            raw = _raw_connection()
            claim_sql.lock_agent(raw, agent_id)
            if found.shores_unknown:
                _SHORES[(agent_id, tuple(client_ids))] = _shore_map(raw, agent_id, client_ids)
            if found.hours_unknown:
                _HOURS[(agent_id, tuple(client_ids))] = _hours_map(raw, agent_id, client_ids)
            if unknown:  # again, with what was just worked out
                found = _claim(raw, agent_id=agent_id, client_ids=client_ids)
                _require_available(agent_id, found.presence)
                if found.item is not None or (found.calendars == 0 and not found.hours_unknown):
                    return found.item
                if found.shores_unknown or found.hours_unknown:
                    return False  # the site, a client or a queue's hours changed meanwhile
                if found.calendars == 1:
                    return None
            # several calendars: the best of each, compared in business time, under the
            # agent's lock (a change since the first look shows in the groups read now)
            return _claim_in_best_calendar(raw, agent_id=agent_id, client_ids=client_ids)


def _raw_connection() -> Connection[Any]:
    connection.ensure_connection()
    raw: Connection[Any] = connection.connection
    return raw


def _claim_at_once(*, agent_id: int, client_ids: list[int]) -> claim_sql.Outcome:
    """Scope and lock, then the claim, sent together: the connection runs them in order,
    so the claim starts once the lock is granted. Outside a transaction the two
    statements make one round trip and one transaction, PostgreSQL's implicit one that
    a pipeline's statements share up to its sync (without pipelines, BEGIN and COMMIT
    around them); inside the caller's transaction they join it. A claim that finds
    nothing or must defer to Python (several calendars, an unknown shore) has changed
    nothing, and its transaction just ends."""
    raw = _raw_connection()
    if connection.in_atomic_block:
        with transaction.atomic(savepoint=False), _pipeline(raw):
            claim_sql.lock_agent(raw, agent_id)
            return claim_sql.outcome(_send(raw, agent_id=agent_id, client_ids=client_ids))
    try:
        with _pipeline(raw):
            if not PIPELINES:
                raw.execute("BEGIN")
            claim_sql.lock_agent(raw, agent_id)
            sent = _send(raw, agent_id=agent_id, client_ids=client_ids)
            if not PIPELINES:
                raw.execute("COMMIT")
    except BaseException:
        if raw.info.transaction_status != pq.TransactionStatus.IDLE:
            raw.execute("ROLLBACK")
        raise
    finally:
        connection.tercero_rls_value = None  # type: ignore[attr-defined]
    return claim_sql.outcome(sent)


def _pipeline(raw: Connection[Any]) -> AbstractContextManager[object]:
    """Send what follows without waiting for each answer (libpq 14 or later; without it
    the same statements go one by one)."""
    return raw.pipeline() if PIPELINES else nullcontext()


def _claim(
    raw: Connection[Any],
    *,
    agent_id: int,
    client_ids: list[int],
    queue_ids: list[int] | None = None,
) -> claim_sql.Outcome:
    return claim_sql.outcome(
        _send(raw, agent_id=agent_id, client_ids=client_ids, queue_ids=queue_ids)
    )


def _send(
    raw: Connection[Any],
    *,
    agent_id: int,
    client_ids: list[int],
    queue_ids: list[int] | None = None,
) -> Cursor[Any]:
    params = claim_sql.parameters(
        agent_id=agent_id,
        client_ids=client_ids,
        shores=_SHORES.get((agent_id, tuple(client_ids)), "{}"),
        hours=_HOURS.get((agent_id, tuple(client_ids)), "{}"),
        queue_ids=queue_ids,
        routings=PULLABLE,
        now=timezone.now(),
    )
    return claim_sql.send(raw, params)


def _shore_map(raw: Connection[Any], agent_id: int, client_ids: list[int]) -> str:
    with raw.cursor() as cursor:
        cursor.execute(_SHORE_PAIRS, [agent_id, client_ids])
        pairs = {(site, site_zone, client, zone) for site, site_zone, client, zone in cursor}
    if len(_SHORES) > 10_000:
        _SHORES.clear()
    return claim_sql.shore_map(pairs)


def _hours_map(raw: Connection[Any], agent_id: int, client_ids: list[int]) -> str:
    with raw.cursor() as cursor:
        cursor.execute(claim_sql.OWN_HOURS, [agent_id, client_ids])
        rows = cursor.fetchall()
    if len(_HOURS) > 10_000:
        _HOURS.clear()
    return claim_sql.hours_map(rows, timezone.now())


def _require_available(agent_id: int, presence: str | None) -> None:
    if presence is None:
        raise Agent.DoesNotExist(agent_id)
    if presence != Agent.Presence.AVAILABLE:
        label = str(Agent.Presence(presence).label).lower()
        raise Conflict(
            f"You are {label}; set yourself available to take work.",
            code="agent_not_available",
        )


def _claim_in_best_calendar(
    raw: Connection[Any], *, agent_id: int, client_ids: list[int]
) -> Claimed:
    """The agent's engagements keep different business calendars: compare each
    calendar's best item in business time, then claim within the winner."""
    context = routing.locked_context_postgresql(agent_id, client_ids=client_ids)
    group = _best_group(context, routing.calendar_groups(context, PULLABLE))
    if group is None:
        return None
    found = _claim(raw, agent_id=agent_id, client_ids=client_ids, queue_ids=group.queue_ids)
    return found.item or False


def _best_group(
    context: routing.AgentContext, groups: list[routing.CalendarGroup]
) -> routing.CalendarGroup | None:
    """Compare each calendar group's best item: priority, then a live contact (by its
    answer moment, on the plain clock) before other work, then least SLA slack in the
    group's business time, then oldest."""
    now = timezone.now()
    best, best_key = None, None
    for group in groups:
        head = _head(context, group)
        if head is None:
            continue
        key = (head["priority"], *_urgency(group, head, now), head["queued_at"])
        if best_key is None or key < best_key:
            best, best_key = group, key
    return best


_HEAD = ("priority", "due_at", "route_due_at", "queued_at")


def _head(context: routing.AgentContext, group: routing.CalendarGroup) -> dict[str, Any] | None:
    """The group's best eligible item's ordering fields (its compiled query reused)."""
    sql, params = _pick_sql(context, group, _HEAD)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    head = dict(zip(_HEAD, row, strict=True))
    for name in ("due_at", "route_due_at", "queued_at"):
        head[name] = _moment(head[name])
    return head


def _moment(value: object) -> datetime | None:
    """A datetime column as read by a bare cursor (SQLite's is naive, in UTC)."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _urgency(
    group: routing.CalendarGroup, head: dict[str, Any], now: datetime
) -> tuple[int, float]:
    if sla.keeps_live_place(head["route_due_at"]):
        return 0, head["route_due_at"].timestamp()
    if head["due_at"] is None:
        return 1, float("inf")
    return 1, group.calendar.between(now, head["due_at"]).total_seconds()


def _eligible_in(context: routing.AgentContext, group: routing.CalendarGroup) -> Any:
    return routing.eligible_items(
        context,
        engagement_ids=group.engagement_ids,
        routings=PULLABLE,
        queue_ids=group.queue_ids,
    )


# --- SQLite (and any engine without SKIP LOCKED) --------------------------------------

_SQLITE_WRITER = threading.Lock()


@contextmanager
def _one_sqlite_writer() -> Iterator[None]:
    """SQLite has one writer at a time anyway; queueing this process's claimers on a lock
    spares them its busy-wait lottery, in which an unlucky thread can starve past the
    busy timeout."""
    with _SQLITE_WRITER:
        yield


def _claim_next_orm(*, agent: Agent, client_ids: list[int]) -> Claimed:
    with transaction.atomic():
        context = routing.context_of(_lock_agent(agent.pk), client_ids=client_ids)
        locked = context.agent
        _require_available(locked.pk, locked.presence)
        if not context.engagements or not context.open_channels():
            return None
        groups = routing.calendar_groups(context, PULLABLE)
        if not groups:
            return None
        group = groups[0] if len(groups) == 1 else _best_group(context, groups)
        if group is None:
            return None
        item = _claim_in(context, group)
        if item is None:
            return False if len(groups) > 1 else None
    return item


def _claim_in(context: routing.AgentContext, group: routing.CalendarGroup) -> WorkItem | None:
    sql, params = _pick_sql(context, group)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    agent = context.agent
    if row is None or not take(
        row[0], agent, how=Assignment.How.PULL, actor=agent.user, now=timezone.now()
    ):
        return None
    return WorkItem.objects.get(pk=row[0])


_PICKS: dict[tuple[Any, ...], tuple[str, tuple[Any, ...]]] = {}


def _pick_sql(
    context: routing.AgentContext,
    group: routing.CalendarGroup,
    columns: tuple[str, ...] = ("id",),
) -> tuple[str, tuple[Any, ...]]:
    """The compiled pick of `columns` for this query shape (compiling is most of an ORM
    claim's cost, and an agent's shape rarely changes between claims)."""
    key = (
        connection.vendor,
        tuple(sorted(clients_in_scope() or ())),
        columns,
        *routing.shape(context, group.engagement_ids, PULLABLE, group.queue_ids),
    )
    found = _PICKS.get(key)
    if found is None:
        query = _eligible_in(context, group).values(*columns)[:1].query
        found = query.get_compiler(connection=connection).as_sql()
        if len(_PICKS) > 10_000:
            _PICKS.clear()
        _PICKS[key] = found
    return found
