"""Quality assurance in a browser, end to end: a keyer's document is sampled; the QA
analyst gets the evaluation, scores it (a critical field wrong); the keyer sees the result
and disputes it; the team lead accepts the dispute with a corrected score; the client's
monthly SLA report shows the engagement's quality figure against its target."""

from tercero.governance.quality.tests.world import build, drain, resolved_document
from tercero.platform.identity.tests.factories import PASSWORD
from tests.browser.conftest import checked, screenshot, sign_in


def test_an_analyst_scores_the_agent_disputes_the_lead_decides_the_client_sees_it(
    page, live_server, watch, tenant_a
):
    # given a keying engagement sampling every resolved document, and one keyed
    world = build(tenant_a, random_share="1", quality_target="90", accuracy_target="95")
    resolved_document(world, ref="CLM-77")
    drain()

    # the analyst gets the evaluation and scores it: the bank account keyed wrong
    sign_in(page, live_server, world.analyst.user, PASSWORD)
    page.goto(f"{live_server.url}/quality/workspace/")
    page.get_by_role("button", name="Get next evaluation").click()
    page.locator("#scorecard-form").wait_for()
    checked(page, watch)
    page.locator("#score-ref-1").check()
    page.locator("#score-name-1").check()
    page.locator("#score-iban-0").check()
    page.locator("#score-care-4").check()
    page.get_by_label("Comment on “Bank account right”").fill("IBAN digits swapped")
    page.get_by_role("button", name="Submit evaluation").click()
    page.get_by_text("Evaluation submitted: 0.00 out of 100.").wait_for()
    drain()  # the critical failure's coaching task and rework, as a worker would

    # the keyer sees the result and disputes it
    page.context.clear_cookies()
    sign_in(page, live_server, world.keyer.user, PASSWORD)
    page.goto(f"{live_server.url}/quality/results/")
    checked(page, watch)
    page.locator("tbody a").first.click()
    page.get_by_label("Why do you dispute this evaluation?").fill(
        "The scan shows the IBAN as I keyed it."
    )
    page.get_by_role("button", name="Dispute").click()
    page.locator("#dispute-status").wait_for()
    assert page.locator("#dispute-status").inner_text() == "Open"

    # the team lead accepts it with the bank account corrected
    page.context.clear_cookies()
    sign_in(page, live_server, tenant_a.team_lead, PASSWORD)
    page.goto(f"{live_server.url}/quality/disputes/")
    checked(page, watch)
    page.locator("tbody a").first.click()
    page.get_by_label("Corrected “Bank account right”").select_option("1")
    page.locator("#decision-accepted").check()
    page.get_by_label("Comment (required)").fill("The scan was right; the IBAN matches.")
    page.locator("#decide-form button[type=submit]").click()
    page.locator("#dispute-status").wait_for()
    assert page.locator("#dispute-status").inner_text() == "Accepted"
    score = page.locator("#evaluation-score").inner_text()
    assert "95.00 out of 100" in score

    # the client's monthly SLA report shows the quality figure against its target
    page.context.clear_cookies()
    sign_in(page, live_server, tenant_a.client_user, PASSWORD)
    page.goto(f"{live_server.url}/portal/sla/")
    quality = page.locator("#sla-quality").locator("xpath=..")
    quality.wait_for()
    text = quality.inner_text()
    assert "Claims keying" in text
    assert "Quality score" in text
    assert "95.0 %" in text  # the score after the dispute
    assert "90.0 %" in text  # the engagement's target
    assert "Met" in text
    assert "1 evaluated; 95 % interval" in text
    checked(page, watch)
    screenshot(page, "quality-sla-report")
