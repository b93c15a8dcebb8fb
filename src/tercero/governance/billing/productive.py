"""Productive hours and FTE, metered from presence and clearances.

Productive time is time an agent's presence is "available" or "busy" (signed in and
working); breaks, paid or not, and time offline are not. An agent cleared for several
engagements (of any clients) has each moment split equally between them: the simple,
documented rule, stable whatever work arrives later. Hours are metered per agent,
engagement and day of the client's calendar, only for days that have ended, under a
source key ("presence:<agent>:<engagement>:<day>"), so re-running a day writes nothing.

FTE per month is the number of agents cleared for the engagement on the month's last
day, each counted by the same share (an agent cleared for two engagements is half an FTE
in each), one row per engagement and site, written once the month has ended."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from tercero.delivery.engagements import selectors as engagements
from tercero.delivery.scheduling.adherence import presence_spans
from tercero.delivery.workforce import selectors as workforce
from tercero.delivery.workforce.shore import shore_of
from tercero.governance.billing.metering import QUANTUM, insert
from tercero.governance.billing.models import Unit, UsageRecord
from tercero.governance.billing.rating import month_of
from tercero.platform.tenancy.models import Client

if TYPE_CHECKING:
    from tercero.delivery.workforce.models import Agent

PRODUCTIVE = frozenset({"available", "busy"})
HOUR = Decimal(3600)


def day_bounds(day: date, time_zone: str) -> tuple[datetime, datetime]:
    """The UTC start and end of `day` in the time zone."""
    zone = ZoneInfo(time_zone)
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def productive_seconds(changes: list[tuple[datetime, str]], start: datetime, end: datetime) -> int:
    """Seconds in [start, end) with a productive presence."""
    return int(
        sum(
            (span.end - span.start).total_seconds()
            for span in presence_spans(changes, start=start, end=end)
            if span.state in PRODUCTIVE
        )
    )


@dataclass
class _Cleared:
    """For a client's engagements: the agents cleared for each, when each was cleared,
    how many engagements (of any client) each agent is cleared for, and the agents."""

    agents_of: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    since: dict[tuple[int, int], datetime] = field(default_factory=dict)
    counts: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    agents: "dict[int, Agent]" = field(default_factory=dict)


def _cleared(client: Client) -> _Cleared:
    engagement_ids = list(
        engagements.engagements(client_ids=[client.pk]).values_list("pk", flat=True)
    )
    found = _Cleared()
    for clearance in workforce.clearances_for(engagement_ids=engagement_ids):
        found.agents_of[clearance.engagement_id].append(clearance.agent_id)
        found.agents[clearance.agent_id] = clearance.agent
        found.since[(clearance.agent_id, clearance.engagement_id)] = clearance.created_at
    for clearance in workforce.clearances_for(agent_ids=list(found.agents)):
        found.counts[clearance.agent_id] += 1
    return found


def meter_day(*, client: Client, day: date) -> None:
    """Productive hours of every agent cleared for the client's engagements on `day`
    (the client's calendar). Needs every client's clearances in view (the system scope)."""
    start, end = day_bounds(day, client.time_zone)
    if end > timezone.now():
        return  # a day is metered once it has ended
    cleared = _cleared(client)
    agents = cleared.agents
    history = workforce.presence_history(agent_ids=list(agents), start=start, end=end)
    seconds = {agent_id: productive_seconds(history[agent_id], start, end) for agent_id in agents}
    rows = []
    for engagement_id, agent_ids in sorted(cleared.agents_of.items()):
        for agent_id in agent_ids:
            hours = Decimal(seconds[agent_id]) / HOUR / cleared.counts[agent_id]
            if hours > 0:
                rows.append(
                    _row(
                        client,
                        engagement_id,
                        agents[agent_id],
                        unit=Unit.PRODUCTIVE_HOUR,
                        quantity=hours.quantize(QUANTUM),
                        key=f"presence:{agent_id}:{engagement_id}:{day.isoformat()}",
                        at=start,
                        period=day.replace(day=1),
                    )
                )
    with transaction.atomic():
        insert(rows)


def meter_fte(*, client: Client, period: date) -> None:
    """The month's FTE per engagement and site, once the month has ended."""
    first, last = month_of(period)
    _, end = day_bounds(last, client.time_zone)
    if end > timezone.now():
        return
    cleared = _cleared(client)
    totals: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for engagement_id, agent_ids in cleared.agents_of.items():
        for agent_id in agent_ids:
            if cleared.since[(agent_id, engagement_id)] < end:
                site_id = cleared.agents[agent_id].site_id
                totals[(engagement_id, site_id)] += Decimal(1) / cleared.counts[agent_id]
    sites = {agent.site_id: agent for agent in cleared.agents.values()}
    rows = [
        _row(
            client,
            engagement_id,
            sites[site_id],
            unit=Unit.FTE_MONTH,
            quantity=quantity.quantize(QUANTUM),
            key=f"fte:{engagement_id}:{site_id}:{first:%Y-%m}",
            at=end - timedelta(seconds=1),
            period=first,
        )
        for (engagement_id, site_id), quantity in sorted(totals.items())
    ]
    with transaction.atomic():
        insert(rows)


def meter_month(*, client: Client, period: date) -> None:
    """Every ended day of the month, then (once it has ended) its FTE."""
    first, last = month_of(period)
    day = first
    while day <= last:
        meter_day(client=client, day=day)
        day += timedelta(days=1)
    meter_fte(client=client, period=first)


def _row(
    client: Client,
    engagement_id: int,
    agent: "Agent",
    *,
    unit: str,
    quantity: Decimal,
    key: str,
    at: datetime,
    period: date,
) -> UsageRecord:
    return UsageRecord(
        client_id=client.pk,
        engagement_id=engagement_id,
        unit=unit,
        quantity=quantity,
        shore=shore_of(agent.site, client),
        site_id=agent.site_id,
        source_key=key,
        occurred_at=at,
        period=period,
    )
