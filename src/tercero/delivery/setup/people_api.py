"""People administration in the API, beside the people, grant and agent endpoints:
teams with their leads and members, and importing staff from CSV. Provider admins only
(`users:write` held by provider staff)."""

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from tercero.delivery.workforce import roster
from tercero.delivery.workforce import selectors as workforce
from tercero.delivery.workforce import services as staffing
from tercero.delivery.workforce.models import Site, Team
from tercero.platform.api.caller import Caller, caller_of
from tercero.platform.api.inputs import patch_field
from tercero.platform.api.pagination import paginate_by_cursor
from tercero.platform.errors import InvalidInput, NotFound, PermissionDenied
from tercero.platform.identity import selectors as identity
from tercero.platform.identity.models import User
from tercero.platform.tenancy.models import Provider

router = Router(tags=["teams"])


class TeamIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    lead_id: int | None = Field(default=None, ge=1, le=2**62)
    site_id: int | None = Field(default=None, ge=1, le=2**62)


class TeamPatch(Schema):
    name: str = patch_field(min_length=1, max_length=100)
    lead_id: int | None = Field(default=None, ge=1, le=2**62)
    site_id: int | None = Field(default=None, ge=1, le=2**62)


class TeamOut(Schema):
    id: int
    name: str
    lead_id: int | None
    site_id: int | None
    member_ids: list[int]

    @staticmethod
    def resolve_member_ids(team: Team) -> list[int]:
        return list(workforce.members_of(team=team).values_list("pk", flat=True))


class MemberIn(Schema):
    agent_id: int = Field(ge=1, le=2**62)


class ImportIn(Schema):
    csv: str = Field(min_length=1, max_length=1024 * 1024, description="The file's text.")


class ImportOut(Schema):
    created_user_ids: list[int]
    lines: int


def _admin(request: HttpRequest) -> Caller:
    """A provider admin: client admins hold `users:write` for their own people only."""
    caller = caller_of(request)
    caller.require("users:write")
    if not caller.user.is_provider_staff:
        raise PermissionDenied("Only provider admins manage staff and teams.")
    return caller


def _lead(caller: Caller, lead_id: int | None) -> User | None:
    if lead_id is None:
        return None
    return identity.access_user(user=caller.user, user_id=lead_id, client_ids=caller.client_ids)


def _site(site_id: int | None) -> Site | None:
    return None if site_id is None else workforce.access_site(site_id=site_id)


@router.get("/teams", response=list[TeamOut])
@paginate_by_cursor
def list_teams(request: HttpRequest) -> QuerySet[Team]:
    _admin(request)
    return workforce.teams().order_by("id")


@router.post("/teams", response={201: TeamOut})
def create_team(request: HttpRequest, body: TeamIn) -> Status[Team]:
    caller = _admin(request)
    provider = Provider.objects.order_by("id").first()
    if provider is None:
        raise NotFound("No provider is set up; run `tercero demo` or create one.")
    team = staffing.create_team(
        actor=caller.user,
        provider=provider,
        name=body.name,
        lead=_lead(caller, body.lead_id),
        site=_site(body.site_id),
    )
    return Status(201, team)


@router.get("/teams/{team_id}", response=TeamOut)
def get_team(request: HttpRequest, team_id: int) -> Team:
    _admin(request)
    return workforce.access_team(team_id=team_id)


@router.patch("/teams/{team_id}", response=TeamOut)
def update_team(request: HttpRequest, team_id: int, body: TeamPatch) -> Team:
    caller = _admin(request)
    team = workforce.access_team(team_id=team_id)
    given = body.dict(exclude_unset=True)
    lead = _lead(caller, given["lead_id"]) if "lead_id" in given else team.lead
    site = _site(given["site_id"]) if "site_id" in given else team.site
    return staffing.update_team(
        actor=caller.user, team=team, name=given.get("name", team.name), lead=lead, site=site
    )


@router.post("/teams/{team_id}/members", response={201: TeamOut})
def add_member(request: HttpRequest, team_id: int, body: MemberIn) -> Status[Team]:
    caller = _admin(request)
    team = workforce.access_team(team_id=team_id)
    agent = workforce.agents_for_teams().filter(pk=body.agent_id).first()
    if agent is None:
        raise NotFound("Agent not found.")
    staffing.add_to_team(actor=caller.user, team=team, agent=agent)
    return Status(201, team)


@router.delete("/teams/{team_id}/members/{agent_id}", response={204: None})
def remove_member(request: HttpRequest, team_id: int, agent_id: int) -> Status[None]:
    caller = _admin(request)
    team = workforce.access_team(team_id=team_id)
    agent = workforce.members_of(team=team).filter(pk=agent_id).first()
    if agent is None:
        raise NotFound("The agent is not in this team.")
    staffing.remove_from_team(actor=caller.user, team=team, agent=agent)
    return Status(204, None)


@router.post("/people/import", response={201: ImportOut}, tags=["people"])
def import_people(request: HttpRequest, body: ImportIn) -> Status[dict[str, object]]:
    """Staff from CSV: all created, or a 422 listing every refused line by number."""
    caller = _admin(request)
    result = roster.import_people(
        actor=caller.user, text=body.csv, reachable_client_ids=caller.client_ids
    )
    if not result.is_accepted:
        raise InvalidInput(
            f"Nothing was imported: {len(result.errors)} lines need fixing.",
            fields={"csv": result.errors},
        )
    created = [user.pk for user in result.created]
    return Status(201, {"created_user_ids": created, "lines": result.lines})
