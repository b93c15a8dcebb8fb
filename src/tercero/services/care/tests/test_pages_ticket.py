"""The care ticket page: one reply box (reply or internal note), one resolve step that
asks the fields required to resolve, the collision warning cleared when the other person
leaves, and a chat shown in the client's brand with its answer target."""

from datetime import timedelta

from django.utils import timezone

from tercero.delivery.work.models import WorkItem
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.care import chat, services
from tercero.services.care.chat_window import seconds_words
from tercero.services.care.models import CustomField, CustomValue, Message, Viewer, WebChannel
from tercero.services.care.tests.test_desk import _ticket, _working
from tercero.services.care.tests.test_desk import desk as desk  # the fixture


def _required_field(desk):
    return CustomField.objects.create(
        client=desk.client,
        engagement=desk.engagement,
        key="reason",
        label="Contact reason",
        kind="choice",
        choices=["Delivery", "Refund"],
        is_required=True,
    )


def test_the_item_page_has_one_reply_box_and_one_resolve_action(desk, tenant_a, client):
    # given a ticket in progress, opened by its team lead
    ticket = _working(_ticket(desk), tenant_a)
    _required_field(desk)
    client.force_login(tenant_a.team_lead)
    # when the item page and its panel load
    item_page = client.get(f"/work/items/{ticket.pk}/").content.decode()
    panel = client.get(f"/care/tickets/{ticket.pk}/", HTTP_HX_REQUEST="true").content.decode()
    # then the engine's own note and resolve forms make way for the panel's
    assert 'id="note-body"' not in item_page
    assert 'id="resolution"' not in item_page
    assert panel.count('name="body"') == 1
    assert panel.count("/resolve/") == 1
    assert 'value="note"' in panel
    assert 'value="reply"' in panel
    assert 'id="resolve-cf-reason"' in panel
    assert "Contact reason (required to resolve)" in panel


def test_the_one_reply_box_sends_a_reply_or_an_internal_note(desk, tenant_a, client):
    ticket = _working(_ticket(desk), tenant_a)
    client.force_login(tenant_a.team_lead)
    # when the agent chooses a note, then a reply, in the same box
    client.post(f"/care/tickets/{ticket.pk}/reply/", {"body": "Courier on it.", "kind": "note"})
    client.post(f"/care/tickets/{ticket.pk}/reply/", {"body": "On its way.", "kind": "reply"})
    # then one note and one reply are stored, in that order
    assert list(
        Message.objects.filter(item=ticket)
        .exclude(direction="inbound")
        .values_list("direction", "body")
    ) == [("note", "Courier on it."), ("outbound", "On its way.")]


def test_resolving_without_a_required_field_is_refused_in_words_and_stores_nothing(
    desk, tenant_a, client
):
    # given a ticket and a field required to resolve, not filled
    ticket = _working(_ticket(desk), tenant_a)
    _required_field(desk)
    client.force_login(tenant_a.team_lead)
    # when the resolve step is sent with the field empty
    answer = client.post(
        f"/care/tickets/{ticket.pk}/resolve/",
        {"resolution": "Re-sent", "version": ticket.version, "cf_reason": ""},
        follow=True,
    )
    # then it is refused in words, nothing is stored and the step opens again
    text = answer.content.decode()
    assert "Contact reason is required." in text
    assert "[" not in text.split("Contact reason is required.")[1][:40]
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"
    assert not CustomValue.objects.filter(item=ticket).exists()
    panel = client.get(f"/care/tickets/{ticket.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert '<details id="resolve-step" open>' in panel


def test_a_bad_field_value_in_the_resolve_step_leaves_the_ticket_open(desk, tenant_a, client):
    ticket = _working(_ticket(desk), tenant_a)
    _required_field(desk)
    client.force_login(tenant_a.team_lead)
    answer = client.post(
        f"/care/tickets/{ticket.pk}/resolve/",
        {"resolution": "Re-sent", "version": ticket.version, "cf_reason": "Lost"},
        follow=True,
    )
    assert "Contact reason must be one of: Delivery, Refund." in answer.content.decode()
    ticket.refresh_from_db()
    assert (ticket.status, CustomValue.objects.filter(item=ticket).count()) == ("in_progress", 0)


def test_the_resolve_step_stores_the_fields_and_resolves_together(desk, tenant_a, client):
    ticket = _working(_ticket(desk), tenant_a)
    field = _required_field(desk)
    client.force_login(tenant_a.team_lead)
    answer = client.post(
        f"/care/tickets/{ticket.pk}/resolve/",
        {"resolution": "Re-sent", "version": ticket.version, "cf_reason": "Delivery"},
        follow=True,
    )
    assert "Ticket resolved" in answer.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    assert CustomValue.objects.get(item=ticket, field=field).value == "Delivery"


def test_saving_other_fields_waits_for_the_resolve_step_for_a_required_one(desk, tenant_a, client):
    ticket = _working(_ticket(desk), tenant_a)
    _required_field(desk)
    plan = CustomField.objects.create(
        client=tenant_a.client, engagement=desk.engagement, key="plan", label="Plan"
    )
    client.force_login(tenant_a.team_lead)
    answer = client.post(
        f"/care/tickets/{ticket.pk}/fields/", {"cf_reason": "", "cf_plan": "Plus"}, follow=True
    )
    assert "Fields saved." in answer.content.decode()
    assert list(CustomValue.objects.filter(item=ticket).values_list("field_id", "value")) == [
        (plan.pk, "Plus")
    ]


def test_the_collision_warning_clears_when_the_other_person_leaves(desk, tenant_a, client):
    # given the ticket's agent has it open and the team lead sees the warning
    ticket = _working(_ticket(desk), tenant_a)
    agent = ticket.assignee.user
    services.seen(user=agent, ticket=ticket)
    client.force_login(tenant_a.team_lead)
    url = f"/care/tickets/{ticket.pk}/conversation/"
    assert agent.full_name in client.get(url).content.decode()
    # when the agent's page sends its leave beacon
    client.force_login(agent)
    assert client.post(f"/care/tickets/{ticket.pk}/leave/").status_code == 204
    # then the warning is gone at once, and only the agent's presence was removed
    client.force_login(tenant_a.team_lead)
    assert agent.full_name not in client.get(url).content.decode()
    assert list(Viewer.objects.filter(item=ticket).values_list("user_id", flat=True)) == [
        tenant_a.team_lead.pk
    ]


def test_leaving_another_clients_ticket_is_not_found(desk, tenant_a, tenant_b, client):
    ticket = _ticket(desk)
    services.seen(user=tenant_a.agent, ticket=ticket)
    client.force_login(tenant_b.team_lead)
    assert client.post(f"/care/tickets/{ticket.pk}/leave/").status_code == 404
    assert Viewer.objects.filter(item=ticket).count() == 1


def _chat(desk, tenant, **brand):
    with client_scope(clients=[tenant.client]):
        channel = WebChannel.objects.create(
            client=tenant.client,
            engagement=desk.engagement,
            queue=desk.queue,
            key="acme-chat",
            title="Acme help",
            **brand,
        )
        started = chat.start_chat(
            channel=channel, name="Maria Santos", email="maria@example.org", message="Hello?"
        )
    return started.ticket


def test_a_chat_shows_the_clients_brand_and_its_answer_target(desk, tenant_a, client):
    # given a chat on a channel branded for the client, waiting 40 s (target 30 s)
    ticket = _chat(desk, tenant_a, brand_name="Acme Shop", brand_colour="#b3261e")
    WorkItem.objects.filter(pk=ticket.pk).update(created_at=timezone.now() - timedelta(seconds=40))
    client.force_login(tenant_a.team_lead)
    panel = client.get(f"/care/tickets/{ticket.pk}/", HTTP_HX_REQUEST="true").content.decode()
    # then the panel shows the brand and that the answer target is breached
    assert 'data-brand-colour="#b3261e">Chat · Acme Shop</p>' in panel
    assert "Answer target:</strong> within 30 s" in panel
    assert '<span class="badge bad">Breached</span> the customer has waited 4' in panel


def test_an_answered_chat_shows_the_answer_target_met(desk, tenant_a, client):
    ticket = _chat(desk, tenant_a)
    client.force_login(tenant_a.team_lead)
    _working(ticket, tenant_a)
    client.post(f"/care/tickets/{ticket.pk}/reply/", {"body": "Hi Maria!", "kind": "reply"})
    panel = client.get(f"/care/tickets/{ticket.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "Chat · Acme help" in panel  # no brand name: the channel's title
    assert '<span class="badge ok">Met</span> answered after' in panel


def test_an_email_ticket_shows_no_chat_brand_or_answer_target(desk, tenant_a, client):
    ticket = _ticket(desk)
    client.force_login(tenant_a.team_lead)
    panel = client.get(f"/care/tickets/{ticket.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "chat-brand" not in panel
    assert "answer-sla" not in panel


def test_seconds_are_worded_for_a_waiting_customer():
    assert [seconds_words(s) for s in (0, 30, 65, 3600 + 120)] == [
        "0 s",
        "30 s",
        "1 min 05 s",
        "1 h 02 min",
    ]
