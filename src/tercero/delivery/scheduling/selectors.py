"""Reads of schedules, shifts, templates and rules; pages and the API share them.

Schedules and shifts are the provider's (agents serve many clients); what a schedule
means for a client's queues (`QueueCoverage`) is read in the caller's client scope, so a
person reaching client A never sees client B's queues."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet

from tercero.delivery.scheduling.labour import LabourRules
from tercero.delivery.scheduling.models import (
    LabourRuleSet,
    QueueCoverage,
    Schedule,
    ScheduledShift,
    ShiftTemplate,
    Unavailability,
)
from tercero.delivery.scheduling.skills import SkillGap, meets, queue_needs, skill_gap
from tercero.delivery.work.models import Queue
from tercero.delivery.workforce.models import Agent, Clearance, Site
from tercero.platform.errors import NotFound


def schedules(*, q: str = "", status: str = "") -> QuerySet[Schedule]:
    found = Schedule.objects.prefetch_related("sites").select_related("published_by")
    if status:
        found = found.filter(status=status)
    if q:
        found = found.filter(Q(name__icontains=q) | Q(sites__name__icontains=q)).distinct()
    return found


def access_schedule(*, schedule_id: int) -> Schedule:
    found = schedules().filter(pk=schedule_id).first()
    if found is None:
        raise NotFound("Schedule not found.")
    return found


def access_shift(*, shift_id: int) -> ScheduledShift:
    found = (
        ScheduledShift.objects.filter(pk=shift_id)
        .select_related("schedule", "agent__site", "agent__user")
        .first()
    )
    if found is None:
        raise NotFound("Shift not found.")
    return found


def templates_of(*, site: Site) -> QuerySet[ShiftTemplate]:
    return ShiftTemplate.objects.filter(site=site)


def access_template(*, template_id: int) -> ShiftTemplate:
    found = ShiftTemplate.objects.filter(pk=template_id).select_related("site").first()
    if found is None:
        raise NotFound("Shift template not found.")
    return found


def rules_of(*, site: Site) -> LabourRules:
    """The site's labour rules; the defaults when none were set."""
    stored = LabourRuleSet.objects.filter(site=site).first()
    return LabourRules() if stored is None else LabourRules.from_dict(stored.rules)


def shifts_of(*, schedule: Schedule) -> QuerySet[ScheduledShift]:
    return ScheduledShift.objects.filter(schedule=schedule).select_related(
        "agent__user", "agent__site"
    )


def coverage_of(*, schedule: Schedule) -> QuerySet[QueueCoverage]:
    """The schedule's coverage of the queues in the request's client scope."""
    return QueueCoverage.objects.filter(schedule=schedule).select_related("queue")


@dataclass(frozen=True)
class CoverageFigures:
    """A schedule's cover of the staffing plan as one viewer may see it."""

    percent: float | None
    under_agent_minutes: float | None
    over_agent_minutes: float | None


def coverage_figures(*, schedule: Schedule, client_ids: list[int]) -> CoverageFigures:
    """The stored figures when the viewer reaches every client the schedule covers;
    otherwise the figures of their own clients' queues alone (and no figure beyond the
    plan, which the roster counts across all clients at once)."""
    if set(schedule.client_ids) <= set(client_ids):
        return CoverageFigures(
            schedule.coverage_percent, schedule.under_agent_minutes, schedule.over_agent_minutes
        )
    rows = list(coverage_of(schedule=schedule).filter(client_id__in=client_ids))
    return CoverageFigures(
        coverage_percent(rows),
        sum(min(row.short, row.needed) * row.minutes for row in rows) if rows else None,
        None,
    )


def coverage_percent(rows: list[QueueCoverage]) -> float | None:
    """Agent-minutes covered over agent-minutes needed, in per cent (None: no need)."""
    needed = sum(row.needed * row.minutes for row in rows)
    if needed <= 0:
        return None
    missing = sum(min(row.short, row.needed) * row.minutes for row in rows)
    return round(100 * float(needed - missing) / float(needed), 1)


def published_shifts(
    *, agent_ids: list[int], start: datetime, end: datetime
) -> QuerySet[ScheduledShift]:
    """Published shifts of these agents that overlap [start, end)."""
    return (
        ScheduledShift.objects.filter(
            agent_id__in=agent_ids,
            schedule__status=Schedule.Status.PUBLISHED,
            start_at__lt=end,
            end_at__gt=start,
        )
        .select_related("agent__user", "agent__site", "schedule")
        .order_by("start_at")
    )


def local_day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    """The UTC instants a local day starts and ends in `zone` (23 or 25 hours long on
    the days clocks change)."""
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start, end


def covering_schedule_exists(*, site_id: int, day: date) -> bool:
    """Whether a published schedule of the site includes the local `day`."""
    return any(
        schedule.first_day <= day < schedule.first_day + timedelta(days=schedule.days)
        for schedule in Schedule.objects.filter(
            status=Schedule.Status.PUBLISHED, sites=site_id, first_day__lte=day
        )
    )


def scheduled_now(agent: Agent, at: datetime) -> bool | None:
    """On shift at `at` by the published schedule of the agent's site (breaks count as
    on shift); None when no published schedule covers the agent's local day."""
    day = at.astimezone(ZoneInfo(agent.site.time_zone)).date()
    if not covering_schedule_exists(site_id=agent.site_id, day=day):
        return None
    found = published_shifts(agent_ids=[agent.pk], start=at, end=at + timedelta(seconds=1))
    return bool(found.exists())


def unavailable(
    *, agent_ids: list[int], start: datetime, end: datetime
) -> QuerySet[Unavailability]:
    return Unavailability.objects.filter(
        agent_id__in=agent_ids, start_at__lt=end, end_at__gt=start
    ).select_related("agent__user")


def agents_at(*, sites: list[Site]) -> QuerySet[Agent]:
    """Active agents of the sites, with their user and site."""
    return (
        Agent.objects.filter(site__in=sites, user__is_active=True)
        .select_related("user", "site")
        .order_by("id")
    )


def queues_served(*, agent_ids: list[int]) -> dict[int, set[int]]:
    """{agent id: ids of the open queues the agent may serve}, read in the current client
    scope: the queues of engagements the agent is cleared for whose work types' skills
    the agent holds (`skills`)."""
    cleared, needs, _names = _cleared_queues(agent_ids)
    held = _skills_of(agent_ids)
    return {
        agent_id: {queue_id for queue_id in queues if meets(held[agent_id], needs[queue_id])}
        for agent_id, queues in cleared.items()
    }


def skill_gaps(*, agent_ids: list[int]) -> list[SkillGap]:
    """The open queues some of these agents are cleared for but none has the skills to
    serve, by queue name, read in the current client scope."""
    cleared, needs, names = _cleared_queues(agent_ids)
    held = _skills_of(agent_ids)
    candidates: dict[int, list[dict[str, int]]] = {}
    for agent_id, queues in cleared.items():
        for queue_id in queues:
            candidates.setdefault(queue_id, []).append(held[agent_id])
    gaps = (
        skill_gap(queue_id, names[queue_id], needs[queue_id], skills)
        for queue_id, skills in candidates.items()
    )
    return sorted((gap for gap in gaps if gap), key=lambda gap: (gap.queue_name, gap.queue_id))


def _cleared_queues(
    agent_ids: list[int],
) -> tuple[dict[int, set[int]], dict[int, dict[str, int]], dict[int, str]]:
    """{agent id: open queues of engagements they are cleared for}, each queue's skill
    needs and its name."""
    cleared: dict[int, set[int]] = {agent_id: set() for agent_id in agent_ids}
    engagements: dict[int, set[int]] = {}
    for agent_id, engagement_id in Clearance.objects.filter(agent_id__in=agent_ids).values_list(
        "agent_id", "engagement_id"
    ):
        engagements.setdefault(engagement_id, set()).add(agent_id)
    needs: dict[int, dict[str, int]] = {}
    names: dict[int, str] = {}
    for queue_id, engagement_id, name, work_types in Queue.objects.filter(
        engagement_id__in=list(engagements), is_active=True
    ).values_list("id", "engagement_id", "name", "work_types"):
        needs[queue_id] = queue_needs(work_types or [])
        names[queue_id] = name
        for agent_id in engagements[engagement_id]:
            cleared[agent_id].add(queue_id)
    return cleared, needs, names


def _skills_of(agent_ids: list[int]) -> dict[int, dict[str, int]]:
    found = dict(Agent.objects.filter(pk__in=agent_ids).values_list("id", "skills"))
    return {agent_id: found.get(agent_id) or {} for agent_id in agent_ids}


def queue_clients(*, queue_ids: list[int]) -> dict[int, int]:
    """{queue id: client id}, read in the current client scope."""
    return dict(Queue.objects.filter(pk__in=queue_ids).values_list("id", "client_id"))
