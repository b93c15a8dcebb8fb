"""RTI in a browser, against a stand-in for HMRC's gateway on the loopback: the payroll
lead opens a finalised run's RTI submission, sees the FPS ready, confirms and sends it
and reads HMRC's acceptance; sends the no-payment EPS from the pay group's page after
checking it; downloads a leaver's P45. The client's admin then sees the status without
a send button. Sending is allowed whether or not HMRC's schemas are installed (the page
says which)."""

import pytest

from tercero.platform.identity.tests.factories import PASSWORD
from tercero.services.payroll.tests.rti_world import LEAVER, page_words, use_schemas, world
from tercero.services.payroll.tests.test_rti_gateway import StandIn, _answer, _configure
from tests.browser.conftest import checked, screenshot, sign_in


@pytest.fixture
def hmrc(settings, tmp_path):
    use_schemas(settings, tmp_path)  # HMRC's schemas when TERCERO_HMRC_SCHEMAS names them
    gateway = StandIn(
        [
            lambda s: _answer("acknowledgement", endpoint=s.url),  # the FPS, polled
            lambda s: _answer("response"),
            lambda s: _answer("response"),  # the EPS
        ]
    )
    _configure(settings, gateway.url)
    yield gateway
    gateway.close()


def test_the_payroll_lead_files_with_hmrc_and_the_client_sees_the_answer(
    page, live_server, watch, tenant_a, hmrc
):
    group, people, _april, may = world(tenant_a)
    sign_in(page, live_server, tenant_a.team_lead, PASSWORD)
    page.get_by_role("link", name="Payroll").click()
    page.get_by_role("link", name="28 May 2025").click()
    page.get_by_role("link", name="RTI submission to HMRC").click()
    page.get_by_text(page_words()).wait_for()
    assert page.get_by_text("Not sent yet").count() == 1
    checked(page, watch)

    page.get_by_role("link", name="Send to HMRC…").click()
    page.get_by_role("heading", name="Send this FPS to HMRC?").wait_for()
    checked(page, watch)
    page.get_by_role("button", name="Yes, send it to HMRC").click()
    page.get_by_text("HMRC accepted the Full Payment Submission.").wait_for()
    assert page.get_by_role("cell", name="Accepted by HMRC", exact=True).count() == 1
    assert page.get_by_role("link", name="Send to HMRC…").count() == 0
    checked(page, watch)
    screenshot(page, "payroll-rti")
    assert len(hmrc.submissions()) == 1

    page.goto(f"{live_server.url}/payroll/groups/{group.pk}/")
    page.get_by_label("Tax year").fill("2025-26")
    page.get_by_label("From tax month").select_option("3")
    page.get_by_label("To tax month").select_option("3")
    page.get_by_role("button", name="Check the EPS").click()
    page.get_by_role("heading", name="Tell HMRC nobody was paid?").wait_for()
    checked(page, watch)
    page.get_by_role("button", name="Yes, send it to HMRC").click()
    page.get_by_text("HMRC accepted the Employer Payment Summary.").wait_for()
    checked(page, watch)

    page.goto(f"{live_server.url}/payroll/employees/{people[LEAVER].pk}/")
    checked(page, watch)
    with page.expect_download() as download:
        page.get_by_role("link", name="P45 (PDF)").click()
    assert download.value.path().read_bytes().startswith(b"%PDF")

    page.context.clear_cookies()
    sign_in(page, live_server, tenant_a.client_admin, PASSWORD)
    page.goto(f"{live_server.url}/payroll/runs/{may.pk}/rti/")
    assert page.get_by_role("cell", name="Accepted by HMRC", exact=True).count() == 1
    assert page.get_by_text("The payroll lead sends returns to HMRC.").count() == 1
    assert page.get_by_role("link", name="Send to HMRC…").count() == 0
    checked(page, watch)
