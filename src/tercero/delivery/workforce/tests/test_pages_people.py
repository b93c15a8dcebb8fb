"""People administration pages: provider admins create and invite people, give staff
their profile, grants, clearances and team, and off-board them; nobody else may."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from django.test import Client as Browser
from django.utils import timezone
from tests.factories import engagement_for, site

from tercero.delivery.workforce.models import Agent, Clearance
from tercero.delivery.workforce.services import clear_agent, create_agent
from tercero.platform.audit.models import AuditEvent
from tercero.platform.identity.models import ApiToken, Grant, User
from tercero.platform.identity.roles import Role
from tercero.platform.identity.services import create_api_token
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope


def _actions(*names):
    with all_clients_scope():
        return list(
            AuditEvent.objects.filter(action__in=names)
            .order_by("sequence")
            .values_list("action", "object_id")
        )


def _user(email):
    with all_clients_scope():
        return User.objects.get(email=email)


def test_a_provider_admin_adds_a_person_who_sets_a_password_from_a_one_time_link(
    client, provider_admin, mailoutbox
):
    # given
    client.force_login(provider_admin)
    # when they add an agent with an invitation
    response = client.post(
        "/people/",
        {
            "full_name": "Nia Okafor",
            "email": "Nia@Provider.example",
            "role": "agent",
            "invite": "on",
        },
    )
    # then the person exists without a usable password and got one mail with a link
    person = _user("nia@provider.example")
    assert response["Location"] == f"/people/{person.pk}/"
    assert not person.has_usable_password()
    assert [m.to for m in mailoutbox] == [["nia@provider.example"]]
    found = re.search(r"https?://\S+/account/welcome/\S+/", mailoutbox[0].body)
    assert found is not None
    link = found.group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    # when they open it and choose a password
    newcomer = Browser()
    assert "Welcome, Nia Okafor" in newcomer.get(f"/{path}").text
    chosen = {"password1": "amber kites over harbour", "password2": "amber kites over harbour"}
    done = newcomer.post(f"/{path}", chosen)
    # then they can sign in with it, and the link does not work twice
    assert done["Location"] == "/login/"
    assert _user("nia@provider.example").check_password("amber kites over harbour")
    again = newcomer.post(f"/{path}", chosen)
    assert again.status_code == 404
    assert "This link no longer works" in again.text
    assert _actions("user.created", "user.invited", "user.password_set") == [
        ("user.created", str(person.pk)),
        ("user.invited", str(person.pk)),
        ("user.password_set", str(person.pk)),
    ]


def test_a_weak_password_on_the_welcome_page_is_refused_with_the_reason(
    client, provider_admin, mailoutbox
):
    # given an invited person
    client.force_login(provider_admin)
    client.post(
        "/people/",
        {"full_name": "Ola Berg", "email": "ola@provider.example", "role": "agent", "invite": "on"},
    )
    found = re.search(r"/account/welcome/\S+/", mailoutbox[0].body)
    assert found is not None
    path = found.group(0)
    # when they choose a common password
    response = Browser().post(path, {"password1": "password123", "password2": "password123"})
    # then the page says why and the link still works
    assert response.status_code == 422
    assert "too common" in response.text
    assert Browser().get(path).status_code == 200


def test_only_provider_admins_open_people_administration(client, tenant_a, tenant_b):
    # given a delivery manager, a team lead, an agent, an auditor and a client admin
    manager = UserFactory.create(email="dm@provider.example", role=Role.DELIVERY_MANAGER)
    auditor = UserFactory.create(email="au@provider.example", role=Role.AUDITOR)
    for person, status in (
        (manager, 403),
        (tenant_a.team_lead, 403),
        (tenant_a.agent, 403),
        (auditor, 403),
        (tenant_a.client_admin, 404),
    ):
        client.force_login(person)
        # when they open the pages or post a new person
        for path in ("/people/", "/people/teams/", "/people/import/"):
            assert client.get(path).status_code == status, (person.email, path)
        posted = client.post(
            "/people/", {"full_name": "X", "email": "x@e.example", "role": "agent"}
        )
        # then they are refused and nobody was created
        assert posted.status_code == status
    with all_clients_scope():
        assert not User.objects.filter(email="x@e.example").exists()


def test_the_people_list_searches_filters_and_exports(client, provider_admin, tenant_a, tenant_b):
    # given
    client.force_login(provider_admin)
    # when they search, filter by client and export the filtered list
    searched = client.get("/people/", {"q": "lead@"})
    of_b = client.get("/people/", {"client": str(tenant_b.client.pk)})
    exported = client.get("/people/", {"client": str(tenant_b.client.pk), "format": "csv"})
    # then
    assert "lead@acme.example" in searched.text
    assert "agent@acme.example" not in searched.text
    assert "user@bergmann-co.example" in of_b.text
    assert "user@acme-co.example" not in of_b.text
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    assert rows[0] == ["Name", "E-mail", "Role", "Client", "Site", "Team", "Active", "Last sign-in"]
    assert sorted(row[1] for row in rows[1:]) == [
        "admin@bergmann-co.example",
        "user@bergmann-co.example",
    ]


def test_deactivating_ends_sessions_and_tokens_and_reactivating_revives_neither(
    client, provider_admin, tenant_a
):
    # given the agent signed in in a browser and holding an API token
    with client_scope(clients=[tenant_a.client]):
        _, plain = create_api_token(
            actor=tenant_a.agent, client=tenant_a.client, name="ci", scopes=["work:read"]
        )
    agents_browser = Browser()
    agents_browser.force_login(tenant_a.agent)
    assert agents_browser.get("/work/").status_code == 200
    client.force_login(provider_admin)
    # when the admin deactivates, then re-activates them
    off = client.post(f"/people/{tenant_a.agent.pk}/active/", {"active": "no"}, follow=True)
    client.post(f"/people/{tenant_a.agent.pk}/active/", {"active": "yes"})
    # then the session and the token ended and stay ended
    assert "their sessions and API tokens ended" in off.text
    assert agents_browser.get("/work/")["Location"] == "/login/?next=/work/"
    script = Browser().get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert script.status_code == 401
    with all_clients_scope():
        assert ApiToken.objects.get(user=tenant_a.agent).revoked_at is not None
    with all_clients_scope():
        deactivated = AuditEvent.objects.get(action="user.deactivated")
    assert deactivated.payload == {"tokens_revoked": 1, "sessions_ended": 1}
    assert _user(tenant_a.agent.email).is_active


def test_a_staff_profile_holds_site_skills_languages_and_capacity(client, provider_admin):
    # given a member of staff without a profile
    cebu = site(name="Cebu", city="Cebu")
    person = UserFactory.create(
        email="new@provider.example", full_name="Rui Costa", role=Role.AGENT
    )
    client.force_login(provider_admin)
    # when the admin gives them one
    response = client.post(
        f"/people/{person.pk}/profile/",
        {
            "site": str(cebu.pk),
            "skills": "data_entry = 3\nchat = 2",
            "languages": "en, pt",
            "capacity_chat": "3",
            "capacity_back_office": "1",
        },
    )
    # then
    assert response.status_code == 302
    agent = Agent.objects.get(user=person)
    assert (agent.site, agent.skills, agent.languages, agent.capacity) == (
        cebu,
        {"data_entry": 3, "chat": 2},
        ["en", "pt"],
        {"chat": 3, "back_office": 1},
    )
    page = client.get(f"/people/{person.pk}/").text
    assert "Cebu (PH)" in page


def test_a_bad_skill_level_is_refused_and_nothing_saved(client, provider_admin):
    manila = site()
    person = UserFactory.create(email="new@provider.example", role=Role.AGENT)
    client.force_login(provider_admin)
    response = client.post(
        f"/people/{person.pk}/profile/", {"site": str(manila.pk), "skills": "chat = 9"}
    )
    assert response.status_code == 422
    assert "is not &#x27;skill = level&#x27; (1 to 5)" in response.text
    assert not Agent.objects.filter(user=person).exists()


def test_a_grant_with_a_last_day_ends_when_that_day_does(client, provider_admin, tenant_a):
    # given an agent without access to client A
    person = UserFactory.create(email="new@provider.example", role=Role.AGENT)
    client.force_login(provider_admin)
    last_day = (timezone.now() + timedelta(days=30)).date()
    # when the admin grants A until that day
    client.post(
        f"/people/{person.pk}/grants/",
        {"client": str(tenant_a.client.pk), "last_day": last_day.isoformat(), "reason": "cover"},
    )
    # then the grant ends as the next day begins
    with all_clients_scope():
        grant = Grant.objects.get(user=person)
    following = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), UTC)
    assert (grant.client, grant.expires_at, grant.reason) == (tenant_a.client, following, "cover")
    page = client.get(f"/people/{person.pk}/").text
    assert f"until {following:%d %b %Y} 00:00 UTC" in page
    # and revoking it removes it
    client.post(f"/people/grants/{grant.pk}/revoke/")
    with all_clients_scope():
        assert not Grant.objects.filter(user=person).exists()
    assert [a for a, _ in _actions("grant.created", "grant.revoked")] == [
        "grant.created",
        "grant.revoked",
    ]


def test_clearances_are_per_engagement_of_a_granted_client(client, provider_admin, tenant_a):
    # given an agent of A with a profile, and an engagement of A
    engagement = engagement_for(tenant_a.client, name="Claims", status="live")
    agent = create_agent(actor=None, user=tenant_a.agent, site=site())
    client.force_login(provider_admin)
    # when the admin clears them, then removes the clearance
    client.post(f"/people/{tenant_a.agent.pk}/clearances/", {"engagement": str(engagement.pk)})
    with client_scope(clients=[tenant_a.client]):
        clearance = Clearance.objects.get(agent=agent)
    page = client.get(f"/people/{tenant_a.agent.pk}/").text
    client.post(f"/people/clearances/{clearance.pk}/revoke/")
    # then
    assert "Claims" in page
    with client_scope(clients=[tenant_a.client]):
        assert not Clearance.objects.filter(agent=agent).exists()


def test_another_clients_people_grants_and_clearances_are_404(client, tenant_a, tenant_b):
    # given a provider admin granted client A only, and B's user, grant and clearance
    admin_of_a = UserFactory.create(email="admin-a@provider.example", role=Role.PROVIDER_ADMIN)
    with all_clients_scope():
        Grant.objects.create(user=admin_of_a, client=tenant_a.client)
        b_grant = Grant.objects.get(user=tenant_b.agent, client=tenant_b.client)
    engagement = engagement_for(tenant_b.client, name="Bergmann desk", status="live")
    agent = create_agent(actor=None, user=tenant_b.agent, site=site())
    with client_scope(clients=[tenant_b.client]):
        clearance = clear_agent(
            actor=tenant_b.team_lead,
            agent=agent,
            engagement=engagement,
            reachable_client_ids=[tenant_b.client.pk],
        )
    client.force_login(admin_of_a)
    with all_clients_scope():
        events = AuditEvent.objects.count()
    # when they try B's objects
    b_user = tenant_b.client_user.pk
    tries = [
        ("get", f"/people/{b_user}/", {}, 404),
        ("post", f"/people/{b_user}/active/", {"active": "no"}, 404),
        ("post", f"/people/{b_user}/invite/", {}, 404),
        ("post", f"/people/grants/{b_grant.pk}/revoke/", {}, 404),
        ("post", f"/people/clearances/{clearance.pk}/revoke/", {}, 404),
        ("post", f"/people/{tenant_b.agent.pk}/clearances/", {"engagement": engagement.pk}, 404),
        # B is not among the clients they may grant: the form refuses it
        ("post", f"/people/{tenant_b.agent.pk}/grants/", {"client": tenant_b.client.pk}, 422),
    ]
    # then each is refused, B's name never shows, and nothing changed
    for method, path, data, status in tries:
        response = getattr(client, method)(path, data)
        assert response.status_code == status, path
        assert b"Bergmann" not in response.content, path
    with all_clients_scope():
        assert AuditEvent.objects.count() == events
        assert Grant.objects.filter(pk=b_grant.pk).exists()
        assert User.objects.get(pk=b_user).is_active
    with client_scope(clients=[tenant_b.client]):
        assert Clearance.objects.filter(pk=clearance.pk).exists()
