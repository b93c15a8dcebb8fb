"""People administration for provider admins: everyone who signs in, with their staff
profile (site, skills, languages, capacity per channel), grants per client, clearances
per engagement and team. Client admins keep managing their own people in the portal."""

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tercero.delivery.engagements import selectors as engagements
from tercero.delivery.setup.people_forms import (
    CHANNEL_LABELS,
    ClearanceForm,
    GrantForm,
    PersonForm,
    ProfileForm,
)
from tercero.delivery.work import selectors as work_selectors
from tercero.delivery.workforce import selectors as workforce
from tercero.delivery.workforce import services as staffing
from tercero.delivery.workforce.models import Agent
from tercero.platform.api.caller import Caller
from tercero.platform.errors import DomainError
from tercero.platform.identity import selectors as identity
from tercero.platform.identity import services as people
from tercero.platform.identity.models import User
from tercero.platform.identity.roles import Role
from tercero.platform.pages import page, refused, version_of
from tercero.platform.tenancy.models import Client
from tercero.web.lists import Column, Filter, Listing

# Provider admins only: of everyone who holds `users:write`, the page is for staff
# (client admins, who hold it too, manage their own people in the portal).
PERMISSION = "users:write"


def _clients(caller: Caller) -> list[tuple[int, str]]:
    found = Client.objects.filter(pk__in=caller.client_ids).order_by("legal_name")
    return [(client.pk, client.legal_name) for client in found]


def _sites() -> list[tuple[int, str]]:
    return [(site.pk, site.name) for site in workforce.sites(is_active=True).order_by("name")]


def _people(caller: Caller) -> QuerySet[User]:
    found = identity.visible_users(user=caller.user, client_ids=caller.client_ids)
    return found.select_related("client", "agent_profile__site", "agent_profile__membership__team")


def _site_of(person: User) -> str:
    agent = getattr(person, "agent_profile", None)
    return agent.site.name if agent is not None else ""


def _team_of(person: User) -> str:
    agent = getattr(person, "agent_profile", None)
    membership = getattr(agent, "membership", None) if agent is not None else None
    return membership.team.name if membership is not None else ""


def _by_client(found: QuerySet[User], chosen: str) -> QuerySet[User]:
    if chosen == "provider":
        return found.filter(client__isnull=True)
    return found.filter(client_id=int(chosen))


def _listing(request: HttpRequest, caller: Caller) -> Listing:
    return Listing(
        request,
        _people(caller),
        columns=[
            Column("full_name", "Name"),
            Column("email", "E-mail"),
            Column("role", "Role", value=lambda u: u.get_role_display()),
            Column("client__legal_name", "Client", value=lambda u: u.client or "Provider"),
            Column("agent_profile__site__name", "Site", value=_site_of),
            Column("agent_profile__membership__team__name", "Team", value=_team_of),
            Column("is_active", "Active", value=lambda u: "yes" if u.is_active else "no"),
            Column("last_login", "Last sign-in"),
        ],
        filters=[
            Filter("role", "Role", tuple(Role.choices)),
            Filter(
                "active",
                "Active",
                (("yes", "Active"), ("no", "Deactivated")),
                apply=lambda qs, v: qs.filter(is_active=v == "yes"),
            ),
            Filter(
                "client",
                "Client",
                (("provider", "Provider staff"), *((str(k), v) for k, v in _clients(caller))),
                apply=_by_client,
            ),
            Filter(
                "site",
                "Site",
                tuple((str(k), v) for k, v in _sites()),
                apply=lambda qs, v: qs.filter(agent_profile__site_id=int(v)),
            ),
            Filter(
                "team",
                "Team",
                tuple((str(t.pk), t.name) for t in workforce.teams()),
                apply=lambda qs, v: qs.filter(agent_profile__membership__team_id=int(v)),
            ),
        ],
        search=lambda qs, q: qs.filter(full_name__icontains=q) | qs.filter(email__icontains=q),
        search_label="Search name or e-mail",
        default_sort="full_name",
    )


@page(PERMISSION, staff=True)
def people_list(request: HttpRequest, caller: Caller) -> HttpResponse:
    listing = _listing(request, caller)
    if listing.wants_csv:
        return listing.csv_response("people.csv")
    form = PersonForm(request.POST or None, clients=_clients(caller))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        client = None
        if data["client"] is not None:
            client = Client.objects.filter(pk__in=caller.client_ids, pk=data["client"]).first()
        try:
            person = people.create_user(
                actor=caller.user,
                email=data["email"],
                full_name=data["full_name"],
                role=data["role"],
                client=client,
            )
            if data["invite"]:
                people.invite_user(actor=caller.user, user=person)
        except DomainError as error:
            for name, message in error.fields.items():
                form.add_error(name if name in form.fields else None, message)
            if not error.fields:
                form.add_error(None, error.message)
        else:
            invited = f" An invitation went to {person.email}." if data["invite"] else ""
            messages.success(request, f"{person.full_name} added.{invited}")
            return redirect("people:person", user_id=person.pk)
    return render(
        request,
        "workforce/people.html",
        {"listing": listing, "form": form},
        status=422 if request.method == "POST" else 200,
    )


def _person(caller: Caller, user_id: int) -> User:
    return identity.access_user(user=caller.user, user_id=user_id, client_ids=caller.client_ids)


def _profile_initial(agent: Agent | None) -> dict[str, object]:
    if agent is None:
        return {}
    return {
        "site": agent.site_id,
        "skills": "\n".join(f"{name} = {level}" for name, level in sorted(agent.skills.items())),
        "languages": ", ".join(agent.languages),
        **{f"capacity_{channel}": limit for channel, limit in agent.capacity.items()},
    }


def _granted_client_ids(person: User) -> list[int]:
    return identity.reachable_client_ids(user=person)


def _detail_context(
    caller: Caller,
    person: User,
    *,
    profile_form: ProfileForm | None = None,
    grant_form: GrantForm | None = None,
) -> dict[str, object]:
    agent = workforce.own_agent(person) if person.is_provider_staff else None
    grants = identity.grants_of(user=person, client_ids=caller.client_ids)
    granted = {grant.client_id for grant in grants}
    cleared_for = set(_granted_client_ids(person)) & set(caller.client_ids)
    clearances = list(
        work_selectors.clearances_of(agent=agent, client_ids=caller.client_ids)
        if agent is not None
        else []
    )
    cleared_engagements = {clearance.engagement_id for clearance in clearances}
    open_engagements = [
        (e.pk, f"{e.name} ({e.client.legal_name})")
        for e in engagements.engagements(client_ids=sorted(cleared_for))
        .select_related("client")
        .order_by("client__legal_name", "name")
        if e.pk not in cleared_engagements
    ]
    ungranted = [(pk, name) for pk, name in _clients(caller) if pk not in granted]
    return {
        "person": person,
        "agent": agent,
        "team": workforce.team_of(agent=agent) if agent is not None else None,
        "teams": list(workforce.teams()),
        "capacity": [
            (CHANNEL_LABELS[channel], limit) for channel, limit in (agent.capacity or {}).items()
        ]
        if agent is not None
        else [],
        "profile_form": profile_form
        or ProfileForm(initial=_profile_initial(agent), sites=_sites()),
        "grants": grants,
        "grant_form": grant_form or (GrantForm(clients=ungranted) if ungranted else None),
        "clearances": clearances,
        "clearance_form": ClearanceForm(engagements=open_engagements) if open_engagements else None,
        "is_self": person.pk == caller.user.pk,
        "may_read_audit": "audit:read" in caller.permissions,
    }


@page(PERMISSION, staff=True)
def person_detail(request: HttpRequest, caller: Caller, user_id: int) -> HttpResponse:
    person = _person(caller, user_id)
    return render(request, "workforce/person.html", _detail_context(caller, person))


@require_POST
@page(PERMISSION, staff=True)
def person_active(request: HttpRequest, caller: Caller, user_id: int) -> HttpResponse:
    person = _person(caller, user_id)
    is_active = request.POST.get("active") == "yes"
    try:
        people.set_user_active(actor=caller.user, user=person, is_active=is_active)
        agent = workforce.own_agent(person)
        if agent is not None and not is_active:
            staffing.set_presence(agent=agent, presence="offline", reason="deactivated")
    except DomainError as error:
        refused(request, error)
    else:
        if is_active:
            messages.success(request, f"{person.full_name} can sign in again.")
        else:
            messages.success(
                request,
                f"{person.full_name} deactivated: their sessions and API tokens ended.",
            )
    return redirect("people:person", user_id=person.pk)


@require_POST
@page(PERMISSION, staff=True)
def person_invite(request: HttpRequest, caller: Caller, user_id: int) -> HttpResponse:
    person = _person(caller, user_id)
    try:
        people.invite_user(actor=caller.user, user=person)
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(request, f"An invitation went to {person.email}.")
    return redirect("people:person", user_id=person.pk)


@require_POST
@page(PERMISSION, staff=True)
def person_profile(request: HttpRequest, caller: Caller, user_id: int) -> HttpResponse:
    """Create the staff profile, or change it (site, skills, languages, capacity)."""
    person = _person(caller, user_id)
    form = ProfileForm(request.POST, sites=_sites())
    if form.is_valid():
        try:
            _save_profile(caller, person, form, version=version_of(request))
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"{person.full_name}'s profile saved.")
            return redirect("people:person", user_id=person.pk)
    context = _detail_context(caller, person, profile_form=form)
    return render(request, "workforce/person.html", context, status=422)


def _save_profile(caller: Caller, person: User, form: ProfileForm, *, version: int | None) -> None:
    site = workforce.access_site(site_id=form.cleaned_data["site"])
    agent = workforce.own_agent(person)
    fields = {
        "skills": form.cleaned_data["skills"],
        "languages": form.cleaned_data["languages"],
        "capacity": form.capacity(),
    }
    if agent is None:
        staffing.create_agent(actor=caller.user, user=person, site=site, **fields)
        return
    staffing.update_agent(
        actor=caller.user,
        agent=agent,
        version=agent.version if version is None else version,
        changes={**fields, "site": site},
    )


@require_POST
@page(PERMISSION, staff=True)
def person_grant(request: HttpRequest, caller: Caller, user_id: int) -> HttpResponse:
    person = _person(caller, user_id)
    form = GrantForm(request.POST, clients=_clients(caller))
    if form.is_valid():
        client = Client.objects.get(pk=form.cleaned_data["client"])
        try:
            people.grant_client_access(
                actor=caller.user,
                user=person,
                client=client,
                reason=form.cleaned_data["reason"],
                expires_at=form.expires_at(),
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"{person.full_name} may now work for {client.legal_name}.")
            return redirect("people:person", user_id=person.pk)
    context = _detail_context(caller, person, grant_form=form)
    return render(request, "workforce/person.html", context, status=422)


@require_POST
@page(PERMISSION, staff=True)
def grant_revoke(request: HttpRequest, caller: Caller, grant_id: int) -> HttpResponse:
    grant = identity.access_grant(grant_id=grant_id, client_ids=caller.client_ids)
    try:
        people.revoke_client_access(actor=caller.user, grant=grant, reason="revoked on the page")
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(
            request, f"{grant.user.full_name} no longer works for {grant.client.legal_name}."
        )
    return redirect("people:person", user_id=grant.user_id)


@require_POST
@page(PERMISSION, staff=True)
def person_clearance(request: HttpRequest, caller: Caller, user_id: int) -> HttpResponse:
    person = _person(caller, user_id)
    agent = workforce.own_agent(person)
    try:
        engagement_id = int(request.POST.get("engagement", ""))
    except ValueError:
        engagement_id = 0
    engagement = engagements.access_engagement(
        client_ids=caller.client_ids, engagement_id=engagement_id
    )
    try:
        if agent is None:
            raise DomainError("Give this person a staff profile first.")
        staffing.clear_agent(
            actor=caller.user,
            agent=agent,
            engagement=engagement,
            reachable_client_ids=_granted_client_ids(person),
        )
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(request, f"{person.full_name} is cleared for {engagement.name}.")
    return redirect("people:person", user_id=person.pk)


@require_POST
@page(PERMISSION, staff=True)
def clearance_revoke(request: HttpRequest, caller: Caller, clearance_id: int) -> HttpResponse:
    clearance = workforce.access_clearance(clearance_id=clearance_id, client_ids=caller.client_ids)
    staffing.revoke_clearance(actor=caller.user, clearance=clearance)
    messages.success(request, f"Clearance for {clearance.engagement.name} removed.")
    return redirect("people:person", user_id=clearance.agent.user_id)


@require_POST
@page(PERMISSION, staff=True)
def person_team(request: HttpRequest, caller: Caller, user_id: int) -> HttpResponse:
    person = _person(caller, user_id)
    agent = workforce.own_agent(person)
    chosen = request.POST.get("team", "")
    try:
        if agent is None:
            raise DomainError("Give this person a staff profile first.")
        current = workforce.team_of(agent=agent)
        if chosen:
            team = workforce.access_team(team_id=int(chosen) if chosen.isdigit() else 0)
            staffing.add_to_team(actor=caller.user, team=team, agent=agent)
            messages.success(request, f"{person.full_name} is in {team.name}.")
        elif current is not None:
            staffing.remove_from_team(actor=caller.user, team=current, agent=agent)
            messages.success(request, f"{person.full_name} left {current.name}.")
    except DomainError as error:
        refused(request, error)
    return redirect("people:person", user_id=person.pk)
