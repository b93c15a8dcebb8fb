"""Where a drain of the outbox spends its time: each consumer and the webhook sender
under cProfile, in this process, after a bulk intake.

    DATABASE_URL=postgres://root@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/outbox_drain_profile.py --items 5000

Sets up the soak's database and world (`bench/outbox_soak.py`: a queue of documents, one
webhook endpoint at a receiver in this process), takes in `--items` documents through
the batch intake, then drains each consumer and sends every delivery, printing per step
the CPU milliseconds an event (`time.process_time`, profiler off) and, with `--profile`,
the functions that cost most (a second intake, drained under cProfile).
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time

from ingest import PERSON
from outbox_soak import Receiver, _event_count, _setup, _world


def _take_in(queue_id: int, count: int, first: int) -> None:
    from tercero.delivery.work.models import Queue
    from tercero.delivery.work.services.intake import take_in
    from tercero.platform.tenancy.scoping import all_clients_scope

    with all_clients_scope():
        queue = Queue.objects.get(pk=queue_id)
        for start in range(first, first + count, 1000):
            rows = [
                {
                    "work_type": "capture.document",
                    "payload": {"document_ref": f"D-{n}", "fields_total": 12, **PERSON},
                }
                for n in range(start, min(start + 1000, first + count))
            ]
            take_in(actor=None, queue=queue, rows=rows)


def _steps() -> list[tuple[str, object]]:
    from tercero.delivery.work import outbox, webhooks

    steps: list[tuple[str, object]] = [
        (f"consume {consumer.name}", lambda name=consumer.name: outbox.consume(name))
        for consumer in outbox.consumers()
    ]
    steps.append(("send webhooks", lambda: webhooks.send_due()))
    return steps


def _drain(events: int, profiler: cProfile.Profile | None) -> None:
    for name, step in _steps():
        began, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        done = step()  # type: ignore[operator]
        if profiler:
            profiler.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - began
        print(
            f"{name:<26} {cpu * 1000 / events:7.3f} CPU ms an event ({wall:6.2f} s wall) {done}",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    _setup(args.database_url)
    from django.conf import settings

    settings.TERCERO_WEBHOOKS_ALLOW_PRIVATE = True
    receiver = Receiver()
    world = _world(receiver.url)
    before = _event_count()
    _take_in(world.queue_id, args.items, 0)
    events = _event_count() - before
    print(f"{args.items} items, {events} events; load={os.getloadavg()[0]:.2f}", flush=True)
    _drain(events, None)
    print(f"receiver: {receiver.count()} deliveries", flush=True)
    if args.profile:
        _take_in(world.queue_id, args.items, args.items)
        events = _event_count() - before - events
        profiler = cProfile.Profile()
        _drain(events, profiler)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
        print(out.getvalue())
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
