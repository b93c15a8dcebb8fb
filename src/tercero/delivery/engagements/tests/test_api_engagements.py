from tests.factories import engagement_for

from tercero.platform.audit.models import AuditEvent
from tercero.platform.tenancy.scoping import all_clients_scope


def _body(client_id, **extra):
    return {
        "client_id": client_id,
        "name": "Care",
        "service_line": "customer_care",
        "category": "BPO",
        "office": "front",
        "orientation": "vertical",
        "pricing_model": "per_hour",
        "time_zone": "America/New_York",
        **extra,
    }


def test_a_manager_creates_an_engagement_with_its_complexity(client, tenant_a, provider_admin):
    client.force_login(provider_admin)
    response = client.post(
        "/api/v1/engagements",
        data=_body(tenant_a.client.pk, monthly_volume=250000),
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["complexity_breakdown"][0]["level"] == 5
    with all_clients_scope():
        assert AuditEvent.objects.filter(action="engagement.created").count() == 1


def test_bad_calendar_is_422_naming_the_field(client, tenant_a, provider_admin):
    client.force_login(provider_admin)
    response = client.post(
        "/api/v1/engagements",
        data=_body(
            tenant_a.client.pk,
            time_zone="Mars/Olympus",
            holiday_country="DE",
            holiday_subdivision="XX",
        ),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"time_zone", "holiday_country"}


def test_an_agent_cannot_create_engagements(client, tenant_a):
    client.force_login(tenant_a.agent)
    response = client.post(
        "/api/v1/engagements", data=_body(tenant_a.client.pk), content_type="application/json"
    )
    assert response.status_code == 403


def test_a_stale_version_is_409_and_changes_nothing(client, tenant_a, provider_admin):
    engagement = engagement_for(tenant_a.client)
    client.force_login(provider_admin)
    first = client.patch(
        f"/api/v1/engagements/{engagement.pk}",
        data={"version": 1, "scope": "new"},
        content_type="application/json",
    )
    stale = client.patch(
        f"/api/v1/engagements/{engagement.pk}",
        data={"version": 1, "scope": "old"},
        content_type="application/json",
    )
    assert first.json()["version"] == 2
    assert stale.status_code == 409
    assert client.get(f"/api/v1/engagements/{engagement.pk}").json()["scope"] == "new"


def test_an_illegal_status_move_is_409_listing_the_allowed_ones(client, tenant_a, provider_admin):
    engagement = engagement_for(tenant_a.client)
    client.force_login(provider_admin)
    response = client.post(
        f"/api/v1/engagements/{engagement.pk}/status",
        data={"status": "live"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["error"]["fields"]["allowed"] == ["scoping", "ended"]


def test_an_engagement_is_for_a_service_line_an_installed_module_runs(
    client, tenant_a, provider_admin
):
    # given no installed module runs IT services (yet)
    client.force_login(provider_admin)

    # when
    refused = client.post(
        "/api/v1/engagements",
        data=_body(tenant_a.client.pk, service_line="it_services"),
        content_type="application/json",
    )
    made = client.post(
        "/api/v1/engagements",
        data=_body(tenant_a.client.pk, service_line="hr_records", name="HR"),
        content_type="application/json",
    )

    # then
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"]["service_line"].startswith(
        "not a service line the installed modules run (data_entry, data_processing,"
    )
    assert made.status_code == 201
    assert made.json()["service_line"] == "hr_records"
    with all_clients_scope():
        assert AuditEvent.objects.filter(action="engagement.created").count() == 1
