"""Agents: profiles, presence, clearances, and the next item for the agent calling."""

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from tercero.delivery.engagements.selectors import access_engagement
from tercero.delivery.work import selectors, services
from tercero.delivery.work.api._common import ItemOut, Skills, _item
from tercero.delivery.work.models import WorkItem
from tercero.delivery.workforce import services as workforce
from tercero.delivery.workforce.models import Agent, Clearance, PresenceChange
from tercero.delivery.workforce.selectors import access_site
from tercero.platform.api.caller import Caller, caller_of
from tercero.platform.api.errors import ErrorOut
from tercero.platform.api.inputs import patch_field
from tercero.platform.api.pagination import paginate_by_cursor
from tercero.platform.errors import NotFound
from tercero.platform.identity.models import User
from tercero.platform.identity.selectors import reachable_client_ids

router = Router()


if TYPE_CHECKING:  # a Literal built from the model's choices is beyond a type checker
    Presence = str
else:
    Presence = Literal[tuple(Agent.Presence.values)]


class AgentIn(Schema):
    user_id: int = Field(ge=1, le=2**62)
    site_id: int = Field(ge=1, le=2**62)
    skills: Skills = Field(default_factory=dict)
    languages: list[str] = Field(default_factory=list, max_length=30)
    capacity: dict[str, int] | None = None


class AgentPatch(Schema):
    version: int = Field(ge=1, le=2**31)
    site_id: int = patch_field(ge=1, le=2**62)
    skills: Skills = patch_field()
    languages: list[str] = patch_field(max_length=30)
    capacity: dict[str, int] = patch_field()


class AgentOut(Schema):
    id: int
    user_id: int = Field(ge=1, le=2**62)
    name: str
    email: str
    site_id: int = Field(ge=1, le=2**62)
    site_name: str
    skills: Skills
    languages: list[str]
    capacity: dict[str, int]
    presence: str
    presence_since: datetime
    idle_since: datetime
    version: int = Field(ge=1, le=2**31)

    @staticmethod
    def resolve_name(agent: Agent) -> str:
        return agent.user.full_name

    @staticmethod
    def resolve_email(agent: Agent) -> str:
        return agent.user.email

    @staticmethod
    def resolve_site_name(agent: Agent) -> str:
        return agent.site.name


class AgentFilters(Schema):
    site_id: int | None = Field(default=None, ge=1, le=2**62)
    presence: Presence | None = None
    engagement_id: int | None = Field(default=None, ge=1, le=2**62)
    skill: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=2)
    q: str = Field(default="", max_length=200)


class PresenceIn(Schema):
    presence: Presence
    reason: str = Field(default="", max_length=200)


class PresenceChangeOut(Schema):
    presence: str
    previous: str
    reason: str
    at: datetime


class ClearanceIn(Schema):
    engagement_id: int = Field(ge=1, le=2**62)


class ClearanceOut(Schema):
    id: int
    client_id: int = Field(ge=1, le=2**62)
    engagement_id: int = Field(ge=1, le=2**62)
    engagement_name: str
    created_at: datetime

    @staticmethod
    def resolve_engagement_name(clearance: Clearance) -> str:
        return clearance.engagement.name


def _agent(caller: Caller, agent_id: int) -> Agent:
    return selectors.access_agent(client_ids=caller.client_ids, agent_id=agent_id)


def _own_agent(caller: Caller) -> Agent:
    agent = Agent.objects.filter(user=caller.user).select_related("user", "site").first()
    if agent is None:
        raise NotFound("You have no agent profile.")
    return agent


@router.get("/agents", response=list[AgentOut], tags=["agents"])
@paginate_by_cursor
def list_agents(request: HttpRequest, filters: Query[AgentFilters]) -> QuerySet[Agent]:
    caller = caller_of(request)
    caller.require("agents:read")
    return selectors.agents(client_ids=caller.client_ids, **filters.dict())


@router.post("/agents", response={201: AgentOut}, tags=["agents"])
def create_agent(request: HttpRequest, body: AgentIn) -> Status[Agent]:
    caller = caller_of(request)
    caller.require("agents:write")
    user = User.objects.filter(pk=body.user_id, grants__client_id__in=caller.client_ids).first()
    if user is None:
        raise NotFound("User not found.")
    site = access_site(site_id=body.site_id)
    agent = workforce.create_agent(
        actor=caller.user,
        user=user,
        site=site,
        skills=body.skills,
        languages=body.languages,
        capacity=body.capacity,
    )
    return Status(201, agent)


@router.get("/agents/me", response={200: AgentOut, 404: ErrorOut}, tags=["agents"])
def get_my_agent(request: HttpRequest) -> Agent:
    return _own_agent(caller_of(request))


@router.post("/agents/me/presence", response=AgentOut, tags=["agents"])
def set_my_presence(request: HttpRequest, body: PresenceIn) -> Agent:
    caller = caller_of(request)
    caller.require("work:write")
    agent = workforce.set_presence(
        agent=_own_agent(caller), presence=body.presence, reason=body.reason
    )
    if agent.presence == Agent.Presence.AVAILABLE:
        services.offer_waiting(agent=agent, client_ids=caller.client_ids)
    return Agent.objects.select_related("user", "site").get(pk=agent.pk)


@router.post("/agents/me/next", response={200: ItemOut, 204: None, 404: ErrorOut}, tags=["agents"])
def get_next(request: HttpRequest) -> WorkItem | Status[None]:
    """Claim the best item you may work now (pull routing); 204 when there is none."""
    caller = caller_of(request)
    caller.require("work:write")
    item = services.get_next(agent=_own_agent(caller), client_ids=caller.client_ids)
    if item is None:
        return Status(204, None)
    return _item(caller, item.pk)


@router.get("/agents/{agent_id}", response=AgentOut, tags=["agents"])
def get_agent(request: HttpRequest, agent_id: int) -> Agent:
    caller = caller_of(request)
    agent = _agent(caller, agent_id)
    caller.require("agents:read")
    return agent


@router.patch("/agents/{agent_id}", response=AgentOut, tags=["agents"])
def update_agent(request: HttpRequest, agent_id: int, body: AgentPatch) -> Agent:
    caller = caller_of(request)
    agent = _agent(caller, agent_id)
    caller.require("agents:write")
    changes = body.dict(exclude_unset=True, exclude={"version"})
    if "site_id" in changes:
        changes["site"] = access_site(site_id=changes.pop("site_id"))
    workforce.update_agent(actor=caller.user, agent=agent, version=body.version, changes=changes)
    return _agent(caller, agent_id)


@router.post("/agents/{agent_id}/presence", response=AgentOut, tags=["agents"])
def set_presence(request: HttpRequest, agent_id: int, body: PresenceIn) -> Agent:
    caller = caller_of(request)
    agent = _agent(caller, agent_id)
    caller.require("work:assign")
    agent = workforce.set_presence(agent=agent, presence=body.presence, reason=body.reason)
    if agent.presence == Agent.Presence.AVAILABLE:
        services.offer_waiting(agent=agent, client_ids=caller.client_ids)
    return _agent(caller, agent_id)


@router.get("/agents/{agent_id}/presence", response=list[PresenceChangeOut], tags=["agents"])
@paginate_by_cursor
def presence_history(request: HttpRequest, agent_id: int) -> QuerySet[PresenceChange]:
    caller = caller_of(request)
    agent = _agent(caller, agent_id)
    caller.require("agents:read")
    return agent.presence_history.all()


@router.get("/agents/{agent_id}/clearances", response=list[ClearanceOut], tags=["agents"])
def list_clearances(request: HttpRequest, agent_id: int) -> list[Clearance]:
    caller = caller_of(request)
    agent = _agent(caller, agent_id)
    caller.require("agents:read")
    return list(selectors.clearances_of(agent=agent, client_ids=caller.client_ids))


@router.post("/agents/{agent_id}/clearances", response={201: ClearanceOut}, tags=["agents"])
def add_clearance(request: HttpRequest, agent_id: int, body: ClearanceIn) -> Status[Clearance]:
    caller = caller_of(request)
    agent = _agent(caller, agent_id)
    engagement = access_engagement(client_ids=caller.client_ids, engagement_id=body.engagement_id)
    caller.require("agents:write")
    clearance = workforce.clear_agent(
        actor=caller.user,
        agent=agent,
        engagement=engagement,
        reachable_client_ids=reachable_client_ids(user=agent.user),
    )
    return Status(201, clearance)


@router.delete(
    "/agents/{agent_id}/clearances/{clearance_id}", response={204: None}, tags=["agents"]
)
def remove_clearance(request: HttpRequest, agent_id: int, clearance_id: int) -> Status[None]:
    caller = caller_of(request)
    agent = _agent(caller, agent_id)
    clearance = (
        selectors.clearances_of(agent=agent, client_ids=caller.client_ids)
        .filter(pk=clearance_id)
        .first()
    )
    if clearance is None:
        raise NotFound("Clearance not found.")
    caller.require("agents:write")
    workforce.revoke_clearance(actor=caller.user, clearance=clearance)
    return Status(204, None)
