"""Outbox consumers: at least once, idempotently, as fast as intake fills the outbox.

Every change to work writes a `WorkEvent` in its own transaction. A consumer (billing
meters, QA sampling, webhooks, the audit chain) registers a handler here; `consume`
drains everything that is waiting, batch after batch (`consume_all` takes a batch of
each consumer in turn, so one consumer's backlog never holds up another's), and hands
each matching event to the consumer exactly once *per successful transaction*:

- an event is handled in a transaction that also inserts an `EventReceipt`
  (consumer, event) under a unique constraint, so a handler that dies mid-way leaves
  neither receipt nor side effect;
- a batch is taken with `SELECT ... FOR UPDATE SKIP LOCKED` (PostgreSQL), so several
  workers share the outbox: each locks its own events, and receipts are read again once
  the locks are held, so an event that another worker committed a moment ago is skipped.
  SQLite has one writer at a time (IMMEDIATE transactions), so the same code is serial;
- a consumer with `handle_batch` handles a whole batch in one transaction (one receipt
  insert, one call); if that fails, the batch is retried one event at a time so a single
  bad event cannot hold back the others. A consumer with only `handle` gets one
  transaction per event;
- events are chosen as "matching, not yet receipted, id above the low-water mark", so
  an event whose transaction committed late (PostgreSQL assigns ids before commit) is
  still found; the mark only passes events older than `SETTLE` that are all receipted;
- a batch is read within an id window above where the walk stands (`id > low AND id <=
  low + width`), widened while it finds less than a batch and events lie beyond it: as
  the application's role, row-level security keeps "the next 500 pending in id order"
  from stopping early on the primary key, so an unbounded read sorts every event since
  the mark; a window bounds each read to an index range whatever the backlog.

A handler's external side effects (an HTTP call) must themselves be idempotent: the
webhook sender, for one, signs each delivery with the event id so receivers can drop
repeats.
"""

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, Max, Min, OuterRef, QuerySet
from django.utils import timezone

from tercero.delivery.work.models import ConsumerPosition, EventReceipt, WorkEvent
from tercero.platform.ops.selectors import Backlog, waited
from tercero.platform.tenancy.scoping import all_clients_scope

logger = logging.getLogger(__name__)

# No transaction that writes work events stays open this long.
SETTLE = timedelta(minutes=5)
# Events taken per transaction: large enough to amortise the round trips, small enough
# that a batch's locks and its transaction stay short.
BATCH_SIZE = 500
# The id window a read looks in first (twice the batch when that is more); it doubles
# while it finds less than a batch and events lie beyond it, up to the widest: a bounded
# range to anti-join with the receipts, however far a walk goes past handled events.
FIRST_WINDOW = 1_000
WIDEST_WINDOW = 32_000


@dataclass(frozen=True)
class Consumer:
    name: str
    handle: Callable[[WorkEvent], None]
    kinds: frozenset[str] | None = None  # None: every kind
    # handles a batch in one transaction; `handle` is then the one-event fallback
    handle_batch: Callable[[list[WorkEvent]], None] | None = None


_CONSUMERS: dict[str, Consumer] = {}


def register_consumer(consumer: Consumer) -> Consumer:
    _CONSUMERS[consumer.name] = consumer
    return consumer


def unregister_consumer(name: str) -> None:
    _CONSUMERS.pop(name, None)


def consumers() -> list[Consumer]:
    return list(_CONSUMERS.values())


def pending(consumer: Consumer, *, after: int) -> QuerySet[WorkEvent]:
    """Matching events above `after` that `consumer` has no receipt for, in id order."""
    found = WorkEvent.objects.filter(id__gt=after).exclude(
        Exists(EventReceipt.objects.filter(consumer=consumer.name, event=OuterRef("pk")))
    )
    if consumer.kinds is not None:
        found = found.filter(kind__in=consumer.kinds)
    return found.order_by("id")


def head() -> int:
    """The highest work event id there is (0 for none)."""
    return WorkEvent.objects.aggregate(top=Max("id"))["top"] or 0


def walk(
    consumer: Consumer,
    *,
    after: int,
    limit: int,
    up_to: int | None = None,
    lock: bool = False,
    fields: Sequence[str] = (),
) -> tuple[list[WorkEvent], int | None]:
    """The first `limit` pending events of `consumer` above `after` (and at most
    `up_to`, the head by default), in id order, read window by window; `lock` takes them
    FOR UPDATE SKIP LOCKED, `fields` narrows what is loaded. Returns them and the id the
    walk reached: the last one taken when `limit` were found, else the top of the last
    window looked in, every pending event below it taken or held by another worker; None
    when nothing was found up to the head."""
    top = head() if up_to is None else up_to
    found: list[WorkEvent] = []
    low, width = after, max(FIRST_WINDOW, 2 * limit)
    while len(found) < limit and low < top:
        high = min(low + width, top)
        if _is_all_handled(consumer, after=low, up_to=high):
            low, width = high, min(width * 2, max(WIDEST_WINDOW, 2 * limit))
            continue
        window = pending(consumer, after=low).filter(id__lte=high)
        if lock:
            window = window.select_for_update(skip_locked=True)
        if fields:
            window = window.only(*fields)
        found += window[: limit - len(found)]
        low = found[-1].pk if len(found) == limit else high
        width = min(width * 2, max(WIDEST_WINDOW, 2 * limit))
    return found, (low if found else None)


def _is_all_handled(consumer: Consumer, *, after: int, up_to: int) -> bool:
    """Whether nothing in (after, up_to] waits for the consumer: none of its kinds there,
    or as many receipts as events, whatever their kinds (a receipt names one event,
    once). Range counts in one statement, so one snapshot; far cheaper than the anti-join
    over a stretch already handled, which is what a walk from the mark mostly crosses."""
    events = connection.ops.quote_name(WorkEvent._meta.db_table)
    receipts = connection.ops.quote_name(EventReceipt._meta.db_table)
    kinds = sorted(consumer.kinds) if consumer.kinds is not None else []
    matching = (
        f"sum(CASE WHEN kind IN ({', '.join(['%s'] * len(kinds))}) THEN 1 ELSE 0 END)"
        if kinds
        else ("0" if consumer.kinds is not None else "count(*)")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), coalesce({matching}, 0),"
            f" (SELECT count(*) FROM {receipts}"
            "   WHERE consumer = %s AND event_id > %s AND event_id <= %s)"
            f" FROM {events} WHERE id > %s AND id <= %s",
            [*kinds, consumer.name, after, up_to, after, up_to],
        )
        row = cursor.fetchone()
    everything, theirs, handled = row if row else (0, 0, 0)
    return theirs == 0 or everything == handled


def consume(name: str, *, batch_size: int = BATCH_SIZE, max_seconds: float | None = None) -> int:
    """Drain consumer `name`: batch after batch until nothing it may take is left up to
    the newest event when it began (or `max_seconds` have passed, after one batch at
    least). Returns how many it handled."""
    return _drain_in_turn([_CONSUMERS[name]], batch_size=batch_size, max_seconds=max_seconds)[name]


def consume_all(
    *, batch_size: int = BATCH_SIZE, max_seconds: float | None = None
) -> dict[str, int]:
    """Drain every registered consumer up to the newest event when the run began, a batch
    of each in turn, so that no consumer's lag waits on another's backlog; `max_seconds`
    bounds the whole run (after one round at least). Returns how many each handled."""
    return _drain_in_turn(consumers(), batch_size=batch_size, max_seconds=max_seconds)


@dataclass
class _Drain:
    """One consumer's progress through the outbox in one call."""

    consumer: Consumer
    position: ConsumerPosition
    cursor: int
    up_to: int  # the head when the run began
    handled: int = 0
    is_done: bool = False

    def step(self, limit: int) -> None:
        count, cursor_after = _consume_batch(
            self.consumer, after=self.cursor, limit=limit, up_to=self.up_to
        )
        if cursor_after is None:
            self.is_done = True  # nothing left that another worker does not already hold
        else:
            self.handled, self.cursor = self.handled + count, cursor_after


def _drain_in_turn(
    chosen: Sequence[Consumer], *, batch_size: int, max_seconds: float | None
) -> dict[str, int]:
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    with all_clients_scope():
        # a run takes what was there when it began: a steady inflow cannot keep it from
        # handing its worker back to the other jobs (the webhook sender among them)
        top = head()
        drains = []
        for consumer in chosen:
            position, _ = ConsumerPosition.objects.get_or_create(name=consumer.name)
            drains.append(_Drain(consumer, position, cursor=position.last_event_id, up_to=top))
        while True:  # one round at least, however short the time given
            for drain in drains:
                if not drain.is_done:
                    drain.step(batch_size)
            if all(drain.is_done for drain in drains):
                break
            if deadline is not None and time.monotonic() >= deadline:
                break
        for drain in drains:
            _advance(drain.consumer, drain.position)
    return {drain.consumer.name: drain.handled for drain in drains}


def _consume_batch(
    consumer: Consumer, *, after: int, limit: int, up_to: int
) -> tuple[int, int | None]:
    """Handle the next batch above `after`; returns (handled, highest id taken), the id
    None when there was nothing to take."""
    if consumer.handle_batch is None:
        found, walked_to = walk(consumer, after=after, limit=limit, up_to=up_to, fields=["id"])
        return sum(_handle_one(consumer, event.pk) for event in found), walked_to
    taken: list[WorkEvent] = []
    reached: int | None = None
    try:
        with transaction.atomic():
            taken, reached = walk(consumer, after=after, limit=limit, up_to=up_to, lock=True)
            fresh = _without_receipts(consumer, taken)
            _write_receipts(consumer, fresh)
            if fresh:
                consumer.handle_batch(fresh)
    except Exception:
        logger.exception(
            "consumer %s failed on a batch of %d work events; handling them one at a time",
            consumer.name,
            len(taken),
        )
        return sum(_handle_one(consumer, event.pk) for event in taken), reached
    return len(fresh), reached


def _without_receipts(consumer: Consumer, events: Sequence[WorkEvent]) -> list[WorkEvent]:
    """`events` less those already receipted: read after their locks are held, so a
    worker that handled one and committed since our snapshot is seen."""
    if not events:
        return []
    done = set(
        EventReceipt.objects.filter(
            consumer=consumer.name, event_id__in=[event.pk for event in events]
        ).values_list("event_id", flat=True)
    )
    return [event for event in events if event.pk not in done]


def _write_receipts(consumer: Consumer, events: Sequence[WorkEvent]) -> None:
    now = timezone.now()
    if connection.vendor == "postgresql" and events:
        # the batch's ids as two array parameters: no model instance, no statement with
        # four placeholders a row for psycopg to parse
        table = connection.ops.quote_name(EventReceipt._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (client_id, consumer, event_id, handled_at)"
                " SELECT client_id, %s, event_id, %s"
                " FROM unnest(%s::bigint[], %s::bigint[]) AS handled(client_id, event_id)",
                [consumer.name, now, [e.client_id for e in events], [e.pk for e in events]],
            )
        return
    EventReceipt.objects.bulk_create(
        [
            EventReceipt(
                client_id=event.client_id, consumer=consumer.name, event=event, handled_at=now
            )
            for event in events
        ]
    )


def _handle_one(consumer: Consumer, event_id: int) -> bool:
    """Handle one event in its own transaction; False when it was taken, already
    handled, or its handler failed (it is then tried again on a later call)."""
    try:
        with transaction.atomic():
            event = WorkEvent.objects.select_for_update(skip_locked=True).filter(pk=event_id)
            fresh = _without_receipts(consumer, list(event))
            if not fresh:
                return False  # another worker holds it or has handled it
            try:
                with transaction.atomic():
                    _write_receipts(consumer, fresh)
            except IntegrityError:
                return False  # another process handled it
            consumer.handle(fresh[0])
    except Exception:
        logger.exception("consumer %s failed on work event %s; will retry", consumer.name, event_id)
        return False
    return True


def _advance(consumer: Consumer, position: ConsumerPosition) -> None:
    """Move the low-water mark over settled, fully handled events."""
    settled = WorkEvent.objects.filter(
        id__gt=position.last_event_id, at__lt=timezone.now() - SETTLE
    ).aggregate(top=Max("id"))["top"]
    if settled is None:
        return
    first_open, _ = walk(
        consumer, after=position.last_event_id, limit=1, up_to=settled, fields=["id"]
    )
    mark = first_open[0].pk - 1 if first_open else settled
    if mark > position.last_event_id:
        ConsumerPosition.objects.filter(pk=position.pk, last_event_id__lt=mark).update(
            last_event_id=mark
        )


def lag(now: datetime | None = None) -> list[Backlog]:
    """Each registered consumer's backlog: how many events wait and since when."""
    now = now or timezone.now()
    with all_clients_scope():
        return [_backlog(consumer, now=now) for consumer in consumers()]


def _backlog(consumer: Consumer, *, now: datetime) -> Backlog:
    """From the consumer's first pending event (a walk of id windows from its mark): the
    matching events from there on less its receipts from there on, and the oldest of
    those events, so the lag may err long, never short. Two range reads, no anti-join of
    the whole backlog."""
    mark = (
        ConsumerPosition.objects.filter(name=consumer.name)
        .values_list("last_event_id", flat=True)
        .first()
    )
    first, _ = walk(consumer, after=mark or 0, limit=1, fields=["id"])
    waiting, oldest = 0, None
    if first:
        events = WorkEvent.objects.filter(id__gte=first[0].pk)
        if consumer.kinds is not None:
            events = events.filter(kind__in=consumer.kinds)
        summary = events.aggregate(oldest=Min("at"), events=Count("id"))
        receipts = EventReceipt.objects.filter(consumer=consumer.name, event_id__gte=first[0].pk)
        waiting, oldest = max(1, summary["events"] - receipts.count()), summary["oldest"]
    return Backlog(
        source="outbox",
        consumer=consumer.name,
        waiting=waiting,
        oldest_waiting_at=oldest,
        oldest_waiting_seconds=waited(oldest, now=now),
    )
