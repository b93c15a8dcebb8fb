"""Waiting on the customer (issue 19, defect 2): a ticket a macro set waiting is worked
again when the customer answers, by e-mail or in the chat, with its SLA clock running
again; resolving straight from waiting judges the SLA with the wait taken off."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tercero.delivery.work import services as work
from tercero.delivery.work.models import WorkItem
from tercero.delivery.work.tests.conftest import live_engagement, make_agent, make_queue
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.care import inbound, services
from tercero.services.care.models import Macro, Mailbox, WebChannel
from tercero.services.care.tests.test_inbound import mail

# around the clock (live_engagement: 24/7 cover), so business time is wall-clock time
TARGETS = [
    {"metric": "first_response", "target_seconds": 3600},
    {"metric": "resolution", "target_seconds": 8 * 3600},
]
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
JSON = "application/json"


@pytest.fixture
def desk(tenant_a):
    engagement = live_engagement(tenant_a.client, name="Care", sla_targets=TARGETS)
    queue = make_queue(engagement, name="Care", work_types=["care.ticket"])
    agent = make_agent(engagement, skills={"customer_care": 3}, capacity={"email": 5, "chat": 5})
    with client_scope(clients=[tenant_a.client]):
        box = Mailbox.objects.create(
            client=tenant_a.client, engagement=engagement, queue=queue, address="help@acme.example"
        )
        WebChannel.objects.create(
            client=tenant_a.client, engagement=engagement, queue=queue, key="acme-help"
        )
        macro = Macro.objects.create(
            client=tenant_a.client,
            engagement=engagement,
            name="Ask for the order number",
            reply="Could you send us your order number?",
            then="wait",
        )
    return {"mailbox": box, "agent": agent, "macro": macro}


def _waiting(desk, tenant, ticket) -> WorkItem:
    """The agent takes the ticket and a macro asks the customer, an hour after arrival."""
    with time_machine.travel(START + timedelta(minutes=30), tick=False):
        work.assign(actor=tenant.team_lead, item=ticket, agent=desk["agent"])
        ticket.refresh_from_db()
        ticket = work.transition(actor=tenant.team_lead, item=ticket, action="start")
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        return services.apply_macro(
            actor=tenant.team_lead, ticket=ticket, macro=desk["macro"], version=ticket.version
        )


def test_a_customer_reply_by_mail_ends_waiting_on_customer_and_the_clock_runs_again(desk, tenant_a):
    with client_scope(clients=[tenant_a.client]):
        with time_machine.travel(START, tick=False):
            ticket = WorkItem.objects.get(
                pk=inbound.ingest(mailbox=desk["mailbox"], raw=mail()).item_id
            )
        due = ticket.resolution_due_at
        waiting = _waiting(desk, tenant_a, ticket)
        assert (waiting.status, waiting.waiting_on) == ("waiting_customer", "customer")
        # when the customer answers a day later
        with time_machine.travel(START + timedelta(hours=25), tick=False):
            outcome = inbound.ingest(
                mailbox=desk["mailbox"],
                raw=mail(
                    subject=f"Re: Where is my order? {inbound.token_of(ticket.pk)}",
                    body="It is 4411.",
                    message_id="<m2@example.org>",
                ),
            )
        # then the ticket is worked again by its agent, the day waited added to its clock
        ticket.refresh_from_db()
    assert outcome.status == "threaded"
    assert (ticket.status, ticket.assignee_id) == ("in_progress", desk["agent"].pk)
    assert (ticket.waiting_since, ticket.waiting_on) == (None, "")
    assert ticket.sla_paused_seconds == 24 * 3600
    assert ticket.resolution_due_at == due + timedelta(hours=24)


def test_a_customer_chat_line_ends_waiting_on_customer(desk, tenant_a, client):
    with time_machine.travel(START, tick=False):
        started = client.post(
            "/care/w/acme-help/chat/start",
            json.dumps({"name": "Ana", "email": "ana@example.org", "message": "My bill?"}),
            content_type=JSON,
        ).json()
    with client_scope(clients=[tenant_a.client]):
        ticket = WorkItem.objects.get(pk=started["ticket"])
        _waiting(desk, tenant_a, ticket)
    # when the customer types their answer two hours later
    with time_machine.travel(START + timedelta(hours=3), tick=False):
        said = client.post(
            "/care/w/acme-help/chat/lines",
            json.dumps({"text": "Invoice 77"}),
            content_type=JSON,
            HTTP_X_CHAT_TOKEN=started["token"],
        )
    # then
    assert said.status_code == 201
    with client_scope(clients=[tenant_a.client]):
        ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee_id) == ("in_progress", desk["agent"].pk)
    assert ticket.sla_paused_seconds == 2 * 3600


def test_resolving_from_waiting_on_customer_takes_the_wait_off_before_judging_the_sla(
    desk, tenant_a
):
    # the engine judged the SLA before removing the pause: a ticket answered within its
    # 8 hours of work, then left a day with the customer, counted as breached
    with client_scope(clients=[tenant_a.client]):
        with time_machine.travel(START, tick=False):
            ticket = WorkItem.objects.get(
                pk=inbound.ingest(mailbox=desk["mailbox"], raw=mail()).item_id
            )
        waiting = _waiting(desk, tenant_a, ticket)
        # when the agent resolves it a day later, still waiting (2 hours of work counted)
        with time_machine.travel(START + timedelta(hours=25), tick=False):
            done = work.transition(
                actor=tenant_a.team_lead,
                item=waiting,
                action="resolve",
                resolution="Customer confirmed by phone",
            )
    # then the 24 hours waited are not held against it
    assert done.status == "resolved"
    assert done.sla_paused_seconds == 24 * 3600
    assert done.sla_met is True
