"""Changes to sites and agents. Each writes its audit event."""

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tercero.delivery.workforce.models import (
    DEFAULT_SHRINKAGE,
    Agent,
    Clearance,
    PresenceChange,
    Site,
    Team,
    TeamMembership,
)
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.identity.models import User
from tercero.platform.identity.roles import Role
from tercero.platform.tenancy.models import Provider
from tercero.platform.versioning import update_versioned

if TYPE_CHECKING:
    from tercero.delivery.engagements.models import Engagement

SITE_FIELDS = (
    "name",
    "country",
    "city",
    "time_zone",
    "languages",
    "hourly_cost_minor",
    "currency",
    "shrinkage",
    "is_active",
)


def create_site(
    *,
    actor: User | None,
    provider: Provider,
    name: str,
    country: str,
    city: str,
    time_zone: str,
    hourly_cost_minor: int,
    currency: str,
    languages: list[str] | None = None,
    is_active: bool = True,
    shrinkage: float = DEFAULT_SHRINKAGE,
) -> Site:
    site = Site(
        provider=provider,
        name=name,
        country=country,
        city=city,
        time_zone=time_zone,
        languages=languages or [],
        hourly_cost_minor=hourly_cost_minor,
        currency=currency,
        is_active=is_active,
        shrinkage=shrinkage,
    )

    _validate(site)
    with transaction.atomic():
        site.save()
        record(
            action="site.created",
            actor=actor,
            object_type="site",
            object_id=site.pk,
            payload={"fields": sorted(SITE_FIELDS)},
        )
    return site


def update_site(*, actor: User, site: Site, changes: dict[str, Any]) -> Site:
    unknown = set(changes) - set(SITE_FIELDS)
    if unknown:
        raise InvalidInput("Unknown site fields.", fields=dict.fromkeys(unknown, "unknown field"))
    for name, value in changes.items():
        setattr(site, name, value)
    _validate(site)
    with transaction.atomic():
        site.save()
        record(
            action="site.updated",
            actor=actor,
            object_type="site",
            object_id=site.pk,
            payload={"fields": sorted(changes)},
        )
    return site


def _validate(site: Site) -> None:
    try:
        site.full_clean(exclude=["provider"], validate_constraints=False)
    except ValidationError as error:
        raise InvalidInput("The site is not valid.", fields=_messages(error)) from error
    clash = Site.objects.filter(provider=site.provider, name=site.name).exclude(pk=site.pk)
    if clash.exists():
        raise Conflict("A site with this name exists.", fields={"name": "already used"})


def _messages(error: ValidationError) -> dict[str, str]:
    return {name: " ".join(messages) for name, messages in error.message_dict.items()}


DEFAULT_CAPACITY = {"phone": 1, "chat": 3, "email": 5, "back_office": 10}
AGENT_FIELDS = ("site", "skills", "languages", "capacity")


def create_agent(
    *,
    actor: User | None,
    user: User,
    site: Site,
    skills: dict[str, int] | None = None,
    languages: list[str] | None = None,
    capacity: dict[str, int] | None = None,
) -> Agent:
    """Give a provider user an agent profile; they start offline."""
    if not user.is_provider_staff:
        raise InvalidInput("Only provider staff can be agents.", fields={"user_id": "client user"})
    now = timezone.now()
    agent = Agent(
        user=user,
        site=site,
        skills=skills or {},
        languages=languages or [],
        capacity=DEFAULT_CAPACITY if capacity is None else capacity,
        presence_since=now,
        idle_since=now,
    )
    _check(agent)
    try:
        with transaction.atomic():
            agent.save()
            record(
                action="agent.created",
                actor=actor,
                object_type="agent",
                object_id=agent.pk,
                payload={"user_id": user.pk, "site_id": site.pk},
            )
    except IntegrityError as error:
        raise Conflict(
            "This user already has an agent profile.", fields={"user_id": "taken"}
        ) from error
    return agent


def update_agent(*, actor: User, agent: Agent, version: int, changes: dict[str, Any]) -> Agent:
    unknown = set(changes) - set(AGENT_FIELDS)
    if unknown:
        raise InvalidInput("Unknown agent fields.", fields=dict.fromkeys(unknown, "unknown field"))
    for name, value in changes.items():
        setattr(agent, name, value)
    _check(agent)
    with transaction.atomic():
        update_versioned(Agent, pk=agent.pk, version=version, changes=changes, what="agent")
        record(
            action="agent.updated",
            actor=actor,
            object_type="agent",
            object_id=agent.pk,
            payload={"fields": sorted(changes)},
        )
    agent.refresh_from_db()
    return agent


def _check(agent: Agent) -> None:
    try:
        agent.full_clean(exclude=["user", "presence_since", "idle_since"])
    except ValidationError as error:
        raise InvalidInput("The agent is not valid.", fields=_messages(error)) from error
    if not agent.site.is_active:
        raise InvalidInput("That site is closed.", fields={"site_id": "inactive site"})


def set_presence(*, agent: Agent, presence: str, reason: str = "") -> Agent:
    """Record a presence change (with history). Unchanged presence is a no-op."""
    if presence not in Agent.Presence.values:
        raise InvalidInput(
            "Unknown presence.", fields={"presence": ", ".join(Agent.Presence.values)}
        )
    now = timezone.now()
    with transaction.atomic():
        locked = Agent.objects.select_for_update().get(pk=agent.pk)
        if locked.presence == presence:
            return locked
        PresenceChange.objects.create(
            agent=locked, presence=presence, previous=locked.presence, reason=reason[:200], at=now
        )
        changes = {"presence": presence, "presence_since": now}
        if presence == Agent.Presence.AVAILABLE and locked.presence != presence:
            changes["idle_since"] = max(locked.idle_since, now)
        Agent.objects.filter(pk=locked.pk).update(**changes)
    locked.refresh_from_db()
    return locked


def clear_agent(
    *, actor: User, agent: Agent, engagement: "Engagement", reachable_client_ids: Iterable[int]
) -> Clearance:
    """Clear the agent for an engagement. The agent must already reach the engagement's
    client (a grant); a clearance never widens what a person can see."""
    if engagement.client_id not in reachable_client_ids:
        raise InvalidInput(
            "The agent has no access to this client; grant it first.",
            code="no_client_access",
            fields={"engagement_id": "client not granted to the agent"},
        )
    try:
        with transaction.atomic():
            clearance = Clearance.objects.create(
                client_id=engagement.client_id, agent=agent, engagement=engagement, granted_by=actor
            )
            record(
                action="agent.cleared",
                actor=actor,
                client=engagement.client_id,
                object_type="agent",
                object_id=agent.pk,
                payload={"engagement_id": engagement.pk},
            )
    except IntegrityError as error:
        raise Conflict(
            "The agent is already cleared for this engagement.", fields={"engagement_id": "cleared"}
        ) from error
    return clearance


def revoke_clearance(*, actor: User, clearance: Clearance) -> None:
    with transaction.atomic():
        Clearance.objects.filter(pk=clearance.pk).delete()
        record(
            action="agent.clearance_revoked",
            actor=actor,
            client=clearance.client_id,
            object_type="agent",
            object_id=clearance.agent_id,
            payload={"engagement_id": clearance.engagement_id},
        )


# --- teams ---------------------------------------------------------------------------

LEAD_ROLES = frozenset({Role.TEAM_LEAD, Role.DELIVERY_MANAGER, Role.PROVIDER_ADMIN})


def create_team(
    *,
    actor: User,
    provider: Provider,
    name: str,
    lead: User | None = None,
    site: Site | None = None,
) -> Team:
    """A new team, led by `lead` (a team lead, delivery manager or provider admin)."""
    team = Team(provider=provider, name=name.strip(), lead=lead, site=site)
    _check_team(team)
    with transaction.atomic():
        team.save()
        record(
            action="team.created",
            actor=actor,
            object_type="team",
            object_id=team.pk,
            payload={"lead_id": getattr(lead, "pk", None), "site_id": getattr(site, "pk", None)},
        )
    return team


def update_team(
    *, actor: User, team: Team, name: str, lead: User | None, site: Site | None
) -> Team:
    changed = sorted(
        field
        for field, old, new in (
            ("name", team.name, name.strip()),
            ("lead", team.lead_id, getattr(lead, "pk", None)),
            ("site", team.site_id, getattr(site, "pk", None)),
        )
        if old != new
    )
    team.name, team.lead, team.site = name.strip(), lead, site
    _check_team(team)
    with transaction.atomic():
        team.save()
        record(
            action="team.updated",
            actor=actor,
            object_type="team",
            object_id=team.pk,
            payload={"fields": changed, "lead_id": team.lead_id},
        )
    return team


def _check_team(team: Team) -> None:
    if not team.name:
        raise InvalidInput("A team needs a name.", fields={"name": "required"})
    if len(team.name) > 100:
        raise InvalidInput("Team names are at most 100 characters.", fields={"name": "too long"})
    lead = team.lead
    if lead is not None and (lead.role not in LEAD_ROLES or not lead.is_active):
        raise InvalidInput(
            "A team is led by an active team lead, delivery manager or provider admin.",
            fields={"lead_id": "not a lead"},
        )
    clash = Team.objects.filter(provider=team.provider, name=team.name).exclude(pk=team.pk)
    if clash.exists():
        raise Conflict("A team with this name exists.", fields={"name": "already used"})


def add_to_team(*, actor: User, team: Team, agent: Agent) -> TeamMembership:
    """Put the agent in `team`, taking them out of any other team."""
    with transaction.atomic():
        previous = TeamMembership.objects.filter(agent=agent).exclude(team=team).first()
        membership, created = TeamMembership.objects.get_or_create(
            agent=agent, defaults={"team": team}
        )
        if not created and membership.team_id != team.pk:
            TeamMembership.objects.filter(pk=membership.pk).update(team=team)
            membership.team = team
        if created or previous is not None:
            record(
                action="team.member_added",
                actor=actor,
                object_type="team",
                object_id=team.pk,
                payload={
                    "agent_id": agent.pk,
                    "from_team_id": previous.team_id if previous else None,
                },
            )
    return membership


def remove_from_team(*, actor: User, team: Team, agent: Agent) -> None:
    with transaction.atomic():
        removed, _ = TeamMembership.objects.filter(team=team, agent=agent).delete()
        if not removed:
            raise InvalidInput(
                "The agent is not in this team.", fields={"agent_id": "not a member"}
            )
        record(
            action="team.member_removed",
            actor=actor,
            object_type="team",
            object_id=team.pk,
            payload={"agent_id": agent.pk},
        )
