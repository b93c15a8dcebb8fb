"""Least privilege for agents: only what routing gave them, break-glass with a reason
that alerts the team lead, residency on every path, exports by role and audited."""

import pytest
from tests.factories import site

from tercero.delivery.work.tests.conftest import add_item, live_engagement, make_agent, make_queue
from tercero.platform.audit.models import AuditEvent
from tercero.platform.security.models import SecurityAlert
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

JSON = "application/json"


@pytest.fixture
def desk(tenant_a):
    engagement = live_engagement(tenant_a.client, name="Claims")
    queue = make_queue(engagement)
    agent = make_agent(engagement)
    mine = add_item(queue, title="Mine")
    other = add_item(queue, title="Not mine")
    return engagement, queue, agent, mine, other


def _take(client, agent):
    client.force_login(agent.user)
    return client.post("/api/v1/agents/me/next", content_type=JSON).json()["id"]


def test_an_agent_sees_only_items_routing_gave_them(client, desk):
    # protects: least privilege - an agent cannot browse the client's other customers
    _, _, agent, mine, other = desk
    assert _take(client, agent) == mine.pk
    listed = [i["id"] for i in client.get("/api/v1/work-items").json()["results"]]
    assert listed == [mine.pk]
    assert client.get(f"/api/v1/work-items/{mine.pk}").status_code == 200
    refused = client.get(f"/api/v1/work-items/{other.pk}")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "break_glass_required"
    page = client.get("/work/items/").content.decode()
    assert "Mine" in page
    assert "Not mine" not in page
    assert client.get("/work/items/?q=Not").content.decode().count("Not mine") == 0


def test_break_glass_needs_a_reason_is_audited_and_alerts_the_lead(client, tenant_a, desk):
    # protects: access to unassigned items leaves a trace a team lead sees at once
    _, _, agent, _, other = desk
    client.force_login(agent.user)
    page = client.get(f"/work/items/{other.pk}/")
    assert page.status_code == 403
    assert "Why do you need this item?" in page.content.decode()
    short = client.post(f"/work/items/{other.pk}/access/", {"reason": "because"})
    assert short.status_code == 422
    opened = client.post(
        f"/work/items/{other.pk}/access/", {"reason": "customer called back about it"}
    )
    assert opened.status_code == 302
    assert client.get(f"/work/items/{other.pk}/").status_code == 200
    with all_clients_scope():
        event = AuditEvent.objects.get(action="work_item.break_glass")
    assert (event.actor_id, event.object_id) == (agent.user_id, str(other.pk))
    with client_scope(clients=[tenant_a.client]):
        alert = SecurityAlert.objects.get()
    assert (alert.kind, alert.user_id, alert.object_id) == ("break_glass", agent.user_id, other.pk)
    client.force_login(tenant_a.team_lead)
    assert "Opened an item not assigned to them" in client.get("/ops/security/").content.decode()


def test_opening_an_item_is_audited_with_the_shift_state(client, desk):
    # protects: the misuse detector's input (every record opened is in the trail)
    _, _, agent, mine, _ = desk
    _take(client, agent)
    client.get(f"/api/v1/work-items/{mine.pk}")
    client.get(f"/work/items/{mine.pk}/")
    with all_clients_scope():
        views = list(AuditEvent.objects.filter(action="work_item.viewed", actor=agent.user))
    assert len(views) == 2
    assert views[0].payload["on_shift"] is True


def test_agents_cannot_export_and_exports_are_audited(client, tenant_a, desk):
    # protects: bulk export limited by role and always audited
    _, _, agent, _, _ = desk
    client.force_login(agent.user)
    assert client.get("/api/v1/work-items.csv").status_code == 403
    assert client.get("/work/items/?format=csv").status_code == 403
    client.force_login(tenant_a.team_lead)
    assert client.get("/api/v1/work-items.csv").status_code == 200
    assert client.get("/work/items/?format=csv").status_code == 200
    with all_clients_scope():
        exports = list(
            AuditEvent.objects.filter(action="work_items.exported", actor=tenant_a.team_lead)
        )
    assert len(exports) == 2
    assert exports[0].payload["rows"] == 2


def test_residency_hides_personal_items_from_an_excluded_site_everywhere(client, tenant_a):
    # protects: offshore/nearshore restrictions on pages, API, exports and search alike
    engagement = live_engagement(
        tenant_a.client, name="Health", residency_allowed_shores=["onshore"]
    )
    queue = make_queue(engagement)
    offshore = site(name="Cebu", city="Cebu")
    lead = make_agent(engagement, site_=offshore, available=False)
    lead.user.role = "team_lead"
    with all_clients_scope():
        lead.user.save()
    secret = add_item(queue, title="Patient record", personal_data=True)
    public = add_item(queue, title="Opening hours question")
    client.force_login(lead.user)
    listed = [i["id"] for i in client.get("/api/v1/work-items").json()["results"]]
    assert listed == [public.pk]
    assert client.get(f"/api/v1/work-items/{secret.pk}").status_code == 404
    assert client.get(f"/work/items/{secret.pk}/").status_code == 404
    assert "Patient record" not in client.get("/work/items/?q=Patient").content.decode()
    assert "Patient record" not in client.get("/api/v1/work-items.csv").content.decode()
    assert (
        client.post(
            f"/api/v1/work-items/{secret.pk}/access",
            {"reason": "I really need to see it"},
            content_type=JSON,
        ).status_code
        == 404
    )


def test_after_an_alert_reveals_wait_for_a_supervisor(client, tenant_a, desk):
    # protects: automatic step-up - a flagged person cannot keep revealing on their own
    from tercero.platform.security import misuse
    from tercero.platform.security.models import RevealGrant

    _, _, agent, mine, _ = desk
    _take(client, agent)
    misuse.require_step_up(user_id=agent.user_id, reason="Alert #1: many records")
    asked = client.post(
        f"/api/v1/work-items/{mine.pk}/reveal",
        {"reason": "customer on the phone"},
        content_type=JSON,
    )
    assert asked.json()["status"] == "pending"
    assert asked.json()["fields"] == {}
    with client_scope(clients=[tenant_a.client]):
        grant = RevealGrant.objects.get(status="pending")
    client.force_login(tenant_a.team_lead)
    page = client.get("/ops/security/").content.decode()
    assert "Reveals waiting for a supervisor" in page
    client.post(f"/ops/security/reveals/{grant.pk}/", {"decision": "approve"})
    client.force_login(agent.user)
    assert client.get(f"/api/v1/work-items/{mine.pk}/personal").status_code == 200
    with all_clients_scope():
        assert AuditEvent.objects.filter(action="reveal.approved").count() == 1
