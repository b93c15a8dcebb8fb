"""The PostgreSQL pull claim as one statement: the agent's state, every routing rule, the
pick with `FOR UPDATE SKIP LOCKED`, the item update, the assignment and the outbox event.

The statement's text never changes, so each connection prepares it once. It runs right
after the statement that sets the client scope and locks the agent's row (in the same
round trip when the connection can pipeline), so it reads the agent's load from a
snapshot taken after the lock: a claim the previous holder of the lock just committed is
counted. The rules are `routing.reasons` written in SQL; `test_routing` runs each rule
through both.

Two things the database cannot work out alone are decided in Python and checked in SQL:

- business-time order across calendars: the statement claims only when the agent's open
  queues share one calendar (an engagement's, or a queue's own hours: such a queue is
  its own calendar; within one calendar, least SLA slack orders like the due moment);
  otherwise it claims nothing and reports how many calendars it saw, and `pull`
  compares each calendar's best item in business time, then claims within the
  winner's queues (`queue_ids`);
- whether a queue with its own hours is open now (public holidays come from the
  `holidays` package): passed as a map from the queue's calendar, as the statement
  writes it, to whether it is open and from when until when that holds (`hours_map`).
  A queue whose calendar the map lacks, or whose entry has run out, stops the claim
  with `hours_unknown` and the caller reads the calendars and works the map out;
- the shore of the agent's site relative to each client (`workforce.shore`, from regions
  and time zones), passed as a map keyed by the four values it depends on. The statement
  looks each pair up by the values it reads, so a verdict can never outlive a change of
  site or client; a pair the map lacks, where an engagement restricts shores, stops the
  claim with `shores_unknown` and the caller computes the map from what it reads.
"""

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Field
from django.db.models.base import ModelState
from psycopg import Connection, Cursor

from tercero.delivery.engagements.business_time import BusinessCalendar
from tercero.delivery.work import event_types, queue_hours
from tercero.delivery.work.models import WorkItem
from tercero.delivery.workforce.shore import shore_between
from tercero.platform.tenancy.backends.postgresql.base import (
    ENTER_SCOPE,
    enter_scope_params,
    server_bound,
)
from tercero.platform.tenancy.scoping import rls_setting

_FIELDS: list[Field[Any, Any]] = list(WorkItem._meta.concrete_fields)
_ATTNAMES = [f.attname for f in _FIELDS]
# Engagement statuses that take work (routing.ACCEPTING).
_ACCEPTING = "('transition', 'live')"
# A queue's calendar as the statement names it: the engagement's zone, holidays and
# closures with the queue's own hours or the engagement's ('24/7' for a 24/7 engagement
# the queue follows). The hours map is keyed by it: `OWN_HOURS` reads the keys with the
# same expression, so Python never has to rebuild PostgreSQL's JSON text.
CALENDAR = (
    "jsonb_build_array(c.time_zone, CASE WHEN q.has_own_hours THEN q.working_hours ELSE "
    "c.working_hours END, c.holiday_country, c.holiday_subdivision, c.closures)::text"
)

LOCK_AGENT = f"SELECT {ENTER_SCOPE}, id FROM workforce_agent WHERE id = %s FOR UPDATE"

# The rules are one opaque test in the pick (the CASE), so that the planner does not
# multiply the guesses it makes for each rule about arrays it cannot see into (a queue of
# one row), sort the whole queue and never walk the routing-order index. The text is
# sent with its runs of blanks squeezed: psycopg remembers how it converted a query only
# below 4 kB, and converting this one again took about 170 µs of client time per claim.
CLAIM_READABLE = f"""
WITH agent AS (
    SELECT a.user_id, a.presence, a.skills, a.languages, a.capacity, s.country, s.time_zone
    FROM workforce_agent a JOIN workforce_site s ON s.id = a.site_id
    WHERE a.id = %(agent)s
),
cleared AS (
    SELECT e.id, e.time_zone, e.holiday_country, e.holiday_subdivision, e.closures,
        e.working_hours, e.hours_of_cover = '24_7' AS always,
        e.residency_allowed_shores AS shores,
        e.residency_allowed_countries AS countries,
        %(shores)s::jsonb ->> concat_ws('|', agent.country, agent.time_zone, cl.country,
            cl.time_zone) AS shore,
        agent.country AS site_country
    FROM agent, workforce_clearance c
    JOIN engagements_engagement e ON e.id = c.engagement_id
    JOIN tenancy_client cl ON cl.id = e.client_id
    WHERE c.agent_id = %(agent)s AND c.client_id = ANY(%(clients)s::bigint[])
        AND e.status IN {_ACCEPTING}
),
queue_hours AS (
    SELECT q.id, CASE WHEN c.always AND NOT q.has_own_hours THEN '24/7' ELSE k.key END calendar,
        CASE WHEN NOT q.has_own_hours THEN true
            WHEN %(now)s >= (k.h ->> 'from')::timestamptz
                AND %(now)s < (k.h ->> 'until')::timestamptz THEN (k.h ->> 'open')::boolean
        END is_open
    FROM work_queue q JOIN cleared c ON c.id = q.engagement_id,
        LATERAL (SELECT o.key, %(hours)s::jsonb -> o.key h FROM (SELECT {CALENDAR} AS key) o) k
    WHERE q.is_active AND q.routing = ANY(%(routings)s::text[])
        AND q.id = ANY(COALESCE(%(queues)s::bigint[], ARRAY[q.id]))
),
load AS (
    SELECT channel, count(*) AS n FROM work_assignment
    WHERE agent_id = %(agent)s AND ended_at IS NULL GROUP BY channel
),
rules AS (
    SELECT
        (SELECT presence FROM agent) AS presence,
        (SELECT count(DISTINCT calendar) FROM queue_hours WHERE is_open) AS calendars,
        EXISTS (
            SELECT FROM cleared WHERE jsonb_array_length(shores) > 0 AND shore IS NULL
        ) AS shores_unknown,
        EXISTS (SELECT FROM queue_hours WHERE is_open IS NULL) AS hours_unknown,
        ARRAY(SELECT id FROM cleared) AS engagements,
        ARRAY(
            SELECT id FROM cleared
            WHERE (jsonb_array_length(shores) = 0 OR shores @> jsonb_build_array(shore))
                AND (jsonb_array_length(countries) = 0
                    OR countries @> jsonb_build_array(site_country))
        ) AS residency_ok,
        ARRAY(SELECT id FROM queue_hours WHERE is_open) AS queues,
        ARRAY(
            SELECT capacity.key
            FROM agent, jsonb_each_text(agent.capacity) capacity
            LEFT JOIN load ON load.channel = capacity.key
            WHERE COALESCE(load.n, 0) < capacity.value::int
        ) AS channels,
        (SELECT languages FROM agent) AS languages,
        COALESCE((
            SELECT jsonb_agg(skill.key || ':' || level)
            FROM agent, jsonb_each_text(agent.skills) skill,
                generate_series(1, skill.value::int) level
        ), '[]') AS skills
),
picked AS (
    SELECT w.id FROM work_workitem w
    WHERE (SELECT presence = 'available' AND NOT shores_unknown AND NOT hours_unknown
            AND (calendars <= 1 OR %(queues)s::bigint[] IS NOT NULL) FROM rules)
        AND w.status = 'queued'
        AND CASE WHEN w.queue_id = ANY((SELECT queues FROM rules)::bigint[])
            AND w.engagement_id = ANY((SELECT engagements FROM rules)::bigint[])
            AND w.channel = ANY((SELECT channels FROM rules)::text[])
            AND (NOT w.personal_data
                OR w.engagement_id = ANY((SELECT residency_ok FROM rules)::bigint[]))
            AND (w.language = ''
                OR (SELECT languages FROM rules) @> jsonb_build_array(w.language))
            AND (w.skill_count = 0 OR w.skill_keys <@ (SELECT skills FROM rules))
            AND (w.not_for_agent_id IS NULL OR w.not_for_agent_id <> %(agent)s)
            THEN true ELSE false END
    ORDER BY w.priority, w.route_due_at, w.queued_at, w.id
    LIMIT 1
    FOR UPDATE OF w SKIP LOCKED
),
claimed AS (
    UPDATE work_workitem w SET status = 'assigned', assignee_id = %(agent)s,
        assigned_at = %(now)s, updated_at = %(now)s, version = w.version + 1
    FROM picked WHERE w.id = picked.id AND w.status = 'queued'
    RETURNING w.*
),
held AS (
    INSERT INTO work_assignment
        (client_id, item_id, agent_id, channel, how, assigned_by_id, started_at, ended_at,
         end_reason)
    SELECT client_id, id, %(agent)s, channel, 'pull', NULL, %(now)s, NULL, '' FROM claimed
),
logged AS (
    INSERT INTO work_workevent (client_id, item_id, engagement_id, kind, actor_id, data, at)
    SELECT client_id, id, engagement_id, 'item.assigned', (SELECT user_id FROM agent),
        %(event)s::jsonb, %(now)s
    FROM claimed
)
SELECT rules.presence, rules.calendars, rules.shores_unknown, rules.hours_unknown, claimed.*
FROM rules LEFT JOIN claimed ON true
"""
# ... and without the blanks around punctuation, which keeps it under those 4 kB (no
# string literal in it holds a blank)
CLAIM = re.sub(r" ?([,()=<>]) ?", r"\1", " ".join(CLAIM_READABLE.split()))


@dataclass(frozen=True)
class Outcome:
    """What the claim statement saw and did. `presence` is None when the agent does not
    exist; `item` is None when nothing was claimed."""

    presence: str | None
    calendars: int
    shores_unknown: bool
    hours_unknown: bool
    item: WorkItem | None


def lock_agent(raw: Connection[Any], agent_id: int) -> None:
    """Set the transaction's verified client scope and lock the agent's row, in one
    statement (the agent table is global, so the scope may change within it)."""
    wanted = rls_setting() or ""
    with server_bound(raw) as cursor:
        cursor.execute(LOCK_AGENT, [*enter_scope_params(raw, wanted), agent_id])
    # tell the backend the setting is in place for this transaction
    connection.tercero_rls_value = wanted  # type: ignore[attr-defined]


def parameters(
    *,
    agent_id: int,
    client_ids: list[int],
    shores: str,
    hours: str,
    queue_ids: list[int] | None,
    routings: tuple[str, ...],
    now: datetime,
) -> dict[str, object]:
    return {
        "agent": agent_id,
        "clients": _array(client_ids),
        "shores": shores,
        "hours": hours,
        "queues": None if queue_ids is None else _array(queue_ids),
        "routings": _array(routings),
        "now": now,
        "event": _event_data(agent_id),
    }


def _array(values: Iterable[object]) -> str:
    """An array parameter in PostgreSQL's text form, cast in the statement: adapting a
    Python list costs the client a look at every element's type on every claim."""
    return "{" + ",".join(str(value) for value in values) + "}"


def send(raw: Connection[Any], params: dict[str, object]) -> Cursor[Any]:
    """Send the claim statement (after `lock_agent`, in the same transaction); in a
    pipeline the answer is read later, with `outcome`."""
    cursor = server_bound(raw)
    cursor.execute(CLAIM, params)
    return cursor


def outcome(cursor: Cursor[Any]) -> Outcome:
    with cursor:
        row = cursor.fetchone()
        result = cursor.pgresult
        # the column names straight from the result: building `cursor.description`
        # (a Column object per column) cost a fifth of the client's time per claim
        names = () if result is None else tuple(result.fname(n) for n in range(result.nfields))
    if row is None:
        return Outcome(
            presence=None, calendars=0, shores_unknown=False, hours_unknown=False, item=None
        )
    presence, calendars, shores_unknown, hours_unknown = row[:4]
    item = None if row[4] is None else _item(names[4:], row[4:])
    return Outcome(
        presence=presence,
        calendars=calendars,
        shores_unknown=shores_unknown,
        hours_unknown=hours_unknown,
        item=item,
    )


def _item(columns: tuple[bytes | None, ...], values: tuple[Any, ...]) -> WorkItem:
    """The item from its columns in table order (Django's `from_db` takes every field's
    value in the model's order)."""
    positions, converters = _reading(columns)
    converted = [values[n] for n in positions]
    for n, convert in converters:
        converted[n] = convert(converted[n], None, connection)
    # What `Model.from_db` makes, without `Model.__init__` setting the 45 attributes one
    # by one through their descriptors (a tenth of the client's time per claim); the
    # project has no model signals to miss (test_claims compares it field by field)
    item = WorkItem.__new__(WorkItem)
    item.__dict__.update(zip(_ATTNAMES, converted, strict=True))
    item._state = ModelState()
    item._state.adding = False
    item._state.db = connection.alias
    return item


@functools.lru_cache(maxsize=8)
def _reading(
    columns: tuple[bytes | None, ...],
) -> tuple[list[int], list[tuple[int, Any]]]:
    """Where each field's column is, in the model's order, and the fields that need
    converting (by their place in that order) with their converters."""
    position = {(column or b"").decode(): n for n, column in enumerate(columns)}
    places = [position[str(f.column)] for f in _FIELDS]
    converters = [
        (n, f.from_db_value) for n, f in enumerate(_FIELDS) if hasattr(f, "from_db_value")
    ]
    return places, converters


_EVENTS: dict[int, str] = {}


def _event_data(agent_id: int) -> str:
    """The `item.assigned` event's data, checked against its schema once per agent."""
    found = _EVENTS.get(agent_id)
    if found is None:
        found = json.dumps(
            event_types.checked("item.assigned", {"agent_id": agent_id, "how": "pull"})
        )
        if len(_EVENTS) > 10_000:
            _EVENTS.clear()
        _EVENTS[agent_id] = found
    return found


def shore_key(site_country: str, site_time_zone: str, client_country: str, client_tz: str) -> str:
    """The key the statement looks a shore up by (its `concat_ws('|', ...)`)."""
    return "|".join((site_country, site_time_zone, client_country, client_tz))


def shore_map(pairs: set[tuple[str, str, str, str]]) -> str:
    """The shores the statement may look up, as its JSON parameter."""
    return json.dumps(
        {
            shore_key(*pair): str(
                shore_between(
                    site_country=pair[0],
                    site_time_zone=pair[1],
                    client_country=pair[2],
                    client_time_zone=pair[3],
                )
            )
            for pair in sorted(pairs)
        }
    )


# The own-hours queues the agent's claim may see, their calendar as the statement keys
# it, and what that calendar is made of.
OWN_HOURS = f"""
    SELECT DISTINCT {CALENDAR}, c.time_zone, q.working_hours, c.holiday_country,
        c.holiday_subdivision, c.closures
    FROM workforce_clearance cl
    JOIN engagements_engagement c ON c.id = cl.engagement_id
    JOIN work_queue q ON q.engagement_id = c.id
    WHERE cl.agent_id = %s AND cl.client_id = ANY(%s::bigint[]) AND q.has_own_hours
        AND q.is_active
"""


def hours_map(rows: Iterable[tuple[Any, ...]], now: datetime) -> str:
    """The hours map for `OWN_HOURS` rows: each calendar's key to whether it is open at
    `now` and until when that holds (a day ahead at most, when it never opens)."""
    found = {}
    for key, time_zone, hours, country, subdivision, closures in rows:
        cal = queue_hours.own_calendar(
            BusinessCalendar(
                time_zone=time_zone,
                working_hours={},
                holiday_country=country or "",
                holiday_subdivision=subdivision or "",
                closures=_closure_dates(closures),
            ),
            _json(hours),
        )
        state = queue_hours.opening(cal, now)
        until = state.until or now + timedelta(days=1)
        found[key] = {"open": state.is_open, "from": now.isoformat(), "until": until.isoformat()}
    return json.dumps(found)


def _json(value: object) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _closure_dates(closures: object) -> list[date]:
    return [
        date.fromisoformat(c["date"] if isinstance(c, dict) else c) for c in _json(closures) or []
    ]
