"""Teams with their leads and members, and importing staff from a CSV file: provider
admins' pages beside the people list."""

from collections.abc import Mapping

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tercero.delivery.setup.people import PERMISSION
from tercero.delivery.setup.people_forms import RosterForm, TeamForm
from tercero.delivery.workforce import roster
from tercero.delivery.workforce import selectors as workforce
from tercero.delivery.workforce import services as staffing
from tercero.delivery.workforce.models import Site, Team
from tercero.delivery.workforce.services import LEAD_ROLES
from tercero.platform.api.caller import Caller
from tercero.platform.errors import DomainError, NotFound
from tercero.platform.identity import selectors as identity
from tercero.platform.identity import services as people
from tercero.platform.identity.models import User
from tercero.platform.pages import page, refused
from tercero.platform.tenancy.models import Provider
from tercero.web.lists import Column, Listing


def _leads(caller: Caller) -> list[tuple[int, str]]:
    found = identity.visible_users(user=caller.user, client_ids=caller.client_ids)
    found = found.filter(role__in=sorted(LEAD_ROLES), is_active=True).order_by("full_name")
    return [(user.pk, f"{user.full_name} ({user.get_role_display()})") for user in found]


def _sites() -> list[tuple[int, str]]:
    return [(site.pk, site.name) for site in workforce.sites(is_active=True).order_by("name")]


def _team_form(
    caller: Caller, data: QueryDict | None, initial: Mapping[str, object] | None = None
) -> TeamForm:
    return TeamForm(data, leads=_leads(caller), sites=_sites(), initial=initial)


def _chosen(caller: Caller, form: TeamForm) -> tuple[User | None, Site | None]:
    lead = None
    if form.cleaned_data["lead"] is not None:
        lead = identity.access_user(
            user=caller.user, user_id=form.cleaned_data["lead"], client_ids=caller.client_ids
        )
    site = None
    if form.cleaned_data["site"] is not None:
        site = workforce.access_site(site_id=form.cleaned_data["site"])
    return lead, site


@page(PERMISSION, staff=True)
def team_list(request: HttpRequest, caller: Caller) -> HttpResponse:
    listing = Listing(
        request,
        workforce.teams(),
        columns=[
            Column("name", "Team"),
            Column("lead__full_name", "Lead", value=lambda t: t.lead.full_name if t.lead else ""),
            Column("site__name", "Site", value=lambda t: t.site.name if t.site else ""),
        ],
        search=lambda qs, q: qs.filter(name__icontains=q),
        search_label="Search team name",
        default_sort="name",
    )
    if listing.wants_csv:
        return listing.csv_response("teams.csv")
    form = _team_form(caller, request.POST or None)
    if request.method == "POST" and form.is_valid():
        lead, site = _chosen(caller, form)
        try:
            provider = Provider.objects.order_by("id").first()
            if provider is None:
                raise NotFound("No provider is set up; run `tercero demo` or create one.")
            team = staffing.create_team(
                actor=caller.user,
                provider=provider,
                name=form.cleaned_data["name"],
                lead=lead,
                site=site,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Team {team.name} created.")
            return redirect("people:team", team_id=team.pk)
    return render(
        request,
        "workforce/teams.html",
        {"listing": listing, "form": form},
        status=422 if request.method == "POST" else 200,
    )


def _team_page(
    request: HttpRequest, caller: Caller, team: Team, form: TeamForm, status: int = 200
) -> HttpResponse:
    members = list(workforce.members_of(team=team).order_by("user__full_name"))
    in_team = {agent.pk for agent in members}
    others = workforce.agents_for_teams().exclude(pk__in=in_team).order_by("user__full_name")
    context = {"team": team, "form": form, "members": members, "others": others}
    return render(request, "workforce/team.html", context, status=status)


@page(PERMISSION, staff=True)
def team_detail(request: HttpRequest, caller: Caller, team_id: int) -> HttpResponse:
    team = workforce.access_team(team_id=team_id)
    initial = {"name": team.name, "lead": team.lead_id, "site": team.site_id}
    form = _team_form(caller, request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            lead, site = _chosen(caller, form)
            try:
                staffing.update_team(
                    actor=caller.user,
                    team=team,
                    name=form.cleaned_data["name"],
                    lead=lead,
                    site=site,
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, f"Team {team.name} saved.")
                return redirect("people:team", team_id=team.pk)
        return _team_page(request, caller, team, form, status=422)
    return _team_page(request, caller, team, form)


@require_POST
@page(PERMISSION, staff=True)
def team_member_add(request: HttpRequest, caller: Caller, team_id: int) -> HttpResponse:
    team = workforce.access_team(team_id=team_id)
    chosen = request.POST.get("agent", "")
    agent = workforce.agents_for_teams().filter(pk=int(chosen) if chosen.isdigit() else 0).first()
    if agent is None:
        messages.error(request, "Choose an agent to add.")
    else:
        staffing.add_to_team(actor=caller.user, team=team, agent=agent)
        messages.success(request, f"{agent.user.full_name} is in {team.name}.")
    return redirect("people:team", team_id=team.pk)


@require_POST
@page(PERMISSION, staff=True)
def team_member_remove(
    request: HttpRequest, caller: Caller, team_id: int, agent_id: int
) -> HttpResponse:
    team = workforce.access_team(team_id=team_id)
    agent = workforce.members_of(team=team).filter(pk=agent_id).first()
    if agent is None:
        raise NotFound("The agent is not in this team.")
    try:
        staffing.remove_from_team(actor=caller.user, team=team, agent=agent)
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(request, f"{agent.user.full_name} left {team.name}.")
    return redirect("people:team", team_id=team.pk)


@page(PERMISSION, staff=True)
def people_import(request: HttpRequest, caller: Caller) -> HttpResponse:
    """Staff from a CSV file: all or nothing, every refused line named."""
    form = RosterForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = roster.import_people(
            actor=caller.user,
            text=form.cleaned_data["file"],
            reachable_client_ids=caller.client_ids,
        )
        if result.is_accepted:
            invited = _invite_all(caller, result.created) if form.cleaned_data["invite"] else 0
            messages.success(request, _summary(result, invited))
            return redirect("people:list")
    return render(
        request,
        "workforce/people_import.html",
        {"form": form, "result": result, "columns": roster.REQUIRED + roster.OPTIONAL},
        status=422 if request.method == "POST" else 200,
    )


def _invite_all(caller: Caller, created: list[User]) -> int:
    sent = 0
    for person in created:
        try:
            people.invite_user(actor=caller.user, user=person)
        except DomainError:
            continue
        sent += 1
    return sent


def _summary(result: roster.ImportResult, invited: int) -> str:
    count = len(result.created)
    noun = "person" if count == 1 else "people"
    text = f"Imported {count} {noun} from {result.lines} lines."
    if invited == count:
        return text + f" {invited} invitations sent."
    if invited:
        return text + f" {invited} of {count} invitations sent; send the rest from their pages."
    return text + " Nobody was invited yet: send invitations from each person's page."
