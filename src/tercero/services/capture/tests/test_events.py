"""Data capture's outbox event: a keyed document's counts, written when its item is
resolved, in the same transaction, and nothing of what was keyed."""

import json

import pytest

from tercero.delivery.work import event_types
from tercero.delivery.work import services as work
from tercero.delivery.work.models import WorkEvent
from tercero.delivery.work.tests.conftest import live_engagement, make_agent, make_queue
from tercero.platform.errors import InvalidInput
from tercero.platform.tenancy.scoping import client_scope

DOCUMENT = {
    "document_ref": "CLM-2291",
    "document_kind": "claim",
    "fields_total": 40,
    "fields_keyed": 40,
    "fields_rejected": 3,
    "customer_name": "Maria Santos",
    "customer_national_id": "QQ123456C",
}


@pytest.fixture
def keying(tenant_a):
    engagement = live_engagement(tenant_a.client, name="Claims keying")
    queue = make_queue(engagement, name="Claims", work_types=["capture.document"])
    agent = make_agent(engagement, skills={"data_entry": 2})
    with client_scope(clients=[tenant_a.client]):
        yield queue, agent


def _started(tenant, queue, agent, payload):
    item = work.create_item(
        actor=tenant.client_user, queue=queue, work_type="capture.document", payload=payload
    )
    item = work.assign(actor=tenant.team_lead, item=item, agent=agent)
    return work.transition(actor=agent.user, item=item, action="start")


def _capture_events() -> list[WorkEvent]:
    found = list(WorkEvent.objects.filter(kind__startswith="capture.").order_by("id"))
    for event in found:
        event_types.find(event.kind).schema.model_validate(event.data)
    return found


def test_a_resolved_document_publishes_capture_document_keyed_with_its_counts(tenant_a, keying):
    # given a claim form whose 40 fields are keyed, 3 of them rejected by validation
    queue, agent = keying
    item = _started(tenant_a, queue, agent, DOCUMENT)
    # when the agent resolves its item
    work.transition(
        actor=agent.user, item=item, action="resolve", resolution="Keyed into Guidewire"
    )
    # then capture.document.keyed carries the counts and the kind of document only
    [event] = _capture_events()
    assert (event.kind, event.item_id, event.actor_id) == (
        "capture.document.keyed",
        item.pk,
        agent.user.pk,
    )
    assert event.data == {
        "item_id": item.pk,
        "document_kind": "claim",
        "fields_total": 40,
        "fields_keyed": 40,
        "fields_rejected": 3,
    }
    written = json.dumps(event.data)
    assert [word for word in ("Maria", "QQ123456C", "CLM-2291") if word in written] == []


def test_a_document_not_fully_keyed_publishes_nothing(tenant_a, keying):
    # given a document with fields still to key
    queue, agent = keying
    item = _started(tenant_a, queue, agent, {**DOCUMENT, "fields_keyed": 39, "fields_rejected": 0})
    # when the agent tries to resolve it
    with pytest.raises(InvalidInput, match="not complete"):
        work.transition(actor=agent.user, item=item, action="resolve", resolution="Keyed")
    # then no capture event is written
    assert _capture_events() == []


def test_a_cancelled_document_publishes_nothing(tenant_a, keying):
    # given a document being keyed
    queue, agent = keying
    item = _started(tenant_a, queue, agent, DOCUMENT)
    # when it is cancelled instead
    work.transition(actor=tenant_a.team_lead, item=item, action="cancel", reason="Duplicate scan")
    # then no capture event is written
    assert _capture_events() == []
