"""The Python cost of the batch intake, item by item, beside a bare `bulk_create`.

    .venv/bin/python bench/intake_cpu.py                      # SQLite
    .venv/bin/python bench/intake_cpu.py --sizes 1000 5000 \\
        --database-url postgres://root@127.0.0.1:5432/postgres
    .venv/bin/python bench/intake_cpu.py --profile 5000       # cProfile of one batch

Sets up a live data-entry engagement with a queue of `capture.document` items (four
personal fields, sealed at rest) in a throw-away database (a temporary SQLite file, or
`tercero_bench_intake_cpu` on the given PostgreSQL server), then for each batch size
takes the rows in through `take_in` and, in the same process, bulk-creates as many rows
of a plain 5-column table with Django's `bulk_create`. Times are this process's CPU time
(the database server's own work is not in it), the best of `--repeat` runs, so other
work on the machine matters little. Prints one `RESULT` line.
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from collections.abc import Callable
from typing import Any

DATABASE = os.environ.get("TERCERO_BENCH_DB", "tercero_bench_intake_cpu")


def _bare_model() -> Any:
    """A plain 5-column table, as the bare view of `bench/ingest.py` writes."""
    from django.db import connection, models

    class BareRow(models.Model):
        client_id = models.BigIntegerField()
        title = models.CharField(max_length=200)
        payload = models.JSONField()
        created_at = models.DateTimeField()

        class Meta:
            app_label = "bench_intake_cpu"
            db_table = "bench_intake_cpu_row"

    with connection.schema_editor() as editor:
        editor.create_model(BareRow)
    return BareRow


def _rows(start: int, count: int) -> list[dict[str, Any]]:
    return [
        {
            "work_type": "capture.document",
            "external_ref": f"R-{n}",
            "payload": {
                "document_ref": f"D-{n}",
                "fields_total": 12,
                "customer_name": f"Maria Santos {n}",
                "customer_national_id": f"QQ{n:06d}C",
                "customer_date_of_birth": "1984-03-17",
                "customer_iban": "DE89370400440532013000",
            },
        }
        for n in range(start, start + count)
    ]


def _cpu(run: Callable[[], object]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    run()
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0, help="profile one batch of N rows")
    parser.add_argument("--top", type=int, default=35, help="profile lines shown")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from import_csv import _setup

    _setup(args.database_url, database=DATABASE, name="intake-cpu")
    from django.db import connection
    from django.utils import timezone
    from ingest import keying_queue

    from tercero.delivery.work import services
    from tercero.platform.identity.models import User
    from tercero.platform.tenancy.models import Client, Provider
    from tercero.platform.tenancy.scoping import client_scope

    provider = Provider.objects.create(name="Bench BPO")
    client = Client.objects.create(
        provider=provider, legal_name="Bench Client", country="US", time_zone="America/New_York"
    )
    lead = User.objects.create_user("lead@bench.example", full_name="Lead", role="team_lead")
    queue = keying_queue(client, name="Documents")
    bare = _bare_model()
    next_row = 0

    def batch(count: int) -> list[dict[str, Any]]:
        nonlocal next_row
        rows = _rows(next_row, count)
        next_row += count
        return rows

    def intake(rows: list[dict[str, Any]]) -> None:
        done = services.take_in(actor=lead, queue=queue, rows=rows, all_or_nothing=True)
        if len(done.created) != len(rows) or done.errors:
            raise SystemExit(f"intake refused rows: {list(done.errors.items())[:3]}")

    def baseline(rows: list[dict[str, Any]]) -> None:
        now = timezone.now()
        bare.objects.bulk_create(
            [
                bare(client_id=client.pk, title=row["external_ref"], payload=row, created_at=now)
                for row in rows
            ]
        )

    results = []
    with client_scope(clients=[client.pk]):
        intake(batch(10))  # keys made, caches warm
        for size in args.sizes:
            best = {"intake": (float("inf"), 0.0), "bare": (float("inf"), 0.0)}
            for _ in range(args.repeat):
                for name, run in (("intake", intake), ("bare", baseline)):
                    rows = batch(size)
                    cpu, wall = _cpu(lambda rows=rows, run=run: run(rows))
                    best[name] = min(best[name], (cpu, wall))
            intake_ms = 1000 * best["intake"][0] / size
            bare_ms = 1000 * best["bare"][0] / size
            print(
                f"{connection.vendor:<10} {size:>6} rows: take_in {intake_ms:.3f} ms CPU an item"
                f" ({best['intake'][1]:.2f} s wall), bare bulk_create {bare_ms:.3f} ms"
                f" ({best['bare'][1]:.2f} s wall), ratio {intake_ms / bare_ms:.1f}",
                flush=True,
            )
            results.append((size, intake_ms, bare_ms))
        if args.profile:
            rows = batch(args.profile)
            profiler = cProfile.Profile(time.process_time)  # CPU, not the busy wall
            profiler.runcall(intake, rows)
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
            print(out.getvalue())
    fields = " ".join(
        f"take_in_ms_{size}={intake_ms:.3f} bare_ms_{size}={bare_ms:.3f}"
        for size, intake_ms, bare_ms in results
    )
    print(f"RESULT engine={connection.vendor} {fields}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
