"""The outbound pages a manager and an agent use."""

import pytest

from tercero.platform.tenancy.scoping import client_scope
from tercero.services.outbound.tests.world import build, load


@pytest.fixture
def world(tenant_a):
    return build(tenant_a)


def test_the_manager_sees_the_campaign_and_its_lists(client, world):
    load(world, [{"phone": "+12125550123", "name": "Ann Archer"}], name="March leads")
    client.force_login(world.manager)
    listing = client.get("/outbound/campaigns/").content.decode()
    detail = client.get(f"/outbound/campaigns/{world.campaign.pk}/").content.decode()
    assert "Spring renewals" in listing
    assert "March leads" in detail
    assert "Load and scrub" in detail


def test_the_lead_page_masks_the_number_and_says_why_not(client, world):
    lead_list = load(world, [{"phone": "+12125550123", "name": "Ann Archer"}])
    with client_scope(clients=[world.tenant.client]):
        lead = lead_list.leads.get()
    client.force_login(world.tenant.agent)
    page = client.get(f"/outbound/leads/{lead.pk}/").content.decode()
    assert "2125550123" not in page
    assert "Ann Archer" not in page
    assert "May this lead be called now?" in page


def test_a_manager_changes_dispositions_on_the_page(client, world):
    client.force_login(world.manager)
    response = client.post(
        f"/outbound/campaigns/{world.campaign.pk}/",
        {
            "version": "1",
            "dispositions": "sale | Sale | 1 | sale\nnope | Not now | 1 | not_interested",
        },
    )
    assert response.status_code == 422
    assert "used twice" in response.content.decode()


def test_the_dnc_page_adds_a_number(client, world):
    client.force_login(world.manager)
    response = client.post(
        "/outbound/dnc/",
        {"action": "add", "client": world.tenant.client.pk, "number": "212 555 0123",
         "region": "US", "scope": "client"},
        follow=True,
    )  # fmt: skip
    assert "The number is on the list (1 client list(s) gained it)." in response.content.decode()
