"""The floor per agent: state and time in it, items in hand, handle time and occupancy
today, for the agents a lead watches.

Figures come from three queries whatever the number of agents (items in hand, items
resolved today, presence changes today), so a floor of 500 agents costs what one of 5
does. Definitions (docs/operations.md, "The floor per agent"):

- today starts at midnight in the site's time zone setting (`TIME_ZONE`, UTC by default);
- handle time today = the working time (between start and resolve, less waiting) of the
  items the agent resolved today plus the items in hand, as the engine's clock counts it;
- average handle time = that working time on the items resolved today / their number;
- staffed time today = time Available or Busy since midnight, from the presence history;
- occupancy = handle time today / staffed time today, at most 100 %.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from tercero.delivery.work import access, lifecycle
from tercero.delivery.work.models import Channel, WorkItem
from tercero.delivery.workforce.models import Agent, PresenceChange
from tercero.platform.audit.services import record
from tercero.platform.identity.models import Grant, User
from tercero.platform.identity.roles import Role

# who watches every agent granted to their clients; a team lead watches their own teams
WATCH_ALL = frozenset({Role.PROVIDER_ADMIN, Role.DELIVERY_MANAGER})
STAFFED = frozenset({Agent.Presence.AVAILABLE, Agent.Presence.BUSY})
CHANNEL_LABELS = dict(Channel.choices)


@dataclass
class AgentFigures:
    """One agent's figures for today."""

    in_hand: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    resolved_today: int = 0
    resolved_handle_seconds: int = 0
    handle_seconds_today: int = 0
    staffed_seconds: int = 0

    @property
    def average_handle_seconds(self) -> int | None:
        if not self.resolved_today:
            return None
        return self.resolved_handle_seconds // self.resolved_today

    @property
    def occupancy_percent(self) -> int | None:
        if not self.staffed_seconds:
            return None
        return min(100, round(100 * self.handle_seconds_today / self.staffed_seconds))

    @property
    def in_hand_words(self) -> str:
        """'2 Chat, 1 Back office' or 'none'."""
        if not self.in_hand:
            return "none"
        return ", ".join(
            f"{count} {CHANNEL_LABELS.get(channel, channel)}"
            for channel, count in sorted(self.by_channel.items())
        )


def start_of_today(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return timezone.make_aware(datetime.combine(local.date(), time.min), local.tzinfo)


def watched_agents(*, user: User, client_ids: list[int]) -> QuerySet[Agent]:
    """Active agents granted to one of the caller's clients; a team lead's own teams only."""
    granted = Grant.objects.filter(client_id__in=client_ids).values("user_id")
    found = Agent.objects.filter(user_id__in=granted, user__is_active=True).select_related(
        "user", "site", "membership__team"
    )
    if user.role not in WATCH_ALL:
        found = found.filter(membership__team__lead=user)
    return found


def figures_of(
    *, agents: Sequence[Agent], client_ids: list[int], now: datetime, viewer: User | None = None
) -> dict[int, AgentFigures]:
    """Each agent's figures for today, counting only items of the caller's clients that
    the viewer may see (the data-residency rule applies, as on the item lists)."""
    start = start_of_today(now)
    ids = [agent.pk for agent in agents]
    figures = {agent_id: AgentFigures() for agent_id in ids}
    items = access.restrict(
        viewer, WorkItem.objects.filter(client_id__in=client_ids, assignee_id__in=ids), client_ids
    )
    _add_in_hand(figures, items, now)
    _add_resolved(figures, items, start)
    for agent in agents:
        figures[agent.pk].handle_seconds_today += figures[agent.pk].resolved_handle_seconds
    _add_staffed(figures, agents, start, now)
    return figures


def _add_in_hand(
    figures: dict[int, AgentFigures], items: QuerySet[WorkItem], now: datetime
) -> None:
    rows = (
        items.filter(status__in=lifecycle.WITH_AGENT)
        .values_list("assignee_id", "channel", "handle_seconds", "working_since")
        .order_by()
    )
    for agent_id, channel, handled, working_since in rows:
        row = figures[agent_id]
        row.in_hand += 1
        row.by_channel[channel] = row.by_channel.get(channel, 0) + 1
        running = (now - working_since).total_seconds() if working_since else 0
        row.handle_seconds_today += handled + max(int(running), 0)


def _add_resolved(
    figures: dict[int, AgentFigures], items: QuerySet[WorkItem], start: datetime
) -> None:
    rows = (
        items.filter(resolved_at__gte=start)
        .values("assignee_id")
        .annotate(resolved=Count("id"), handled=Sum("handle_seconds"))
        .order_by()
    )
    for row in rows:
        figures[row["assignee_id"]].resolved_today = row["resolved"]
        figures[row["assignee_id"]].resolved_handle_seconds = row["handled"] or 0


def _add_staffed(
    figures: dict[int, AgentFigures], agents: Sequence[Agent], start: datetime, now: datetime
) -> None:
    changes: dict[int, list[tuple[datetime, str, str]]] = defaultdict(list)
    for agent_id, at, presence, previous in (
        PresenceChange.objects.filter(agent_id__in=[a.pk for a in agents], at__gte=start)
        .order_by("agent_id", "at", "id")
        .values_list("agent_id", "at", "presence", "previous")
    ):
        changes[agent_id].append((at, presence, previous))
    for agent in agents:
        figures[agent.pk].staffed_seconds = staffed_seconds(
            changes.get(agent.pk, []),
            presence=agent.presence,
            since=agent.presence_since,
            start=start,
            now=now,
        )


def staffed_seconds(
    changes: Iterable[tuple[datetime, str, str]],
    *,
    presence: str,
    since: datetime,
    start: datetime,
    now: datetime,
) -> int:
    """Seconds Available or Busy between `start` and `now`, given the day's changes in
    order (at, new presence, previous presence) and the agent's presence now."""
    ordered = list(changes)
    if not ordered:
        held_from = max(start, since)
        return int((now - held_from).total_seconds()) if presence in STAFFED else 0
    total = 0.0
    state, from_at = ordered[0][2], start
    for at, new, _previous in ordered:
        if state in STAFFED:
            total += (at - from_at).total_seconds()
        state, from_at = new, at
    if state in STAFFED:
        total += (now - from_at).total_seconds()
    return max(int(total), 0)


def state_seconds(agent: Agent, now: datetime) -> int:
    return max(int((now - agent.presence_since).total_seconds()), 0)


def record_floor_export(*, user: User, rows: int, filters: dict[str, str]) -> None:
    """The per-agent floor left the building as CSV: who, how many rows, which filters."""
    record(
        action="floor.agents.exported",
        actor=user,
        object_type="agent",
        payload={"rows": rows, "filters": filters},
    )
