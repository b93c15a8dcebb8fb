"""The outbox drains in batches: a backlog goes in one call, several workers share it
without handling an event twice, and one bad event holds back no other."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tercero.delivery.work import outbox
from tercero.delivery.work.models import EventReceipt, WorkEvent, WorkItem
from tercero.delivery.work.tests.conftest import add_item, live_engagement, make_queue
from tercero.delivery.work.tests.outbox_consumers import all_event_ids, consume_at_once
from tercero.platform.audit.models import AuditEvent
from tercero.platform.audit.verify import verify_chain
from tercero.platform.tenancy.scoping import all_clients_scope


def _backlog(item: WorkItem, count: int, *, at=None) -> list[int]:
    """`count` more work events about `item`, written at once; returns their ids."""
    at = at or timezone.now()
    with all_clients_scope():
        made = WorkEvent.objects.bulk_create(
            WorkEvent(
                client_id=item.client_id,
                engagement_id=item.engagement_id,
                item=item,
                kind="item.commented",
                data={"n": number},
                at=at,
            )
            for number in range(count)
        )
        return sorted(event.pk for event in made)


def _chained_work_event_ids() -> list[int]:
    with all_clients_scope():
        payloads = AuditEvent.objects.filter(action__startswith="work.").values_list(
            "payload", flat=True
        )
        return sorted(payload["work_event_id"] for payload in payloads)


def test_a_backlog_larger_than_one_batch_is_drained_in_one_call(tenant_a):
    # given: 2,502 events waiting, five batches and a bit
    item = add_item(make_queue(live_engagement(tenant_a.client)))
    _backlog(item, 2500)

    # when
    handled = outbox.consume("audit")

    # then: every event reached the audit chain once, in event order, and the chain holds
    assert handled == 2502
    assert _chained_work_event_ids() == all_event_ids()
    report = verify_chain()
    assert report.is_intact, report.problem
    with all_clients_scope():
        assert report.checked == AuditEvent.objects.count()
    with all_clients_scope():
        assert EventReceipt.objects.filter(consumer="audit").count() == 2502
    assert outbox.consume("audit") == 0


def test_a_drain_stops_when_its_time_is_up_and_the_next_call_goes_on(tenant_a, recorder):
    # given
    item = add_item(make_queue(live_engagement(tenant_a.client)))
    _backlog(item, 48)
    slow = recorder("test-slow", pause_seconds=0.05)

    # when: a budget shorter than the pause lets one batch through, and only one
    first = outbox.consume("test-slow", batch_size=10, max_seconds=0.01)
    rest = outbox.consume("test-slow", batch_size=10)

    # then
    assert (first, rest) == (10, 40)
    assert sorted(slow.handled) == all_event_ids()


def test_consumers_drain_a_batch_each_in_turn_so_none_waits_on_anothers_backlog(tenant_a, recorder):
    # given: 40 events waiting for two consumers
    item = add_item(make_queue(live_engagement(tenant_a.client)))
    _backlog(item, 38)
    batches: list[str] = []
    first = recorder("test-first", log=batches)
    second = recorder("test-second", log=batches)

    # when: a run of every consumer, 10 events a batch
    handled = outbox.consume_all(batch_size=10)

    # then: the second consumer's first batch came right after the first's, not after
    # the first had drained its whole backlog; each took every event once
    assert batches == ["test-first", "test-second"] * 4
    assert (handled["test-first"], handled["test-second"], handled["audit"]) == (40, 40, 40)
    assert sorted(first.handled) == sorted(second.handled) == all_event_ids()
    assert outbox.consume_all(batch_size=10)["test-first"] == 0


def test_a_run_of_every_consumer_keeps_to_its_time_whatever_the_number_of_consumers(
    tenant_a, recorder
):
    # given: three slow consumers with 100 events each waiting
    item = add_item(make_queue(live_engagement(tenant_a.client)))
    _backlog(item, 98)
    slow = [recorder(f"test-slow-{n}", pause_seconds=0.2) for n in range(3)]

    # when: one run with half a second, 10 events a batch
    handled = outbox.consume_all(batch_size=10, max_seconds=0.5)

    # then: one round or two of every consumer, not half a second each; the rest waits
    assert [handled[recorder.name] for recorder in slow] in ([10] * 3, [20] * 3)
    assert outbox.consume_all()["test-slow-2"] == 100 - handled["test-slow-2"]


@pytest.mark.postgres
def test_two_workers_draining_at_once_handle_each_event_exactly_once(
    tenant_a, recorder, transactional_db
):
    # given: 2,002 events and a consumer that holds each batch's locks for a while
    item = add_item(make_queue(live_engagement(tenant_a.client)))
    _backlog(item, 2000)
    shared = recorder("test-shared-batches", pause_seconds=0.02)

    # when
    counts = consume_at_once("test-shared-batches", batch_size=100)

    # then: every event once, and both workers took a share (SKIP LOCKED, no waiting)
    assert sorted(shared.handled) == all_event_ids()
    assert all(len(workers) == 1 for workers in shared.handled.values())
    assert sum(counts) == 2002
    assert min(counts) > 0, counts
    assert len({w for workers in shared.handled.values() for w in workers}) == 2
    with all_clients_scope():
        receipts = EventReceipt.objects.filter(consumer="test-shared-batches")
        assert receipts.count() == receipts.values("event").distinct().count() == 2002


@pytest.mark.postgres
def test_two_workers_chaining_at_once_put_each_event_in_the_audit_chain_once(
    tenant_a, transactional_db
):
    # given
    item = add_item(make_queue(live_engagement(tenant_a.client)))
    _backlog(item, 3000)

    # when
    consume_at_once("audit", batch_size=200)

    # then
    assert _chained_work_event_ids() == all_event_ids()
    report = verify_chain()
    assert report.is_intact, report.problem
    with all_clients_scope():
        assert report.checked == AuditEvent.objects.count()


def test_one_bad_event_in_a_batch_holds_back_no_other(tenant_a):
    # given: a consumer that fails on one event, in a batch or alone
    item = add_item(make_queue(live_engagement(tenant_a.client)))
    ids = _backlog(item, 30)
    bad = ids[12]
    handled: list[int] = []

    def handle_batch(events):
        if any(event.pk == bad for event in events):
            raise RuntimeError("cannot handle this one")
        handled.extend(event.pk for event in events)

    outbox.register_consumer(
        outbox.Consumer(
            name="test-poisoned", handle=lambda e: handle_batch([e]), handle_batch=handle_batch
        )
    )
    try:
        # when
        count = outbox.consume("test-poisoned", batch_size=10)
        again = outbox.consume("test-poisoned", batch_size=10)
        lag = {entry.consumer: entry for entry in outbox.lag()}["test-poisoned"]
    finally:
        outbox.unregister_consumer("test-poisoned")

    # then: 31 of 32 handled once; the bad one waits, and shows as lag
    assert (count, again) == (31, 0)
    assert sorted(handled) == [pk for pk in all_event_ids() if pk != bad]
    with all_clients_scope():
        receipted = EventReceipt.objects.filter(consumer="test-poisoned")
        assert sorted(receipted.values_list("event_id", flat=True)) == sorted(handled)
        assert WorkEvent.objects.get(pk=bad).at == lag.oldest_waiting_at
    assert lag.waiting == 1


def test_lag_names_each_consumers_oldest_unhandled_event(tenant_a, recorder):
    # given: two events of an hour ago, then the audit consumer catches up on one
    an_hour_ago = timezone.now() - timedelta(hours=1)
    item = add_item(make_queue(live_engagement(tenant_a.client)))
    outbox.consume("audit")
    _backlog(item, 2, at=an_hour_ago)
    recorder("test-idle")

    # when
    now = timezone.now()
    lag = {entry.consumer: entry for entry in outbox.lag(now=now)}

    # then
    assert lag["audit"].waiting == 2
    assert lag["audit"].oldest_waiting_at == an_hour_ago
    assert lag["audit"].oldest_waiting_seconds == pytest.approx(3600, abs=1)
    assert lag["test-idle"].waiting == 4
    assert lag["test-idle"].oldest_waiting_seconds >= 3600
    outbox.consume("audit")
    after = {entry.consumer: entry for entry in outbox.lag(now=now)}["audit"]
    assert (after.waiting, after.oldest_waiting_at, after.oldest_waiting_seconds) == (0, None, 0.0)
