"""Who may work what. One rule set for pull, push and manual assignment:

- the agent is cleared for the item's engagement;
- has every required skill at the required level or better;
- speaks the item's language (when it has one);
- is under capacity for the item's channel;
- and, when the item holds personal data, works at a site that satisfies the
  engagement's data-residency rule;
- and the item's queue is open (a queue with its own hours offers nothing while it is
  closed: `queue_hours`).

`AgentContext` gathers what the rules need about one agent in three queries; `reasons`
explains a refusal in words; `eligible_items` is the same rules as a query, and
`services/claim_sql.py` the same rules again inside the PostgreSQL pull's one statement.
"""

import functools
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from tercero.delivery.engagements.business_time import BusinessCalendar
from tercero.delivery.engagements.residency import site_satisfies_residency
from tercero.delivery.work import queue_hours
from tercero.delivery.work.models import Assignment, Channel, Queue, SkillRequirement, WorkItem
from tercero.delivery.workforce.models import Agent, Clearance
from tercero.platform.tenancy.backends.postgresql.base import (
    ENTER_SCOPE,
    DatabaseWrapper,
    enter_scope_params,
    server_bound,
)
from tercero.platform.tenancy.scoping import rls_setting

if TYPE_CHECKING:
    from tercero.delivery.engagements.models import Engagement
    from tercero.delivery.workforce.models import Site


@dataclass
class ClearedEngagement:
    id: int
    client_id: int
    name: str
    residency_ok: bool
    calendar_signature: tuple[object, ...]
    calendar: BusinessCalendar


@dataclass
class AgentContext:
    agent: Agent
    engagements: dict[int, ClearedEngagement] = field(default_factory=dict)
    load: dict[str, int] = field(default_factory=dict)
    # active queues of the cleared engagements that are open now: id -> (engagement id,
    # routing); a queue with its own hours that is closed is in `closed` instead
    queues: dict[int, tuple[int, str]] = field(default_factory=dict)
    # open queues with their own hours -> their calendar
    own_calendars: dict[int, BusinessCalendar] = field(default_factory=dict)
    # closed queues -> their name and when they open next (None: not within a year)
    closed: dict[int, tuple[str, datetime | None]] = field(default_factory=dict)

    def queue_ids(
        self,
        engagement_ids: Collection[int],
        routings: Collection[str],
        within: Collection[int] | None = None,
    ) -> list[int]:
        return sorted(
            pk
            for pk, (engagement_id, routing) in self.queues.items()
            if engagement_id in engagement_ids
            and routing in routings
            and (within is None or pk in within)
        )

    def add_queue(self, values: Sequence[Any], now: datetime) -> None:
        """One active queue of a cleared engagement, from (id, engagement id, routing,
        name, has own hours, working hours): open, or closed until its next shift."""
        pk, engagement_id, routing, name, has_own_hours, hours = values
        cleared = self.engagements.get(engagement_id)
        if cleared is None:
            return
        if has_own_hours:
            cal = queue_hours.own_calendar(cleared.calendar, _json(hours))
            found = queue_hours.opening(cal, now)
            if not found.is_open:
                self.closed[pk] = (name, found.until)
                return
            self.own_calendars[pk] = cal
        self.queues[pk] = (engagement_id, routing)

    @property
    def client_ids(self) -> list[int]:
        return sorted({e.client_id for e in self.engagements.values()})

    def open_channels(self) -> list[str]:
        return [
            channel
            for channel, limit in self.agent.capacity.items()
            if self.load.get(channel, 0) < limit
        ]


_ENGAGEMENT_FIELDS = (
    "engagement_id",
    "engagement__client_id",
    "engagement__name",
    "engagement__residency_allowed_shores",
    "engagement__residency_allowed_countries",
    "engagement__client__country",
    "engagement__client__time_zone",
    "engagement__time_zone",
    "engagement__working_hours",
    "engagement__holiday_country",
    "engagement__holiday_subdivision",
    "engagement__closures",
    "engagement__hours_of_cover",
)
ACCEPTING = ("transition", "live")


_QUEUE_FIELDS = ("id", "engagement_id", "routing", "name", "has_own_hours", "working_hours")


def context_of(
    agent: Agent, *, client_ids: list[int] | None = None, now: datetime | None = None
) -> AgentContext:
    """The agent's clearances (limited to `client_ids` when given), current load and the
    queues open at `now`. Runs inside a scope that covers those clients."""
    clearances = Clearance.objects.filter(agent=agent, engagement__status__in=ACCEPTING)
    if client_ids is not None:
        clearances = clearances.filter(client_id__in=client_ids)
    context = AgentContext(agent=agent)
    site = agent.site
    for values in clearances.values_list(*_ENGAGEMENT_FIELDS):
        context.engagements[values[0]] = _cleared(values, site.country, site.time_zone)
    context.load = dict(
        Assignment.objects.filter(agent=agent, ended_at__isnull=True)
        .values_list("channel")
        .annotate(n=Count("id"))
    )
    active = Queue.objects.filter(engagement_id__in=list(context.engagements), is_active=True)
    moment = now or timezone.now()
    for values in active.values_list(*_QUEUE_FIELDS):
        context.add_queue(values, moment)
    return context


_AGENT_STATE = """
    SELECT a.id, a.user_id, a.site_id, a.presence, a.skills, a.languages, a.capacity,
        a.version, s.country, s.time_zone,
        COALESCE((SELECT json_object_agg(l.channel, l.n) FROM (
            SELECT channel, count(*) AS n FROM work_assignment
            WHERE agent_id = a.id AND ended_at IS NULL GROUP BY channel) l), '{}'),
        COALESCE((SELECT json_agg(json_build_array(
                e.id, e.client_id, e.name, e.residency_allowed_shores,
                e.residency_allowed_countries, cl.country, cl.time_zone, e.time_zone,
                e.working_hours, e.holiday_country, e.holiday_subdivision, e.closures,
                e.hours_of_cover) ORDER BY e.id)::text
            FROM workforce_clearance c
            JOIN engagements_engagement e ON e.id = c.engagement_id
            JOIN tenancy_client cl ON cl.id = e.client_id
            WHERE c.agent_id = a.id AND c.client_id = ANY(%s::bigint[])
                AND e.status = ANY(%s::text[])), '[]'::text),
        COALESCE((SELECT json_agg(json_build_array(q.id, q.engagement_id, q.routing, q.name,
                q.has_own_hours, q.working_hours))
            FROM work_queue q JOIN workforce_clearance c ON c.engagement_id = q.engagement_id
            WHERE c.agent_id = a.id AND c.client_id = ANY(%s::bigint[]) AND q.is_active), '[]')
    FROM workforce_agent a JOIN workforce_site s ON s.id = a.site_id
    WHERE a.id = %s
"""
_LOCK_AGENT = f"SELECT {ENTER_SCOPE}, id FROM workforce_agent WHERE id = %s FOR UPDATE"


def _lock_agent_and_scope(agent_id: int) -> None:
    """Lock the agent's row and set the transaction's client list in one round trip
    (the agent table is global, so the setting may change within this statement).
    Lock first, read after: a statement reads from the snapshot it started with, so
    counting the load in the locking statement could miss the claim that the previous
    holder of the lock just committed."""
    wanted = rls_setting() or ""
    connection.ensure_connection()
    raw = connection.connection
    with server_bound(raw) as cursor:
        cursor.execute(_LOCK_AGENT, [*enter_scope_params(raw, wanted), agent_id])
    # tell the backend the setting is in place for this transaction (only PostgreSQL
    # gets here, so the connection is our backend's wrapper)
    cast(DatabaseWrapper, connection).tercero_rls_value = wanted


def locked_context_postgresql(
    agent_id: int, *, client_ids: list[int], now: datetime | None = None
) -> AgentContext:
    """`context_of` for PostgreSQL in two short statements, holding the agent's row lock
    so that capacity holds while this transaction claims."""
    _lock_agent_and_scope(agent_id)
    with connection.cursor() as cursor:
        ids = list(client_ids)
        cursor.execute(_AGENT_STATE, [ids, list(ACCEPTING), ids, agent_id])
        row = cursor.fetchone()
    if row is None:
        raise Agent.DoesNotExist(agent_id)
    (pk, user_id, site_id, presence, skills, languages, capacity, version) = row[:8]
    site_country, site_time_zone, load, cleared, queues = row[8:]
    agent = Agent(
        pk=pk,
        user_id=user_id,
        site_id=site_id,
        presence=presence,
        skills=_json(skills),
        languages=_json(languages),
        capacity=_json(capacity),
        version=version,
    )
    context = AgentContext(agent=agent, load=_json(load))
    context.engagements = dict(_cleared_all(cleared, site_country, site_time_zone))
    moment = now or timezone.now()
    for values in _json(queues):
        context.add_queue(values, moment)
    return context


def _json(value: object) -> Any:
    """A JSON column as Python, whether the driver handed it back decoded or as text."""
    return json.loads(value) if isinstance(value, str) else value


@functools.lru_cache(maxsize=1024)
def _cleared_all(
    text: str, site_country: str, site_time_zone: str
) -> tuple[tuple[int, ClearedEngagement], ...]:
    """The agent's clearances as read, worked out once per distinct content (the key is
    the engagements' own values, so any change to a rule is a new key)."""
    return tuple(
        (values[0], _cleared(values, site_country, site_time_zone)) for values in json.loads(text)
    )


def _cleared(values: Sequence[Any], site_country: str, site_time_zone: str) -> ClearedEngagement:
    """What a clearance implies, from the engagement's current values (never from a
    cache keyed by id: a verdict must follow every change of the rule it came from)."""
    (engagement_id, client_id, name, shores, countries, client_country, client_tz) = values[:7]
    (time_zone, hours, holiday_country, subdivision, closures, cover) = values[7:]
    # the engagement's calendar fields as read: `of` reads nothing else
    as_read = SimpleNamespace(
        time_zone=time_zone,
        working_hours=_json(hours),
        holiday_country=holiday_country,
        holiday_subdivision=subdivision,
        closures=_json(closures),
        is_24_7=cover == "24_7",
    )
    cal = BusinessCalendar.of(cast("Engagement", as_read))
    return ClearedEngagement(
        id=engagement_id,
        client_id=client_id,
        name=name,
        residency_ok=_residency_ok(
            tuple(_json(shores)),
            tuple(_json(countries)),
            site_country,
            site_time_zone,
            client_country,
            client_tz,
        ),
        calendar_signature=cal.signature(),
        calendar=cal,
    )


@functools.lru_cache(maxsize=4096)
def _residency_ok(
    shores: tuple[str, ...],
    countries: tuple[str, ...],
    site_country: str,
    site_tz: str,
    client_country: str,
    client_tz: str,
) -> bool:
    # the rule's fields as read: `site_satisfies_residency` reads nothing else
    engagement = SimpleNamespace(
        residency_allowed_shores=list(shores),
        residency_allowed_countries=list(countries),
        client=SimpleNamespace(country=client_country, time_zone=client_tz),
    )
    site = SimpleNamespace(country=site_country, time_zone=site_tz)
    return site_satisfies_residency(cast("Engagement", engagement), cast("Site", site))


def reasons(context: AgentContext, item: WorkItem, required: dict[str, int]) -> list[str]:
    """Why `context.agent` may not take `item` (empty when they may)."""
    agent = context.agent
    found = []
    cleared = context.engagements.get(item.engagement_id)
    if cleared is None:
        found.append("The agent is not cleared for this engagement.")
    for skill, level in sorted(required.items()):
        has = agent.skills.get(skill, 0)
        if has < level:
            found.append(f"Needs the skill “{skill}” at level {level}; the agent has {has}.")
    if item.language and item.language not in agent.languages:
        spoken = ", ".join(agent.languages) or "no language on record"
        found.append(f"Needs the language “{item.language}”; the agent speaks {spoken}.")
    limit = agent.capacity.get(item.channel, 0)
    load = context.load.get(item.channel, 0)
    if load >= limit:
        channel = str(dict(Channel.choices).get(item.channel, item.channel)).lower()
        found.append(f"The agent is at capacity for {channel} ({load} of {limit}).")
    if item.personal_data and cleared is not None and not cleared.residency_ok:
        found.append(
            "The item holds personal data and the agent's site "
            f"({agent.site.name}, {agent.site.country}) does not satisfy the engagement's "
            "data-residency rule."
        )
    if item.not_for_agent_id == agent.pk:
        found.append("The item reviews this agent's own work, so it goes to someone else.")
    if item.queue_id in context.closed:
        name, opens = context.closed[item.queue_id]
        when = "" if opens is None else f"; it opens {_local(opens, cleared)}"
        found.append(f"The queue “{name}” is closed now{when}.")
    return found


def _local(moment: datetime, cleared: ClearedEngagement | None) -> str:
    zone = cleared.calendar.zone if cleared is not None else moment.tzinfo
    return moment.astimezone(zone).strftime("%A %-d %B at %H:%M")


def skill_keys(required: dict[str, int]) -> list[str]:
    """An item's requirements as keys: {"billing": 2} -> ["billing:2"]."""
    return sorted(f"{skill}:{level}" for skill, level in required.items())


def satisfied_keys(skills: dict[str, int]) -> list[str]:
    """Every requirement key an agent meets: {"billing": 2} -> ["billing:1", "billing:2"]."""
    return sorted(
        f"{skill}:{level}" for skill, top in skills.items() for level in range(1, top + 1)
    )


def skills_filter(agent: Agent) -> Q:
    """Items none of whose requirements the agent fails."""
    if connection.vendor == "postgresql":
        # one JSON containment test per row instead of a lookup per row
        return Q(skill_count=0) | Q(skill_keys__contained_by=satisfied_keys(agent.skills))
    meets = Q(pk__in=[])
    for skill, level in agent.skills.items():
        meets |= Q(skill=skill, min_level__lte=level)
    unmet = SkillRequirement.objects.filter(item=OuterRef("pk")).exclude(meets)
    # The OR keeps PostgreSQL probing the requirements of each candidate by index as the
    # claim walks the queue, instead of reading every requirement row up front.
    return Q(skill_count=0) | Q(~Exists(unmet))


def shape(
    context: AgentContext,
    engagement_ids: list[int],
    routings: tuple[str, ...],
    queue_ids: Collection[int] | None = None,
) -> tuple[object, ...]:
    """Everything `eligible_items` depends on: equal shapes give the same query."""
    agent = context.agent
    return (
        tuple(sorted(engagement_ids)),
        tuple(context.queue_ids(engagement_ids, routings, queue_ids)),
        tuple(sorted(i for i in engagement_ids if context.engagements[i].residency_ok)),
        tuple(sorted(context.open_channels())),
        tuple(sorted(agent.languages)),
        tuple(sorted(agent.skills.items())),
        routings,
    )


def eligible_items(
    context: AgentContext,
    *,
    engagement_ids: list[int],
    routings: tuple[str, ...],
    queue_ids: Collection[int] | None = None,
) -> QuerySet[WorkItem]:
    """Queued items of `engagement_ids` (and of `queue_ids` when given) the agent may
    take, from queues open now, best first."""
    agent = context.agent
    residency_ok = [i for i in engagement_ids if context.engagements[i].residency_ok]
    found = WorkItem.objects.filter(
        status="queued",
        engagement_id__in=engagement_ids,
        queue_id__in=context.queue_ids(engagement_ids, routings, queue_ids),
        channel__in=context.open_channels(),
    ).filter(Q(personal_data=False) | Q(engagement_id__in=residency_ok))
    found = found.filter(Q(language="") | Q(language__in=agent.languages))
    found = found.filter(skills_filter(agent)).exclude(not_for_agent_id=agent.pk)
    return found.order_by("priority", "route_due_at", "queued_at", "id")


@dataclass
class CalendarGroup:
    """Open queues whose items' SLA clocks run on one calendar: the engagement's, or a
    queue's own hours (such a queue is its own calendar)."""

    calendar: BusinessCalendar
    queue_ids: list[int] = field(default_factory=list)
    engagement_ids: list[int] = field(default_factory=list)


def calendar_groups(context: AgentContext, routings: Collection[str]) -> list[CalendarGroup]:
    """The agent's open queues of `routings` grouped by identical business calendars.
    Within a group, SLA slack in business time orders exactly like the due moment, so
    the database can sort; across groups the router compares the group heads in
    business time."""
    groups: dict[tuple[object, ...], CalendarGroup] = {}
    for pk, (engagement_id, routing) in sorted(context.queues.items()):
        if routing not in routings:
            continue
        own = context.own_calendars.get(pk)
        cal = own or context.engagements[engagement_id].calendar
        group = groups.setdefault(cal.signature(), CalendarGroup(calendar=cal))
        group.queue_ids.append(pk)
        if engagement_id not in group.engagement_ids:
            group.engagement_ids.append(engagement_id)
    return list(groups.values())
