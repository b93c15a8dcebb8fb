"""Care's outbox events: a ticket solved or reopened and a satisfaction score, each
written with the change, fitting its schema, and nothing about the customer in it."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tercero.delivery.work import event_types, outbox, webhooks
from tercero.delivery.work import services as work
from tercero.delivery.work.models import WebhookDelivery, WorkEvent, WorkItem
from tercero.delivery.work.tests.conftest import live_engagement, make_agent, make_queue
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.care import csat, inbound, services
from tercero.services.care.models import CustomField, Mailbox, Survey
from tercero.services.care.tests.test_inbound import mail

ARRIVED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def desk(tenant_a):
    engagement = live_engagement(tenant_a.client, name="Care")
    queue = make_queue(engagement, name="E-mail", work_types=["care.ticket"])
    with client_scope(clients=[tenant_a.client]):
        yield Mailbox.objects.create(
            client=tenant_a.client, engagement=engagement, queue=queue, address="help@acme.example"
        )


def _working(desk, tenant, **mail_fields) -> WorkItem:
    ticket = WorkItem.objects.get(pk=inbound.ingest(mailbox=desk, raw=mail(**mail_fields)).item_id)
    agent = make_agent(ticket.engagement, skills={"customer_care": 3})
    ticket = work.assign(actor=tenant.team_lead, item=ticket, agent=agent)
    return work.transition(actor=tenant.team_lead, item=ticket, action="start")


def _care_events() -> list[WorkEvent]:
    found = list(WorkEvent.objects.filter(kind__startswith="care.").order_by("id"))
    for event in found:
        event_types.find(event.kind).schema.model_validate(event.data)
    return found


def _resolve_at_the_desk(tenant, ticket):
    return services.resolve(
        actor=tenant.agent, ticket=ticket, resolution="Refunded", version=ticket.version
    )


def _resolve_in_the_engine(tenant, ticket):
    return work.transition(actor=tenant.agent, item=ticket, action="resolve", resolution="Refunded")


@pytest.mark.parametrize("resolve", [_resolve_at_the_desk, _resolve_in_the_engine])
def test_a_resolved_ticket_publishes_care_ticket_solved_with_its_times(desk, tenant_a, resolve):
    # given a ticket that arrived at 09:00 and was first answered at 09:10
    with time_machine.travel(ARRIVED, tick=False) as clock:
        ticket = _working(desk, tenant_a)
        clock.shift(timedelta(minutes=10))
        ticket = work.transition(
            actor=tenant_a.agent, item=ticket, action="wait", waiting_on="customer"
        )
        clock.shift(timedelta(minutes=20))
        ticket = work.transition(actor=tenant_a.agent, item=ticket, action="resume")
        clock.shift(timedelta(minutes=30))
        # when it is resolved at 10:00, from the desk or through the engine's door
        resolve(tenant_a, ticket)
    # then one care.ticket.solved event says so, with times and no customer data
    [solved] = _care_events()
    assert (solved.kind, solved.item_id, solved.actor_id) == (
        "care.ticket.solved",
        ticket.pk,
        tenant_a.agent.pk,
    )
    assert solved.data == {
        "item_id": ticket.pk,
        "work_type": "care.ticket",
        "channel": "email",
        "reopen_count": 0,
        "first_response_at": "2026-03-02T09:10:00Z",
        "resolved_at": "2026-03-02T10:00:00Z",
        "first_response_seconds": 600,
        "resolution_seconds": 3600,
    }
    assert "maria" not in json.dumps(solved.data).lower()


def test_a_ticket_solved_without_an_answer_says_it_had_no_first_response(desk, tenant_a):
    # given a ticket being worked that nobody answered
    ticket = _working(desk, tenant_a)
    # when it is resolved
    _resolve_in_the_engine(tenant_a, ticket)
    # then its event says so rather than inventing a time
    [solved] = _care_events()
    assert (solved.data["first_response_at"], solved.data["first_response_seconds"]) == (
        None,
        None,
    )


def test_a_ticket_that_cannot_be_resolved_publishes_nothing(desk, tenant_a):
    # given an engagement whose tickets need a field filled before resolving
    CustomField.objects.create(
        client=tenant_a.client,
        engagement=desk.engagement,
        label="Order number",
        is_required=True,
    )
    ticket = _working(desk, tenant_a)
    # when the desk tries to resolve the ticket
    with pytest.raises(InvalidInput):
        _resolve_at_the_desk(tenant_a, ticket)
    # then no care event is written
    assert _care_events() == []


def test_a_customer_reply_to_a_solved_ticket_publishes_care_ticket_reopened(desk, tenant_a):
    # given a solved ticket
    ticket = _resolve_in_the_engine(tenant_a, _working(desk, tenant_a))
    # when the customer writes again on its thread
    inbound.ingest(
        mailbox=desk,
        raw=mail(message_id="<m2@example.org>", extra="In-Reply-To: <m1@example.org>\r\n"),
    )
    # then care.ticket.reopened follows care.ticket.solved, counting the reopen, with the
    # customer's reply told as care.customer.replied
    solved, replied, reopened = _care_events()
    assert (solved.kind, replied.kind, reopened.kind, reopened.item_id) == (
        "care.ticket.solved",
        "care.customer.replied",
        "care.ticket.reopened",
        ticket.pk,
    )
    assert reopened.data == {
        "item_id": ticket.pk,
        "work_type": "care.ticket",
        "channel": "email",
        "reopen_count": 1,
    }


def test_a_survey_answer_publishes_care_csat_received_with_the_score_only(desk, tenant_a):
    # given a solved ticket whose customer got a survey
    ticket = _resolve_in_the_engine(tenant_a, _working(desk, tenant_a))
    survey = csat.send_survey(ticket=ticket)
    # when the customer answers it with a comment
    csat.answer(survey=survey, score=4, comment="Maria Santos here: thanks, quick work.")
    # then care.csat.received carries the score, never the comment
    received = _care_events()[-1]
    assert (received.kind, received.item_id, received.actor_id) == (
        "care.csat.received",
        ticket.pk,
        None,
    )
    assert received.data == {"survey_id": survey.pk, "item_id": ticket.pk, "score": 4}
    # and a second answer is refused with nothing more published
    with pytest.raises(Conflict):
        csat.answer(survey=Survey.objects.get(pk=survey.pk), score=1)
    assert [event.kind for event in _care_events()] == ["care.ticket.solved", "care.csat.received"]


def test_a_solved_ticket_goes_to_the_clients_endpoints_that_ask_for_it(
    desk, tenant_a, tenant_b, settings
):
    # given endpoints of both clients asking for care.ticket.solved
    settings.TERCERO_WEBHOOKS_ALLOW_PRIVATE = True
    endpoint, _ = webhooks.create_endpoint(
        actor=None,
        client=tenant_a.client,
        url="http://127.0.0.1:9/hook",
        kinds=["care.ticket.solved"],
    )
    with client_scope(clients=[tenant_b.client]):
        webhooks.create_endpoint(
            actor=None,
            client=tenant_b.client,
            url="http://127.0.0.1:9/b",
            kinds=["care.ticket.solved"],
        )
    # when client A's ticket is solved and the outbox is read
    ticket = _resolve_in_the_engine(tenant_a, _working(desk, tenant_a))
    outbox.consume("webhooks")
    # then one delivery waits for client A's endpoint, carrying the event's data
    with all_clients_scope():
        [delivery] = WebhookDelivery.objects.select_related("event")
    body = json.loads(webhooks.body_of(delivery.event))
    assert (delivery.endpoint_id, body["kind"], body["item_id"]) == (
        endpoint.pk,
        "care.ticket.solved",
        ticket.pk,
    )
    assert body["data"]["work_type"] == "care.ticket"


def test_a_customers_mail_into_their_ticket_publishes_care_customer_replied(desk, tenant_a):
    # given a ticket being worked
    ticket = _working(desk, tenant_a)
    # when the customer writes into it (and a stranger writes about it)
    subject = f"Re: Where is my order? {inbound.token_of(ticket)}"
    inbound.ingest(mailbox=desk, raw=mail(subject=subject, message_id="<m2@example.org>"))
    inbound.ingest(
        mailbox=desk,
        raw=mail(sender="x@example.net", subject=subject, message_id="<m3@example.org>"),
    )
    # then one care.customer.replied names the ticket and the channel, nothing more
    [replied] = _care_events()
    assert (replied.kind, replied.item_id, replied.actor_id) == (
        "care.customer.replied",
        ticket.pk,
        None,
    )
    assert replied.data == {"item_id": ticket.pk, "channel": "email"}
