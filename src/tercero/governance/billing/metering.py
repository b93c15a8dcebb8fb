"""Metering: the outbox consumer that turns billable events into usage rows.

- `item.resolved` -> one "transaction" per item (its work type, the resolving agent's
  site and shore); an item resolved again after a reopen is not counted twice;
- `item.payload_changed` naming `duration_seconds` (the phone channel's call ended,
  care/cti.py) -> the call's "minute" row, read from the call's item when metering
  handles the first such event (no event carries the duration itself), once per call;
- any service line's event -> an "outcome" row of that kind (quantity 1), priced only
  when a rate line names the kind.

Rows are keyed by their event (and by item or call), inserted with ON CONFLICT DO
NOTHING (INSERT OR IGNORE on SQLite): replaying the outbox writes nothing new. A row's
period is the month of the event in the client's time zone; one for a period already
invoiced stays with its period and is rated as an adjustment on the next invoice."""

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone

from tercero.delivery.work import selectors as work
from tercero.delivery.workforce import selectors as workforce
from tercero.delivery.workforce.shore import shore_of
from tercero.governance.billing.models import Unit, UsageRecord
from tercero.platform import catalogue
from tercero.platform.tenancy.models import Client

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkEvent
    from tercero.delivery.workforce.models import Agent

RESOLVED, PAYLOAD_CHANGED = "item.resolved", "item.payload_changed"
CALL_DURATION = "duration_seconds"
MINUTE = Decimal(60)
QUANTUM = Decimal("0.000001")


def kinds() -> frozenset[str]:
    """What the consumer reads: resolutions, payload changes (call durations) and every
    event kind a service line publishes (the outcomes)."""
    outcomes = {event.kind for line in catalogue.lines() for event in line.events}
    return frozenset({RESOLVED, PAYLOAD_CHANGED} | outcomes)


def period_of(moment: datetime, time_zone: str) -> date:
    """The first day of `moment`'s month in the client's time zone."""
    return moment.astimezone(ZoneInfo(time_zone)).date().replace(day=1)


def meter_one(event: "WorkEvent") -> None:
    meter(events=[event])


def meter(*, events: Sequence["WorkEvent"]) -> None:
    """Write the usage rows of `events` (the consumer's batch), inside the consumer's
    transaction."""
    context = _Context(events)
    insert([row for event in events for row in context.rows_of(event)])


# the columns a usage row is inserted with, and their PostgreSQL array types
COLUMNS = (
    ("client_id", "bigint"),
    ("engagement_id", "bigint"),
    ("unit", "text"),
    ("quantity", "numeric"),
    ("work_type", "text"),
    ("outcome_kind", "text"),
    ("shore", "text"),
    ("site_id", "bigint"),
    ("skill", "text"),
    ("source_event_id", "bigint"),
    ("source_key", "text"),
    ("occurred_at", "timestamptz"),
    ("period", "date"),
    ("created_at", "timestamptz"),
)


def insert(rows: Sequence[UsageRecord]) -> None:
    """Insert the rows that are not there yet (a row already counted is skipped by its
    unique key: ON CONFLICT DO NOTHING, INSERT OR IGNORE on SQLite)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        UsageRecord.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
        return
    # one statement with an array a column, as the engine writes its receipts: no
    # statement of 14 placeholders a row for Django to build and psycopg to parse
    now = timezone.now()
    for row in rows:
        row.created_at = now
    table = connection.ops.quote_name(UsageRecord._meta.db_table)
    names = ", ".join(name for name, _ in COLUMNS)
    arrays = ", ".join(f"%s::{kind}[]" for _, kind in COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING",
            [[getattr(row, name) for row in rows] for name, _ in COLUMNS],
        )


class _Context:
    """What a batch of events needs read once: clients, items, agents."""

    def __init__(self, events: Sequence["WorkEvent"]):
        client_ids = sorted({event.client_id for event in events})
        self.clients = {client.pk: client for client in Client.objects.filter(pk__in=client_ids)}
        self.items = _items(
            client_ids,
            {e.item_id for e in events if e.item_id is not None and e.kind == RESOLVED},
            with_payload=False,
        ) | _items(
            client_ids,
            {e.item_id for e in events if e.item_id is not None and _is_call_end(e)},
            with_payload=True,
        )
        self.shores: dict[tuple[int, int], str] = {}
        actor_ids = {event.actor_id for event in events if event.kind == RESOLVED}
        assignees = {item["assignee_id"] for item in self.items.values()}
        self.agents_by_user: dict[int, Agent] = {}
        self.agents: dict[int, Agent] = {}
        for agent in workforce.agents_of(
            agent_ids=[a for a in assignees if a], user_ids=[a for a in actor_ids if a]
        ):
            self.agents[agent.pk] = agent
            self.agents_by_user[agent.user_id] = agent

    def shore(self, agent: "Agent | None", client: Client) -> str:
        """The agent's shore for the client (computed once per site and client)."""
        if agent is None:
            return ""
        key = (agent.site_id, client.pk)
        if key not in self.shores:
            self.shores[key] = shore_of(agent.site, client)
        return self.shores[key]

    def rows_of(self, event: "WorkEvent") -> list[UsageRecord]:
        if event.engagement_id is None or event.client_id not in self.clients:
            return []
        if event.kind == RESOLVED:
            return self._transaction(event)
        if event.kind == PAYLOAD_CHANGED:
            return self._minutes(event) if _is_call_end(event) else []
        return [self._row(event, unit=Unit.OUTCOME, quantity=Decimal(1), outcome_kind=event.kind)]

    def _transaction(self, event: "WorkEvent") -> list[UsageRecord]:
        item = self.items.get(event.item_id or 0)
        if item is None:
            return []
        agent = self.agents_by_user.get(event.actor_id or 0) or self.agents.get(
            item["assignee_id"] or 0
        )
        return [
            self._row(
                event,
                unit=Unit.TRANSACTION,
                quantity=Decimal(1),
                work_type=item["work_type"],
                skill=_first_skill(item["skill_keys"]),
                agent=agent,
                source_key=f"item:{event.item_id}",
            )
        ]

    def _minutes(self, event: "WorkEvent") -> list[UsageRecord]:
        item = self.items.get(event.item_id or 0)
        if item is None:
            return []
        seconds = (item.get("payload") or {}).get(CALL_DURATION)
        if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds <= 0:
            return []
        return [
            self._row(
                event,
                unit=Unit.MINUTE,
                quantity=(Decimal(seconds) / MINUTE).quantize(QUANTUM),
                work_type=item["work_type"],
                agent=self.agents.get(item["assignee_id"] or 0),
                source_key=f"call:{event.item_id}",
                event_key=False,
            )
        ]

    def _row(
        self,
        event: "WorkEvent",
        *,
        unit: str,
        quantity: Decimal,
        work_type: str = "",
        outcome_kind: str = "",
        skill: str = "",
        agent: "Agent | None" = None,
        source_key: str = "",
        event_key: bool = True,
    ) -> UsageRecord:
        client = self.clients[event.client_id]
        return UsageRecord(
            client_id=event.client_id,
            engagement_id=event.engagement_id or 0,  # rows_of skips events without one
            unit=unit,
            quantity=quantity,
            work_type=work_type or str(event.data.get("work_type") or "")[:40],
            outcome_kind=outcome_kind,
            shore=self.shore(agent, client),
            site_id=agent.site_id if agent else None,
            skill=skill,
            source_event_id=event.pk if event_key else None,
            source_key=source_key,
            occurred_at=event.at,
            period=period_of(event.at, client.time_zone),
        )


def _is_call_end(event: "WorkEvent") -> bool:
    return event.kind == PAYLOAD_CHANGED and CALL_DURATION in (event.data.get("fields") or [])


def _items(
    client_ids: list[int], item_ids: Iterable[int], *, with_payload: bool
) -> dict[int, dict[str, Any]]:
    wanted = sorted(item_ids)
    if not wanted:
        return {}
    found = work.items(client_ids=client_ids).filter(pk__in=wanted)
    fields = ["pk", "work_type", "skill_keys", "assignee_id"] + (
        ["payload"] if with_payload else []
    )
    return {row["pk"]: row for row in found.values(*fields)}


def _first_skill(keys: object) -> str:
    """The item's first required skill, as a rate line names it ("billing", not
    "billing:3")."""
    if isinstance(keys, list) and keys:
        return str(keys[0]).split(":")[0][:40]
    return ""
