"""Who a lead may give one item to: only agents the routing rules let take it (the same
`routing.reasons` that `assign` applies), found by name or site, least loaded first.

Built for a floor of hundreds of agents in four queries whatever their number: the
agents cleared for the item's engagement, the item's skill requirements, their open
assignments per channel, and the engagement's calendar once."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count
from django.utils import timezone

from tercero.delivery.engagements.business_time import BusinessCalendar
from tercero.delivery.engagements.residency import site_satisfies_residency
from tercero.delivery.work import queue_hours, routing
from tercero.delivery.work.models import Assignment, SkillRequirement, WorkItem
from tercero.delivery.workforce.models import Agent, Clearance

if TYPE_CHECKING:
    from tercero.delivery.workforce.models import Site

SHOWN = 50
PRESENCE_ORDER = {"available": 0, "busy": 1, "break": 2, "offline": 3}


@dataclass(frozen=True)
class Candidate:
    agent: Agent
    load: int  # open items on the item's channel
    limit: int  # how many the agent may hold on that channel
    skill_levels: tuple[tuple[str, int], ...]  # the agent's level in each required skill

    @property
    def label(self) -> str:
        """One line of the picker: "Ana Agent — Manila · 1 of 3 chats · payroll 3 · Available"."""
        parts = [self.agent.site.name, f"{self.load} of {self.limit} open"]
        parts += [f"{skill.replace('_', ' ')} {level}" for skill, level in self.skill_levels]
        parts.append(self.agent.get_presence_display())
        return f"{self.agent.user.full_name} — {' · '.join(parts)}"


@dataclass(frozen=True)
class Picker:
    candidates: list[Candidate]
    eligible: int  # all eligible agents, before the search and the SHOWN limit
    sites: list[tuple[int, str]]  # the eligible agents' sites, for the site filter
    # why nobody may take it now whoever they are: "Closed; opens Monday 1 March at 16:00"
    closed: str = ""


def eligible_agents(*, item: WorkItem, query: str = "", site_id: int | None = None) -> Picker:
    """Agents who may take `item` now, matching `query` (name or e-mail) and `site_id`,
    available and least loaded first; at most SHOWN."""
    engagement = item.engagement
    if engagement.status not in routing.ACCEPTING:
        return Picker(candidates=[], eligible=0, sites=[])
    now = timezone.now()
    opening = queue_hours.opening_of(item.queue, now)
    if opening is not None and not opening.is_open:  # `assign` refuses every agent
        closed = queue_hours.state_in_words(item.queue, now)
        return Picker(candidates=[], eligible=0, sites=[], closed=closed)
    required = dict(SkillRequirement.objects.filter(item=item).values_list("skill", "min_level"))
    agents = list(
        Agent.objects.filter(
            pk__in=Clearance.objects.filter(engagement_id=engagement.pk).values("agent_id"),
            user__is_active=True,
        ).select_related("user", "site")
    )
    loads = _loads([agent.pk for agent in agents])
    calendar = BusinessCalendar.of(engagement)
    residency: dict[int, bool] = {}
    found = []
    for agent in agents:
        if agent.site_id not in residency:
            residency[agent.site_id] = site_satisfies_residency(engagement, agent.site)
        context = routing.AgentContext(agent=agent, load=loads.get(agent.pk, {}))
        context.engagements[engagement.pk] = routing.ClearedEngagement(
            id=engagement.pk,
            client_id=engagement.client_id,
            name=engagement.name,
            residency_ok=residency[agent.site_id],
            calendar_signature=(),
            calendar=calendar,
        )
        if routing.reasons(context, item, required):
            continue
        found.append(_candidate(agent, context, item, required))
    return _picked(found, query.strip().lower(), site_id)


def _loads(agent_ids: list[int]) -> dict[int, dict[str, int]]:
    loads: dict[int, dict[str, int]] = {}
    rows = (
        Assignment.objects.filter(agent_id__in=agent_ids, ended_at__isnull=True)
        .values_list("agent_id", "channel")
        .annotate(n=Count("id"))
        .order_by()
    )
    for agent_id, channel, count in rows:
        loads.setdefault(agent_id, {})[channel] = count
    return loads


def _candidate(
    agent: Agent, context: routing.AgentContext, item: WorkItem, required: dict[str, int]
) -> Candidate:
    return Candidate(
        agent=agent,
        load=context.load.get(item.channel, 0),
        limit=agent.capacity.get(item.channel, 0),
        skill_levels=tuple((skill, agent.skills.get(skill, 0)) for skill in sorted(required)),
    )


def _picked(found: list[Candidate], query: str, site_id: int | None) -> Picker:
    sites: dict[int, Site] = {c.agent.site_id: c.agent.site for c in found}
    matching = [
        c
        for c in found
        if (site_id is None or c.agent.site_id == site_id)
        and (
            not query
            or query in c.agent.user.full_name.lower()
            or query in c.agent.user.email.lower()
        )
    ]
    matching.sort(
        key=lambda c: (
            PRESENCE_ORDER.get(c.agent.presence, 9),
            c.load / c.limit if c.limit else 1,
            c.agent.user.full_name,
        )
    )
    return Picker(
        candidates=matching[:SHOWN],
        eligible=len(found),
        sites=sorted(((pk, site.name) for pk, site in sites.items()), key=lambda s: s[1]),
    )
