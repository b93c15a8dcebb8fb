"""The agent's desk on a ticket: replies and notes, macros, custom fields, linking,
merging and splitting, support tiers with checklists, the collision warning, and a
customer's reply reopening a resolved ticket."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail as outbox
from django.utils import timezone

from tercero.delivery.work import services as work
from tercero.delivery.work.models import WorkItem
from tercero.delivery.work.tests.conftest import live_engagement, make_agent, make_queue
from tercero.platform.errors import Conflict, InvalidInput, NotFound
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.care import inbound, services
from tercero.services.care.models import (
    Checklist,
    CustomField,
    CustomValue,
    Macro,
    Mailbox,
    Message,
    TicketLink,
    TierQueue,
)
from tercero.services.care.tests.test_inbound import mail


@pytest.fixture
def desk(tenant_a):
    engagement = live_engagement(tenant_a.client, name="Care")
    queue = make_queue(engagement, name="E-mail", work_types=["care.ticket", "support.ticket"])
    with client_scope(clients=[tenant_a.client]):
        box = Mailbox.objects.create(
            client=tenant_a.client, engagement=engagement, queue=queue, address="help@acme.example"
        )
        yield box


def _ticket(desk, **kw):
    outcome = inbound.ingest(mailbox=desk, raw=mail(**kw))
    return WorkItem.objects.get(pk=outcome.item_id)


def _working(ticket, tenant):
    agent = make_agent(ticket.engagement, skills={"customer_care": 3, "technical_support": 5})
    work.assign(actor=tenant.team_lead, item=ticket, agent=agent)
    ticket.refresh_from_db()
    return work.transition(
        actor=tenant.team_lead, item=ticket, action="start", version=ticket.version
    )


def test_an_internal_note_never_reaches_the_customer(desk, tenant_a):
    # protects: internal notes stay internal (no e-mail, marked as notes)
    ticket = _ticket(desk)
    services.add_note(actor=tenant_a.team_lead, ticket=ticket, body="Courier says Tuesday.")
    assert outbox.outbox == []
    assert list(Message.objects.filter(item=ticket).values_list("direction", flat=True)) == [
        "inbound",
        "note",
    ]
    with pytest.raises(InvalidInput):
        services.add_note(actor=tenant_a.team_lead, ticket=ticket, body="   ")


def test_a_macro_replies_tags_reprioritises_and_resolves_at_once(
    desk, tenant_a, django_capture_on_commit_callbacks
):
    # protects: macros (canned reply + field changes) for routine answers
    ticket = _working(_ticket(desk), tenant_a)
    macro = Macro.objects.create(
        client=tenant_a.client,
        engagement=desk.engagement,
        name="Where is my order",
        reply="Your parcel is on its way; tracking follows.",
        add_tags=["wismo"],
        set_priority=2,
        then="resolve",
    )
    with django_capture_on_commit_callbacks(execute=True):
        done = services.apply_macro(
            actor=tenant_a.team_lead, ticket=ticket, macro=macro, version=ticket.version
        )
    assert done.status == "resolved"
    assert done.payload["tags"] == ["wismo"]
    assert done.priority == 2
    assert done.first_response_at is not None
    [sent] = [m for m in outbox.outbox if "tracking" in m.body]
    assert sent.to == ["maria@example.org"]


def test_a_macro_that_cannot_finish_changes_nothing(desk, tenant_a):
    # protects: a macro is all or nothing (no reply sent when its resolve is refused)
    ticket = _ticket(desk)  # queued: it cannot be resolved yet
    macro = Macro.objects.create(
        client=tenant_a.client,
        engagement=desk.engagement,
        name="Close",
        reply="Done!",
        add_tags=["closed-by-macro"],
        then="resolve",
    )
    with pytest.raises(Conflict):
        services.apply_macro(
            actor=tenant_a.team_lead, ticket=ticket, macro=macro, version=ticket.version
        )
    ticket.refresh_from_db()
    assert ticket.payload.get("tags", []) == []
    assert not Message.objects.filter(item=ticket, direction="outbound").exists()


def test_custom_fields_are_checked_and_required_ones_block_resolving(desk, tenant_a):
    # protects: engagement-defined ticket fields with real validation
    ticket = _working(_ticket(desk), tenant_a)
    order = CustomField.objects.create(
        client=tenant_a.client,
        engagement=desk.engagement,
        key="order",
        label="Order number",
        kind="number",
        is_required=True,
    )
    CustomField.objects.create(
        client=tenant_a.client,
        engagement=desk.engagement,
        key="plan",
        label="Plan",
        kind="choice",
        choices=["basic", "plus"],
    )
    with pytest.raises(InvalidInput) as refused:
        services.resolve(
            actor=tenant_a.team_lead, ticket=ticket, resolution="ok", version=ticket.version
        )
    assert refused.value.fields["custom_fields"] == ["Order number"]
    with pytest.raises(InvalidInput) as bad:
        services.set_custom_values(
            actor=tenant_a.team_lead, ticket=ticket, values={"order": "44a", "plan": "basic"}
        )
    assert bad.value.fields == {"order": "number"}
    assert not CustomValue.objects.filter(item=ticket).exists()  # one bad value stores none
    with pytest.raises(InvalidInput):
        services.set_custom_values(actor=tenant_a.team_lead, ticket=ticket, values={"plan": "gold"})
    services.set_custom_values(
        actor=tenant_a.team_lead, ticket=ticket, values={"order": "4411", "plan": "plus"}
    )
    ticket.refresh_from_db()
    done = services.resolve(
        actor=tenant_a.team_lead, ticket=ticket, resolution="Re-sent", version=ticket.version
    )
    assert done.status == "resolved"
    assert order.pk in set(
        CustomValue.objects.filter(item=ticket).values_list("field_id", flat=True)
    )


def test_merging_moves_the_conversation_and_later_replies_follow_it(desk, tenant_a):
    # protects: duplicate tickets folded into one, without losing the customer's thread
    first = _ticket(desk)
    duplicate = _ticket(desk, message_id="<m2@example.org>", subject="Order still missing!!")
    services.merge(actor=tenant_a.team_lead, source=duplicate, target=first)
    duplicate.refresh_from_db()
    assert duplicate.status == "cancelled"
    assert Message.objects.filter(item=first, direction="inbound").count() == 2
    assert TicketLink.objects.get(source=duplicate).kind == "merged"
    answer = mail(
        message_id="<m3@example.org>",
        subject="Re: Order still missing!!",
        extra="In-Reply-To: <m2@example.org>\r\n",
    )
    assert inbound.ingest(mailbox=desk, raw=answer).item_id == first.pk
    with pytest.raises(Conflict):  # a cancelled ticket cannot be merged again
        services.merge(actor=tenant_a.team_lead, source=duplicate, target=first)
    with pytest.raises(InvalidInput):
        services.link(actor=tenant_a.team_lead, source=first, target=first)


def test_splitting_makes_a_new_ticket_for_the_same_customer(desk, tenant_a):
    # protects: a second question in a thread becomes its own ticket
    ticket = _ticket(desk)
    inbound.ingest(
        mailbox=desk,
        raw=mail(
            message_id="<m2@example.org>",
            subject=f"Re: Where is my order? {inbound.token_of(ticket)}",
            body="Also, can I change my address?",
        ),
    )
    second = Message.objects.get(message_id="<m2@example.org>")
    new = services.split(
        actor=tenant_a.team_lead, ticket=ticket, message=second, subject="Change of address"
    )
    assert new.title == "Change of address"
    assert new.payload["requester_email"] == ticket.payload["requester_email"] or (
        new.subject_keys == ticket.subject_keys
    )
    assert list(Message.objects.filter(item=new).values_list("body", flat=True)) == [
        "Also, can I change my address?"
    ]
    assert TicketLink.objects.get(source=new, target=ticket).kind == "split"
    only = Message.objects.get(message_id="<m1@example.org>")
    with pytest.raises(InvalidInput):  # the original's last customer message stays
        services.split(actor=tenant_a.team_lead, ticket=ticket, message=only, subject="x")


def test_tiers_escalate_with_a_note_and_hand_back(desk, tenant_a):
    # protects: L1 -> L2 -> L3 escalation with required notes, checklists and hand-back
    l2 = make_queue(desk.engagement, name="L2", work_types=["support.ticket"])
    TierQueue.objects.create(
        client=tenant_a.client, engagement=desk.engagement, tier="L2", queue=l2
    )
    checklist = Checklist.objects.create(
        client=tenant_a.client,
        product="Router X",
        title="Basic checks",
        steps=["Power-cycle the router", "Check the cable", "Factory reset"],
    )
    ticket = work.create_item(
        actor=None,
        queue=desk.queue,
        work_type="support.ticket",
        channel="email",
        payload={"subject": "No internet", "product": "Router X", "requester_email": "a@b.example"},
    )
    services.tick(actor=tenant_a.team_lead, ticket=ticket, checklist=checklist, step=0, done=True)
    services.tick(actor=tenant_a.team_lead, ticket=ticket, checklist=checklist, step=1, done=True)
    with pytest.raises(InvalidInput):
        services.escalate_tier(
            actor=tenant_a.team_lead, ticket=ticket, note="help", version=ticket.version
        )
    up = services.escalate_tier(
        actor=tenant_a.team_lead,
        ticket=ticket,
        note="Customer has no sync light after power-cycle and new cable.",
        version=ticket.version,
    )
    assert (up.payload["tier"], up.queue_id) == ("L2", l2.pk)
    note = Message.objects.filter(item=ticket, direction="note").last().body
    assert "Escalated L1 -> L2" in note
    assert "2/3 steps done" in note
    assert "[x] Check the cable" in note
    assert "[ ] Factory reset" in note
    top = services.escalate_tier(
        actor=tenant_a.team_lead,
        ticket=up,
        note="Firmware bug suspected, needs L3.",
        version=up.version,
    )
    assert top.payload["tier"] == "L3"
    with pytest.raises(Conflict):
        services.escalate_tier(
            actor=tenant_a.team_lead, ticket=top, note="x" * 30, version=top.version
        )
    back = services.hand_back(
        actor=tenant_a.team_lead,
        ticket=top,
        note="Firmware 2.1 fixes it; L1 to guide the update.",
        version=top.version,
    )
    assert back.payload["tier"] == "L1"
    with pytest.raises(Conflict):
        services.hand_back(
            actor=tenant_a.team_lead, ticket=back, note="x" * 30, version=back.version
        )


def test_a_customer_reply_reopens_a_resolved_ticket(desk, tenant_a):
    # protects: reopen counts (a resolved ticket the customer answers is not finished)
    ticket = _working(_ticket(desk), tenant_a)
    work.transition(
        actor=tenant_a.team_lead,
        item=ticket,
        action="resolve",
        version=ticket.version,
        resolution="Sent",
    )
    inbound.ingest(
        mailbox=desk,
        raw=mail(message_id="<m5@example.org>", extra="In-Reply-To: <m1@example.org>\r\n"),
    )
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopen_count) == ("queued", 1)
    auto = mail(
        message_id="<m6@example.org>",
        extra="In-Reply-To: <m1@example.org>\r\nAuto-Submitted: auto-replied\r\n",
    )
    work.assign(
        actor=tenant_a.team_lead,
        item=ticket,
        agent=make_agent(ticket.engagement, skills={"customer_care": 3}),
    )
    ticket.refresh_from_db()
    ticket = work.transition(
        actor=tenant_a.team_lead, item=ticket, action="start", version=ticket.version
    )
    work.transition(
        actor=tenant_a.team_lead,
        item=ticket,
        action="resolve",
        version=ticket.version,
        resolution="x",
    )
    inbound.ingest(mailbox=desk, raw=auto)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopen_count) == ("resolved", 1)  # an auto-reply does not


def test_two_people_on_one_ticket_are_warned(desk, tenant_a, client):
    # protects: collision warning before two agents answer the same customer
    ticket = _ticket(desk)
    services.seen(user=tenant_a.agent, ticket=ticket)
    client.force_login(tenant_a.team_lead)
    page = client.get(f"/care/tickets/{ticket.pk}/conversation/")
    assert page.status_code == 200
    assert tenant_a.agent.full_name in page.content.decode()
    services.seen(user=tenant_a.agent, ticket=ticket, replying=True)
    assert (
        "is writing a reply"
        in client.get(f"/care/tickets/{ticket.pk}/conversation/").content.decode()
    )
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        later = client.get(f"/care/tickets/{ticket.pk}/conversation/").content.decode()
    assert tenant_a.agent.full_name not in later


def test_the_panel_forms_work_from_the_item_page(desk, tenant_a, client):
    # protects: the desk as agents use it (panel on the item page, forms post back)
    ticket = _working(_ticket(desk), tenant_a)
    client.force_login(tenant_a.team_lead)
    item_page = client.get(f"/work/items/{ticket.pk}/").content.decode()
    assert f"/care/tickets/{ticket.pk}/" in item_page
    panel = client.get(f"/care/tickets/{ticket.pk}/", HTTP_HX_REQUEST="true")
    assert panel.status_code == 200
    assert "Order 4411 has not arrived." in panel.content.decode()
    assert "maria@example.org" not in panel.content.decode()
    answer = client.post(
        f"/care/tickets/{ticket.pk}/reply/", {"body": "On its way.", "kind": "reply"}
    )
    assert answer.status_code == 302
    assert answer["Location"].startswith(f"/work/items/{ticket.pk}/")
    assert Message.objects.filter(item=ticket, direction="outbound").count() == 1
    bad = client.post(
        f"/care/tickets/{ticket.pk}/relate/", {"other": "999999", "how": "link"}, follow=True
    )
    assert "There is no ticket #999999" in bad.content.decode()


def test_another_clients_ticket_is_not_found_on_every_desk_route(desk, tenant_a, tenant_b, client):
    # protects: isolation of the desk's pages
    ticket = _ticket(desk)
    client.force_login(tenant_b.team_lead)
    for path in ("", "conversation/"):
        assert client.get(f"/care/tickets/{ticket.pk}/{path}").status_code == 404
    for path in (
        "reply/",
        "macro/",
        "fields/",
        "resolve/",
        "relate/",
        "split/",
        "tier/",
        "checklist/",
    ):
        assert client.post(f"/care/tickets/{ticket.pk}/{path}", {"body": "x"}).status_code == 404
    other_queue = make_queue(
        live_engagement(tenant_b.client, name="B care"), work_types=["care.ticket"]
    )
    with client_scope(clients=[tenant_a.client, tenant_b.client]):
        theirs = work.create_item(
            actor=None,
            queue=other_queue,
            work_type="care.ticket",
            channel="email",
            payload={"subject": "B's ticket"},
        )
        with pytest.raises(NotFound):
            services.merge(actor=tenant_a.team_lead, source=ticket, target=theirs)


def test_a_huge_ticket_number_is_a_message_not_a_crash(desk, tenant_a, client):
    # protects: forms typed by hand never end in a server error
    ticket = _ticket(desk)
    client.force_login(tenant_a.team_lead)
    answer = client.post(
        f"/care/tickets/{ticket.pk}/relate/", {"other": "9" * 30, "how": "link"}, follow=True
    )
    assert answer.status_code == 200
    assert "There is no ticket" in answer.content.decode()
    assert client.post(f"/care/tickets/{ticket.pk}/macro/", {"macro": "9" * 30}).status_code == 404


def test_key_rotation_reseals_the_senders_of_messages(desk, tenant_a):
    # protects: customers' addresses in conversations move to the new key too
    from tercero.platform.security import crypto
    from tercero.platform.security import services as security

    _ticket(desk)
    before = Message.objects.get().sender
    security.rotate_keys(actor=None, client_id=tenant_a.client.pk)
    assert security.reencrypt(client_id=tenant_a.client.pk) >= 1
    after = Message.objects.get().sender
    assert after != before
    assert crypto.parse(after)[1] == crypto.parse(before)[1] + 1  # the new key's version
    assert crypto.open_sealed(after) == "maria@example.org"
