"""Outbound to CRM in a browser: a delivery manager loads a lead list onto a campaign;
a call to one lead ends in a sale; the client's people see the conversion in their
portal (Conversions, Pipeline) and in the CRM export (CSV), never another client's; the
campaign board shows the campaign.

The agent screen that records the sale was not yet in the tree when this was written,
so the sale is written as the outbound line writes it (its two outbox events, with the
call's work item); the rest is clicked through as a person does."""

from tercero.delivery.work import outbox
from tercero.platform.identity.tests.factories import PASSWORD
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.crm.tests.world import World, call_item, sell
from tercero.services.outbound.models import Lead
from tercero.services.outbound.tests.world import build
from tests.browser.conftest import checked, screenshot, sign_in

CSV = "phone,name,postal_code\n+12125550142,Rosa Delgado,10001\n+12125550143,Sam Ortiz,10001\n"


def test_a_campaign_from_upload_to_a_sale_seen_in_the_clients_portal_and_export(
    page, live_server, watch, tenant_a, tenant_b, tmp_path
):
    # given a campaign of client A, and a sale of client B that A must never see
    world = build(tenant_a, name="Winter offer")
    other = build(tenant_b, name="Bergmann offer", email="dm-b@provider.example")
    sell(World(tenant_b, other.engagement, other.queue), lead_id=999, value_minor=77_700)

    # the delivery manager loads the lead list
    sign_in(page, live_server, world.manager, PASSWORD)
    page.goto(f"{live_server.url}/outbound/campaigns/{world.campaign.pk}/")
    checked(page, watch)
    upload = tmp_path / "winter.csv"
    upload.write_text(CSV)
    page.get_by_label("List name").fill("Winter list")
    page.get_by_label("CSV file").set_input_files(str(upload))
    page.get_by_role("button", name="Load and scrub").click()
    page.wait_for_load_state("load")
    checked(page, watch)
    with client_scope(clients=[tenant_a.client]):
        lead = Lead.objects.filter(campaign=world.campaign).order_by("pk").first()
    assert lead is not None
    # when a call to the lead ends in a sale of $249.00
    crm_world = World(tenant_a, world.engagement, world.queue)
    item = call_item(crm_world, lead_id=lead.pk, name="Rosa Delgado", phone="+12125550142")
    sell(crm_world, lead_id=lead.pk, value_minor=24_900, item=item, campaign_id=world.campaign.pk)
    outbox.consume("crm.intake")

    # the campaign board lists the campaign
    page.goto(f"{live_server.url}/outbound/board/")
    page.get_by_role("link", name="Winter offer").wait_for()
    checked(page, watch)

    # then the client's user sees the conversion in the portal
    page.context.clear_cookies()
    sign_in(page, live_server, tenant_a.client_user, PASSWORD)
    page.goto(f"{live_server.url}/crm/conversions/")
    table = page.locator("table").first
    table.wait_for()
    text = page.locator("main").inner_text()
    assert "$249.00" in text
    assert "$777.00" not in text
    checked(page, watch)
    screenshot(page, "crm-conversions")
    # and in the CRM export
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    lines = download.value.path().read_text().strip().splitlines()
    assert lines[0] == "When,Kind,Value,Currency,Campaign,Opportunity"
    assert len(lines) == 2
    assert ",Sale,249.00,USD," in lines[1]
    # and the pipeline shows the opportunity won
    page.goto(f"{live_server.url}/crm/opportunities/")
    page.get_by_role("link", name=f"Sale from campaign {world.campaign.pk}").wait_for()
    checked(page, watch)
