"""An item closed because the record it stands for has ended (a pay run finalised or
cancelled): from any open status, in the caller's transaction, with the same checks and
the same outbox event as an agent's move."""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from tercero.delivery.work import lifecycle, selectors, services
from tercero.delivery.work.models import WorkItem
from tercero.delivery.work.tests.conftest import FORM, add_item, live_engagement, make_queue
from tercero.platform.errors import InvalidInput
from tercero.platform.tenancy.scoping import client_scope

TARGETS = [{"metric": "turnaround", "target_seconds": 8 * 3600}]
KEYED = {"document": "scan-1.pdf", "fields_total": 3, "fields_keyed": 3}


@pytest.fixture
def queue(tenant_a):
    engagement = live_engagement(tenant_a.client, sla_targets=TARGETS)
    queue = make_queue(engagement)
    with client_scope(clients=[tenant_a.client]):
        yield queue


def _close(item, action: str, text: str):
    with transaction.atomic():
        return services.close_for_record(actor=None, item_id=item.pk, action=action, text=text)


def _kinds(item) -> list[str]:
    return [event.kind for event in selectors.events_of(item=item)]


def test_a_queued_item_is_resolved_for_its_record_with_the_same_event(queue):
    # protects: an item left open once the work it stands for is done elsewhere
    item = add_item(queue, work_type=FORM.key, payload=KEYED)
    closed = _close(item, "resolve", "Keyed by the capture run.")
    item.refresh_from_db()
    assert closed.pk == item.pk
    assert item.status == lifecycle.RESOLVED
    assert item.resolution == "Keyed by the capture run."
    assert item.sla_met is True
    assert item.version == 2
    assert _kinds(item) == ["item.created", "item.queued", "item.resolved"]
    last = selectors.events_of(item=item).last()
    assert last is not None
    assert last.data == {
        "from": "queued",
        "to": "resolved",
        "for_record": True,
        "sla_met": True,
    }


def test_an_item_waiting_on_the_client_is_judged_with_the_wait_taken_off(queue):
    # protects: a record ending while its item waits, the wait counted against the SLA
    item = add_item(queue, work_type=FORM.key, payload=KEYED)
    started = timezone.now()
    WorkItem.objects.filter(pk=item.pk).update(
        status=lifecycle.WAITING_CLIENT, waiting_on="client", waiting_since=started
    )
    due = item.due_at
    with time_machine.travel(due + timedelta(hours=1), tick=False):
        _close(item, "resolve", "Answered by the client's file.")
    item.refresh_from_db()
    assert item.status == lifecycle.RESOLVED
    assert item.waiting_since is None
    assert item.due_at > due + timedelta(hours=1)
    assert item.sla_met is True


def test_the_work_types_completion_check_still_decides(queue):
    # protects: closing an item whose own work is not finished
    item = add_item(queue, work_type=FORM.key, payload={"document": "d", "fields_total": 3})
    with pytest.raises(InvalidInput) as incomplete:
        _close(item, "resolve", "Done.")
    assert incomplete.value.fields["checks"] == ["3 fields are not keyed yet."]
    item.refresh_from_db()
    assert item.status == lifecycle.QUEUED
    assert _kinds(item) == ["item.created", "item.queued"]


def test_an_item_no_longer_open_is_left_as_it_is(tenant_a, queue):
    # protects: a second closing event, or a resolved item cancelled after the fact
    item = add_item(queue)
    services.transition(actor=tenant_a.team_lead, item=item, action="cancel")
    assert _close(item, "resolve", "Done.") is None
    assert _close(item, "cancel", "Dropped.") is None
    item.refresh_from_db()
    assert item.status == lifecycle.CANCELLED
    assert _kinds(item) == ["item.created", "item.queued", "item.cancelled"]


def test_a_record_only_resolves_or_cancels_its_item(queue):
    # protects: a record reopening, parking or reassigning its item behind the agents
    item = add_item(queue)
    for action in ("reopen", "wait", "assign", "close"):
        with pytest.raises(InvalidInput) as refused:
            _close(item, action, "Again.")
        assert refused.value.fields == {"action": "resolve or cancel"}
    item.refresh_from_db()
    assert item.status == lifecycle.QUEUED
    assert _kinds(item) == ["item.created", "item.queued"]
