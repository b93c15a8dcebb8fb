"""The customer portal, "my requests", in a browser: a customer asks for a link, opens it
from the mail, sees their request in the client's brand, reads the desk's reply (never
its internal note) and answers; the answer is on the ticket and ends its wait."""

import re

from django.core import mail

from tercero.platform.tenancy.scoping import client_scope
from tercero.services.care import chat, services
from tercero.services.care.models import Mailbox, Message, WebChannel
from tests.browser.conftest import checked, live_care_queue


def _desk(tenant):
    engagement, queue = live_care_queue(tenant, name="Web")
    with client_scope(clients=[tenant.client]):
        Mailbox.objects.create(
            client=tenant.client,
            engagement=engagement,
            queue=queue,
            address="help@acme.example",
            sender_name="Acme Shop",
        )
        channel = WebChannel.objects.create(
            client=tenant.client,
            engagement=engagement,
            queue=queue,
            key="acme-help",
            brand_name="Acme Shop",
            brand_colour="#aa3300",
        )
        ticket = chat.submit_form(
            channel=channel,
            name="Maria",
            email="maria@example.org",
            subject="Where is my parcel?",
            message="Order 4411 has not come.",
        )
        services.reply(actor=tenant.team_lead, ticket=ticket, body="It left our depot today.")
        services.add_note(actor=tenant.team_lead, ticket=ticket, body="Courier is late again")
    return ticket


def test_a_customer_opens_the_mailed_link_reads_and_answers_a_request(
    page, live_server, watch, tenant_a, tenant_b
):
    ticket = _desk(tenant_a)
    sent_before = len(mail.outbox)
    # given the customer asks for a link on the client's portal
    page.goto(f"{live_server.url}/care/w/acme-help/requests/")
    checked(page, watch)
    assert page.locator("#portal-brand-name").inner_text() == "Acme Shop"
    page.get_by_label("Your e-mail").fill("maria@example.org")
    page.get_by_role("button", name="Send me a link").click()
    assert "we have sent it a link" in page.locator("#link-sent").inner_text()
    # when she opens the link from the mail and presses the one button
    assert len(mail.outbox) == sent_before + 1
    link = re.search(r"https?://\S+/care/\S+", mail.outbox[-1].body)[0]
    path = link.split("/care/", 1)[1]
    page.goto(f"{live_server.url}/care/{path}")
    checked(page, watch)
    page.get_by_role("button", name="Open my requests").click()
    # then she sees her request and opens it
    checked(page, watch)
    page.get_by_role("link", name="Where is my parcel?").click()
    checked(page, watch)
    conversation = page.locator("#portal-conversation").inner_text()
    assert "Order 4411 has not come." in conversation
    assert "It left our depot today." in conversation
    assert "Courier is late again" not in page.content()
    # and answers it
    page.get_by_label("Your answer").fill("Thank you, I will wait until Friday.")
    page.get_by_role("button", name="Send my answer").click()
    checked(page, watch)
    assert (
        "Thank you, I will wait until Friday." in page.locator("#portal-conversation").inner_text()
    )
    with client_scope(clients=[tenant_a.client]):
        last = Message.objects.filter(item=ticket).order_by("-id").first()
    assert (last.direction, last.channel) == ("inbound", "portal")
    # and signing out leaves the portal asking for a link again
    page.get_by_role("link", name="All my requests").click()
    page.get_by_role("button", name="Sign out").click()
    checked(page, watch)
    assert page.get_by_role("button", name="Send me a link").is_visible()
