"""HR pages and API: the panel an agent applies a change from, the second person's
verification, the employee's page with masked details and history, the list of HR
changes with its CSV, and the same steps through /api/v1/payroll/hr-events."""

import pytest

from tercero.delivery.work import services as work
from tercero.delivery.work.tests.conftest import make_agent, make_queue
from tercero.platform.identity.models import Grant
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.payroll.models import Employee, HrEvent
from tercero.services.payroll.tests.factories import hire, uk_group
from tercero.services.payroll.tests.test_hr_events import NEW_STARTER

JSON = "application/json"


@pytest.fixture
def desk(tenant_a):
    group = uk_group(tenant_a.client)
    queue = make_queue(group.engagement, name="HR changes", work_types=["payroll.hr_event"])
    agent = make_agent(group.engagement, skills={"hr": 3})
    return group, queue, agent


def _started(tenant, queue, agent, payload):
    with client_scope(clients=[tenant.client]):
        item = work.submit_item(
            actor=tenant.client_user, queue=queue, work_type="payroll.hr_event", payload=payload
        )
        item = work.assign(actor=tenant.team_lead, item=item, agent=agent)
        return work.transition(actor=agent.user, item=item, action="start")


def _event(item) -> HrEvent | None:
    with client_scope(clients=[item.client_id]):
        return HrEvent.objects.filter(work_item=item).first()


def test_an_agent_applies_from_the_panel_and_a_lead_verifies(client, tenant_a, desk):
    # protects: the HR agent's and the verifier's steps on the item page
    _group, queue, agent = desk
    item = _started(tenant_a, queue, agent, NEW_STARTER)
    panel = f"/payroll/items/{item.pk}/hr/"

    client.force_login(agent.user)
    page = client.get(panel).content.decode()
    assert "Apply to the HR records" in page
    response = client.post(f"{panel}apply/")
    assert response.status_code == 302
    assert response["Location"] == f"/work/items/{item.pk}/"
    page = client.get(panel).content.decode()
    assert "Applied, awaiting verification" in page
    assert "A second person verifies this change: you applied it." in page
    assert "Grace Hopper" not in page
    assert "AB123456C" not in page
    assert page.count("matches") >= 10
    client.post(f"{panel}verify/", {"version": _event(item).version})
    assert _event(item).status == HrEvent.Status.APPLIED  # refused: same person

    client.force_login(tenant_a.team_lead)
    client.post(f"{panel}verify/", {"version": _event(item).version})
    assert _event(item).status == HrEvent.Status.VERIFIED
    assert "Verified; the item can be resolved." in client.get(panel).content.decode()

    listing = client.get("/payroll/hr/", {"status": "verified", "format": "csv"})
    assert listing.status_code == 200
    rows = listing.content.decode().splitlines()
    assert len(rows) == 2
    assert "E-77" in rows[1]
    assert tenant_a.team_lead.email in rows[1]


def test_undo_from_the_panel_needs_a_reason(client, tenant_a, desk):
    # protects: an agent can take a wrong application back, saying why
    group, queue, agent = desk
    with client_scope(clients=[tenant_a.client]):
        hire(tenant_a.team_lead, group, "E-9")
    item = _started(
        tenant_a,
        queue,
        agent,
        {"event": "terminate", "employee_number": "E-9", "effective": "2026-10-30"},
    )
    client.force_login(agent.user)
    client.post(f"/payroll/items/{item.pk}/hr/apply/")
    version = _event(item).version
    follow = client.post(
        f"/payroll/items/{item.pk}/hr/undo/", {"version": version, "reason": ""}, follow=True
    )
    assert "Say why the change is undone." in follow.content.decode()
    assert _event(item).status == HrEvent.Status.APPLIED
    client.post(f"/payroll/items/{item.pk}/hr/undo/", {"version": version, "reason": "wrong day"})
    assert _event(item).status == HrEvent.Status.UNDONE
    assert "Apply to the HR records" in client.get(f"/payroll/items/{item.pk}/hr/").content.decode()


def test_the_employee_page_shows_history_masked(client, tenant_a, desk):
    # protects: who sees an employee's record and how much of it
    _group, queue, agent = desk
    item = _started(tenant_a, queue, agent, NEW_STARTER)
    with client_scope(clients=[tenant_a.client]):
        from tercero.services.payroll import hr_events

        hr_events.apply(actor=agent.user, item=item)
        employee = Employee.objects.get(employee_number="E-77")
    url = f"/payroll/employees/{employee.pk}/"

    client.force_login(tenant_a.client_admin)
    page = client.get(url).content.decode()
    assert "Employee E-77" in page
    assert "01 Jun 2026" in page
    assert "31500.00 GBP" in page
    assert "Handler" in page
    assert "Applied, awaiting verification" in page
    assert "Grace Hopper" not in page
    assert "AB123456C" not in page
    assert "grace@example.org" not in page
    assert f"/work/items/{item.pk}/" not in page  # the provider's item page is not theirs

    client.force_login(agent.user)
    assert client.get(url).status_code == 403  # agents have no payroll:read


def test_the_api_applies_verifies_and_lists_hr_changes(client, tenant_a, desk):
    # protects: the same HR steps for an integration
    _group, queue, agent = desk
    item = _started(tenant_a, queue, agent, NEW_STARTER)
    url = f"/api/v1/payroll/hr-events/{item.pk}"

    other = make_agent(desk[0].engagement, skills={"hr": 3})
    client.force_login(other.user)
    assert (
        "Apply to the HR records"
        not in client.get(f"/payroll/items/{item.pk}/hr/").content.decode()
    )
    taken = client.post(f"{url}/actions", {"action": "apply"}, content_type=JSON)
    assert taken.status_code == 403  # not the agent holding it
    assert _event(item) is None

    client.force_login(agent.user)
    before = client.get(url).json()
    assert before["applied"] is None
    assert before["item_status"] == "in_progress"
    bad = client.post(f"{url}/actions", {"action": "approve"}, content_type=JSON)
    assert bad.status_code == 422
    applied = client.post(f"{url}/actions", {"action": "apply"}, content_type=JSON)
    assert applied.status_code == 200
    body = applied.json()
    assert body["applied"]["status"] == "applied"
    assert all(row["matches"] for row in body["comparison"])
    again = client.post(f"{url}/actions", {"action": "apply"}, content_type=JSON)
    assert again.status_code == 409
    mine = client.post(f"{url}/actions", {"action": "verify"}, content_type=JSON)
    assert mine.status_code == 403

    client.force_login(tenant_a.team_lead)
    stale = client.post(f"{url}/actions", {"action": "verify", "version": 9}, content_type=JSON)
    assert stale.status_code == 409
    version = body["applied"]["version"]
    verified = client.post(
        f"{url}/actions", {"action": "verify", "version": version}, content_type=JSON
    )
    assert verified.json()["applied"]["status"] == "verified"
    listed = client.get("/api/v1/payroll/hr-events", {"status": "verified"}).json()
    assert [row["work_item_id"] for row in listed] == [item.pk]
    employee_id = verified.json()["applied"]["employee_id"]
    history = client.get(f"/api/v1/payroll/employees/{employee_id}/employments").json()
    assert len(history) == 1
    assert history[0]["annual_salary_minor"] == 3_150_000
    assert history[0]["valid_from"] == "2026-06-01"

    client.force_login(tenant_a.client_admin)
    assert client.get(url).status_code == 403  # the client asks; the provider applies


def test_the_hr_changes_list_links_an_agent_only_to_items_they_may_open(client, tenant_a, desk):
    # issue 20: an agent's HR changes list linked to items that opened on the
    # break-glass form; the agent holding a request gets a link, other requests show
    # their number alone, and a lead gets links to all of them
    _group, queue, agent = desk
    mine = _started(tenant_a, queue, agent, NEW_STARTER)
    with client_scope(clients=[tenant_a.client]):
        other = work.submit_item(
            actor=tenant_a.client_user,
            queue=queue,
            work_type="payroll.hr_event",
            payload=NEW_STARTER,
        )
    client.force_login(agent.user)
    page = client.get("/payroll/hr/").content.decode()
    assert f'href="/work/items/{mine.pk}/"' in page
    assert f"#{other.pk}" in page
    assert f'href="/work/items/{other.pk}/"' not in page
    client.force_login(tenant_a.team_lead)
    page = client.get("/payroll/hr/").content.decode()
    assert f'href="/work/items/{other.pk}/"' in page


def test_an_hr_change_item_shows_its_desk_only_to_roles_that_may_use_it(client, tenant_a, desk):
    # issue 20: for QA analysts and auditors the item's panel stayed on "Loading…" (the
    # panel answered 403 out of sight); now the page says the desk is not theirs
    _group, queue, agent = desk
    item = _started(tenant_a, queue, agent, NEW_STARTER)
    analyst = UserFactory(role=Role.QA_ANALYST)
    with all_clients_scope():
        Grant.objects.create(user=analyst, client=tenant_a.client, reason="quality review")
    client.force_login(analyst)
    page = client.get(f"/work/items/{item.pk}/").content.decode()
    assert "Loading the conversation" not in page
    assert 'hx-get="/payroll/items/' not in page
    assert "desk is for the people who work these items" in page
    client.force_login(agent.user)
    page = client.get(f"/work/items/{item.pk}/").content.decode()
    assert f'hx-get="/payroll/items/{item.pk}/hr/"' in page
