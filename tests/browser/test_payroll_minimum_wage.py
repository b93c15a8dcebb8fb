"""The minimum wage check in a browser: the team lead calculates a run, filters the
variance review to pay below the minimum wage and reads why in words, then opens the
salaried employee's record and sees the contracted hours it was worked from."""

from tercero.platform.identity.tests.factories import PASSWORD
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll.tests.factories import hire, uk_group
from tests.browser.conftest import checked, sign_in


def test_a_lead_reads_in_words_who_is_paid_below_the_minimum_wage(
    page, live_server, watch, tenant_a
):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        hire(tenant_a.team_lead, group, "W-1", salary=None, hourly_rate="11.02",
             date_of_birth="2000-01-01")  # fmt: skip
        hire(tenant_a.team_lead, group, "W-2", salary="22000", contracted_hours="37.5",
             date_of_birth="1996-02-02")  # fmt: skip
        hire(tenant_a.team_lead, group, "W-3", salary=None, hourly_rate="10.85",
             date_of_birth="2006-06-01")  # fmt: skip
    sign_in(page, live_server, tenant_a.team_lead, PASSWORD)
    page.get_by_role("link", name="Payroll").click()
    page.get_by_label("Period starts").fill("2026-04-06")
    page.get_by_label("Period ends").fill("2026-05-05")
    page.get_by_label("Pay date").fill("2026-04-28")
    page.get_by_role("button", name="Create run").click()
    page.get_by_role("button", name="Calculate").click()
    page.get_by_text("Calculated.", exact=True).wait_for()

    page.get_by_role("link", name="below the minimum wage (2)").click()
    page.get_by_text(
        "Paid £11.02 an hour, below the National Living Wage of £12.71 for 21 and over."
    ).wait_for()
    page.get_by_text(
        "Paid £11.28 an hour, below the National Living Wage of £12.71 for 21 and over."
    ).wait_for()
    assert page.get_by_role("cell", name="W-3").count() == 0  # 19, at the 18 to 20 rate
    checked(page, watch)
    # the run is not stopped: it can still go to the client
    assert page.get_by_role("button", name="Send to the client for approval").count() == 1

    page.get_by_role("link", name="Payroll", exact=True).click()
    page.get_by_role("link", name="Employees").first.click()
    page.get_by_role("link", name="W-2").click()
    assert page.get_by_role("cell", name="37.5", exact=True).count() == 1
    checked(page, watch)
