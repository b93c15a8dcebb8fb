"""A queue's own working hours (issue 20: a 24/7 engagement with a split-shift queue):
while the queue is closed Get next and push offer nothing from it, live contacts
included; its items' SLA clocks count its hours, so a due time skips the gap between
shifts; and business-time order across queues treats such a queue as its own calendar.
Run on SQLite and on PostgreSQL (the claim statement)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from pydantic import BaseModel, Field

from tercero.delivery.work import registry, services
from tercero.delivery.work.models import WorkItem
from tercero.delivery.work.registry import WorkType
from tercero.delivery.work.tests.conftest import (
    FORM,
    TICKET,
    add_item,
    live_engagement,
    make_agent,
    make_queue,
)
from tercero.platform.errors import InvalidInput
from tercero.platform.tenancy.scoping import client_scope

# Monday 1 March 2027 in London (GMT, so local time is UTC)
MONDAY = datetime(2027, 3, 1, tzinfo=UTC)
SPLIT = {str(day): [["08:00", "12:00"], ["16:00", "20:00"]] for day in range(5)}


class ChatPayload(BaseModel):
    visitor: str = Field(min_length=1)


CHAT = WorkType(
    key="test.hours_chat",
    title="Chat",
    payload_schema=ChatPayload,
    office="front",
    channel="chat",
    sla_metrics=("resolution",),
)


@pytest.fixture(autouse=True)
def chat_type():
    registry.register(CHAT)
    yield
    registry.unregister(CHAT.key)


def at(hour: int, minute: int = 0, *, days: int = 0):
    return time_machine.travel(
        MONDAY + timedelta(days=days, hours=hour, minutes=minute), tick=False
    )


def _desk(client, **queue_fields):
    """A 24/7 engagement in London answering within an hour, with a split-shift queue."""
    engagement = live_engagement(
        client,
        time_zone="Europe/London",
        sla_targets=[{"metric": "first_response", "target_seconds": 3600}],
    )
    queue_fields.setdefault("work_types", [TICKET.key, FORM.key, CHAT.key])
    queue = make_queue(
        engagement, name="Split", has_own_hours=True, working_hours=SPLIT, **queue_fields
    )
    return engagement, queue


def _next(agent, client):
    return services.get_next(agent=agent, client_ids=[client.pk])


def test_a_closed_queue_offers_nothing_and_an_open_one_offers_its_item(tenant_a, db):
    # given a ticket waiting in a queue open 08:00-12:00 and 16:00-20:00 on weekdays
    engagement, queue = _desk(tenant_a.client)
    with at(11):
        ticket = add_item(queue)
    agent = make_agent(engagement)
    # when the agent asks in the lunch gap, then nothing is offered and the item waits
    with at(14):
        assert _next(agent, tenant_a.client) is None
    with client_scope(clients=[tenant_a.client.pk]):
        assert WorkItem.objects.get(pk=ticket.pk).status == "queued"
    # when the afternoon shift has begun, then the item is offered
    with at(16, 1):
        offered = _next(agent, tenant_a.client)
    assert offered is not None
    assert offered.pk == ticket.pk


def test_a_closed_queue_stays_closed_at_night_and_over_the_weekend(tenant_a, db):
    engagement, queue = _desk(tenant_a.client)
    with at(10):
        add_item(queue)
    agent = make_agent(engagement)
    for moment in (at(21), at(7, 59), at(10, days=5), at(23, days=6)):  # Sat 10:00, Sun 23:00
        with moment:
            assert _next(agent, tenant_a.client) is None
    with at(8, days=7):  # the next Monday
        assert _next(agent, tenant_a.client) is not None


def test_a_closed_queue_is_passed_over_for_an_open_queue_of_the_same_engagement(tenant_a, db):
    # given an urgent ticket in the closed split-shift queue and a later one in a 24/7 queue
    engagement, split = _desk(tenant_a.client)
    always = make_queue(engagement, name="Always")
    with at(11):
        add_item(split, priority=1)
    with at(13):
        later = add_item(always, priority=4)
    agent = make_agent(engagement)
    # when the agent asks during the gap, then the open queue's ticket is offered
    with at(14):
        offered = _next(agent, tenant_a.client)
    assert offered is not None
    assert offered.pk == later.pk


def test_a_live_chat_waiting_in_a_closed_queue_is_not_offered(tenant_a, db):
    engagement, queue = _desk(tenant_a.client)
    agent = make_agent(engagement, capacity={"chat": 3, "email": 1})
    with at(13):
        with client_scope(clients=[tenant_a.client.pk]):
            chat = services.create_item(
                actor=None, queue=queue, work_type=CHAT.key, payload={"visitor": "Maria"}
            )
        assert _next(agent, tenant_a.client) is None
    with at(16):
        offered = _next(agent, tenant_a.client)
    assert offered is not None
    assert offered.pk == chat.pk


def test_a_push_queue_offers_nothing_while_closed_and_hands_out_once_open(tenant_a, db):
    # given an available agent and a push queue with split shifts
    engagement, queue = _desk(tenant_a.client, routing="push")
    agent = make_agent(engagement)
    # when a ticket arrives in the gap, then nobody is given it
    with at(13):
        ticket = add_item(queue)
    with client_scope(clients=[tenant_a.client.pk]):
        waiting = WorkItem.objects.get(pk=ticket.pk)
    assert (waiting.status, waiting.assignee_id) == ("queued", None)
    # when the agent frees up in the gap, still nothing; once the queue opens, it is given
    with at(15):
        assert services.offer_waiting(agent=agent, client_ids=[tenant_a.client.pk]) == 0
    with at(16, 5):
        assert services.offer_waiting(agent=agent, client_ids=[tenant_a.client.pk]) == 1
    with client_scope(clients=[tenant_a.client.pk]):
        given = WorkItem.objects.get(pk=ticket.pk)
    assert (given.status, given.assignee_id) == ("assigned", agent.pk)


def test_push_on_arrival_gives_the_item_when_the_queue_is_open(tenant_a, db):
    engagement, queue = _desk(tenant_a.client, routing="push")
    agent = make_agent(engagement)
    with at(9):
        ticket = add_item(queue)
    with client_scope(clients=[tenant_a.client.pk]):
        assert WorkItem.objects.get(pk=ticket.pk).assignee_id == agent.pk


def test_the_sla_due_time_of_a_split_shift_queue_skips_the_gap(tenant_a, db):
    # given a one-hour first-response target on a 24/7 engagement
    engagement, split = _desk(tenant_a.client)
    always = make_queue(engagement, name="Always")
    # when a ticket arrives at 11:30 in each queue
    with at(11, 30):
        in_split = add_item(split)
        in_always = add_item(always)
    # then the split-shift queue's clock stops at 12:00 and runs again at 16:00
    assert in_split.response_due_at == MONDAY + timedelta(hours=16, minutes=30)
    assert in_split.response_at_risk_at == MONDAY + timedelta(hours=16, minutes=18)
    # while the engagement's own clock runs round the clock
    assert in_always.response_due_at == MONDAY + timedelta(hours=12, minutes=30)


def test_an_item_arriving_while_its_queue_is_closed_starts_its_clock_at_the_opening(tenant_a, db):
    _, split = _desk(tenant_a.client)
    with at(21):
        ticket = add_item(split)
    assert ticket.response_due_at == MONDAY + timedelta(days=1, hours=9)


def test_get_next_orders_across_queues_by_business_time_left(tenant_a, db):
    # given, in one engagement, a ticket due 16:20 in the split-shift queue (30 business
    # minutes left at 11:50) and one due 12:45 in a 24/7 queue (55 minutes left)
    engagement, split = _desk(tenant_a.client)
    always = make_queue(engagement, name="Always")
    with at(11, 20):
        tight = add_item(split)
    with at(11, 45):
        add_item(always)
    assert tight.response_due_at == MONDAY + timedelta(hours=16, minutes=20)
    agent = make_agent(engagement)
    # when the agent asks at 11:50, then the ticket with less business time left comes first
    with at(11, 50):
        offered = _next(agent, tenant_a.client)
    assert offered is not None
    assert offered.pk == tight.pk


def test_a_live_chat_comes_before_back_office_work_in_a_queue_with_other_hours(tenant_a, db):
    # given a document due soon in the split-shift queue and a chat in a 24/7 queue
    engagement, split = _desk(tenant_a.client)
    chats = make_queue(engagement, name="Chats", work_types=[CHAT.key])
    with at(8):
        add_item(split, work_type=FORM.key)
    with at(11, 40), client_scope(clients=[tenant_a.client.pk]):
        chat = services.create_item(
            actor=None, queue=chats, work_type=CHAT.key, payload={"visitor": "Maria"}
        )
    agent = make_agent(engagement, skills={"keying": 2}, capacity={"chat": 3, "back_office": 1})
    # when the agent asks while both queues are open, then the chat is offered first
    with at(11, 41):
        offered = _next(agent, tenant_a.client)
    assert offered is not None
    assert offered.pk == chat.pk


def test_a_wait_on_the_client_is_taken_off_in_the_queues_hours(tenant_a, db):
    # given a ticket taken and put to wait on the client at 11:30 in the split-shift queue
    engagement, split = _desk(tenant_a.client)
    agent = make_agent(engagement)
    with at(11, 15):
        ticket = add_item(split)
        _next(agent, tenant_a.client)
    with at(11, 30), client_scope(clients=[tenant_a.client.pk]):
        ticket = services.transition(actor=None, item=ticket, action="start")
        ticket = services.transition(actor=None, item=ticket, action="wait", waiting_on="client")
    due_before = ticket.response_due_at
    # when the client answers at 17:00
    with at(17), client_scope(clients=[tenant_a.client.pk]):
        ticket = services.transition(actor=None, item=ticket, action="resume")
    # then only the queue's open time waited counts: 11:30-12:00 and 16:00-17:00
    assert ticket.sla_paused_seconds == 90 * 60
    assert due_before == MONDAY + timedelta(hours=16, minutes=15)
    assert ticket.response_due_at == MONDAY + timedelta(hours=17, minutes=45)


def test_a_leads_assignment_from_a_closed_queue_is_refused_saying_when_it_opens(tenant_a, db):
    engagement, queue = _desk(tenant_a.client)
    agent = make_agent(engagement)
    with at(13):
        ticket = add_item(queue)
        with client_scope(clients=[tenant_a.client.pk]), pytest.raises(InvalidInput) as refused:
            services.assign(actor=None, item=ticket, agent=agent)
    assert refused.value.fields["reasons"] == [
        "The queue “Split” is closed now; it opens Monday 1 March at 16:00."
    ]
    with client_scope(clients=[tenant_a.client.pk]):
        assert WorkItem.objects.get(pk=ticket.pk).assignee_id is None


def test_the_assign_picker_offers_nobody_while_the_queue_is_closed_and_says_why(tenant_a, db):
    # the lead's picker must not list agents whom `assign` would refuse
    from tercero.delivery.work import assignable

    engagement, queue = _desk(tenant_a.client)
    make_agent(engagement)
    with at(13):
        ticket = add_item(queue)
        with client_scope(clients=[tenant_a.client.pk]):
            closed = assignable.eligible_agents(item=ticket)
    with at(17), client_scope(clients=[tenant_a.client.pk]):
        open_now = assignable.eligible_agents(item=ticket)
    assert closed.candidates == []
    assert closed.closed == "Closed; opens 16:00"
    assert open_now.closed == ""
    assert len(open_now.candidates) == 1
