"""A pay run in a browser, maker and checker: the provider's team lead creates the run,
uploads a timesheet with a bad row (nothing imported, the row named), fixes it,
calculates and sends the run for approval; the client's admin approves it in the
portal; the team lead finalises it, sees the reconciliation balance and downloads the
register."""

from tercero.platform.identity.tests.factories import PASSWORD
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll.tests.factories import hire, uk_group
from tests.browser.conftest import checked, screenshot, sign_in


def test_a_lead_prepares_a_pay_run_and_the_clients_admin_approves_it(
    page, live_server, watch, tenant_a, tmp_path
):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        group.payer_iban = "GB33BUKB20201555555555"
        group.save()
        hire(tenant_a.team_lead, group, "E-1", full_name="Olivia Grant")
        hire(tenant_a.team_lead, group, "E-2", salary=None, hourly_rate="15.00")
    sign_in(page, live_server, tenant_a.team_lead, PASSWORD)
    page.get_by_role("link", name="Payroll").click()
    page.get_by_label("Period starts").fill("2026-04-06")
    page.get_by_label("Period ends").fill("2026-05-05")
    page.get_by_label("Pay date").fill("2026-04-28")
    page.get_by_role("button", name="Create run").click()
    page.get_by_role("heading", name="Inputs").wait_for()
    checked(page, watch)

    bad = tmp_path / "bad.csv"
    bad.write_text("employee_number,hours\nE-2,abc\n")
    page.get_by_label("Inputs file").set_input_files(str(bad))
    page.get_by_role("button", name="Import inputs").click()
    assert "line 2, hours: 'abc' is not a number" in page.content()
    good = tmp_path / "good.csv"
    good.write_text("employee_number,hours\nE-2,160\n")
    page.get_by_label("Inputs file").set_input_files(str(good))
    page.get_by_role("button", name="Import inputs").click()
    page.get_by_text("1 inputs from 1 rows imported.").wait_for()

    page.get_by_role("button", name="Calculate").click()
    page.get_by_text("Calculated.", exact=True).wait_for()
    # 2,500.00 - 290.20 - 116.16 - 125.00 for E-1; 2,400.00 for E-2's 160 hours
    assert page.get_by_role("cell", name="£1,968.64").count() == 1
    checked(page, watch)
    screenshot(page, "payroll-run")
    page.get_by_role("button", name="Send to the client for approval").click()
    page.get_by_text("Waiting for the client's approval.").wait_for()

    page.context.clear_cookies()
    sign_in(page, live_server, tenant_a.client_admin, PASSWORD)
    page.get_by_role("link", name="Payroll").click()
    page.get_by_role("link", name="28 Apr 2026").click()
    page.get_by_role("button", name="Approve this pay run").click()
    page.get_by_text("Approved.", exact=True).wait_for()
    checked(page, watch)

    page.context.clear_cookies()
    sign_in(page, live_server, tenant_a.team_lead, PASSWORD)
    page.goto(page.url.replace("/accounts/login/", "/"))
    page.get_by_role("link", name="Payroll").click()
    page.get_by_role("link", name="28 Apr 2026").click()
    page.get_by_role("button", name="Finalise and lock").click()
    page.get_by_role("link", name="Check the reconciliation").click()
    page.get_by_text("Balanced", exact=True).wait_for()
    checked(page, watch)
    with page.expect_download() as download:
        page.get_by_role("link", name="Payroll register (CSV)").click()
    lines = download.value.path().read_text().strip().splitlines()
    assert lines[0].startswith("employee_number,BASIC")
    assert lines[-1].startswith("TOTAL,")
