"""A customer's history across channels on one page for the agent (issue 19): the
tickets, chats, form messages and calls of one ticket's customer at that client, with
the ticket page's access, residency and masks."""

import pytest

from tercero.delivery.work import services as work
from tercero.delivery.work.tests.conftest import live_engagement, make_agent, make_queue
from tercero.platform.audit.models import AuditEvent
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.care import chat
from tercero.services.care.models import Mailbox, WebChannel

MARIA = "maria@example.org"
PHONE = "+44 20 7946 0958"


def _channel(tenant, key):
    engagement = live_engagement(tenant.client, name="Care")
    queue = make_queue(engagement, name="Web", work_types=["care.ticket", "care.call"])
    with client_scope(clients=[tenant.client]):
        Mailbox.objects.create(
            client=tenant.client, engagement=engagement, queue=queue, address=f"help@{key}.example"
        )
        return WebChannel.objects.create(
            client=tenant.client, engagement=engagement, queue=queue, key=key
        )


def _item(channel, *, work_type="care.ticket", item_channel="email", **payload):
    with client_scope(clients=[channel.client_id]):
        return work.create_item(
            actor=None,
            queue=channel.queue,
            work_type=work_type,
            channel=item_channel,
            payload=payload,
        )


@pytest.fixture
def world(tenant_a, tenant_b):
    acme = _channel(tenant_a, "acme")
    ticket = _item(
        acme,
        subject="Parcel lost",
        requester_name="Maria",
        requester_email=MARIA,
        requester_phone=PHONE,
    )
    with client_scope(clients=[tenant_a.client]):
        form = chat.submit_form(
            channel=acme, name="Maria", email=MARIA, subject="Refund", message="Please refund"
        )
        chatted = chat.start_chat(channel=acme, name="Maria", email=MARIA, message="Hello?").ticket
    call = _item(
        acme, work_type="care.call", item_channel="phone", call_id="c-1", caller_number=PHONE
    )
    namesake = _item(
        acme, subject="Other Maria", requester_name="Maria", requester_email="other@example.org"
    )
    bergmann = _item(
        _channel(tenant_b, "bergmann"),
        subject="At Bergmann",
        requester_email=MARIA,
        requester_phone=PHONE,
    )
    return {
        "ticket": ticket,
        "form": form,
        "chat": chatted,
        "call": call,
        "namesake": namesake,
        "bergmann": bergmann,
    }


def test_a_team_lead_sees_the_customers_tickets_chats_and_calls_at_that_client_only(
    client, tenant_a, world
):
    # given Maria's e-mail ticket, form message, chat and call, a namesake and her Bergmann ticket
    client.force_login(tenant_a.team_lead)
    # when the lead opens the history from her ticket
    response = client.get(f"/care/tickets/{world['ticket'].pk}/customer/")
    page = response.content.decode()
    # then her four items are listed by channel, nobody else's and nothing of Bergmann
    assert response.status_code == 200
    rows = page.split("<tbody>")[1].split("</tbody>")[0].count("<tr")
    assert rows == 4
    for key in ("ticket", "form", "chat", "call"):
        assert f"#{world[key].pk} " in page
    assert "Other Maria" not in page
    assert "At Bergmann" not in page
    for label in ("E-mail", "Web form", "Chat", "Phone"):
        assert f"<td>{label}</td>" in page
    # masked as on the ticket page: the address never in clear
    assert MARIA not in page
    assert PHONE not in page
    assert "This ticket" in page
    with client_scope(clients=[tenant_a.client]):
        seen = AuditEvent.objects.get(action="care.customer_history.viewed")
    assert (seen.object_id, seen.payload["items"]) == (str(world["ticket"].pk), 4)


def test_the_ticket_panel_links_to_the_customers_history(client, tenant_a, world):
    client.force_login(tenant_a.team_lead)
    panel = client.get(f"/care/tickets/{world['ticket'].pk}/").content.decode()
    assert f'href="/care/tickets/{world["ticket"].pk}/customer/"' in panel


def test_an_agent_not_given_the_ticket_cannot_open_its_customers_history(client, tenant_a, world):
    client.force_login(tenant_a.agent)
    response = client.get(f"/care/tickets/{world['ticket'].pk}/customer/")
    assert response.status_code == 403
    with client_scope(clients=[tenant_a.client]):
        assert not AuditEvent.objects.filter(action="care.customer_history.viewed").exists()


def test_an_agent_holding_the_ticket_sees_links_only_to_items_they_may_open(
    client, tenant_a, world
):
    # given the agent holds the e-mail ticket only
    engagement = world["ticket"].engagement
    agent = make_agent(engagement, skills={"customer_care": 3}, capacity={"email": 5})
    with client_scope(clients=[tenant_a.client]):
        work.assign(actor=tenant_a.team_lead, item=world["ticket"], agent=agent)
    client.force_login(agent.user)
    page = client.get(f"/care/tickets/{world['ticket'].pk}/customer/").content.decode()
    # then the other items are listed without a link to open them
    assert f'href="/work/items/{world["ticket"].pk}/"' in page
    for key in ("form", "chat", "call"):
        assert f'href="/work/items/{world[key].pk}/"' not in page
        assert f"#{world[key].pk} " in page
