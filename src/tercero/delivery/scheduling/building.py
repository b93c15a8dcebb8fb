"""Building a schedule in a worker: the staffing plan's needs for the queues the sites'
agents serve, the sites' templates and labour rules and the agents' time off go to the
roster optimiser (`rostering.solve`); its shifts and the coverage per queue and interval
are stored, and the progress is written as it goes so the page can show it.

An agent serves a queue when cleared for its engagement and skilled for every work type
it takes (`selectors.queues_served`). A schedule covers the whole need of the queues its
agents serve: when agents of several
sites serve one queue, schedule those sites together."""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from tercero.delivery.planning.selectors import IntervalNeed, needs_for
from tercero.delivery.scheduling import rostering, selectors
from tercero.delivery.scheduling.labour import LabourRules
from tercero.delivery.scheduling.models import QueueCoverage, Schedule, ScheduledShift
from tercero.delivery.scheduling.skills import SkillGap
from tercero.delivery.workforce.models import Agent, Site
from tercero.platform.audit.services import record
from tercero.platform.tenancy.scoping import all_clients_scope

log = logging.getLogger(__name__)


@dataclass
class Inputs:
    """What the optimiser is given for one schedule."""

    needs: list[IntervalNeed]
    agents: list[rostering.AgentSupply]
    templates: list[rostering.ShiftTemplate]
    rules: LabourRules
    queue_clients: dict[int, int]
    template_labels: dict[str, str]
    skill_gaps: list[SkillGap]


def run(*, schedule_id: int) -> Schedule:
    """Build the schedule if it is waiting to be built; returns it as it stands."""
    schedule = Schedule.objects.get(pk=schedule_id)
    if schedule.status != Schedule.Status.SOLVING:
        return schedule
    try:
        with all_clients_scope():
            inputs = gather(schedule)
            nothing = nothing_to_cover(inputs)
            if nothing:
                _fail(schedule_id, nothing)
                return Schedule.objects.get(pk=schedule_id)
            _progress(schedule_id, f"Optimising {len(inputs.agents)} agents' shifts.")
            roster = rostering.solve(
                needs=[
                    rostering.Need(key=n.key, start=n.start, minutes=n.minutes, agents=n.agents)
                    for n in inputs.needs
                ],
                agents=inputs.agents,
                templates=inputs.templates,
                rules=inputs.rules,
                first_day=schedule.first_day,
                days=schedule.days,
                time_limit_seconds=float(schedule.time_limit_seconds),
                progress=lambda text: _progress(schedule_id, text),
            )
            store(schedule, inputs, roster)
    except Exception as error:
        log.exception("Schedule %s could not be built", schedule_id)
        _fail(schedule_id, str(error) or error.__class__.__name__)
    return Schedule.objects.get(pk=schedule_id)


def nothing_to_cover(inputs: Inputs) -> str:
    """Why there is nothing to build, in words a lead can act on; empty when there is."""
    if not inputs.agents and inputs.skill_gaps:
        return " ".join(gap.sentence for gap in inputs.skill_gaps) + (
            " Give agents these skills under Agents, or clear skilled agents, first."
        )
    if not inputs.agents:
        return (
            "None of these sites' agents is cleared for an engagement with an open queue: "
            "clear agents for the engagements they serve first."
        )
    if not inputs.needs:
        return (
            "No staffing plan covers these days for the queues these agents serve: "
            "make a staffing plan for them under Planning first."
        )
    return ""


def period(schedule: Schedule, sites: list[Site]) -> tuple[datetime, datetime]:
    """From the first local midnight of the first day at any site to the last local
    midnight after the last day."""
    last = schedule.first_day + timedelta(days=schedule.days - 1)
    starts = [selectors.local_day_bounds(schedule.first_day, s.time_zone)[0] for s in sites]
    ends = [selectors.local_day_bounds(last, s.time_zone)[1] for s in sites]
    return min(starts), max(ends)


def gather(schedule: Schedule) -> Inputs:
    """The optimiser's inputs, read in the all-clients scope (a roster spans clients)."""
    sites = list(schedule.sites.all())
    start, end = period(schedule, sites)
    agents = list(selectors.agents_at(sites=sites))
    agent_ids = [agent.pk for agent in agents]
    served = selectors.queues_served(agent_ids=agent_ids)
    queue_ids = sorted({queue for queues in served.values() for queue in queues})
    queue_clients = selectors.queue_clients(queue_ids=queue_ids)
    needs = (
        needs_for(
            client_ids=sorted(set(queue_clients.values())),
            start=start,
            end=end,
            queue_ids=queue_ids,
        )
        if queue_ids
        else []
    )
    templates, labels, per_site = _templates(sites)
    away = _away(agents, start, end)
    supply = [
        rostering.AgentSupply(
            agent_id=agent.pk,
            time_zone=agent.site.time_zone,
            serves=frozenset(f"queue:{queue}" for queue in served[agent.pk]),
            unavailable=tuple(away[agent.pk]),
            templates=per_site[agent.site_id],
        )
        for agent in agents
        if served[agent.pk]
    ]
    return Inputs(
        needs=needs,
        agents=supply,
        templates=templates,
        rules=selectors.rules_of(site=sites[0]),
        queue_clients=queue_clients,
        template_labels=labels,
        skill_gaps=selectors.skill_gaps(agent_ids=agent_ids),
    )


def _templates(
    sites: list[Site],
) -> tuple[list[rostering.ShiftTemplate], dict[str, str], dict[int, frozenset[str]]]:
    """Templates keyed `<site id>.<key>`, so two sites' "early" shifts stay apart."""
    templates, labels, per_site = [], {}, {}
    for site in sites:
        keys = []
        for stored in selectors.templates_of(site=site):
            key = f"{site.pk}.{stored.key}"
            keys.append(key)
            labels[key] = stored.label
            templates.append(
                rostering.ShiftTemplate(
                    key=key,
                    label=stored.label,
                    start=stored.start,
                    minutes=stored.minutes,
                    weekdays=frozenset(stored.weekdays),
                )
            )
        per_site[site.pk] = frozenset(keys)
    return templates, labels, per_site


def _away(
    agents: list[Agent], start: datetime, end: datetime
) -> dict[int, list[tuple[datetime, datetime]]]:
    away: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for row in selectors.unavailable(agent_ids=[a.pk for a in agents], start=start, end=end):
        away[row.agent_id].append((row.start_at, row.end_at))
    return away


def store(schedule: Schedule, inputs: Inputs, roster: rostering.Roster) -> None:
    """Keep the roster's shifts and the coverage per queue and interval, in one go."""
    short = {(gap.key, gap.start): max(gap.needed - gap.planned, 0.0) for gap in roster.gaps}
    coverage = [
        QueueCoverage(
            client_id=inputs.queue_clients[need.queue_id],
            schedule=schedule,
            queue_id=need.queue_id,
            start_at=need.start,
            minutes=need.minutes,
            needed=need.agents,
            short=short.get((need.key, need.start), 0.0),
        )
        for need in inputs.needs
    ]
    with transaction.atomic():
        ScheduledShift.objects.filter(schedule=schedule).delete()
        QueueCoverage.objects.filter(schedule=schedule).delete()
        ScheduledShift.objects.bulk_create(_shift_rows(schedule, inputs, roster))
        QueueCoverage.objects.bulk_create(coverage)
        Schedule.objects.filter(pk=schedule.pk).update(
            status=Schedule.Status.READY,
            progress=f"Built: {len(roster.shifts)} shifts.",
            solve_status=roster.status,
            solve_seconds=roster.solve_seconds,
            under_agent_minutes=roster.under_agent_minutes,
            over_agent_minutes=roster.over_agent_minutes,
            coverage_percent=coverage_percent(coverage),
            client_ids=sorted({row.client_id for row in coverage}),
            error="",
        )
        record(
            action="schedule.built",
            object_type="schedule",
            object_id=schedule.pk,
            payload={"shifts": len(roster.shifts), "solve_status": roster.status},
        )


def _shift_rows(
    schedule: Schedule, inputs: Inputs, roster: rostering.Roster
) -> list[ScheduledShift]:
    return [
        ScheduledShift(
            schedule=schedule,
            agent_id=shift.agent_id,
            template=inputs.template_labels.get(shift.template, shift.template),
            start_at=shift.start,
            end_at=shift.end,
            breaks=[[a.isoformat(), b.isoformat()] for a, b in shift.breaks],
            serves=list(shift.serves),
        )
        for shift in roster.shifts
    ]


def coverage_percent(rows: list[QueueCoverage]) -> float | None:
    """Agent-minutes covered over agent-minutes needed, in per cent (None: no need)."""
    return selectors.coverage_percent(rows)


def _progress(schedule_id: int, text: str) -> None:
    Schedule.objects.filter(pk=schedule_id, status=Schedule.Status.SOLVING).update(
        progress=text[:300]
    )


def _fail(schedule_id: int, reason: str) -> None:
    with transaction.atomic():
        Schedule.objects.filter(pk=schedule_id).update(
            status=Schedule.Status.FAILED,
            error=reason[:500],
            progress="",
            solve_status="",
        )
        record(
            action="schedule.failed",
            object_type="schedule",
            object_id=schedule_id,
            payload={"error": reason[:200]},
        )
