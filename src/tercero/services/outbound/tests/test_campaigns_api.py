"""Campaigns through the API: created with checked fields, changed with version checks,
started only when they have a queue and a ready list."""

import pytest

from tercero.platform.audit.models import AuditEvent
from tercero.platform.tenancy.scoping import all_clients_scope
from tercero.services.outbound.tests.world import build, load


@pytest.fixture
def world(tenant_a):
    return build(tenant_a)


def test_a_manager_creates_a_campaign_with_default_dispositions(client, world):
    # given
    client.force_login(world.manager)

    # when
    response = client.post(
        "/api/v1/outbound/campaigns",
        {"engagement_id": world.engagement.pk, "name": "Winter sales", "pack": "us"},
        content_type="application/json",
    )

    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft"
    assert [d["hotkey"] for d in body["dispositions"]] == ["1", "2", "3", "4", "5", "9"]
    with all_clients_scope():
        assert AuditEvent.objects.filter(action="outbound.campaign.created").count() == 2


def test_an_unknown_rule_pack_is_422(client, world):
    client.force_login(world.manager)
    response = client.post(
        "/api/v1/outbound/campaigns",
        {"engagement_id": world.engagement.pk, "name": "Moon sales", "pack": "moon"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "pack" in response.json()["error"]["fields"]


def test_dispositions_with_the_same_hotkey_are_refused(client, world):
    client.force_login(world.manager)
    twice = [
        {"key": "sale", "label": "Sale", "hotkey": "1", "outcome": "sale"},
        {"key": "no", "label": "No", "hotkey": "1", "outcome": "not_interested"},
    ]
    response = client.patch(
        f"/api/v1/outbound/campaigns/{world.campaign.pk}",
        {"version": world.campaign.version, "changes": {"dispositions": twice}},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "hotkey" in response.json()["error"]["fields"]["dispositions"]


def test_a_stale_version_is_409(client, world):
    client.force_login(world.manager)
    url = f"/api/v1/outbound/campaigns/{world.campaign.pk}"
    first = client.patch(
        url, {"version": 1, "changes": {"abandon_cap_percent": "2.5"}}, "application/json"
    )
    second = client.patch(url, {"version": 1, "changes": {"name": "x"}}, "application/json")
    assert first.status_code == 200
    assert first.json()["abandon_cap_percent"] == "2.50"
    assert second.status_code == 409


def test_a_campaign_starts_only_with_a_queue_and_a_ready_list(client, world):
    client.force_login(world.manager)
    url = f"/api/v1/outbound/campaigns/{world.campaign.pk}"

    refused = client.post(f"{url}/status", {"version": 1, "status": "active"}, "application/json")
    assert refused.status_code == 409
    assert set(refused.json()["error"]["fields"]) == {"queue", "lists"}

    load(world, [{"phone": "+12125550123"}])
    changed = client.patch(
        url, {"version": 1, "changes": {"queue": world.queue.pk}}, "application/json"
    )
    assert changed.status_code == 200, changed.content
    started = client.post(f"{url}/status", {"version": 2, "status": "active"}, "application/json")
    assert started.status_code == 200
    assert started.json()["status"] == "active"


def test_an_agent_cannot_change_a_campaign(client, world):
    client.force_login(world.tenant.agent)
    response = client.patch(
        f"/api/v1/outbound/campaigns/{world.campaign.pk}",
        {"version": 1, "changes": {"name": "Mine"}},
        content_type="application/json",
    )
    assert response.status_code == 403
