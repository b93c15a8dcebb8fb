"""An auditor searches the audit trail and verifies its chain from the page."""

from tercero.platform.audit.services import record
from tercero.platform.identity.models import Grant
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import PASSWORD, UserFactory
from tercero.platform.tenancy.scoping import all_clients_scope
from tests.browser.conftest import checked, screenshot, sign_in


def test_an_auditor_searches_the_trail_and_verifies_the_chain(page, live_server, watch, tenant_a):
    # given an auditor of client A and a few of A's events
    auditor = UserFactory(email="auditor@provider.example", role=Role.AUDITOR)
    with all_clients_scope():
        Grant.objects.create(user=auditor, client=tenant_a.client)
    for action in ("grant.created", "user.deactivated", "engagement.created"):
        record(action=action, actor=tenant_a.client_admin, client=tenant_a.client)
    sign_in(page, live_server, auditor, PASSWORD)
    # when they open the trail from the navigation and search by action
    page.get_by_role("link", name="Audit trail").click()
    checked(page, watch)
    page.get_by_label("Action").fill("user.deactivated")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state("load")
    # then only the matching event is listed, in words
    rows = page.locator("table tbody tr")
    assert rows.count() == 1
    assert "User deactivated" in rows.first.inner_text()
    checked(page, watch)
    # and verifying the chain says it is intact
    page.get_by_role("button", name="Verify the chain").click()
    page.wait_for_load_state("load")
    assert "The audit trail is intact" in page.locator(".messages").inner_text()
    checked(page, watch)
    screenshot(page, "audit-trail")
