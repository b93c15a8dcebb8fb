"""What the outbox tests share: a consumer that records what it is handed, the ids of
every work event, and a consumer's drain run by two workers at once."""

import threading

from django.db import connections

from tercero.delivery.work import outbox
from tercero.delivery.work.models import WorkEvent
from tercero.platform.tenancy.scoping import all_clients_scope


def all_event_ids() -> list[int]:
    with all_clients_scope():
        return sorted(WorkEvent.objects.values_list("id", flat=True))


class Recorder:
    """A consumer that notes every event it is handed, and by which thread; it holds each
    batch's locks for `pause_seconds`, and names itself in `log` for each batch."""

    def __init__(
        self,
        name: str,
        *,
        batches: bool = True,
        pause_seconds: float = 0.0,
        log: list[str] | None = None,
    ):
        self.name, self.log = name, log
        self.lock = threading.Lock()
        self.handled: dict[int, list[int]] = {}
        self.pause_seconds = pause_seconds
        self.consumer = outbox.Consumer(
            name=name,
            handle=lambda event: self.note([event]),
            handle_batch=self.note if batches else None,
        )

    def note(self, events: list[WorkEvent]) -> None:
        with self.lock:
            for event in events:
                self.handled.setdefault(event.pk, []).append(threading.get_ident())
            if self.log is not None:
                self.log.append(self.name)
        if self.pause_seconds:
            threading.Event().wait(self.pause_seconds)  # the batch's locks are held meanwhile

    def each_once(self) -> bool:
        return all(len(threads) == 1 for threads in self.handled.values())


def consume_at_once(name: str, *, batch_size: int, workers: int = 2) -> list[int]:
    """`outbox.consume(name)` run by `workers` threads started together, each with its own
    connection; how many events each handled."""
    counts: list[int] = []
    start = threading.Barrier(workers)

    def worker():
        try:
            start.wait()
            counts.append(outbox.consume(name, batch_size=batch_size))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counts
