from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Q, QuerySet

from tercero.delivery.workforce.models import (
    Agent,
    Clearance,
    PresenceChange,
    Site,
    Team,
    TeamMembership,
)
from tercero.platform.errors import NotFound

if TYPE_CHECKING:
    from tercero.platform.identity.models import User


def sites(
    *, country: str | None = None, is_active: bool | None = None, q: str = ""
) -> QuerySet[Site]:
    found = Site.objects.all()
    if country:
        found = found.filter(country=country.upper())
    if is_active is not None:
        found = found.filter(is_active=is_active)
    if q:
        found = found.filter(Q(name__icontains=q) | Q(city__icontains=q))
    return found


def access_site(*, site_id: int) -> Site:
    site = Site.objects.filter(pk=site_id).first()
    if site is None:
        raise NotFound("Site not found.")
    return site


def own_agent(user: "User") -> Agent | None:
    """The agent record of a signed-in person, with its site and user (None for people
    who do not take work)."""
    return Agent.objects.filter(user=user).select_related("site", "user").first()


def teams(*, q: str = "") -> QuerySet[Team]:
    """The provider's teams with their lead and site (teams are provider-wide)."""
    found = Team.objects.select_related("lead", "site")
    if q:
        found = found.filter(name__icontains=q)
    return found


def access_team(*, team_id: int) -> Team:
    team = Team.objects.filter(pk=team_id).select_related("lead", "site").first()
    if team is None:
        raise NotFound("Team not found.")
    return team


def members_of(*, team: Team) -> QuerySet[Agent]:
    return Agent.objects.filter(membership__team=team).select_related("user", "site")


def team_of(*, agent: Agent) -> Team | None:
    membership = TeamMembership.objects.filter(agent=agent).select_related("team").first()
    return None if membership is None else membership.team


def access_clearance(*, clearance_id: int, client_ids: list[int]) -> Clearance:
    found = (
        Clearance.objects.filter(pk=clearance_id, client_id__in=client_ids)
        .select_related("agent", "engagement")
        .first()
    )
    if found is None:
        raise NotFound("Clearance not found.")
    return found


def agents_for_teams() -> QuerySet[Agent]:
    """Active staff with a profile: who can be put in a team."""
    return Agent.objects.filter(user__is_active=True).select_related("user", "site")


def agents_of(*, agent_ids: Iterable[int] = (), user_ids: Iterable[int] = ()) -> QuerySet[Agent]:
    """These agents, or the agent records of these people, with their sites: who did a
    piece of work."""
    return Agent.objects.filter(
        Q(pk__in=list(agent_ids)) | Q(user_id__in=list(user_ids))
    ).select_related("site")


def clearances_for(
    *, engagement_ids: Iterable[int] = (), agent_ids: Iterable[int] = ()
) -> QuerySet[Clearance]:
    """Who is cleared for these engagements, or what these agents are cleared for, with
    each agent's site (within the caller's client scope)."""
    return Clearance.objects.filter(
        Q(engagement_id__in=list(engagement_ids)) | Q(agent_id__in=list(agent_ids))
    ).select_related("agent__site")


def presence_history(
    *, agent_ids: Iterable[int], start: datetime, end: datetime
) -> dict[int, list[tuple[datetime, str]]]:
    """Each agent's presence changes as (time, new state) from the last one before `start`
    up to `end`: enough to lay out the agent's presence over [start, end)."""
    chosen = list(agent_ids)
    history: dict[int, list[tuple[datetime, str]]] = {agent_id: [] for agent_id in chosen}
    before = (
        PresenceChange.objects.filter(agent_id__in=chosen, at__lt=start)
        .order_by("agent_id", "-at", "-id")
        .distinct("agent_id")
        if connection.vendor == "postgresql"
        else [
            change
            for agent_id in chosen
            for change in PresenceChange.objects.filter(agent_id=agent_id, at__lt=start).order_by(
                "-at", "-id"
            )[:1]
        ]
    )
    for change in before:
        history[change.agent_id].append((change.at, change.presence))
    within = PresenceChange.objects.filter(agent_id__in=chosen, at__gte=start, at__lt=end)
    for agent_id, at, presence in within.order_by("at", "id").values_list(
        "agent_id", "at", "presence"
    ):
        history[agent_id].append((at, presence))
    return history
