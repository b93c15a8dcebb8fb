"""crm pages: the client's people see their conversions (and export them as CSV), the
pipeline by stage; an opportunity moved on with a next step becomes a follow-up task;
contacts are masked; another client's records are never shown."""

import pytest
from django.urls import reverse

from tercero.delivery.work import selectors as work_selectors
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.crm.models import ExportJob, Opportunity
from tercero.services.crm.tests.world import build, call_item, drain, sell

pytestmark = pytest.mark.django_db


@pytest.fixture
def sold(tenant_a, tenant_b):
    world = build(tenant_a)
    item = call_item(world, lead_id=31, name="Rosa Delgado", phone="+12125550131")
    sell(world, lead_id=31, value_minor=24_900, item=item)
    sell(build(tenant_b, name="Other"), lead_id=32, value_minor=77_700)
    drain()
    return world


def test_the_client_user_sees_the_sale_in_the_portal_and_not_the_other_clients(
    client, tenant_a, sold
):
    client.force_login(tenant_a.client_user)
    page = client.get(reverse("crm:conversions")).content.decode()
    assert "$249.00" in page
    assert "Sale" in page
    assert "$777.00" not in page


def test_conversions_export_as_csv_with_the_amount_in_major_units(client, tenant_a, sold):
    client.force_login(tenant_a.client_admin)
    response = client.get(reverse("crm:conversions") + "?format=csv")
    lines = response.content.decode().strip().splitlines()
    assert lines[0] == "When,Kind,Value,Currency,Campaign,Opportunity"
    assert len(lines) == 2
    assert ",Sale,249.00,USD,7," in lines[1]
    with client_scope(clients=[tenant_a.client]):
        assert ExportJob.objects.get().rows == 1


def test_the_pipeline_shows_the_won_sale_and_the_account_shows_its_contact_masked(
    client, tenant_a, sold
):
    client.force_login(tenant_a.team_lead)
    pipeline = client.get(reverse("crm:opportunities")).content.decode()
    assert "Sale from campaign 7" in pipeline
    with client_scope(clients=[tenant_a.client]):
        opportunity = Opportunity.objects.get()
    account = client.get(reverse("crm:account", args=[opportunity.account_id])).content.decode()
    assert "Rosa" not in account
    assert "•••••" in account


def test_a_next_step_with_a_time_becomes_a_follow_up_task_in_the_queue(client, tenant_a, sold):
    with client_scope(clients=[tenant_a.client]):
        opportunity = Opportunity.objects.get()
    client.force_login(tenant_a.team_lead)
    response = client.post(
        reverse("crm:opportunity", args=[opportunity.pk]),
        {
            "version": opportunity.version,
            "stage": "won",
            "next_step": "Send the welcome pack",
            "next_step_at": "2026-12-09T10:00",
        },
    )
    assert response.status_code == 302
    with client_scope(clients=[tenant_a.client]):
        opportunity.refresh_from_db()
        items = work_selectors.items(client_ids=[tenant_a.client.pk], work_types=["crm.follow_up"])
        assert items.count() == 1
        assert items.get().pk == opportunity.follow_up_item_id
        assert opportunity.next_step == "Send the welcome pack"


def test_a_stale_form_is_refused_in_words_and_changes_nothing(client, tenant_a, sold):
    with client_scope(clients=[tenant_a.client]):
        opportunity = Opportunity.objects.get()
    client.force_login(tenant_a.team_lead)
    response = client.post(
        reverse("crm:opportunity", args=[opportunity.pk]),
        {"version": opportunity.version + 5, "stage": "lost"},
        follow=True,
    )
    assert "Someone changed this opportunity" in response.content.decode()
    with client_scope(clients=[tenant_a.client]):
        assert Opportunity.objects.get().stage == "won"


def test_a_client_user_may_read_but_not_move_an_opportunity(client, tenant_a, sold):
    with client_scope(clients=[tenant_a.client]):
        opportunity = Opportunity.objects.get()
    client.force_login(tenant_a.client_user)
    response = client.post(
        reverse("crm:opportunity", args=[opportunity.pk]),
        {"version": opportunity.version, "stage": "lost"},
    )
    assert response.status_code == 403
    with client_scope(clients=[tenant_a.client]):
        assert Opportunity.objects.get().stage == "won"
