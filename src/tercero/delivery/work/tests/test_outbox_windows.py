"""The outbox reads each batch in an id window above where it stands: it never skips an
event (gaps in the ids, an event committed late below ones already handled), several
workers still take each event once, and the lag is read without an anti-join of the
whole backlog."""

import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tercero.delivery.work import outbox
from tercero.delivery.work.models import ConsumerPosition, EventReceipt, WorkEvent, WorkItem
from tercero.delivery.work.tests.conftest import add_item, live_engagement, make_queue
from tercero.delivery.work.tests.outbox_consumers import all_event_ids, consume_at_once
from tercero.platform.tenancy.scoping import all_clients_scope


def _events_at(item: WorkItem, ids: list[int], *, at=None, kind="item.commented") -> list[int]:
    """Work events about `item` with exactly these ids (a gap is ids never used)."""
    at = at or timezone.now()
    with all_clients_scope():
        WorkEvent.objects.bulk_create(
            WorkEvent(
                id=pk,
                client_id=item.client_id,
                engagement_id=item.engagement_id,
                item=item,
                kind=kind,
                data={"n": pk},
                at=at,
            )
            for pk in ids
        )
    return ids


def _rolled_back(item: WorkItem, ids: list[int]) -> None:
    """An intake that wrote events with these ids and then failed."""
    with transaction.atomic():
        _events_at(item, ids)
        raise RuntimeError("the intake failed")


def _receipt(name: str, ids: list[int], item: WorkItem) -> None:
    with all_clients_scope():
        EventReceipt.objects.bulk_create(
            EventReceipt(
                client_id=item.client_id, consumer=name, event_id=pk, handled_at=timezone.now()
            )
            for pk in ids
        )


def _receipted(name: str) -> list[int]:
    with all_clients_scope():
        return sorted(EventReceipt.objects.filter(consumer=name).values_list("event_id", flat=True))


@pytest.fixture
def item(tenant_a) -> WorkItem:
    return add_item(make_queue(live_engagement(tenant_a.client)))


@pytest.mark.parametrize("batches", [True, False], ids=["batch consumer", "one-event consumer"])
def test_gaps_in_the_ids_far_wider_than_any_window_skip_no_event(item, recorder, batches):
    # given: events separated by gaps of 50,000 and 3,000 unused ids, and a batch of 10
    # (windows of 20 ids first, 640 at the widest)
    first = all_event_ids()[-1] + 1
    ids = _events_at(item, [first, first + 1, *range(first + 50_000, first + 50_015)])
    ids += _events_at(item, [first + 53_000, first + 53_001])
    consumer = recorder("test-gaps", batches=batches)

    # when
    handled = outbox.consume("test-gaps", batch_size=10)

    # then: every event once, nothing left
    assert handled == len(all_event_ids()) == 21
    assert sorted(consumer.handled) == all_event_ids()
    assert consumer.each_once()
    assert outbox.consume("test-gaps", batch_size=10) == 0


def test_ids_left_by_rolled_back_transactions_are_walked_past(item, recorder):
    # given: events, then a transaction's 3,000 events rolled back, then more events
    consumer = recorder("test-rolled-back")
    before = all_event_ids()
    with pytest.raises(RuntimeError):
        _rolled_back(item, list(range(before[-1] + 1, before[-1] + 3001)))
    after = _events_at(item, [before[-1] + 3001, before[-1] + 3002])

    # when
    handled = outbox.consume("test-rolled-back", batch_size=10)

    # then
    assert handled == len(before) + 2
    assert sorted(consumer.handled) == [*before, *after] == all_event_ids()


def test_an_event_committed_late_below_handled_ones_is_still_handled(item, recorder):
    # given: 2,000 events handled, a hole left at the bottom by a transaction still open
    consumer = recorder("test-late")
    low = all_event_ids()[-1] + 1
    _events_at(item, list(range(low + 1, low + 2001)))
    assert outbox.consume("test-late", batch_size=100) == 2002

    # when: that transaction commits its event with an id below all of them, and the
    # consumer runs again (a new call, from its mark, through two windows' worth of
    # handled events, twenty batches)
    _events_at(item, [low])
    handled = outbox.consume("test-late", batch_size=100)

    # then: it is handled, once, and the mark has not passed it before that
    assert handled == 1
    assert sorted(consumer.handled) == all_event_ids()
    assert consumer.each_once()
    with all_clients_scope():
        assert ConsumerPosition.objects.get(name="test-late").last_event_id == 0


def test_the_mark_passes_settled_handled_events_and_stops_before_the_first_pending(item, recorder):
    # given: an hour-old stretch of events with gaps, one of them poisoned
    an_hour_ago = timezone.now() - timedelta(hours=1)
    low = all_event_ids()[-1] + 1
    ids = _events_at(item, [low + step * 700 for step in range(30)], at=an_hour_ago)
    poisoned = ids[21]

    def handle(events):
        if any(event.pk == poisoned for event in events):
            raise RuntimeError("cannot handle this one")

    outbox.register_consumer(
        outbox.Consumer(name="test-mark", handle=lambda e: handle([e]), handle_batch=handle)
    )
    try:
        # when
        handled = outbox.consume("test-mark", batch_size=10)
        lag = {entry.consumer: entry for entry in outbox.lag()}["test-mark"]
    finally:
        outbox.unregister_consumer("test-mark")

    # then: the mark stands just below the poisoned event, which shows as the lag
    assert handled == len(all_event_ids()) - 1
    with all_clients_scope():
        assert ConsumerPosition.objects.get(name="test-mark").last_event_id == poisoned - 1
    assert (lag.waiting, lag.oldest_waiting_at) == (1, an_hour_ago)


def test_lag_counts_a_backlog_behind_a_long_handled_stretch_by_kind(item):
    # given: 1,500 handled events, then 7 waiting of the consumer's kind among others
    an_hour_ago = timezone.now() - timedelta(hours=1)
    low = all_event_ids()[-1] + 1
    handled = _events_at(item, list(range(low, low + 1500)))
    waiting = _events_at(item, [low + 5000 + n * 900 for n in range(7)], at=an_hour_ago)
    _events_at(item, [low + 2000, low + 9000], kind="item.escalated")
    outbox.register_consumer(
        outbox.Consumer(
            name="test-kinds", handle=lambda e: None, kinds=frozenset({"item.commented"})
        )
    )
    _receipt("test-kinds", handled, item)
    try:
        # when
        lag = {entry.consumer: entry for entry in outbox.lag()}["test-kinds"]
    finally:
        outbox.unregister_consumer("test-kinds")

    # then
    assert lag.waiting == len(waiting) == 7
    assert lag.oldest_waiting_at == an_hour_ago


def test_receipts_of_kinds_a_consumer_no_longer_takes_hide_no_pending_event(item):
    # given: a consumer that once took escalations too: 40 of them receipted, and 40
    # comments among them, one not handled yet
    low = all_event_ids()[-1] + 1
    escalations = _events_at(item, list(range(low, low + 80, 2)), kind="item.escalated")
    comments = _events_at(item, list(range(low + 1, low + 81, 2)))
    _receipt("test-narrowed", escalations + comments[:17] + comments[18:], item)
    consumer = outbox.Consumer(
        name="test-narrowed", handle=lambda e: None, kinds=frozenset({"item.commented"})
    )

    # when
    with all_clients_scope():
        found, _ = outbox.walk(consumer, after=low - 1, limit=10)

    # then
    assert [event.pk for event in found] == [comments[17]]


def test_a_run_takes_what_was_waiting_when_it_began_and_leaves_later_events_to_the_next(
    item, recorder
):
    # given: 30 events waiting, and a consumer whose first batch sees 25 more written
    low = all_event_ids()[-1] + 1
    waiting = [*all_event_ids(), *_events_at(item, list(range(low, low + 30)))]
    consumer = recorder("test-inflow")
    original_note = consumer.note

    def note_while_more_arrive(events):
        if len(consumer.handled) == 0:
            _events_at(item, list(range(low + 30, low + 55)))
        original_note(events)

    outbox.unregister_consumer("test-inflow")
    outbox.register_consumer(
        outbox.Consumer(
            name="test-inflow",
            handle=lambda e: note_while_more_arrive([e]),
            handle_batch=note_while_more_arrive,
        )
    )

    # when
    first = outbox.consume("test-inflow", batch_size=10)
    second = outbox.consume("test-inflow", batch_size=10)

    # then: the first run handed its worker back once the 32 waiting were handled
    assert (first, second) == (len(waiting), 25)
    assert sorted(consumer.handled) == all_event_ids()
    assert consumer.each_once()


@pytest.mark.postgres
def test_two_workers_walking_gaps_and_handled_stretches_take_each_event_once(
    item, recorder, transactional_db
):
    # given: 1,500 events with gaps of 2,000 ids, every other one of the first half
    # already handled, and a consumer that holds each batch's locks for a while
    low = all_event_ids()[-1] + 1
    ids = [low + n + (n // 100) * 2000 for n in range(1500)]
    _events_at(item, ids)
    shared = recorder("test-two-walkers", pause_seconds=0.01)
    _receipt("test-two-walkers", ids[:750:2], item)

    # when
    counts = consume_at_once("test-two-walkers", batch_size=50)

    # then: every event that had no receipt was handled once, by one worker or the other
    receipted_before = set(ids[:750:2])
    assert sorted(shared.handled) == [pk for pk in all_event_ids() if pk not in receipted_before]
    assert shared.each_once()
    assert sum(counts) == len(shared.handled)
    assert min(counts) > 0, counts
    assert _receipted("test-two-walkers") == all_event_ids()


@pytest.mark.postgres
def test_the_batch_read_walks_the_primary_key_as_the_application_role(item):
    # given: 3,000 events waiting for a consumer
    low = all_event_ids()[-1] + 1
    _events_at(item, list(range(low, low + 3000)))
    consumer = outbox.Consumer(name="test-plan", handle=lambda e: None)

    # when: the plan of one window's read, with its locks, as it ran
    with all_clients_scope(), transaction.atomic():
        window = (
            outbox.pending(consumer, after=low)
            .filter(id__lte=low + 1000)
            .select_for_update(skip_locked=True)[:500]
        )
        plan = window.explain(analyze=True)

    # then: the events are read through the primary key within the window's two bounds,
    # a thousand rows, not the 3,000 waiting; anything sorted fits in memory
    lines = plan.splitlines()
    on_key = [n for n, line in enumerate(lines) if "on work_workevent_pkey" in line]
    assert len(on_key) == 1, plan
    bounds = re.search(
        r"Index Cond: \(\(id > '?(\d+)'?\S*\) AND \(id <= '?(\d+)'?", lines[on_key[0] + 1]
    )
    assert bounds, plan
    assert (int(bounds[1]), int(bounds[2])) == (low, low + 1000)
    assert re.search(r"actual time=\S+ rows=1000 ", lines[on_key[0]]), plan
    assert "external" not in plan, plan


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(st.integers(min_value=1, max_value=900), min_size=1, max_size=40),
    handled=st.sets(st.integers(min_value=0, max_value=39)),
    after=st.integers(min_value=0, max_value=20_000),
    limit=st.integers(min_value=1, max_value=12),
)
def test_a_walk_returns_exactly_the_first_pending_events_above_where_it_starts(
    item, steps, handled, after, limit
):
    with transaction.atomic():  # each example's events are rolled back after it
        # given: events at ids spaced by `steps`, some of them receipted
        low = all_event_ids()[-1]
        ids = [low + sum(steps[: n + 1]) for n in range(len(steps))]
        _events_at(item, ids)
        done = [pk for n, pk in enumerate(ids) if n in handled]
        _receipt("test-walk", done, item)
        consumer = outbox.Consumer(name="test-walk", handle=lambda e: None)
        start = low + after // 20

        # when
        with all_clients_scope():
            found, reached = outbox.walk(consumer, after=start, limit=limit)

        # then: the first `limit` events above the start without a receipt, in order, and
        # the walk reached the last of them (or the head when there were fewer)
        expected = [pk for pk in ids if pk > start and pk not in done][:limit]
        assert [event.pk for event in found] == expected
        if len(expected) == limit:
            assert reached == expected[-1]
        else:
            assert reached == (ids[-1] if expected else None)
        transaction.set_rollback(True)
