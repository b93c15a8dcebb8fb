"""Audit trail throughput: `record()` one event a transaction (locked, hash-chained), the
same events appended in blocks (`record_block`), and work events drained from the outbox
into the chain by its consumer, beside a raw INSERT baseline.

    .venv/bin/python bench/audit_chain.py --events 2000 --repeats 5
    .venv/bin/python bench/audit_chain.py --database-url postgres://root@127.0.0.1/postgres

Uses a throw-away database (a temporary SQLite file, or `tercero_bench` on the given
PostgreSQL server), never the embedded one. Prints medians and the ratios, then one
`RESULT` line.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid


def _setup(database_url: str | None) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tercero.config.settings"
    os.environ["TERCERO_VAR_DIR"] = tempfile.mkdtemp(prefix="tercero-bench-")
    if database_url:
        import psycopg

        base, _, _ = database_url.rpartition("/")
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute("DROP DATABASE IF EXISTS tercero_bench")
            admin.execute("CREATE DATABASE tercero_bench")
        os.environ["DATABASE_URL"] = f"{base}/tercero_bench"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _time_record(events: int) -> float:
    from django.db import transaction

    from tercero.platform.audit.services import record

    started = time.perf_counter()
    for number in range(events):
        with transaction.atomic():
            record(action="bench.event.recorded", payload={"n": number})
    return time.perf_counter() - started


def _time_blocks(events: int, block_size: int) -> float:
    from django.db import transaction

    from tercero.platform.audit.services import Entry, record_block

    started = time.perf_counter()
    for first in range(0, events, block_size):
        with transaction.atomic():
            record_block(
                [
                    Entry(action="bench.event.recorded", payload={"n": number})
                    for number in range(first, min(first + block_size, events))
                ]
            )
    return time.perf_counter() - started


def _bench_client() -> int:
    from tercero.platform.tenancy.models import Client, Provider

    provider = Provider.objects.create(name="Bench BPO")
    return Client.objects.create(
        provider=provider, legal_name="Bench Client", country="US", time_zone="UTC"
    ).pk


def _time_outbox_drain(events: int, client_id: int) -> float:
    """Write `events` work events at once, then time the audit consumer draining them."""
    from django.utils import timezone

    from tercero.delivery.work import outbox
    from tercero.delivery.work.models import WorkEvent
    from tercero.platform.tenancy.scoping import all_clients_scope

    now = timezone.now()
    with all_clients_scope():
        WorkEvent.objects.bulk_create(
            (
                WorkEvent(client_id=client_id, kind="item.commented", data={"n": n}, at=now)
                for n in range(events)
            ),
            batch_size=1000,
        )
    started = time.perf_counter()
    handled = outbox.consume("audit")
    elapsed = time.perf_counter() - started
    assert handled == events, (handled, events)
    return elapsed


def _time_raw_insert(events: int) -> float:
    from django.db import connection, transaction

    sql = (
        "INSERT INTO audit_auditevent (sequence, occurred_at, actor_label, action, object_type,"
        " object_id, reason, payload, payload_digest, prev_hash, hash, key_id) VALUES"
        " (%s, CURRENT_TIMESTAMP, '', 'bench.raw.inserted', '', '', '', '{}', '', '', %s, '')"
    )
    offset = 10**12 + int(time.time() * 1000) * 1000
    started = time.perf_counter()
    for number in range(events):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [offset + number, uuid.uuid4().hex])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--block-size", type=int, default=500)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    _setup(args.database_url)
    from django.db import connection

    from tercero.platform.audit.verify import verify_chain

    client_id = _bench_client()
    chained = [_time_record(args.events) for _ in range(args.repeats)]
    blocks = [_time_blocks(args.events, args.block_size) for _ in range(args.repeats)]
    drained = [_time_outbox_drain(args.events, client_id) for _ in range(args.repeats)]
    started = time.perf_counter()
    report = verify_chain()
    verify_seconds = time.perf_counter() - started
    raw = [_time_raw_insert(args.events) for _ in range(args.repeats)]
    record_rate = args.events / statistics.median(chained)
    block_rate = args.events / statistics.median(blocks)
    drain_rate = args.events / statistics.median(drained)
    raw_rate = args.events / statistics.median(raw)
    print(f"engine            {connection.vendor} (medians of {args.repeats})")
    print(f"record()          {record_rate:,.0f} events/s (one a transaction)")
    print(f"record_block()    {block_rate:,.0f} events/s (blocks of {args.block_size})")
    print(f"outbox -> chain   {drain_rate:,.0f} work events/s (audit consumer, receipts included)")
    print(f"raw INSERT        {raw_rate:,.0f} rows/s (one a transaction)")
    print(f"blocks vs record  {block_rate / record_rate:.1f}x")
    print(f"verify            {report.checked:,} events in {verify_seconds:.2f} s")
    print(
        f"RESULT engine={connection.vendor} events={args.events} repeats={args.repeats} "
        f"record_per_s={record_rate:.0f} block_per_s={block_rate:.0f} "
        f"drain_per_s={drain_rate:.0f} raw_per_s={raw_rate:.0f} "
        f"ratio={raw_rate / record_rate:.2f} verify_per_s={report.checked / verify_seconds:.0f}"
    )
    sys.exit(0 if report.is_intact else 1)


if __name__ == "__main__":
    main()
