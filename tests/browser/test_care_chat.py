"""The chat widget end to end: a customer on the hosted chat page and an agent in the
workspace, in two separate browser contexts, talk to each other; the transcript is the
ticket's conversation."""

from tercero.delivery.work.models import WorkItem
from tercero.delivery.workforce.services import clear_agent, create_agent
from tercero.platform.identity.tests.factories import PASSWORD
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.care.models import Message, WebChannel
from tests.browser.conftest import checked, live_care_queue, open_context, screenshot, sign_in
from tests.factories import site


def _chat_desk(tenant):
    engagement, queue = live_care_queue(tenant, name="Chat")
    with client_scope(clients=[tenant.client]):
        WebChannel.objects.create(
            client=tenant.client,
            engagement=engagement,
            queue=queue,
            key="acme-help",
            title="Acme customer care",
            greeting="Hello! An agent will be with you shortly.",
        )
        agent = create_agent(
            actor=None,
            user=tenant.agent,
            site=site(),
            skills={"customer_care": 3},
            languages=["en"],
            capacity={"chat": 3, "email": 5},
        )
        clear_agent(
            actor=None, agent=agent, engagement=engagement, reachable_client_ids=[tenant.client.pk]
        )
    return queue


def test_a_customer_and_an_agent_chat_in_two_browsers(
    browser, page, live_server, watch, tenant_a, tenant_b
):
    _chat_desk(tenant_a)
    customer_context = open_context(browser, live_server, watch)
    customer = customer_context.new_page()
    # given a customer opens the hosted chat page and starts a chat
    customer.goto(f"{live_server.url}/care/w/acme-help/")
    customer.get_by_label("Your name").fill("Maria Santos")
    customer.get_by_label("E-mail (for a copy of our answer)").fill("maria@example.org")
    customer.get_by_label("How can we help?").fill("My order 4411 has not arrived.")
    customer.get_by_role("button", name="Start chat").click()
    customer.locator("#tercero-chat-log").get_by_text("Hello! An agent will be").wait_for()
    checked(customer, watch)
    # when the agent goes available and takes the next item: the chat
    sign_in(page, live_server, tenant_a.agent, PASSWORD)
    page.get_by_role("button", name="Available").click()
    page.get_by_role("button", name="Get next").click()
    page.wait_for_url("**/work/items/*/")
    page.locator("#conversation").get_by_text("My order 4411 has not arrived.").wait_for()
    assert "maria@example.org" not in page.content()
    page.get_by_role("button", name="Start work").click()
    page.get_by_label("Message", exact=True).fill("Sorry about that! It left our depot today.")
    page.get_by_role("button", name="Send", exact=True).click()
    page.get_by_text("Reply sent to the customer.").wait_for()
    checked(page, watch)
    # then the customer sees the answer without reloading, and can answer back
    customer.locator(".tercero-agent").get_by_text("It left our depot today.").wait_for()
    customer.get_by_label("Your message").fill("Great, thank you!")
    customer.get_by_role("button", name="Send").click()
    customer.locator(".tercero-you").get_by_text("Great, thank you!").wait_for()
    screenshot(customer, "chat-customer")
    # and the agent's open conversation shows the new line by itself (polling)
    page.locator("#conversation").get_by_text("Great, thank you!").wait_for(timeout=12_000)
    screenshot(page, "chat-agent")
    with all_clients_scope():
        ticket = WorkItem.objects.get(channel="chat")
        transcript = list(
            Message.objects.filter(item=ticket).order_by("id").values_list("direction", "body")
        )
    assert transcript == [
        ("inbound", "My order 4411 has not arrived."),
        ("outbound", "Sorry about that! It left our depot today."),
        ("inbound", "Great, thank you!"),
    ]
    assert ticket.first_response_at is not None
    customer.get_by_role("button", name="End chat").click()
    customer.get_by_text("Chat ended. Thank you!").wait_for()
    customer_context.close()


def test_the_contact_form_says_what_to_fix_then_thanks(page, live_server, watch, tenant_a):
    _chat_desk(tenant_a)
    page.goto(f"{live_server.url}/care/w/acme-help/form/")
    checked(page, watch)
    page.get_by_label("Your name").fill("Maria")
    page.get_by_label("Your e-mail").fill("maria@example")
    page.get_by_label("Your message").fill("Where is my refund?")
    page.get_by_role("button", name="Send").click()
    assert page.locator("#email-error").is_visible()
    checked(page, watch)
    page.get_by_label("Your e-mail").fill("maria@example.org")
    page.get_by_role("button", name="Send").click()
    page.locator("#form-done").wait_for()
    assert "#T-" in page.locator("#form-done").inner_text()
