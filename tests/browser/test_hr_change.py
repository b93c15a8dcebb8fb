"""An HR change in a browser, four eyes: the client's user asks for a new starter in the
portal (a mistyped National Insurance number is refused on the form); the HR agent gets
the request, applies it to the records without seeing the clear values; the agent
cannot verify their own work; the team lead verifies it; the agent resolves the item;
the employee's page shows the new record, masked."""

from tercero.delivery.workforce.services import clear_agent, create_agent
from tercero.platform.identity.tests.factories import PASSWORD
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.payroll.models import Employee, HrEvent
from tercero.services.payroll.tests.factories import uk_group
from tests.browser.conftest import checked, screenshot, sign_in
from tests.factories import site


def _hr_desk(tenant):
    group = uk_group(tenant.client)
    with client_scope(clients=[tenant.client]):
        from tercero.delivery.work import services as work

        work.create_queue(
            actor=None,
            engagement=group.engagement,
            name="HR changes",
            work_types=["payroll.hr_event"],
        )
        agent = create_agent(
            actor=None, user=tenant.agent, site=site(), skills={"hr": 3}, languages=["en"]
        )
        clear_agent(
            actor=None,
            agent=agent,
            engagement=group.engagement,
            reachable_client_ids=[tenant.client.pk],
        )
    return group


def test_a_client_asks_for_a_hire_an_agent_applies_it_and_a_lead_verifies(
    page, live_server, watch, tenant_a
):
    _hr_desk(tenant_a)
    # the client's user asks for a new starter
    sign_in(page, live_server, tenant_a.client_user, PASSWORD)
    page.get_by_role("link", name="Submit to HR changes").click()
    watch.expected_422s.add(page.url)
    page.get_by_label("Event").select_option("hire")
    page.get_by_label("Employee number").fill("E-31")
    page.get_by_label("Effective date").fill("2026-06-01")
    page.get_by_label("Pay group").fill("UK monthly")
    page.get_by_label("Annual salary").fill("31500.00")
    page.get_by_label("Position").fill("Claims handler")
    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_label("Date of birth").fill("1990-12-09")
    page.get_by_label("National id").fill("AB 12 34 56 E")
    page.get_by_label("Bank account (IBAN)").fill("GB82 WEST 1234 5698 7654 32")
    page.get_by_label("E-mail for payslips").fill("grace@example.org")
    page.get_by_label("Tax code").fill("1257L")
    page.get_by_role("button", name="Submit").click()
    assert "is not a National Insurance number" in page.content()
    checked(page, watch)
    page.get_by_label("National id").fill("AB 12 34 56 C")
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("Submitted as item").wait_for()
    assert "Grace Hopper" not in page.content()

    # the HR agent gets it and applies it from the item page
    page.context.clear_cookies()
    sign_in(page, live_server, tenant_a.agent, PASSWORD)
    page.get_by_role("button", name="Available").click()
    page.get_by_role("button", name="Get next").click()
    page.wait_for_url("**/work/items/*/")
    item_url = page.url
    page.get_by_role("button", name="Start work").click()
    page.get_by_role("button", name="Apply to the HR records").click()
    page.get_by_text("Applied to the HR records; a second person verifies it.").wait_for()
    page.get_by_text("A second person verifies this change: you applied it.").wait_for()
    assert "Grace Hopper" not in page.content()
    assert "AB123456C" not in page.content()
    checked(page, watch)

    # the team lead compares the records with the request and verifies
    page.context.clear_cookies()
    sign_in(page, live_server, tenant_a.team_lead, PASSWORD)
    page.goto(item_url)
    panel = page.locator("#service-panel")
    panel.get_by_role("button", name="Verify: the records match the request").click()
    page.get_by_text("Verified. The item can be resolved.").wait_for()
    assert panel.get_by_text("differs").count() == 0
    checked(page, watch)
    screenshot(page, "hr-change")

    # the agent resolves it; the employee's page shows the record, masked
    page.context.clear_cookies()
    sign_in(page, live_server, tenant_a.agent, PASSWORD)
    page.goto(item_url)
    page.get_by_label("Resolution").fill("Hired from 1 June; verified by the team lead.")
    page.get_by_role("button", name="Resolve", exact=True).click()
    page.wait_for_url("**/work/")

    page.context.clear_cookies()
    sign_in(page, live_server, tenant_a.team_lead, PASSWORD)
    page.get_by_role("link", name="Payroll").click()
    page.get_by_role("link", name="Employees", exact=True).first.click()
    page.get_by_role("link", name="E-31").click()
    page.get_by_role("heading", name="Employment history").wait_for()
    assert "31500.00 GBP" in page.content()
    assert "Grace Hopper" not in page.content()
    checked(page, watch)
    screenshot(page, "employee-record")
    with all_clients_scope():
        employee = Employee.objects.get(employee_number="E-31")
        event = HrEvent.objects.get(employee=employee)
    assert event.status == HrEvent.Status.VERIFIED
    assert event.verified_by_id == tenant_a.team_lead.pk
    assert event.applied_by_id == tenant_a.agent.pk
