"""The campaign board page: the figures in words, a poll that carries the poll header and
answers with the figures alone, and the same rows as CSV; a client user is not shown it."""

import pytest
from django.urls import reverse

from tercero.services.outbound.tests.world import build

pytestmark = pytest.mark.django_db


def test_the_board_shows_each_campaign_and_polls_with_the_poll_header(client, tenant_a, tenant_b):
    build(tenant_a, name="Winter offer")
    build(tenant_b, name="Bergmann offer", email="dm-b@provider.example")
    client.force_login(tenant_a.team_lead)
    page = client.get(reverse("outbound:board")).content.decode()
    assert "Winter offer" in page
    assert "Bergmann offer" not in page
    assert 'hx-headers=\'{"X-Tercero-Poll": "1"}\'' in page
    assert "No dials" in page
    polled = client.get(
        reverse("outbound:board"), HTTP_HX_REQUEST="true", HTTP_X_TERCERO_POLL="1"
    ).content.decode()
    assert "<h1>" not in polled
    assert "Winter offer" in polled


def test_the_board_as_csv(client, tenant_a):
    build(tenant_a, name="Winter offer")
    client.force_login(tenant_a.team_lead)
    response = client.get(reverse("outbound:board") + "?format=csv")
    lines = response.content.decode().strip().splitlines()
    assert lines[0].startswith("Campaign,Status,Dials,Contacts,Contact rate %")
    assert lines[1].startswith("Winter offer,draft,0,0,,0,,0,,3")


def test_a_client_user_gets_404(client, tenant_a):
    client.force_login(tenant_a.client_user)
    assert client.get(reverse("outbound:board")).status_code == 404


def test_the_board_by_api_for_the_callers_clients_only(client, tenant_a, tenant_b):
    build(tenant_a, name="Winter offer")
    build(tenant_b, name="Bergmann offer", email="dm-b@provider.example")
    client.force_login(tenant_a.team_lead)
    response = client.get("/api/v1/outbound/board?hours=24")
    assert response.status_code == 200
    body = response.json()
    assert [c["name"] for c in body["campaigns"]] == ["Winter offer"]
    assert body["campaigns"][0]["dials"] == 0
    assert body["campaigns"][0]["contact_rate"] is None
    assert body["agents"] == []


def test_a_window_past_a_week_is_a_422_naming_hours(client, tenant_a):
    client.force_login(tenant_a.team_lead)
    response = client.get("/api/v1/outbound/board?hours=500")
    assert response.status_code == 422
    assert "hours" in response.json()["error"]["fields"]
