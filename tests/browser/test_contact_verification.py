"""Anti-impersonation as people do it: an agent gets a code before calling, the customer
checks it on the client's page; a caller reads back a code e-mailed to them."""

import re

from django.core import mail

from tercero.delivery.contact import services as contact
from tercero.platform.identity.tests.factories import PASSWORD
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tests.browser.conftest import checked, open_context, screenshot, sign_in


def _page(tenant, **fields):
    with client_scope(clients=[tenant.client]):
        return contact.create_page(
            actor=None,
            client_id=tenant.client.pk,
            slug="acme",
            display_name="Acme",
            support_phone="+1 800 555 0100",
            **fields,
        )


def test_a_customer_checks_the_agents_code_on_the_clients_page(
    browser, live_server, watch, tenant_a
):
    # Threat: a customer cannot tell a genuine call from a crook's.
    # given
    _page(tenant_a, accent_colour="#ffcc00")
    tenant_a.agent.full_name = "Maria Santos"
    with all_clients_scope():  # a staff member's row belongs to no client
        tenant_a.agent.save(update_fields=["full_name"])
    agent = open_context(browser, live_server, watch).new_page()
    sign_in(agent, live_server, tenant_a.agent, PASSWORD)
    agent.goto(live_server.url + "/work/contact/")
    checked(agent, watch)
    agent.get_by_label("How you contact them").select_option("call")
    agent.get_by_label("Their phone number or e-mail address").fill("+1 555 010 1234")
    agent.get_by_role("button", name="Get a code").click()
    checked(agent, watch)
    code = agent.locator("#issued-code").inner_text()

    # when: the customer, not signed in, checks the call
    customer = open_context(browser, live_server, watch).new_page()
    customer.goto(live_server.url + "/verify/acme/")
    checked(customer, watch)
    customer.get_by_label("Your phone number or e-mail address").fill("(555) 010-1234")
    customer.get_by_label("The code they gave you, if they gave one").fill(code)
    customer.get_by_role("button", name="Check").click()
    checked(customer, watch)
    screenshot(customer, "verify-confirmed")

    # then
    assert re.fullmatch(r"\d{6}", code)
    verdict = customer.locator("#verdict").inner_text()
    assert "Yes, this is really Acme." in verdict
    assert "Maria is contacting you right now" in verdict

    # and another number is told to hang up
    customer.get_by_label("Your phone number or e-mail address").fill("+1 555 010 9999")
    customer.get_by_role("button", name="Check").click()
    checked(customer, watch)
    assert (
        "No one from Acme is contacting you right now — hang up."
        in customer.locator("#verdict").inner_text()
    )


def test_an_agent_verifies_a_caller_by_the_emailed_code(browser, live_server, watch, tenant_a):
    # Threat: a crook calls in as the customer and is believed without proof.
    # given
    agent = open_context(browser, live_server, watch).new_page()
    sign_in(agent, live_server, tenant_a.agent, PASSWORD)
    agent.goto(live_server.url + "/work/contact/")
    agent.get_by_label("E-mail address on record").fill("jane.doe@example.org")
    agent.get_by_role("button", name="E-mail a code").click()
    checked(agent, watch)
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body)[1]

    # when
    agent.get_by_label("Code the caller reads to you").fill(code)
    agent.get_by_role("button", name="Check the code").click()
    checked(agent, watch)

    # then
    assert "The caller is verified: the code matches." in agent.content()
    assert "Confirmed" in agent.locator("dl.facts").inner_text()
