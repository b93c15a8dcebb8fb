"""Importing staff from CSV, on the page and in the API: everyone or nobody, each refused
line named by its number, a summary in words."""

from django.core.files.uploadedfile import SimpleUploadedFile
from tests.factories import site

from tercero.delivery.workforce.models import Agent, TeamMembership
from tercero.delivery.workforce.services import create_team
from tercero.platform.audit.models import AuditEvent
from tercero.platform.identity.models import Grant, User
from tercero.platform.identity.roles import Role
from tercero.platform.identity.services import create_api_token
from tercero.platform.tenancy.models import Provider
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

HEADER = "email,full_name,site,role,skills,languages,capacity,clients,grant_expires,team\n"


def _roster(count: int, *, client_name: str = "Acme Retail Inc") -> str:
    lines = [
        f"agent{n}@provider.example,Agent {n},Manila,,data_entry:3; chat:2,en; tl,"
        f"chat:3; back_office:1,{client_name},2099-12-31,Keying A\n"
        for n in range(1, count + 1)
    ]
    return HEADER + "".join(lines)


def _upload(client, text: str, *, invite: bool = False):
    data: dict[str, object] = {"file": SimpleUploadedFile("staff.csv", text.encode(), "text/csv")}
    if invite:
        data["invite"] = "on"
    return client.post("/people/import/", data)


def _imported() -> int:
    with all_clients_scope():
        return User.objects.filter(
            email__startswith="agent", email__endswith="@provider.example"
        ).count()


def _team(admin):
    return create_team(actor=admin, provider=Provider.objects.get(), name="Keying A")


def test_ten_agents_are_imported_with_profiles_grants_and_team(
    client, provider_admin, tenant_a, mailoutbox
):
    # given a site, a team and a file of ten agents
    site()
    team = _team(provider_admin)
    client.force_login(provider_admin)
    # when the admin uploads it, asking for invitations
    response = _upload(client, _roster(10), invite=True)
    # then everyone exists, with profile, grant, team and one mail each
    assert response["Location"] == "/people/"
    summary = client.get("/people/").text
    assert "Imported 10 people from 10 lines. 10 invitations sent." in summary
    with all_clients_scope():  # staff rows are read in a scope, as the pages do
        agent = Agent.objects.select_related("user", "site").get(
            user__email="agent7@provider.example"
        )
    assert (agent.site.name, agent.skills, agent.languages, agent.capacity) == (
        "Manila",
        {"data_entry": 3, "chat": 2},
        ["en", "tl"],
        {"chat": 3, "back_office": 1},
    )
    assert agent.user.role == Role.AGENT
    with all_clients_scope():
        grants = Grant.objects.filter(user__email__endswith="@provider.example", reason="imported")
        assert grants.count() == 10
        assert {g.client_id for g in grants} == {tenant_a.client.pk}
        assert {g.expires_at and g.expires_at.isoformat() for g in grants} == {
            "2100-01-01T00:00:00+00:00"
        }
        assert AuditEvent.objects.filter(action="people.imported").get().payload["count"] == 10
    assert TeamMembership.objects.filter(team=team).count() == 10
    assert len(mailoutbox) == 10


def test_a_file_with_bad_lines_imports_nobody_and_names_each_line(client, provider_admin, tenant_a):
    # given a file whose lines 3, 5 and 6 are wrong, and whose line 7 repeats line 2
    site()
    _team(provider_admin)
    lines = _roster(6).splitlines(keepends=True)
    lines[2] = lines[2].replace("Manila", "Atlantis")
    lines[4] = lines[4].replace("data_entry:3", "data_entry:9")
    lines[5] = lines[5].replace("Acme Retail Inc", "Globex Corp")
    lines.append(lines[1])
    client.force_login(provider_admin)
    # when
    response = _upload(client, "".join(lines))
    # then nothing was created and the page lists the lines to fix
    assert response.status_code == 422
    assert _imported() == 0
    text = response.content.decode()
    assert "Nothing was imported: 4 lines of 7 need fixing." in text
    assert "Line 3: there is no open site called &#x27;Atlantis&#x27;." in text
    assert "Line 5: skill &#x27;data_entry&#x27; must be from 1 to 5, not 9." in text
    assert "Line 6: there is no client called &#x27;Globex Corp&#x27; that you can grant." in text
    assert "Line 8: agent1@provider.example is also on line 2." in text


def test_a_file_naming_someone_who_has_an_account_imports_nobody(client, provider_admin, tenant_a):
    site()
    _team(provider_admin)
    text = _roster(3).replace("agent2@provider.example", tenant_a.agent.email)
    client.force_login(provider_admin)
    response = _upload(client, text)
    assert "Line 3: agent@acme.example already has an account." in response.content.decode()
    assert _imported() == 0


def test_a_file_without_the_required_columns_says_which(client, provider_admin):
    client.force_login(provider_admin)
    response = _upload(client, "mail,name\nx@y.example,X\n")
    assert (
        "Line 1: missing columns: email, full_name, site; unknown columns: mail, name."
        in response.content.decode()
    )


def test_the_api_imports_or_refuses_with_every_line(client, provider_admin, tenant_a):
    # given a provider admin's token for client A
    site()
    _team(provider_admin)
    with client_scope(clients=[tenant_a.client]):
        _, plain = create_api_token(
            actor=provider_admin, client=tenant_a.client, name="hr", scopes=["users:write"]
        )
    auth = {"HTTP_AUTHORIZATION": f"Bearer {plain}"}
    bad = _roster(2).replace("Manila", "Atlantis", 1)
    # when a bad file, then a good one, is sent
    refused = client.post("/api/v1/people/import", {"csv": bad}, "application/json", **auth)
    accepted = client.post("/api/v1/people/import", {"csv": _roster(2)}, "application/json", **auth)
    # then
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"]["csv"] == [
        "Line 2: there is no open site called 'Atlantis'."
    ]
    assert accepted.status_code == 201
    assert accepted.json()["lines"] == 2
    assert _imported() == 2


def test_a_client_admin_cannot_import_staff_through_the_api(client, tenant_a):
    with client_scope(clients=[tenant_a.client]):
        _, plain = create_api_token(
            actor=tenant_a.client_admin, client=tenant_a.client, name="hr", scopes=["users:write"]
        )
    response = client.post(
        "/api/v1/people/import",
        {"csv": _roster(1)},
        "application/json",
        HTTP_AUTHORIZATION=f"Bearer {plain}",
    )
    assert response.status_code == 403
    assert _imported() == 0
