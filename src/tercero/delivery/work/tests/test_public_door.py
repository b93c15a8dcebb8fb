"""What the engine offers the services that plug into it instead of its tables: items
found by kind and channel, an item's row locked by its reference, and (for demos only)
an item's past set."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from tercero.delivery.work import demo, locks, selectors
from tercero.delivery.work.tests.conftest import FORM, TICKET, add_item, live_engagement, make_queue
from tercero.platform.tenancy.scoping import client_scope


@pytest.fixture
def queue(tenant_a):
    queue = make_queue(live_engagement(tenant_a.client))
    with client_scope(clients=[tenant_a.client]):
        yield queue


def test_items_are_found_by_any_of_several_kinds_and_by_channel(queue, tenant_a, tenant_b):
    # protects: a service filtering the engine's table itself to find its own items
    # given
    ticket = add_item(queue, channel="chat")
    form = add_item(queue, work_type=FORM.key)
    other = make_queue(live_engagement(tenant_b.client, name="Theirs"))
    add_item(other, channel="chat")
    client_ids = [tenant_a.client.pk]
    # when
    both = selectors.items(client_ids=client_ids, work_types=[TICKET.key, FORM.key])
    forms = selectors.items(client_ids=client_ids, work_types=(FORM.key,))
    chats = selectors.items(client_ids=client_ids, channel="chat")
    none = selectors.items(client_ids=client_ids, work_types=[])
    # then
    assert sorted(item.pk for item in both) == sorted([ticket.pk, form.pk])
    assert [item.pk for item in forms] == [form.pk]
    assert [item.pk for item in chats] == [ticket.pk]
    assert list(none) == []


def test_an_item_is_locked_by_its_reference_within_its_client(queue, tenant_a, tenant_b):
    # protects: a service locking the engine's rows through the model
    # given
    item = add_item(queue, external_ref="call:c-1")
    # when
    with transaction.atomic():
        found = locks.lock_item_by_ref(client_id=tenant_a.client.pk, external_ref="call:c-1")
        missing = locks.lock_item_by_ref(client_id=tenant_a.client.pk, external_ref="call:c-2")
        elsewhere = locks.lock_item_by_ref(client_id=tenant_b.client.pk, external_ref="call:c-1")
    # then
    assert found is not None
    assert found.pk == item.pk
    assert missing is None
    assert elsewhere is None


def test_a_demo_sets_an_items_past_without_an_event(queue):
    # protects: demos writing the engine's table directly to back-date their history
    # given
    item = add_item(queue)
    received = timezone.now() - timedelta(days=3)
    # when
    demo.set_history(
        item_id=item.pk,
        status="closed",
        created_at=received,
        resolved_at=received + timedelta(hours=2),
        sla_met=True,
    )
    # then
    item.refresh_from_db()
    assert (item.status, item.created_at, item.sla_met) == ("closed", received, True)
    assert item.resolved_at == received + timedelta(hours=2)
    assert item.version == 1
    assert [e.kind for e in selectors.events_of(item=item)] == ["item.created", "item.queued"]


def test_a_demo_cannot_set_anything_but_an_items_past(queue):
    # protects: the demo helper becoming a back door for any column
    # given
    item = add_item(queue)
    # when
    with pytest.raises(ValueError, match="not part of an item's history: payload, priority"):
        demo.set_history(item_id=item.pk, priority=1, payload={}, status="closed")
    # then
    item.refresh_from_db()
    assert (item.status, item.priority, item.payload) == (
        "queued",
        3,
        {"subject": "Where is my order?", "customer_language": ""},
    )
