"""No code without a page to check it on, in a browser: the desk refuses an agent for a
client with no verification page, the client's admin sets the page up in the portal,
and then the agent's code comes with the page to send the customer to (issue 20, item 9)."""

from tercero.platform.identity.tests.factories import PASSWORD
from tests.browser.conftest import checked, open_context, screenshot, sign_in


def test_the_clients_admin_sets_up_the_page_the_desk_needs(browser, live_server, watch, tenant_a):
    # given an agent at the desk for a client without a verification page
    agent = open_context(browser, live_server, watch).new_page()
    sign_in(agent, live_server, tenant_a.agent, PASSWORD)
    agent.get_by_role("link", name="Contact", exact=True).click()
    checked(agent, watch)
    agent.get_by_label("How you contact them").select_option("call")
    agent.get_by_label("Their phone number or e-mail address").fill("+1 555 010 1234")
    watch.expected_422s.add("/work/contact/")
    agent.get_by_role("button", name="Get a code").click()
    checked(agent, watch)
    # then no code: the desk says why in words
    assert agent.get_by_text("Acme Retail Inc has no verification page").is_visible()
    assert agent.locator("#issued-code").count() == 0

    # when Acme's admin opens Verification page in the portal and sets it up
    admin = open_context(browser, live_server, watch).new_page()
    sign_in(admin, live_server, tenant_a.client_admin, PASSWORD)
    admin.get_by_role("link", name="Verification page", exact=True).click()
    checked(admin, watch)
    assert "agents get no codes" in admin.locator("#page-state").inner_text()
    admin.get_by_label("Name your customers know").fill("Acme")
    admin.get_by_label("Address of the page").fill("Acme Shop")
    watch.expected_422s.add("/portal/verification-page/")
    admin.get_by_role("button", name="Save").click()
    checked(admin, watch)
    assert admin.get_by_text("Lower-case letters, digits, -.").is_visible()
    admin.get_by_label("Address of the page").fill("acme-shop")
    admin.get_by_label("Brand colour (optional)").fill("#0b5cad")
    admin.get_by_role("button", name="Save").click()
    checked(admin, watch)
    assert admin.get_by_text("Saved. Customers check contacts at /verify/acme-shop/.").is_visible()
    assert "Live at" in admin.locator("#page-state").inner_text()
    screenshot(admin, "verification-page-setup")

    # then the agent's next try gives a code and the page to send the customer to
    agent.get_by_label("How you contact them").select_option("call")
    agent.get_by_label("Their phone number or e-mail address").fill("+1 555 010 1234")
    agent.get_by_role("button", name="Get a code").click()
    checked(agent, watch)
    assert agent.locator("#issued-code").inner_text().isdigit()
    assert f"open {live_server.url}/verify/acme-shop/" in agent.content()
