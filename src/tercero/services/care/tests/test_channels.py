"""The web channels as customers meet them: the contact form, the chat widget's
endpoints (tokens, origins, limits) and the satisfaction survey link."""

import json
import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail as outbox
from django.utils import timezone

from tercero.delivery.work import outbox as events
from tercero.delivery.work import services as work
from tercero.delivery.work.models import WorkItem
from tercero.delivery.work.tests.conftest import live_engagement, make_agent, make_queue
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.care import chat, csat, services
from tercero.services.care.models import ChatSession, Mailbox, Message, Survey, WebChannel

SHOP = "https://shop.acme.example"


@pytest.fixture
def channel(tenant_a):
    engagement = live_engagement(tenant_a.client, name="Care")
    queue = make_queue(engagement, name="Web", work_types=["care.ticket"])
    with client_scope(clients=[tenant_a.client]):
        Mailbox.objects.create(
            client=tenant_a.client, engagement=engagement, queue=queue, address="help@acme.example"
        )
        return WebChannel.objects.create(
            client=tenant_a.client,
            engagement=engagement,
            queue=queue,
            key="acme-help",
            allowed_origins=[SHOP],
        )


def _post(client, path, data, **headers):
    return client.post(path, json.dumps(data), content_type="application/json", **headers)


def _start(client, **extra):
    data = {"name": "Maria Santos", "email": "maria@example.org", "message": "Hi, my order?"}
    data.update(extra)
    return _post(client, "/care/w/acme-help/chat/start", data)


def test_the_contact_form_opens_a_ticket_and_says_what_is_wrong(client, channel, tenant_a):
    # protects: the web form channel (a ticket per message, clear field errors)
    bad = client.post(
        "/care/w/acme-help/form/",
        {"name": "", "email": "not-mail", "subject": "", "message": "Hello"},
    )
    assert bad.status_code == 200
    page = bad.content.decode()
    assert 'id="name-error"' in page
    assert 'id="email-error"' in page
    assert 'value="not-mail"' in page  # what was typed is kept
    done = client.post(
        "/care/w/acme-help/form/",
        {
            "name": "Maria",
            "email": "maria@example.org",
            "subject": "Refund",
            "message": "Card 4111 1111 1111 1111 was charged twice",
        },
    )
    assert done.status_code == 200
    with client_scope(clients=[tenant_a.client]):
        ticket = WorkItem.objects.get(channel="web_form")
        body = Message.objects.get(item=ticket).body
    assert f"#T-{ticket.pk}" in done.content.decode()
    assert "4111 1111 1111 1111" not in body
    assert client.get("/care/w/nobody/form/").status_code == 404


def test_a_chat_is_a_ticket_whose_transcript_is_the_conversation(
    client, channel, tenant_a, django_capture_on_commit_callbacks
):
    # protects: chat end to end at the HTTP level (start, lines both ways, end)
    started = _start(client)
    assert started.status_code == 201
    token = started.json()["token"]
    said = _post(
        client, "/care/w/acme-help/chat/lines", {"text": "Order 4411"}, HTTP_X_CHAT_TOKEN=token
    )
    assert said.status_code == 201
    with client_scope(clients=[tenant_a.client]):
        ticket = WorkItem.objects.get(channel="chat")
        with django_capture_on_commit_callbacks(execute=True):
            services.reply(actor=tenant_a.team_lead, ticket=ticket, body="Found it, ships today.")
            services.add_note(actor=tenant_a.team_lead, ticket=ticket, body="VIP customer")
    assert outbox.outbox == []  # while the chat is open, replies go into it, not by e-mail
    lines = client.get("/care/w/acme-help/chat/lines?after=0", HTTP_X_CHAT_TOKEN=token).json()
    assert [(line["from"], line["text"]) for line in lines["lines"]] == [
        ("you", "Hi, my order?"),
        ("you", "Order 4411"),
        ("agent", "Found it, ships today."),
    ]
    later = client.get(
        f"/care/w/acme-help/chat/lines?after={lines['lines'][1]['id']}", HTTP_X_CHAT_TOKEN=token
    )
    assert [line["text"] for line in later.json()["lines"]] == ["Found it, ships today."]
    assert (
        _post(client, "/care/w/acme-help/chat/end", {}, HTTP_X_CHAT_TOKEN=token).status_code == 200
    )
    ended = _post(
        client, "/care/w/acme-help/chat/lines", {"text": "one more"}, HTTP_X_CHAT_TOKEN=token
    )
    assert ended.status_code == 409
    with client_scope(clients=[tenant_a.client]), django_capture_on_commit_callbacks(execute=True):
        services.reply(actor=tenant_a.team_lead, ticket=ticket, body="Tracking: AB123")
    assert [m.to for m in outbox.outbox] == [["maria@example.org"]]  # after the chat: e-mail


def test_chat_refuses_bad_tokens_foreign_sites_and_floods(client, channel, tenant_a, tenant_b):
    # protects: the public chat endpoints against guessing, embedding elsewhere and abuse
    token = _start(client).json()["token"]
    assert client.get("/care/w/acme-help/chat/lines", HTTP_X_CHAT_TOKEN="guess").status_code == 404
    assert client.get("/care/w/acme-help/chat/lines").status_code == 404
    # the same token on another client's channel finds nothing
    other = make_queue(live_engagement(tenant_b.client, name="B"), work_types=["care.ticket"])
    with client_scope(clients=[tenant_b.client]):
        WebChannel.objects.create(
            client=tenant_b.client, engagement=other.engagement, queue=other, key="b-help"
        )
    assert client.get("/care/w/b-help/chat/lines", HTTP_X_CHAT_TOKEN=token).status_code == 404
    # cross-origin: the allowed shop gets CORS headers, another site is refused
    allowed = client.options("/care/w/acme-help/chat/start", HTTP_ORIGIN=SHOP)
    assert allowed.status_code == 204
    assert allowed["Access-Control-Allow-Origin"] == SHOP
    foreign = _post(
        client,
        "/care/w/acme-help/chat/start",
        {"name": "x", "message": "y"},
        HTTP_ORIGIN="https://evil.example",
    )
    assert foreign.status_code == 403
    assert "Access-Control-Allow-Origin" not in foreign
    # bad input is a 4xx with a reason, never a 500
    assert (
        _post(client, "/care/w/acme-help/chat/start", {"name": "", "message": "x"}).status_code
        == 422
    )
    assert (
        client.post(
            "/care/w/acme-help/chat/start", b"not json", content_type="application/json"
        ).status_code
        == 400
    )
    huge = _post(client, "/care/w/acme-help/chat/start", {"name": "x", "message": "y" * 20000})
    assert huge.status_code == 422
    assert huge.json()["error"]["fields"]
    for n in range(chat.LINES_PER_MINUTE - 1):
        _post(
            client, "/care/w/acme-help/chat/lines", {"text": f"line {n}"}, HTTP_X_CHAT_TOKEN=token
        )
    flood = _post(
        client, "/care/w/acme-help/chat/lines", {"text": "again"}, HTTP_X_CHAT_TOKEN=token
    )
    assert flood.status_code == 409
    assert flood.json()["error"]["code"] == "slow_down"


def test_idle_chats_end_and_later_replies_go_by_email(client, channel, tenant_a):
    # protects: a customer who closed the tab still gets the answer
    _start(client)
    later = timezone.now() + timedelta(minutes=31)
    with time_machine.travel(later), client_scope(clients=[tenant_a.client]):
        assert chat.end_idle_chats() == 1
        assert ChatSession.objects.get().ended_at is not None


def _resolved(channel, tenant):
    ticket = chat.submit_form(
        channel=channel,
        name="Maria",
        email="maria@example.org",
        subject="Refund",
        message="Twice charged",
    )
    agent = make_agent(channel.engagement, skills={"customer_care": 3}, capacity={"web_form": 5})
    work.assign(actor=tenant.team_lead, item=ticket, agent=agent)
    ticket.refresh_from_db()
    ticket = work.transition(
        actor=tenant.team_lead, item=ticket, action="start", version=ticket.version
    )
    return work.transition(
        actor=tenant.team_lead,
        item=ticket,
        action="resolve",
        version=ticket.version,
        resolution="Refunded",
    )


def test_a_resolved_ticket_sends_one_survey_that_counts_once(
    client, channel, tenant_a, django_capture_on_commit_callbacks
):
    # protects: CSAT (signed single-use link, scanners cannot answer it, expiry)
    with client_scope(clients=[tenant_a.client]):
        ticket = _resolved(channel, tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        events.consume("care.csat")
        events.consume("care.csat")  # consuming again sends nothing twice
    [sent] = outbox.outbox
    assert sent.to == ["maria@example.org"]
    assert sent.extra_headers["Auto-Submitted"] == "auto-generated"
    link = re.search(r"http://\S+/care/survey/(\S+)/\?score=5", sent.body)
    path = f"/care/survey/{link.group(1)}/"
    opened = client.get(path + "?score=5")
    assert opened.status_code == 200
    assert 'id="score-5"' in opened.content.decode()
    with client_scope(clients=[tenant_a.client]):
        assert Survey.objects.get(item=ticket).answered_at is None  # a GET records nothing
    tampered = path.replace(link.group(1), link.group(1)[:-3] + "abc")
    assert client.get(tampered).status_code == 404
    assert client.post(path, {"score": "9"}).status_code == 422
    answered = client.post(path, {"score": "5", "comment": "Quick! card 4111-1111-1111-1111"})
    assert answered.status_code == 200
    assert "You rated us 5" in answered.content.decode()
    again = client.post(path, {"score": "1"})
    assert again.status_code == 409
    with client_scope(clients=[tenant_a.client]):
        survey = Survey.objects.get(item=ticket)
    assert (survey.score, "4111" in survey.comment) == (5, False)


def test_an_expired_survey_is_refused(client, channel, tenant_a):
    # protects: survey links do not live for ever
    with client_scope(clients=[tenant_a.client]):
        ticket = _resolved(channel, tenant_a)
        csat.send_survey(ticket=ticket)
        survey = Survey.objects.get(item=ticket)
    signed = csat.link_token("unknown-token")
    assert client.get(f"/care/survey/{signed}/").status_code == 404
    with client_scope(clients=[tenant_a.client]), pytest.raises(csat.Conflict):
        csat.answer(survey=survey, score=4, now=survey.expires_at + timedelta(seconds=1))


def test_a_flood_of_contact_forms_is_refused_not_queued(channel, tenant_a):
    # protects: the public form cannot be used to bury the desk
    with client_scope(clients=[tenant_a.client]):
        for n in range(chat.FORMS_PER_MINUTE):
            chat.submit_form(
                channel=channel, name="Bot", email=f"b{n}@example.org", subject="", message="spam"
            )
        with pytest.raises(csat.Conflict):
            chat.submit_form(
                channel=channel, name="Bot", email="b@example.org", subject="", message="spam"
            )
        assert WorkItem.objects.filter(channel="web_form").count() == chat.FORMS_PER_MINUTE


def test_huge_numbers_in_requests_are_harmless(client, channel):
    # protects: no server error on ids or cursors beyond any database integer
    token = _start(client).json()["token"]
    far = client.get(f"/care/w/acme-help/chat/lines?after={10**30}", HTTP_X_CHAT_TOKEN=token)
    assert far.status_code == 200
    assert far.json()["lines"] == []


def test_a_chat_moved_to_another_queue_keeps_working_for_the_customer_and_the_next_agent(
    client, channel, tenant_a, django_capture_on_commit_callbacks
):
    # protects: issue 19, defect 4 - after a queue transfer the customer's chat answered
    # 404 and the agent's next reply went where nobody read it
    token = _start(client).json()["token"]
    second = make_queue(channel.engagement, name="Billing", work_types=["care.ticket"])
    with client_scope(clients=[tenant_a.client]):
        ticket = WorkItem.objects.get(channel="chat")
        work.transfer(actor=tenant_a.team_lead, item=ticket, queue=second, reason="billing")
    # when the customer writes on and the next agent answers
    said = _post(
        client, "/care/w/acme-help/chat/lines", {"text": "Still there?"}, HTTP_X_CHAT_TOKEN=token
    )
    next_agent = make_agent(channel.engagement, skills={"customer_care": 3}, capacity={"chat": 2})
    with client_scope(clients=[tenant_a.client]):
        work.assign(actor=tenant_a.team_lead, item=ticket, agent=next_agent)
        ticket.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            services.reply(actor=next_agent.user, ticket=ticket, body="Yes, billing here.")
    # then the customer reads the whole chat, and the ticket holds it for the next agent
    assert said.status_code == 201
    lines = client.get("/care/w/acme-help/chat/lines?after=0", HTTP_X_CHAT_TOKEN=token)
    assert lines.status_code == 200
    assert [(line["from"], line["text"]) for line in lines.json()["lines"]] == [
        ("you", "Hi, my order?"),
        ("you", "Still there?"),
        ("agent", "Yes, billing here."),
    ]
    assert outbox.outbox == []
    with client_scope(clients=[tenant_a.client]):
        stored = list(Message.objects.filter(item=ticket).values_list("direction", "body"))
    assert stored == [
        ("inbound", "Hi, my order?"),
        ("inbound", "Still there?"),
        ("outbound", "Yes, billing here."),
    ]
    assert _post(client, "/care/w/acme-help/chat/end", {}, HTTP_X_CHAT_TOKEN=token).json() == {
        "ended": True
    }


def test_one_visitor_cannot_use_up_the_channels_new_chat_rate(client, channel, tenant_a):
    # protects: issue 19, defect 15 - one visitor opened chats until the channel's rate
    # was spent and real customers got 409
    flooder = "203.0.113.7"
    for _ in range(chat.CHATS_PER_MINUTE + 1):
        answer = _start_from(client, flooder)
        if answer.status_code != 201:
            break
    # the visitor is stopped after their own share, told to slow down
    assert answer.status_code == 429
    assert answer.json()["error"]["code"] == "slow_down"
    with client_scope(clients=[tenant_a.client]):
        assert ChatSession.objects.count() == chat.VISITOR_CHATS_PER_MINUTE
    # a real customer, and the same visitor's neighbour on another network, still get in
    customer = _start_from(client, "198.51.100.20")
    assert customer.status_code == 201
    other_v6 = _start_from(client, "2001:db8:1:2::9")
    same_v6 = [_start_from(client, f"2001:db8:aaaa:bbbb::{n}").status_code for n in range(4)]
    assert other_v6.status_code == 201
    assert same_v6 == [201, 201, 201, 429]  # one /64 is one visitor


def test_the_channel_ceiling_still_holds_against_many_visitors(client, channel, tenant_a):
    # protects: many addresses together are held to the channel's ceiling (its own
    # number of new chats a minute, set up on the channel's page)
    with client_scope(clients=[tenant_a.client]):
        WebChannel.objects.filter(pk=channel.pk).update(new_chats_per_minute=4)
    codes = [_start_from(client, f"192.0.2.{n}").status_code for n in range(5)]
    assert codes == [201, 201, 201, 201, 409]
    with client_scope(clients=[tenant_a.client]):
        assert ChatSession.objects.count() == 4


def _start_from(client, address: str):
    return _post(
        client,
        "/care/w/acme-help/chat/start",
        {"name": "Maria Santos", "message": "Hi, my order?"},
        REMOTE_ADDR=address,
    )
