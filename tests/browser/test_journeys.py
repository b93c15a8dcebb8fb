"""Real users in a real browser: an agent works an item to resolved, a team lead
reassigns an at-risk item, a client user submits work and watches it progress, and
a client user of another company cannot open it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tercero.delivery.work import services as work
from tercero.delivery.work.models import WorkItem
from tercero.delivery.workforce.models import Agent
from tercero.delivery.workforce.services import set_presence
from tercero.platform.identity.tests.factories import PASSWORD
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tests.browser.conftest import PDF, add_item, checked, open_context, screenshot, sign_in

# the end-to-end journeys run on PostgreSQL too (the other browser tests on SQLite alone)
pytestmark = pytest.mark.every_engine


def test_an_agent_goes_available_gets_next_and_resolves(page, live_server, watch, desk):
    item = add_item(desk, fields_keyed=5, customer_name="Maria Santos")
    # given the agent signs in: they land in their workspace
    sign_in(page, live_server, desk["tenant"].agent, PASSWORD)
    assert page.url.endswith("/work/")
    checked(page, watch)
    # when they go available and ask for the next item
    page.get_by_role("button", name="Available").click()
    assert page.locator("#presence-now").inner_text() == "Available"
    page.get_by_role("button", name="Get next").click()
    # then the item opens, its personal data masked
    page.wait_for_url(f"**/work/items/{item.pk}/")
    checked(page, watch)
    assert "Maria Santos" not in page.content()
    masked = page.get_by_label("Customer hidden").inner_text()
    assert masked in {"M••• S•••", "J••• W•••", "P••• R•••", "L••• V•••", "T••• O•••"}
    page.get_by_role("button", name="Start work").click()
    assert page.locator("#item-status").inner_text() == "In progress"
    screenshot(page, "agent-item")
    # and resolving it takes them back to the workspace
    page.get_by_label("Resolution").fill("Keyed all five fields into the order system.")
    page.get_by_role("button", name="Resolve", exact=True).click()
    page.wait_for_url("**/work/")
    assert f"Item #{item.pk} resolved." in page.content()
    checked(page, watch)
    screenshot(page, "agent-workspace")
    with all_clients_scope():
        item.refresh_from_db()
    assert item.status == "resolved"
    assert item.resolution.startswith("Keyed all five")


def test_personal_data_is_revealed_only_with_a_reason(page, live_server, watch, desk):
    item = add_item(desk, customer_name="Priya Raman")
    sign_in(page, live_server, desk["tenant"].team_lead, PASSWORD)
    page.goto(f"{live_server.url}/work/items/{item.pk}/")
    assert "Priya Raman" not in page.content()
    page.get_by_text("Show personal data").click()
    page.get_by_label("Why do you need to see it?").fill("Customer called to confirm the order")
    page.get_by_role("button", name="Show", exact=True).click()
    page.locator("#revealed").get_by_text("Priya Raman").wait_for()
    checked(page, watch)


def test_a_team_lead_reassigns_an_at_risk_item(page, live_server, watch, desk):
    first, second = desk["agents"]
    item = add_item(desk, fields_keyed=1)
    with client_scope(clients=[desk["tenant"].client]):
        work.assign(actor=None, item=item, agent=first)
        # the clock has run most of its time: due in 20 minutes, at risk since 10
        now = timezone.now()
        WorkItem.objects.filter(pk=item.pk).update(
            due_at=now + timedelta(minutes=20), at_risk_at=now - timedelta(minutes=10)
        )
    set_presence(agent=second, presence=Agent.Presence.AVAILABLE)
    # given the team lead on the floor
    sign_in(page, live_server, desk["tenant"].team_lead, PASSWORD)
    assert page.url.endswith("/ops/")
    checked(page, watch)
    row = page.locator(f"#risky-{item.pk}")
    assert "At risk" in row.inner_text()
    assert page.locator("#total-at-risk").inner_text() == "1"
    screenshot(page, "lead-floor")
    # when they reassign it to the second agent, chosen among those who may take it
    row.get_by_role("link", name=f"Choose an agent for item {item.pk}").click()
    page.wait_for_load_state("load")
    picker = page.locator("#assign-agent")
    assert "Sam Second — Manila · 0 of 10 open · data entry 3 · Available" in picker.inner_text()
    picker.select_option(str(second.pk))
    page.locator("#assign").get_by_role("button", name="Assign").click()
    page.wait_for_load_state("load")
    # then the page says so and the item is the second agent's
    assert f"Item #{item.pk} assigned to Sam Second." in page.content()
    checked(page, watch)
    with all_clients_scope():
        item.refresh_from_db()
    assert item.assignee_id == second.pk


def test_a_client_user_submits_work_and_sees_it_progress(
    page, browser, live_server, watch, desk, tenant_b, tmp_path
):
    tenant = desk["tenant"]
    scan = tmp_path / "po-5521.pdf"
    scan.write_bytes(PDF)
    # given a client user in the portal
    sign_in(page, live_server, tenant.client_user, PASSWORD)
    assert page.url.endswith("/portal/")
    checked(page, watch)
    page.get_by_role("link", name="Submit to Forms").click()
    checked(page, watch)
    # when they fill the form generated from the work type and attach the scan
    page.get_by_label("Document ref").fill("PO-5521")
    page.get_by_label("Fields total").fill("12")
    page.get_by_label("File").set_input_files(str(scan))
    screenshot(page, "portal-submit")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url("**/portal/items/*/")
    checked(page, watch)
    assert "Submitted as item" in page.content()
    assert page.locator("#item-status").inner_text() == "Queued"
    with all_clients_scope():
        item = WorkItem.objects.get(external_ref="", payload__document_ref="PO-5521")
        assert item.attachments.get().name == "po-5521.pdf"
    # and when an agent picks it up and starts, the page shows it without a reload
    agent = desk["agents"][0]
    set_presence(agent=agent, presence=Agent.Presence.AVAILABLE)
    with client_scope(clients=[tenant.client]):
        claimed = work.get_next(agent=agent, client_ids=[tenant.client.pk])
        assert claimed.pk == item.pk
        work.transition(actor=None, item=claimed, action="start")
    page.locator("#item-status", has_text="In progress").wait_for(timeout=20_000)
    screenshot(page, "portal-item")
    # a client user of another company gets 404 for the same address
    other = open_context(browser, live_server, watch).new_page()
    sign_in(other, live_server, tenant_b.client_user, PASSWORD)
    address = f"{live_server.url}/portal/items/{item.pk}/"
    watch.expected_404s.add(address)
    response = other.goto(address)
    assert response.status == 404
    assert "PO-5521" not in other.content()
    checked(other, watch)
    screenshot(other, "portal-other-company-404")


def test_a_team_lead_handles_a_misuse_alert(page, live_server, watch, desk):
    from tercero.platform.security import misuse
    from tercero.platform.security import services as security

    tenant = desk["tenant"]
    with client_scope(clients=[tenant.client]):
        security.raise_alert(
            client_id=tenant.client.pk,
            user_id=tenant.agent.pk,
            kind="records",
            window_start=timezone.now(),
            count=212,
            limit=150,
            detail="212 in the last hour; the engagement's limit is 150",
            step_up=True,
        )
    assert misuse.step_up_required(user=tenant.agent)
    # given the team lead opens the security desk
    sign_in(page, live_server, tenant.team_lead, PASSWORD)
    page.get_by_role("link", name="Security", exact=True).click()
    page.get_by_role("heading", name="Security alerts").wait_for()
    checked(page, watch)
    assert "Many customer records opened" in page.content()
    assert "People whose reveals need a supervisor" in page.content()
    screenshot(page, "security-desk")
    # when they note what they found and lift the step-up
    page.get_by_label("What you found").fill("Bulk re-keying requested by the client; confirmed")
    page.get_by_label("Lift the step-up").check()
    page.get_by_role("button", name="Handle").click()
    # then the alert is handled and the agent may reveal again without a supervisor
    page.get_by_text("Alert handled.").wait_for()
    checked(page, watch)
    assert not misuse.step_up_required(user=tenant.agent)
