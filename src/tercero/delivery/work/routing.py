"""Who may work what. One rule set for pull, push and manual assignment:

- the agent is cleared for the item's engagement;
- has every required skill at the required level or better;
- speaks the item's language (when it has one);
- is under capacity for the item's channel;
- and, when the item holds personal data, works at a site that satisfies the
  engagement's data-residency rule.

`AgentContext` gathers what the rules need about one agent in three queries; `reasons`
explains a refusal in words; `eligible_items` is the same rules as a query.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from tercero.delivery.engagements.residency import site_satisfies_residency
from tercero.delivery.work.models import Assignment, SkillRequirement, WorkItem
from tercero.delivery.work.sla import calendar_of
from tercero.delivery.workforce.models import Agent, Clearance


@dataclass
class ClearedEngagement:
    id: int
    client_id: int
    name: str
    residency_ok: bool
    calendar_signature: tuple
    calendar: object


@dataclass
class AgentContext:
    agent: Agent
    engagements: dict[int, ClearedEngagement] = field(default_factory=dict)
    load: dict[str, int] = field(default_factory=dict)

    @property
    def client_ids(self) -> list[int]:
        return sorted({e.client_id for e in self.engagements.values()})

    def open_channels(self) -> list[str]:
        return [
            channel
            for channel, limit in self.agent.capacity.items()
            if self.load.get(channel, 0) < limit
        ]


def context_of(agent: Agent, *, client_ids: list[int] | None = None) -> AgentContext:
    """The agent's clearances (limited to `client_ids` when given) and current load.
    Runs inside a scope that covers those clients."""
    clearances = Clearance.objects.filter(agent=agent).select_related(
        "engagement", "engagement__client"
    )
    if client_ids is not None:
        clearances = clearances.filter(client_id__in=client_ids)
    context = AgentContext(agent=agent)
    for clearance in clearances:
        engagement = clearance.engagement
        if engagement.status not in ("transition", "live"):
            continue
        cal = calendar_of(engagement)
        context.engagements[engagement.pk] = ClearedEngagement(
            id=engagement.pk,
            client_id=engagement.client_id,
            name=engagement.name,
            residency_ok=site_satisfies_residency(engagement, agent.site),
            calendar_signature=cal.signature(),
            calendar=cal,
        )
    context.load = dict(
        Assignment.objects.filter(agent=agent, ended_at__isnull=True)
        .values_list("channel")
        .annotate(n=Count("id"))
    )
    return context


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
            found.append(f"Needs skill {skill!r} at level {level}; the agent has {has}.")
    if item.language and item.language not in agent.languages:
        found.append(f"Needs language {item.language!r}; the agent speaks {agent.languages}.")
    limit = agent.capacity.get(item.channel, 0)
    load = context.load.get(item.channel, 0)
    if load >= limit:
        found.append(f"The agent is at capacity for {item.channel} ({load} of {limit}).")
    if item.personal_data and cleared is not None and not cleared.residency_ok:
        found.append(
            "The item holds personal data and the agent's site "
            f"({agent.site.name}, {agent.site.country}) does not satisfy the engagement's "
            "data-residency rule."
        )
    return found


def skills_filter(agent: Agent) -> Q:
    """Items none of whose requirements the agent fails."""
    meets = Q(pk__in=[])
    for skill, level in agent.skills.items():
        meets |= Q(skill=skill, min_level__lte=level)
    unmet = SkillRequirement.objects.filter(item=OuterRef("pk")).exclude(meets)
    return ~Exists(unmet)


def eligible_items(
    context: AgentContext, *, engagement_ids: list[int], routings: tuple[str, ...]
) -> QuerySet[WorkItem]:
    """Queued items of `engagement_ids` the agent may take, best first."""
    agent = context.agent
    residency_ok = [i for i in engagement_ids if context.engagements[i].residency_ok]
    found = WorkItem.objects.filter(
        status="queued",
        engagement_id__in=engagement_ids,
        queue__routing__in=routings,
        queue__is_active=True,
        channel__in=context.open_channels(),
    ).filter(Q(personal_data=False) | Q(engagement_id__in=residency_ok))
    found = found.filter(Q(language="") | Q(language__in=agent.languages))
    found = found.filter(skills_filter(agent))
    return found.order_by("priority", "due_at", "queued_at", "id")


def calendar_groups(context: AgentContext) -> list[list[int]]:
    """The agent's engagements grouped by identical business calendars. Within a group,
    SLA slack in business time orders exactly like the due moment, so the database can
    sort; across groups the router compares the group heads in business time."""
    groups: dict[tuple, list[int]] = {}
    for engagement in context.engagements.values():
        groups.setdefault(engagement.calendar_signature, []).append(engagement.id)
    return list(groups.values())
