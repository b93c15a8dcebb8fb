"""A new client's care desk set up from pages only, no Django admin: a provider admin
copies an existing client's set-up (preview, then copy), adds a web channel with the
client's brand, a custom field, a product checklist and an SLA policy, and reads each
back in the lists."""

import pytest

from tercero.delivery.work import services as work
from tercero.platform.identity.tests.factories import PASSWORD
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.care.models import Checklist, CustomField, Macro, WebChannel
from tercero.services.care.services import desk_setup
from tests.browser.conftest import ALWAYS, checked, screenshot, sign_in
from tests.factories import engagement_for

pytestmark = pytest.mark.browser


def _desk(tenant, name: str):
    engagement = engagement_for(
        tenant.client,
        name=name,
        status="live",
        hours_of_cover="24_7",
        working_hours=ALWAYS,
        service_line="customer_care",
        office="front",
    )
    with client_scope(clients=[tenant.client]):
        work.create_queue(
            actor=None, engagement=engagement, name="Chat", work_types=["care.ticket"]
        )
    return engagement


def test_a_new_clients_desk_is_set_up_from_pages_only(
    page, live_server, watch, tenant_a, tenant_b, provider_admin
):
    source = _desk(tenant_a, "Acme care")
    _desk(tenant_b, "Bergmann care")
    with client_scope(clients=[tenant_a.client]):
        desk_setup.create_macro(
            actor=None, engagement=source, name="Order on its way", reply="It left today."
        )
    sign_in(page, live_server, provider_admin, PASSWORD)
    page.goto(f"{live_server.url}/care/macros/")
    checked(page, watch)
    # copy Acme's set-up to Bergmann: preview, then copy
    page.get_by_role("link", name="Copy a set-up").click()
    page.get_by_label("Copy the set-up of:", exact=True).select_option(
        label="Acme care · Acme Retail Inc"
    )
    page.get_by_label("To the engagement:", exact=True).select_option(
        label="Bergmann care · Bergmann Maschinenbau GmbH"
    )
    page.get_by_role("button", name="Preview").click()
    assert "Order on its way" in page.locator("table").inner_text()
    checked(page, watch)
    page.get_by_role("button", name="Copy now").click()
    page.get_by_text("Copied 1 to Bergmann care.").wait_for()
    checked(page, watch)
    # a web channel in Bergmann's brand
    page.get_by_role("link", name="Web channels").click()
    page.get_by_role("link", name="New web channel").click()
    page.get_by_label("Engagement", exact=True).select_option(
        label="Bergmann care · Bergmann Maschinenbau GmbH"
    )
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Key:", exact=True).fill("bergmann")
    page.get_by_label("Title:", exact=True).fill("Bergmann Hilfe")
    page.get_by_label("Sites allowed to embed the chat:", exact=True).fill(
        "https://shop.bergmann.example"
    )
    page.get_by_label("Brand name:", exact=True).fill("Bergmann")
    page.get_by_label("Brand colour:", exact=True).fill("#005a3c")
    page.get_by_role("button", name="Save web channel").click()
    page.get_by_text("Web channel saved.").wait_for()
    assert 'data-colour="#005a3c"' in page.locator("pre").inner_text()
    checked(page, watch)
    # a custom field, refused in words first
    page.get_by_role("link", name="Custom fields").click()
    page.get_by_role("link", name="New custom field").click()
    page.get_by_label("Engagement", exact=True).select_option(
        label="Bergmann care · Bergmann Maschinenbau GmbH"
    )
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Key:", exact=True).fill("reason")
    page.get_by_label("Label:", exact=True).fill("Contact reason")
    page.get_by_label("Type:", exact=True).select_option(label="Choice")
    page.get_by_role("button", name="Save custom field").click()
    page.get_by_text("1 to 50 options of at most 100 characters").wait_for()
    page.get_by_label("Options:", exact=True).fill("Delivery\nRefund")
    page.get_by_role("button", name="Save custom field").click()
    page.get_by_text("Custom field saved.").wait_for()
    checked(page, watch)
    # a product checklist
    page.get_by_role("link", name="Checklists").click()
    page.get_by_role("link", name="New checklist").click()
    page.get_by_label("Client", exact=True).select_option(label="Bergmann Maschinenbau GmbH")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Product:", exact=True).fill("Router")
    page.get_by_label("Title:", exact=True).fill("No light")
    page.get_by_label("Steps:", exact=True).fill("Power-cycle the router\nCheck the cable")
    page.get_by_role("button", name="Save checklist").click()
    page.get_by_text("Checklist saved.").wait_for()
    # an SLA policy
    page.get_by_role("link", name="SLA policies").click()
    checked(page, watch)
    page.get_by_role("link", name="Bergmann care").click()
    page.get_by_label("Metric of row 1", exact=True).select_option(label="First response")
    page.get_by_label("Priority of row 1", exact=True).select_option(label="P1")
    page.get_by_label("Target of row 1", exact=True).fill("2")
    page.get_by_label("Unit of row 1", exact=True).select_option(label="hours")
    page.get_by_role("button", name="Save SLA policy").click()
    page.get_by_text("First response, P1: within 2 hours of business time").wait_for()
    checked(page, watch)
    screenshot(page, "care-setup-sla-policy")
    with all_clients_scope():
        assert WebChannel.objects.get(key="bergmann").brand_colour == "#005a3c"
        assert CustomField.objects.get(client=tenant_b.client).choices == ["Delivery", "Refund"]
        assert Checklist.objects.get(client=tenant_b.client).steps == [
            "Power-cycle the router",
            "Check the cable",
        ]
        assert Macro.objects.filter(client=tenant_b.client).count() == 1
