"""Adherence read from published shifts and agents' presence history: the real-time
board (each scheduled agent now) and the figures per agent and local day.

A shift is work activity except its breaks, with a lead's meetings, training and the
like laid over it (neutral time); presence comes from the agent's `PresenceChange`
history (`adherence.presence_spans`), and `adherence.adherence` says which time was in,
out or neutral."""

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from tercero.delivery.scheduling import selectors
from tercero.delivery.scheduling.adherence import (
    NEUTRAL_KINDS,
    Activity,
    Adherence,
    PresenceSpan,
    adherence,
    presence_spans,
)
from tercero.delivery.scheduling.models import ScheduledShift
from tercero.delivery.workforce.models import Agent, PresenceChange

WORK, BREAK = "work", "break"


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_today(agent: Agent, *, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(zone(agent.site.time_zone)).date()


def activities(shifts: list[ScheduledShift]) -> list[Activity]:
    """The shifts as work and break activities in time order, each shift followed by the
    activities laid over it (listed later, so they hold where they overlap)."""
    found = []
    for shift in shifts:
        found.extend(_blocks(shift))
        found.extend(
            Activity(start=datetime.fromisoformat(a), end=datetime.fromisoformat(b), kind=kind)
            for a, b, kind in shift.activities
        )
    return found


def current(found: list[Activity], at: datetime) -> Activity | None:
    """The activity that holds at `at`: the latest-starting one, the later listed on a tie
    (the layering rule of `adherence.adherence`)."""
    holding = [(a.start, index) for index, a in enumerate(found) if a.start <= at < a.end]
    return found[max(holding)[1]] if holding else None


def _blocks(shift: ScheduledShift) -> list[Activity]:
    """The shift's work time and breaks."""
    found = []
    cursor = shift.start_at
    for begins, ends in sorted(shift.breaks):
        start, end = datetime.fromisoformat(begins), datetime.fromisoformat(ends)
        if start > cursor:
            found.append(Activity(start=cursor, end=start, kind=WORK))
        found.append(Activity(start=start, end=end, kind=BREAK))
        cursor = end
    if shift.end_at > cursor:
        found.append(Activity(start=cursor, end=shift.end_at, kind=WORK))
    return found


def presence_of(agent: Agent, start: datetime, end: datetime) -> list[PresenceSpan]:
    """The agent's presence spans over [start, end) from their history."""
    changes = list(
        PresenceChange.objects.filter(agent=agent, at__gte=start, at__lt=end)
        .order_by("at", "id")
        .values_list("at", "presence")
    )
    before = (
        PresenceChange.objects.filter(agent=agent, at__lt=start)
        .order_by("-at", "-id")
        .values_list("presence", flat=True)
        .first()
    )
    return list(
        presence_spans(changes, start=start, end=end, initial=before or Agent.Presence.OFFLINE)
    )


@dataclass(frozen=True)
class DayRow:
    agent_id: int
    name: str
    day: date
    time_zone: str
    scheduled_seconds: float
    neutral_seconds: float
    in_seconds: float
    out_seconds: float
    percent: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def day_shifts(agent: Agent, day: date) -> list[ScheduledShift]:
    """The agent's published shifts that start on their local `day`."""
    start, end = selectors.local_day_bounds(day, agent.site.time_zone)
    found = selectors.published_shifts(agent_ids=[agent.pk], start=start, end=end)
    return [shift for shift in found if start <= shift.start_at < end]


def agent_day(
    agent: Agent,
    day: date,
    *,
    until: datetime | None = None,
    shifts: list[ScheduledShift] | None = None,
) -> Adherence:
    """The agent's adherence on their local `day` (up to `until` when it is today); a
    shift running past midnight counts on the day it starts."""
    start, end = selectors.local_day_bounds(day, agent.site.time_zone)
    shifts = day_shifts(agent, day) if shifts is None else shifts
    spans = presence_of(agent, start, max([end, *[s.end_at for s in shifts]]))
    return adherence(activities(shifts), spans, until=until)


def scheduled_agents(*, day: date | None, agent_ids: list[int] | None) -> list[Agent]:
    """Agents with a published shift near `day` (all sites' local days overlap it)."""
    found = Agent.objects.select_related("user", "site").order_by("id")
    if agent_ids is not None:
        found = found.filter(pk__in=agent_ids)
    with_shifts = ScheduledShift.objects.filter(schedule__status="published")
    if day is not None:
        with_shifts = with_shifts.filter(
            start_at__date__gte=day.fromordinal(day.toordinal() - 1),
            start_at__date__lte=day.fromordinal(day.toordinal() + 1),
        )
    return list(found.filter(pk__in=with_shifts.values("agent_id")))


def day_rows(*, day: date, agent_ids: list[int] | None = None) -> list[DayRow]:
    """Adherence per agent on their local `day`, for agents scheduled that day."""
    rows = []
    now = timezone.now()
    for agent in scheduled_agents(day=day, agent_ids=agent_ids):
        figures = agent_day(agent, day, until=now)
        if figures.scheduled_seconds <= 0:
            continue
        rows.append(
            DayRow(
                agent_id=agent.pk,
                name=agent.user.full_name or agent.user.email,
                day=day,
                time_zone=agent.site.time_zone,
                scheduled_seconds=figures.scheduled_seconds,
                neutral_seconds=figures.neutral_seconds,
                in_seconds=figures.in_seconds,
                out_seconds=figures.out_seconds,
                percent=figures.percent,
            )
        )
    return rows


@dataclass(frozen=True)
class NowRow:
    """One agent on the real-time board."""

    agent_id: int
    name: str
    site: str
    activity: str
    presence: str
    is_in: bool | None
    is_neutral: bool
    since: str
    percent_today: float | None


ACTIVITY_WORDS = {
    WORK: "Working",
    BREAK: "On a break",
    "meeting": "In a meeting",
    "training": "In training",
    "coaching": "Coaching",
    "exception": "Approved exception",
    None: "Off shift",
}


def now_rows(*, now: datetime | None = None) -> list[NowRow]:
    """Each agent with a published shift today at their site: what the schedule says
    now, their presence, whether they adhere and since when, and today's adherence."""
    at = now or timezone.now()
    rows = []
    for agent in scheduled_agents(day=at.date(), agent_ids=None):
        today = local_today(agent, now=at)
        shifts = day_shifts(agent, today)
        if shifts:
            figures = agent_day(agent, today, until=at, shifts=shifts)
            rows.append(_now_row(agent, figures, at, shifts))
    return sorted(rows, key=lambda row: (row.is_in is not False, row.name))


def _now_row(
    agent: Agent, figures: Adherence, at: datetime, shifts: list[ScheduledShift]
) -> NowRow:
    holding = current(activities(shifts), at)
    is_neutral = holding is not None and holding.kind in NEUTRAL_KINDS
    out_now = [span for span in figures.out_spans if span[0] <= at <= span[1]]
    if out_now:
        is_in: bool | None = False
        since = out_now[-1][0]
    else:
        is_in = True if holding and not is_neutral else None
        since = agent.presence_since
    local = since.astimezone(zone(agent.site.time_zone))
    return NowRow(
        agent_id=agent.pk,
        name=agent.user.full_name or agent.user.email,
        site=agent.site.name,
        activity=ACTIVITY_WORDS[holding.kind if holding else None],
        presence=Agent.Presence(agent.presence).label,
        is_in=is_in,
        is_neutral=is_neutral,
        since=f"{local:%H:%M} ({local.tzname()})",
        percent_today=figures.percent,
    )
