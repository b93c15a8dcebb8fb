"""Get next offers live contacts first (issue 20): a customer waiting on a chat or a call
is answered within seconds, so within a priority a live contact comes before any
back-office deadline, live contacts keep the order of their own answer targets, and an
agent at capacity on a channel is offered work from the others."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from pydantic import BaseModel, Field

from tercero.delivery.work import registry, services
from tercero.delivery.work.registry import WorkType
from tercero.delivery.work.tests.conftest import FORM, live_engagement, make_agent, make_queue
from tercero.platform.tenancy.scoping import client_scope


class ChatPayload(BaseModel):
    visitor: str = Field(min_length=1)


CHAT = WorkType(
    key="test.chat",
    title="Chat",
    payload_schema=ChatPayload,
    office="front",
    channel="chat",
    sla_metrics=("resolution",),
)
CALL = WorkType(
    key="test.call",
    title="Call",
    payload_schema=ChatPayload,
    office="front",
    channel="phone",
    sla_metrics=("resolution",),
)


@pytest.fixture(autouse=True)
def live_types():
    registry.register(CHAT)
    registry.register(CALL)
    yield
    registry.unregister(CHAT.key)
    registry.unregister(CALL.key)


def _desk(client, **engagement):
    eng = live_engagement(client, **engagement)
    queue = make_queue(eng, name="Everything", work_types=[FORM.key, CHAT.key, CALL.key])
    return eng, queue


def _add(queue, work_type, name, **fields):
    payload = {"document": name, "fields_total": 2} if work_type is FORM else {"visitor": name}
    with client_scope(clients=[queue.client_id]):
        return services.create_item(
            actor=None, queue=queue, work_type=work_type.key, payload=payload, **fields
        )


def _next(agent, client):
    item = services.get_next(agent=agent, client_ids=[client.pk])
    return None if item is None else item.work_type


def test_get_next_offers_a_waiting_chat_before_older_back_office_documents(tenant_a, db):
    eng, queue = _desk(tenant_a.client)
    start = timezone.now()
    with time_machine.travel(start - timedelta(hours=2), tick=False):
        for n in range(5):  # documents due today, queued two hours ago
            _add(queue, FORM, f"doc-{n}", priority=3)
    with time_machine.travel(start, tick=False):
        chat = _add(queue, CHAT, "visitor-1", priority=3)
    agent = make_agent(eng, skills={"keying": 2}, capacity={"chat": 3, "back_office": 1})
    with time_machine.travel(start + timedelta(seconds=5), tick=False):
        first = services.get_next(agent=agent, client_ids=[tenant_a.client.pk])
    assert first is not None
    assert first.pk == chat.pk


@pytest.mark.parametrize(
    ("targets", "order"),
    [
        # the defaults: a call is answered within 20 s, a chat within 30 s, so a call
        # that rang 5 s after the chat began is due first
        ([], [CALL.key, CHAT.key]),
        # the engagement's own target (2 minutes for both): first come, first served
        ([{"metric": "answer", "target_seconds": 120}], [CHAT.key, CALL.key]),
    ],
)
def test_live_contacts_keep_the_order_of_their_own_answer_targets(tenant_a, db, targets, order):
    eng, queue = _desk(tenant_a.client, sla_targets=targets)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _add(queue, CHAT, "visitor", priority=3)
    with time_machine.travel(start + timedelta(seconds=5), tick=False):
        _add(queue, CALL, "caller", priority=3)
    agent = make_agent(eng, capacity={"chat": 3, "phone": 3})
    assert [_next(agent, tenant_a.client) for _ in range(2)] == order


def test_an_agent_at_capacity_for_chat_is_offered_back_office_work(tenant_a, db):
    eng, queue = _desk(tenant_a.client)
    for n in range(4):
        _add(queue, CHAT, f"visitor-{n}", priority=3)
    _add(queue, FORM, "doc", priority=3)
    _add(queue, FORM, "doc-2", priority=3)
    agent = make_agent(eng, skills={"keying": 2}, capacity={"chat": 3, "back_office": 1})
    got = [_next(agent, tenant_a.client) for _ in range(5)]
    # three chats (chat capacity 3), then one document (back office capacity 1), then
    # nothing: the fourth chat and the second document wait for someone with room
    assert got == [CHAT.key, CHAT.key, CHAT.key, FORM.key, None]
