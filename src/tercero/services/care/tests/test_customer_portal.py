"""The end-customer portal, "my requests" (issue 19): a sign-in link by e-mail, used once
and in time; a customer sees and answers only their own tickets of that client, never
internal notes; nobody learns from the form who is a customer."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail as outbox
from django.utils import timezone

from tercero.delivery.work import services as work
from tercero.delivery.work.models import WorkItem
from tercero.delivery.work.tests.conftest import live_engagement, make_agent, make_queue
from tercero.platform.audit.models import AuditEvent
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.care import chat, customer_portal, services
from tercero.services.care.models import Macro, Mailbox, Message, PortalLink, WebChannel

MARIA = "maria@example.org"


def _desk(tenant, key: str, address: str):
    engagement = live_engagement(tenant.client, name="Care")
    queue = make_queue(engagement, name="Web", work_types=["care.ticket"])
    agent = make_agent(
        engagement, skills={"customer_care": 3}, capacity={"email": 5, "web_form": 5, "chat": 5}
    )
    with client_scope(clients=[tenant.client]):
        Mailbox.objects.create(
            client=tenant.client,
            engagement=engagement,
            queue=queue,
            address=address,
            sender_name=f"{tenant.client.legal_name} Care",
        )
        channel = WebChannel.objects.create(
            client=tenant.client,
            engagement=engagement,
            queue=queue,
            key=key,
            brand_name="Acme Shop" if key == "acme-help" else "Bergmann Hilfe",
            brand_colour="#aa3300",
        )
        macro = Macro.objects.create(
            client=tenant.client, engagement=engagement, name="Ask", reply="Order?", then="wait"
        )
    return {"channel": channel, "agent": agent, "macro": macro}


@pytest.fixture
def desk(tenant_a):
    return _desk(tenant_a, "acme-help", "help@acme.example")


@pytest.fixture
def other_desk(tenant_b):
    return _desk(tenant_b, "bergmann-help", "hilfe@bergmann.example")


def _ticket(channel, email=MARIA, subject="Where is my order?") -> WorkItem:
    with client_scope(clients=[channel.client_id]):
        return chat.submit_form(
            channel=channel, name="Maria", email=email, subject=subject, message="Order 4411"
        )


def _link(client, key, email, capture) -> str:
    with capture(execute=True):
        response = client.post(f"/care/w/{key}/requests/", {"email": email})
    assert response.status_code == 200
    return re.search(r"https?://[^/\s]+(/care/\S+)", outbox.outbox[-1].body).group(1)


@pytest.fixture
def signed_in(client, desk, django_capture_on_commit_callbacks):
    """Maria signed in on Acme's portal, with two requests there."""
    first = _ticket(desk["channel"])
    second = _ticket(desk["channel"], subject="Refund please")
    path = _link(client, "acme-help", MARIA, django_capture_on_commit_callbacks)
    assert client.post(path).status_code == 302
    return {"first": first, "second": second}


def _messages() -> int:
    with all_clients_scope():
        return Message.objects.count()


def test_a_customer_signs_in_by_a_mailed_link_and_sees_only_their_own_requests(
    client, desk, other_desk, tenant_a, django_capture_on_commit_callbacks
):
    # given Maria's two requests, someone else's at Acme and Maria's own at Bergmann
    mine = [_ticket(desk["channel"]), _ticket(desk["channel"], subject="Refund please")]
    theirs = _ticket(desk["channel"], email="maria.other@example.org", subject="Not hers")
    elsewhere = _ticket(other_desk["channel"], subject="At Bergmann")
    # when she asks for a link and opens it
    path = _link(client, "acme-help", MARIA, django_capture_on_commit_callbacks)
    sent = outbox.outbox[-1]
    assert sent.to == [MARIA]
    assert sent.from_email == f"{tenant_a.client.legal_name} Care <help@acme.example>"
    assert "Acme Shop" in sent.subject
    opened = client.get(path)
    assert opened.status_code == 200
    assert b"Open my requests" in opened.content
    with client_scope(clients=[tenant_a.client]):
        assert PortalLink.objects.get().used_at is None  # opening alone signs nobody in
    assert client.post(path).status_code == 302
    page = client.get("/care/w/acme-help/requests/").content.decode()
    # then she sees her two, in the client's brand, and nothing else
    assert [t.title in page for t in mine] == [True, True]
    assert theirs.title not in page
    assert elsewhere.title not in page
    assert "Acme Shop" in page
    assert "#aa3300" in page
    with client_scope(clients=[tenant_a.client]):
        actions = list(
            AuditEvent.objects.filter(action__startswith="care.portal.").values_list(
                "action", flat=True
            )
        )
    assert sorted(actions) == ["care.portal.link_sent", "care.portal.signed_in"]


def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    client, desk, tenant_a, django_capture_on_commit_callbacks
):
    # given Maria has a request, nobody@ has none
    _ticket(desk["channel"])
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/care/w/acme-help/requests/", {"email": MARIA})
        unknown = client.post("/care/w/acme-help/requests/", {"email": "nobody@example.org"})
    # then both read the same, and only Maria gets a mail
    assert (known.status_code, unknown.status_code) == (200, 200)
    assert _same_answer(known, unknown)
    assert [m.to for m in outbox.outbox] == [[MARIA]]
    with client_scope(clients=[tenant_a.client]):
        assert sorted(PortalLink.objects.values_list("token_hash", flat=True))[0] == ""


def _same_answer(first, second) -> bool:
    says = re.compile(rb'<p class="message" id="link-sent">(.*?)</p>', re.S)
    return says.search(first.content).group(1) == says.search(second.content).group(1)


def test_a_bad_address_is_refused_in_words(client, desk):
    response = client.post("/care/w/acme-help/requests/", {"email": "not mail"})
    assert response.status_code == 422
    assert b'id="email-error"' in response.content
    assert b"Enter the e-mail address you wrote to us from." in response.content


@pytest.mark.parametrize("email", [MARIA, "nobody@example.org"])
def test_link_requests_are_limited_per_address_known_or_not(
    client, desk, email, django_capture_on_commit_callbacks
):
    _ticket(desk["channel"])
    with django_capture_on_commit_callbacks(execute=True):
        answers = [
            client.post("/care/w/acme-help/requests/", {"email": email}).status_code
            for _ in range(customer_portal.PER_ADDRESS + 1)
        ]
        refused = client.post("/care/w/acme-help/requests/", {"email": email})
    assert answers == [200] * customer_portal.PER_ADDRESS + [429]
    assert b"please wait a few minutes" in refused.content
    assert len(outbox.outbox) == (customer_portal.PER_ADDRESS if email == MARIA else 0)


def test_a_tampered_used_expired_or_misplaced_link_is_refused(
    client, desk, other_desk, django_capture_on_commit_callbacks
):
    _ticket(desk["channel"])
    path = _link(client, "acme-help", MARIA, django_capture_on_commit_callbacks)
    # tampered signature or token: 404
    assert client.get(path[:-3] + "xx/").status_code == 404
    assert client.post(path.replace("/sign-in/", "/sign-in/A")).status_code == 404
    # another channel's key with a valid link: 404
    assert client.post(path.replace("acme-help", "bergmann-help")).status_code == 404
    # expired: 410, in words
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        late = client.post(path)
    assert late.status_code == 410
    assert b"expired" in late.content
    # a fresh link works once, then is spent
    fresh = _link(client, "acme-help", MARIA, django_capture_on_commit_callbacks)
    assert client.post(fresh).status_code == 302
    again = client.post(fresh)
    assert again.status_code == 410
    assert b"already used" in again.content


def test_another_customers_or_clients_ticket_is_404_and_nothing_written(
    client, desk, other_desk, signed_in
):
    # given Maria signed in at Acme, another customer's Acme ticket, Maria's Bergmann ticket
    theirs = _ticket(desk["channel"], email="someone@example.org", subject="Someone's")
    bergmann = _ticket(other_desk["channel"], subject="At Bergmann")
    before = _messages()
    for ticket in (theirs, bergmann):
        for key in ("acme-help", "bergmann-help"):
            path = f"/care/w/{key}/requests/{ticket.pk}/"
            # when she opens or answers it
            assert client.get(path).status_code == 404
            assert client.post(path, {"body": "Let me in"}).status_code == 404
    # then nothing was written, and Bergmann's portal does not know her
    assert _messages() == before
    page = client.get("/care/w/bergmann-help/requests/").content.decode()
    assert "Send me a link" in page
    assert "At Bergmann" not in page


def test_the_customer_sees_the_desks_replies_but_never_internal_notes(
    client, desk, signed_in, tenant_a
):
    ticket = signed_in["first"]
    with client_scope(clients=[tenant_a.client]):
        services.reply(actor=tenant_a.team_lead, ticket=ticket, body="It ships today.")
        services.add_note(actor=tenant_a.team_lead, ticket=ticket, body="Customer is VIP")
    page = client.get(f"/care/w/acme-help/requests/{ticket.pk}/").content.decode()
    assert "Order 4411" in page
    assert "It ships today." in page
    assert "Customer is VIP" not in page
    assert '<span id="request-status">Received</span>' in page


def test_an_answer_resumes_a_ticket_waiting_on_the_customer(client, desk, signed_in, tenant_a):
    ticket = signed_in["first"]
    with client_scope(clients=[tenant_a.client]):
        work.assign(actor=tenant_a.team_lead, item=ticket, agent=desk["agent"])
        ticket.refresh_from_db()
        ticket = work.transition(actor=tenant_a.team_lead, item=ticket, action="start")
        ticket = services.apply_macro(
            actor=tenant_a.team_lead, ticket=ticket, macro=desk["macro"], version=ticket.version
        )
        assert ticket.status == "waiting_customer"
    page = client.get(f"/care/w/acme-help/requests/{ticket.pk}/").content.decode()
    assert "Waiting for your reply" in page
    # when Maria answers on the portal
    answered = client.post(f"/care/w/acme-help/requests/{ticket.pk}/", {"body": "It is 4411."})
    assert answered.status_code == 302
    with client_scope(clients=[tenant_a.client]):
        ticket.refresh_from_db()
        message = Message.objects.filter(item=ticket).order_by("-id").first()
        audited = AuditEvent.objects.filter(action="care.portal.replied", object_id=str(ticket.pk))
        assert audited.count() == 1
    # then the ticket is worked again and her answer is on it
    assert ticket.status == "in_progress"
    assert (message.direction, message.channel, message.body) == (
        "inbound",
        "portal",
        "It is 4411.",
    )


def test_an_answer_reopens_a_resolved_ticket(client, desk, signed_in, tenant_a):
    ticket = signed_in["second"]
    with client_scope(clients=[tenant_a.client]):
        work.assign(actor=tenant_a.team_lead, item=ticket, agent=desk["agent"])
        ticket.refresh_from_db()
        ticket = work.transition(actor=tenant_a.team_lead, item=ticket, action="start")
        ticket = services.resolve(
            actor=tenant_a.team_lead, ticket=ticket, resolution="Refunded", version=ticket.version
        )
        assert ticket.status == "resolved"
    client.post(f"/care/w/acme-help/requests/{ticket.pk}/", {"body": "Not arrived yet"})
    with client_scope(clients=[tenant_a.client]):
        ticket.refresh_from_db()
    assert ticket.status == "queued"
    assert ticket.reopen_count == 1


def test_an_empty_answer_is_refused_in_words_and_nothing_stored(client, desk, signed_in):
    before = _messages()
    response = client.post(f"/care/w/acme-help/requests/{signed_in['first'].pk}/", {"body": " "})
    assert response.status_code == 422
    assert b"Type your answer first." in response.content
    assert _messages() == before


def test_signing_out_ends_the_session(client, desk, signed_in):
    assert client.post("/care/w/acme-help/requests/sign-out/").status_code == 302
    assert client.get(f"/care/w/acme-help/requests/{signed_in['first'].pk}/").status_code == 404
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        assert b"Send me a link" in client.get("/care/w/acme-help/requests/").content
