"""Changing a client's pay rules in a browser: the team lead adds a line in the editor
(the boxes follow the kind chosen), a formula reading a later line is refused with the
line highlighted and what was typed kept, the fixed line is saved as a new version, and
the earlier version is restored from its page."""

from playwright.sync_api import expect

from tercero.platform.identity.tests.factories import PASSWORD
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import groups
from tercero.services.payroll.tests.factories import uk_group
from tests.browser.conftest import checked, screenshot, sign_in


def test_a_lead_adds_a_pay_line_and_restores_the_earlier_rules(page, live_server, watch, tenant_a):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        groups.current_rules(group, actor=tenant_a.team_lead)  # version 1
    sign_in(page, live_server, tenant_a.team_lead, PASSWORD)
    page.goto(f"{live_server.url}/payroll/groups/{group.pk}/")
    page.get_by_role("link", name="Change the rules").click()
    watch.expected_422s.add(page.url)
    new = page.locator("fieldset.rule-row").nth(len(group.rules))
    new.get_by_label("Code").fill("SHIFT")
    new.get_by_label("Name on the payslip").fill("Night shift allowance")
    assert new.get_by_label("Amount or input").is_visible()
    new.get_by_label("Kind").select_option("formula")
    assert not new.get_by_label("Amount or input").is_visible()  # only the formula box
    new.get_by_label("Formula", exact=True).fill("night_hours * 2.50 + NI")
    new.get_by_label("Position").fill("3")
    page.get_by_label("Why the rules change").fill("Night shifts from December")
    page.get_by_role("button", name="Save as a new version").click()
    page.get_by_text("reads NI, which is not computed before it").wait_for()
    expect(page.locator("fieldset.has-error")).to_have_count(1)
    fixed = page.locator("fieldset.has-error")
    assert fixed.get_by_label("Formula", exact=True).input_value() == "night_hours * 2.50 + NI"
    checked(page, watch)
    fixed.get_by_label("Formula", exact=True).fill("night_hours * 2.50")
    page.get_by_role("button", name="Save as a new version").click()
    page.get_by_text("Rules saved as version 2.").wait_for()
    assert page.get_by_role("cell", name="SHIFT added").is_visible()
    assert page.get_by_role("cell", name="night_hours * 2.50", exact=True).is_visible()
    checked(page, watch)
    screenshot(page, "pay-rules")

    page.get_by_role("link", name="1", exact=True).click()
    page.get_by_label("Why").fill("Night shifts postponed")
    page.get_by_role("button", name="Restore version 1").click()
    page.get_by_text("Version 1 is in force again, as a new version.").wait_for()
    assert page.get_by_role("cell", name="SHIFT removed").is_visible()
    assert page.get_by_role("cell", name="Version 1 restored: Night shifts postponed").is_visible()
    checked(page, watch)
