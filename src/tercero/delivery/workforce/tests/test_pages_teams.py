"""Teams with their leads and members, on the pages and in the API."""

from tests.factories import site

from tercero.delivery.workforce.models import Team, TeamMembership
from tercero.delivery.workforce.services import create_agent
from tercero.platform.audit.models import AuditEvent
from tercero.platform.identity.services import create_api_token
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope


def test_an_admin_creates_a_team_with_its_lead_and_members(client, provider_admin, tenant_a):
    # given an agent with a profile
    manila = site()
    agent = create_agent(actor=None, user=tenant_a.agent, site=manila)
    client.force_login(provider_admin)
    # when the admin creates a team led by the team lead and adds the agent
    created = client.post(
        "/people/teams/",
        {"name": "Keying A", "lead": str(tenant_a.team_lead.pk), "site": str(manila.pk)},
    )
    team = Team.objects.get(name="Keying A")
    client.post(f"/people/teams/{team.pk}/members/", {"agent": str(agent.pk)})
    page = client.get(f"/people/teams/{team.pk}/").text
    # then
    assert created["Location"] == f"/people/teams/{team.pk}/"
    assert (team.lead_id, team.site) == (tenant_a.team_lead.pk, manila)
    assert "Led by User" in page
    assert "1 member" in page
    assert TeamMembership.objects.get(agent=agent).team == team
    # and removing the member empties it
    client.post(f"/people/teams/{team.pk}/members/{agent.pk}/remove/")
    assert not TeamMembership.objects.filter(agent=agent).exists()
    with all_clients_scope():
        actions = list(
            AuditEvent.objects.filter(action__startswith="team.").values_list("action", flat=True)
        )
    assert actions == ["team.created", "team.member_added", "team.member_removed"]


def test_a_team_is_led_by_a_lead_not_by_an_agent(client, provider_admin, tenant_a):
    client.force_login(provider_admin)
    response = client.post("/people/teams/", {"name": "Keying A", "lead": str(tenant_a.agent.pk)})
    assert response.status_code == 422
    assert not Team.objects.exists()


def test_moving_an_agent_to_another_team_takes_them_out_of_the_first(
    client, provider_admin, tenant_a
):
    agent = create_agent(actor=None, user=tenant_a.agent, site=site())
    client.force_login(provider_admin)
    for name in ("Day", "Night"):
        client.post("/people/teams/", {"name": name})
    day, night = Team.objects.get(name="Day"), Team.objects.get(name="Night")
    client.post(f"/people/{tenant_a.agent.pk}/team/", {"team": str(day.pk)})
    client.post(f"/people/{tenant_a.agent.pk}/team/", {"team": str(night.pk)})
    assert list(TeamMembership.objects.values_list("agent", "team")) == [(agent.pk, night.pk)]


def test_teams_in_the_api_for_provider_admins_only(client, provider_admin, tenant_a):
    # given tokens of a provider admin and of a client admin
    agent = create_agent(actor=None, user=tenant_a.agent, site=site())
    with client_scope(clients=[tenant_a.client]):
        _, admin_token = create_api_token(
            actor=provider_admin, client=tenant_a.client, name="t", scopes=["users:write"]
        )
        _, client_token = create_api_token(
            actor=tenant_a.client_admin, client=tenant_a.client, name="t", scopes=["users:write"]
        )
    admin = {"HTTP_AUTHORIZATION": f"Bearer {admin_token}"}
    # when the admin creates a team, adds the agent and renames it
    made = client.post(
        "/api/v1/teams",
        {"name": "Keying A", "lead_id": tenant_a.team_lead.pk},
        "application/json",
        **admin,
    )
    team_id = made.json()["id"]
    added = client.post(
        f"/api/v1/teams/{team_id}/members", {"agent_id": agent.pk}, "application/json", **admin
    )
    renamed = client.patch(
        f"/api/v1/teams/{team_id}", {"name": "Keying B"}, "application/json", **admin
    )
    # then
    assert made.status_code == 201
    assert added.json()["member_ids"] == [agent.pk]
    assert (renamed.json()["name"], renamed.json()["lead_id"]) == (
        "Keying B",
        tenant_a.team_lead.pk,
    )
    # and a client admin's token is refused
    refused = client.get("/api/v1/teams", HTTP_AUTHORIZATION=f"Bearer {client_token}")
    assert refused.status_code == 403


def test_the_api_invites_a_person_by_mail(client, provider_admin, tenant_a, mailoutbox):
    with client_scope(clients=[tenant_a.client]):
        _, plain = create_api_token(
            actor=provider_admin, client=tenant_a.client, name="t", scopes=["users:write"]
        )
    response = client.post(
        f"/api/v1/users/{tenant_a.agent.pk}/invite", HTTP_AUTHORIZATION=f"Bearer {plain}"
    )
    assert response.status_code == 202
    assert [m.to for m in mailoutbox] == [[tenant_a.agent.email]]
    assert "/account/welcome/" in mailoutbox[0].body
