"""The care report in a browser: a delivery manager opens it from the navigation,
groups by agent, sees the table and charts, and downloads the CSV."""

from tercero.platform.identity.models import Grant
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import PASSWORD, UserFactory
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.care import chat
from tercero.services.care.models import WebChannel
from tests.browser.conftest import checked, screenshot, sign_in
from tests.browser.test_care_chat import _chat_desk


def test_a_manager_reads_and_exports_the_care_report(page, live_server, watch, tenant_a):
    manager = UserFactory(email="dm@provider.example", role=Role.DELIVERY_MANAGER)
    with client_scope(clients=[tenant_a.client]):
        Grant.objects.create(user=manager, client=tenant_a.client, reason="fixture")
        _chat_desk(tenant_a)
        channel = WebChannel.objects.get(key="acme-help")
        for n in range(3):
            chat.submit_form(
                channel=channel,
                name="Maria",
                email=f"m{n}@example.org",
                subject=f"Question {n}",
                message="Where is my order?",
            )
    sign_in(page, live_server, manager, PASSWORD)
    page.get_by_role("link", name="Care report").click()
    page.locator("#care-figures").wait_for()
    checked(page, watch)
    page.get_by_label("Group by").select_option("engagement")
    page.get_by_role("button", name="Show").click()
    row = page.locator("#care-figures tbody tr").first
    assert row.locator("th").inner_text() == "Customer care"
    assert row.locator("td").first.inner_text() == "3"
    assert page.locator("#care-volume-channel-title").count() == 1
    checked(page, watch)
    screenshot(page, "care-report")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    lines = download.value.path().read_text().strip().splitlines()
    assert lines[0].startswith("Group,Tickets")
    assert lines[-1].startswith("Total,3")
