"""Audit trail throughput: `record()` (locked, hash-chained) beside a raw INSERT baseline.

    .venv/bin/python bench/audit_chain.py --events 2000 --repeats 5
    .venv/bin/python bench/audit_chain.py --database-url postgres://root@127.0.0.1/postgres

Uses a throw-away database (a temporary SQLite file, or `tercero_bench` on the given
PostgreSQL server), never the embedded one. Prints medians and the ratio, then one
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


def _time_raw_insert(events: int) -> float:
    from django.db import connection, transaction

    sql = (
        "INSERT INTO audit_auditevent (sequence, occurred_at, actor_label, action, object_type,"
        " object_id, reason, payload, payload_digest, prev_hash, hash) VALUES"
        " (%s, CURRENT_TIMESTAMP, '', 'bench.raw.inserted', '', '', '', '{}', '', '', %s)"
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
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    _setup(args.database_url)
    from django.db import connection

    from tercero.platform.audit.verify import verify_chain

    chained = [_time_record(args.events) for _ in range(args.repeats)]
    started = time.perf_counter()
    report = verify_chain()
    verify_seconds = time.perf_counter() - started
    raw = [_time_raw_insert(args.events) for _ in range(args.repeats)]
    record_rate = args.events / statistics.median(chained)
    raw_rate = args.events / statistics.median(raw)
    print(f"engine            {connection.vendor}")
    print(f"record()          {record_rate:,.0f} events/s (median of {args.repeats})")
    print(f"raw INSERT        {raw_rate:,.0f} rows/s (median of {args.repeats})")
    print(f"ratio             {raw_rate / record_rate:.2f}x slower than raw")
    print(f"verify            {report.checked:,} events in {verify_seconds:.2f} s")
    print(
        f"RESULT engine={connection.vendor} events={args.events} repeats={args.repeats} "
        f"record_per_s={record_rate:.0f} raw_per_s={raw_rate:.0f} "
        f"ratio={raw_rate / record_rate:.2f} verify_per_s={report.checked / verify_seconds:.0f}"
    )
    sys.exit(0 if report.is_intact else 1)


if __name__ == "__main__":
    main()
