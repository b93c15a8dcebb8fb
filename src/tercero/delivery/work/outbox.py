"""Outbox consumers: at least once, idempotently, in event order.

Every change to work writes a `WorkEvent` in its own transaction. A consumer (billing
meters, QA sampling, webhooks, the audit chain) registers a handler here; `consume`
hands it each matching event exactly once *per successful transaction*:

- the handler runs in a transaction that also inserts an `EventReceipt`
  (consumer, event) under a unique constraint, so a handler that dies mid-way leaves
  neither receipt nor side effect, and a second consumer process racing for the same
  event loses on the constraint and skips it;
- events are chosen as "matching, not yet receipted, id above the low-water mark", so
  an event whose transaction committed late (PostgreSQL assigns ids before commit) is
  still found; the mark only passes events older than `SETTLE` that are all receipted.

A handler's external side effects (an HTTP call) must themselves be idempotent: the
webhook sender, for one, signs each delivery with the event id so receivers can drop
repeats.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from tercero.delivery.work.models import ConsumerPosition, EventReceipt, WorkEvent
from tercero.platform.tenancy.scoping import all_clients_scope

logger = logging.getLogger(__name__)

# No transaction that writes work events stays open this long.
SETTLE = timedelta(minutes=5)


@dataclass(frozen=True)
class Consumer:
    name: str
    handle: Callable[[WorkEvent], None]
    kinds: frozenset[str] | None = None  # None: every kind


_CONSUMERS: dict[str, Consumer] = {}


def register_consumer(consumer: Consumer) -> Consumer:
    _CONSUMERS[consumer.name] = consumer
    return consumer


def unregister_consumer(name: str) -> None:
    _CONSUMERS.pop(name, None)


def consumers() -> list[Consumer]:
    return list(_CONSUMERS.values())


def pending(consumer: Consumer, *, after: int):
    found = WorkEvent.objects.filter(id__gt=after).exclude(
        Exists(EventReceipt.objects.filter(consumer=consumer.name, event=OuterRef("pk")))
    )
    if consumer.kinds is not None:
        found = found.filter(kind__in=consumer.kinds)
    return found.order_by("id")


def consume(name: str, *, batch_size: int = 500) -> int:
    """Hand the next batch of events to consumer `name`; returns how many it handled."""
    consumer = _CONSUMERS[name]
    handled = 0
    with all_clients_scope():
        position, _ = ConsumerPosition.objects.get_or_create(name=name)
        for event in pending(consumer, after=position.last_event_id)[:batch_size]:
            if _handle_one(consumer, event):
                handled += 1
        _advance(consumer, position)
    return handled


def consume_all(*, batch_size: int = 500) -> dict[str, int]:
    return {c.name: consume(c.name, batch_size=batch_size) for c in consumers()}


def _handle_one(consumer: Consumer, event: WorkEvent) -> bool:
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    EventReceipt.objects.create(
                        client_id=event.client_id,
                        consumer=consumer.name,
                        event=event,
                        handled_at=timezone.now(),
                    )
            except IntegrityError:
                return False  # another process handled it
            consumer.handle(event)
    except Exception:
        logger.exception("consumer %s failed on work event %s; will retry", consumer.name, event.pk)
        return False
    return True


def _advance(consumer: Consumer, position: ConsumerPosition) -> None:
    """Move the low-water mark over settled, fully handled events."""
    settled = WorkEvent.objects.filter(
        id__gt=position.last_event_id, at__lt=timezone.now() - SETTLE
    ).aggregate(top=Max("id"))["top"]
    if settled is None:
        return
    first_open = pending(consumer, after=position.last_event_id).values_list("id", flat=True)
    first_open = first_open.first()
    mark = settled if first_open is None else min(settled, first_open - 1)
    if mark > position.last_event_id:
        ConsumerPosition.objects.filter(pk=position.pk, last_event_id__lt=mark).update(
            last_event_id=mark
        )
