"""A provider admin staffs a shift from the pages: ten agents from a CSV file, a team
with its lead, a grant with a last day; then off-boards a leaver, whose open session
ends at once."""

from datetime import timedelta

from django.utils import timezone

from tercero.delivery.workforce.models import Agent, Team, TeamMembership
from tercero.platform.identity.models import Grant, User
from tercero.platform.identity.tests.factories import PASSWORD
from tercero.platform.tenancy.scoping import all_clients_scope
from tests.browser.conftest import checked, open_context, screenshot, sign_in
from tests.factories import site


def _roster(path, client_name: str):
    lines = ["email,full_name,site,skills,languages,capacity,clients"]
    lines += [
        f"shift{n}@provider.example,Shift Agent {n},Manila,data_entry:3,en,"
        f"chat:3; back_office:1,{client_name}"
        for n in range(1, 11)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_an_admin_imports_agents_builds_a_team_grants_and_offboards(
    page, browser, live_server, watch, provider_admin, tenant_a, tenant_b, tmp_path
):
    site()
    roster = _roster(tmp_path / "shift.csv", tenant_a.client.legal_name)
    # given the leaver is signed in and working in their own browser
    leaver_context = open_context(browser, live_server, watch)
    leaver = leaver_context.new_page()
    sign_in(leaver, live_server, tenant_a.agent, PASSWORD)
    assert leaver.url.endswith("/work/")
    # when the admin imports ten agents from the People page
    sign_in(page, live_server, provider_admin, PASSWORD)
    page.get_by_role("link", name="People", exact=True).click()
    checked(page, watch)
    page.get_by_role("link", name="Import staff from a CSV file").click()
    checked(page, watch)
    page.get_by_label("CSV file").set_input_files(str(roster))
    page.get_by_label("Mail each person a link to choose a password").uncheck()
    page.get_by_role("button", name="Import").click()
    page.wait_for_url("**/people/")
    # then the list says what happened and shows them
    assert "Imported 10 people from 10 lines." in page.content()
    checked(page, watch)
    screenshot(page, "people-imported")
    with all_clients_scope():
        assert User.objects.filter(email__startswith="shift").count() == 10
    # when they create a team led by the team lead and put the first new agent in it
    page.get_by_role("link", name="Teams").click()
    page.get_by_label("Team name", exact=True).fill("Keying A")
    page.get_by_label("Lead", exact=True).select_option(str(tenant_a.team_lead.pk))
    page.get_by_role("button", name="Create team").click()
    page.wait_for_url("**/people/teams/*/")
    assert "Team Keying A created." in page.content()
    with all_clients_scope():  # staff rows are read in a scope, as the pages do
        first = Agent.objects.select_related("user").get(user__email="shift1@provider.example")
    page.get_by_label("Add a member").select_option(str(first.pk))
    page.get_by_role("button", name="Add", exact=True).click()
    page.wait_for_load_state("load")
    checked(page, watch)
    screenshot(page, "people-team")
    assert TeamMembership.objects.get(agent=first).team == Team.objects.get(name="Keying A")
    # and grant that agent client B until a last day
    page.get_by_role("link", name="Shift Agent 1", exact=True).click()
    checked(page, watch)
    last_day = (timezone.now() + timedelta(days=60)).date()
    page.get_by_label("Client", exact=True).select_option(str(tenant_b.client.pk))
    page.get_by_label("Last day (empty: no end)").fill(last_day.isoformat())
    page.get_by_label("Why").fill("Covering the Bergmann launch")
    page.get_by_role("button", name="Grant access").click()
    page.wait_for_load_state("load")
    assert f"may now work for {tenant_b.client.legal_name}" in page.content()
    with all_clients_scope():
        grant = Grant.objects.get(user=first.user, client=tenant_b.client)
    assert grant.expires_at.date() == last_day + timedelta(days=1)
    # when they deactivate the leaver
    page.goto(f"{live_server.url}/people/{tenant_a.agent.pk}/")
    page.get_by_role("button", name="Deactivate").click()
    page.wait_for_load_state("load")
    assert "deactivated: their sessions and API tokens ended" in page.content()
    checked(page, watch)
    screenshot(page, "people-offboarded")
    # then the leaver's open session has ended: their next click lands on sign-in
    leaver.reload()
    assert "/login/" in leaver.url
    leaver_context.close()
