"""The knowledge base in a browser: a team lead writes and publishes an article, and a
customer finds it on the public help centre by asking in their own words."""

from tercero.platform.identity.tests.factories import PASSWORD
from tercero.platform.tenancy.scoping import client_scope
from tests.browser.conftest import checked, screenshot, sign_in
from tests.browser.test_care_chat import _chat_desk


def test_a_lead_publishes_an_article_and_a_customer_finds_it(page, live_server, watch, tenant_a):
    with client_scope(clients=[tenant_a.client]):
        _chat_desk(tenant_a)
    sign_in(page, live_server, tenant_a.team_lead, PASSWORD)
    page.get_by_role("link", name="Knowledge").click()
    checked(page, watch)
    page.get_by_role("link", name="New article").click()
    page.get_by_label("Title").fill("Refunds and returns")
    page.get_by_label("Summary").fill("How to return an item and when the money arrives.")
    page.get_by_label("Body").fill(
        "Start a return from Your orders.\n\nWe refund the original payment within 5 days."
    )
    page.get_by_label("Keywords").fill("money back reimburse broken damaged")
    page.get_by_label("Visibility").select_option("public")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Draft saved.").wait_for()
    checked(page, watch)
    page.get_by_role("button", name="Publish").click()
    assert page.locator("#article-status").inner_text() == "Published"
    screenshot(page, "kb-article")
    # a customer on the help centre, asking in their own words
    page.goto(f"{live_server.url}/care/w/acme-help/help/")
    checked(page, watch)
    page.get_by_label("Your question").fill("how do I get my money back for a broken kettle")
    page.get_by_role("button", name="Search").click()
    page.locator("#help-results").get_by_role("link", name="Refunds and returns").click()
    page.get_by_role("heading", name="Refunds and returns").wait_for()
    assert "We refund the original payment" in page.content()
    checked(page, watch)
    screenshot(page, "help-centre-article")
