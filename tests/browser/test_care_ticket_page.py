"""The care ticket page as people use it: one message box (reply or internal note) and
one resolve step that asks the fields required to resolve; the collision warning that
goes when the other person leaves (two browsers); a chat in the client's brand on both
sides, with its answer target."""

from tercero.delivery.work import services as work
from tercero.delivery.work.models import WorkItem
from tercero.delivery.work.tests.conftest import make_agent
from tercero.platform.identity.models import Grant
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import PASSWORD, UserFactory
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.care import chat
from tercero.services.care.models import CustomField, CustomValue, Message, WebChannel
from tests.browser.conftest import (
    checked,
    live_care_queue,
    open_context,
    screenshot,
    sign_in,
)


def _branded_chat(tenant, *, start: bool = True) -> WorkItem | None:
    """A live care engagement with a web channel in the client's brand, and a chat."""
    engagement, queue = live_care_queue(tenant, name="Chat")
    with client_scope(clients=[tenant.client]):
        channel = WebChannel.objects.create(
            client=tenant.client,
            engagement=engagement,
            queue=queue,
            key="acme-help",
            title="Acme customer care",
            brand_name="Acme Shop",
            brand_colour="#8a1538",
        )
        CustomField.objects.create(
            client=tenant.client,
            engagement=engagement,
            key="reason",
            label="Contact reason",
            kind="choice",
            choices=["Delivery", "Refund"],
            is_required=True,
        )
        if not start:
            return None
        started = chat.start_chat(
            channel=channel,
            name="Maria Santos",
            email="maria@example.org",
            message="Where is 4411?",
        )
    return started.ticket


def test_one_message_box_and_one_resolve_step_that_asks_the_required_field(
    page, live_server, watch, tenant_a
):
    ticket = _branded_chat(tenant_a)
    assert ticket is not None
    with client_scope(clients=[tenant_a.client]):
        agent = make_agent(ticket.engagement, skills={"customer_care": 3})
        work.assign(actor=tenant_a.team_lead, item=ticket, agent=agent)
        ticket.refresh_from_db()
        work.transition(
            actor=tenant_a.team_lead, item=ticket, action="start", version=ticket.version
        )
    # given the team lead opens the chat's ticket, in progress with an agent
    sign_in(page, live_server, tenant_a.team_lead, PASSWORD)
    page.goto(f"{live_server.url}/work/items/{ticket.pk}/")
    page.locator("#reply-form").wait_for()
    checked(page, watch)
    # then there is one message box and one resolve action on the whole page
    assert page.locator("textarea[name=body]").count() == 1
    assert page.get_by_role("button", name="Resolve", exact=True).count() == 0
    assert page.locator("form[action$='/resolve/']").count() == 1
    # when they send an internal note from the box
    page.get_by_label("Internal note (provider staff only)").check()
    page.get_by_label("Message", exact=True).fill("Courier says Tuesday.")
    page.get_by_role("button", name="Send", exact=True).click()
    page.get_by_text("Internal note added.").wait_for()
    # and open the resolve step, which asks the required field inside it
    page.locator("#resolve-step > summary").click()
    page.get_by_label("Resolution (what was done)").fill("Told the customer it arrives Tuesday.")
    page.get_by_role("button", name="Resolve ticket").click()
    # then the browser holds it back while the required field is empty
    assert (
        page.locator("#resolve-step")
        .get_by_label("Contact reason (required to resolve)")
        .evaluate("el => el.validity.valueMissing")
    )
    screenshot(page, "care-resolve-step")
    page.locator("#resolve-step").get_by_label(
        "Contact reason (required to resolve)"
    ).select_option("Delivery")
    page.get_by_role("button", name="Resolve ticket").click()
    page.get_by_text("Ticket resolved; the customer gets a satisfaction survey.").wait_for()
    checked(page, watch)
    with all_clients_scope():
        ticket.refresh_from_db()
        assert ticket.status == "resolved"
        assert CustomValue.objects.get(item=ticket).value == "Delivery"
        assert list(
            Message.objects.filter(item=ticket, direction="note").values_list("body", flat=True)
        ) == ["Courier says Tuesday."]


def test_the_collision_warning_goes_when_the_other_person_leaves(
    browser, page, live_server, watch, tenant_a
):
    ticket = _branded_chat(tenant_a)
    assert ticket is not None
    second = UserFactory(email="lead2@acme.example", full_name="Rosa Second", role=Role.TEAM_LEAD)
    with client_scope(clients=[tenant_a.client]):
        Grant.objects.create(user=second, client=tenant_a.client, reason="fixture")
    # given Rosa has the ticket open in her browser
    other_context = open_context(browser, live_server, watch)
    other = other_context.new_page()
    sign_in(other, live_server, second, PASSWORD)
    other.goto(f"{live_server.url}/work/items/{ticket.pk}/")
    other.locator("#conversation").wait_for()
    # when the team lead opens it too, they are warned
    sign_in(page, live_server, tenant_a.team_lead, PASSWORD)
    page.goto(f"{live_server.url}/work/items/{ticket.pk}/")
    warning = page.locator("#collision")
    warning.get_by_text("Rosa Second").wait_for()
    assert "also has this ticket open" in warning.inner_text()
    checked(page, watch)
    # and when Rosa moves on to her workspace, the warning goes by the next refresh
    other.goto(f"{live_server.url}/work/")
    warning.wait_for(state="detached", timeout=12_000)
    other_context.close()


def test_a_chat_is_in_the_clients_brand_for_the_customer_and_the_agent(
    browser, page, live_server, watch, tenant_a
):
    _branded_chat(tenant_a, start=False)
    # given a customer starts a chat on the hosted page, in the client's brand
    customer_context = open_context(browser, live_server, watch)
    customer = customer_context.new_page()
    customer.goto(f"{live_server.url}/care/w/acme-help/")
    customer.get_by_label("Your name").fill("Maria Santos")
    customer.get_by_label("E-mail (for a copy of our answer)").fill("maria@example.org")
    customer.get_by_label("How can we help?").fill("My order 4411 has not arrived.")
    customer.get_by_role("button", name="Start chat").click()
    customer.locator("#tercero-chat-log").get_by_text("My order 4411").wait_for()
    header = customer.locator("#tercero-chat-panel header")
    assert header.inner_text() == "Acme Shop"
    assert header.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(138, 21, 56)"
    checked(customer, watch)
    # when the team lead opens the chat
    with all_clients_scope():
        ticket = WorkItem.objects.get(channel="chat")
    sign_in(page, live_server, tenant_a.team_lead, PASSWORD)
    page.goto(f"{live_server.url}/work/items/{ticket.pk}/")
    brand = page.locator("#chat-brand")
    brand.wait_for()
    # then the chat carries the same brand, readable, and its answer target
    assert brand.inner_text() == "Chat · Acme Shop"
    page.wait_for_function(
        "document.getElementById('chat-brand').style.backgroundColor === 'rgb(138, 21, 56)'"
    )
    assert brand.evaluate("el => getComputedStyle(el).color") == "rgb(255, 255, 255)"
    assert "Answer target: within 30 s" in page.locator("#answer-sla").inner_text()
    checked(page, watch)
    # and once answered, the target reads as met
    page.get_by_label("Message", exact=True).fill("Sorry! It left our depot today.")
    page.get_by_role("button", name="Send", exact=True).click()
    page.get_by_text("Reply sent to the customer.").wait_for()
    page.locator("#answer-sla").get_by_text("answered after").wait_for()
    screenshot(page, "care-chat-agent-brand")
    customer.locator(".tercero-agent").get_by_text("It left our depot today.").wait_for()
    customer_context.close()
