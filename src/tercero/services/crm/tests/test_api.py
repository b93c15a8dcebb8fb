"""The crm API: the client's CRM pulls conversions (each pull noted as an export), staff
keep accounts, contacts and the pipeline; bad input is a 4xx naming the field."""

import pytest

from tercero.platform.tenancy.scoping import client_scope
from tercero.services.crm.models import Contact, ExportJob, Opportunity
from tercero.services.crm.tests.world import build, drain, sell

pytestmark = pytest.mark.django_db


def test_the_client_pulls_its_conversions_by_api(client, tenant_a, tenant_b):
    sell(build(tenant_a), lead_id=41, value_minor=12_000)
    sell(build(tenant_b, name="Other"), lead_id=42, value_minor=55_500)
    drain()
    client.force_login(tenant_a.client_admin)
    response = client.get("/api/v1/crm/conversions")
    assert response.status_code == 200
    rows = response.json()
    assert [(r["kind"], r["value_minor"], r["currency"]) for r in rows] == [("sale", 12_000, "USD")]
    with client_scope(clients=[tenant_a.client]):
        assert ExportJob.objects.get().format == "api"


def test_staff_add_an_account_a_sealed_contact_and_an_opportunity(client, tenant_a):
    client.force_login(tenant_a.team_lead)
    account = client.post(
        "/api/v1/crm/accounts",
        {"client_id": tenant_a.client.pk, "name": "Harbour Supplies", "number": "H-1"},
        content_type="application/json",
    )
    assert account.status_code == 201
    account_id = account.json()["id"]
    contact = client.post(
        f"/api/v1/crm/accounts/{account_id}/contacts",
        {"name": "Dana Whitfield", "email": "dana@harbour.example"},
        content_type="application/json",
    )
    assert contact.status_code == 201
    opportunity = client.post(
        f"/api/v1/crm/accounts/{account_id}/opportunities",
        {"title": "Paper contract", "value_minor": 480_000, "currency": "USD"},
        content_type="application/json",
    )
    assert opportunity.status_code == 201
    changed = client.patch(
        f"/api/v1/crm/opportunities/{opportunity.json()['id']}",
        {"version": 1, "stage": "proposal"},
        content_type="application/json",
    )
    assert changed.json()["stage"] == "proposal"
    with client_scope(clients=[tenant_a.client]):
        assert "Dana" not in Contact.objects.get().name
        assert Opportunity.objects.get().version == 2


def test_an_unknown_stage_is_a_422_naming_the_field_and_changes_nothing(client, tenant_a):
    sell(build(tenant_a), lead_id=43, value_minor=100)
    drain()
    with client_scope(clients=[tenant_a.client]):
        opportunity = Opportunity.objects.get()
    client.force_login(tenant_a.team_lead)
    response = client.patch(
        f"/api/v1/crm/opportunities/{opportunity.pk}",
        {"version": opportunity.version, "stage": "maybe"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "stage" in response.json()["error"]["fields"]
    with client_scope(clients=[tenant_a.client]):
        assert Opportunity.objects.get().stage == "won"
