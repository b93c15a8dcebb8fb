"""A large CSV import as a job: rows per second through the worker's path, with progress.

    .venv/bin/python bench/import_csv.py --rows 1000000 \\
        --database-url postgres://root@127.0.0.1/postgres
    .venv/bin/python bench/import_csv.py --rows 100000          # SQLite

Writes a CSV of data-capture documents (each with a customer's name and national id,
sealed on the way in), starts its import job as the CSV import page does, and runs the
job as the task worker would, printing progress as it goes. Uses a throw-away database
(a temporary SQLite file, or `tercero_bench_import` on the given PostgreSQL server, or
the name in TERCERO_BENCH_DB).
Prints one `RESULT` line; `import_1m_s` is the time scaled to a million rows, `cpu_s`
the job's CPU time in this process (the database server's work is not in it).
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import threading
import time
from pathlib import Path

DATABASE = os.environ.get("TERCERO_BENCH_DB", "tercero_bench_import")


def _setup(database_url: str | None, *, database: str = DATABASE, name: str = "import") -> None:
    """A throw-away database `database` on the server of `database_url` (or a temporary
    SQLite file without one), migrated; the intake benches' common start."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "tercero.config.settings"
    os.environ["TERCERO_VAR_DIR"] = tempfile.mkdtemp(prefix=f"tercero-bench-{name}-")
    if database_url:
        import psycopg

        base, _, _ = database_url.rpartition("/")
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {database}")
        os.environ["DATABASE_URL"] = f"{base}/{database}"
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _queue():
    from ingest import keying_queue  # bench/ is the script's own directory on sys.path

    from tercero.platform.identity.models import User
    from tercero.platform.tenancy.models import Client, Provider

    provider = Provider.objects.create(name="Bench BPO")
    client = Client.objects.create(
        provider=provider, legal_name="Bench Client", country="US", time_zone="America/New_York"
    )
    lead = User.objects.create_user("lead@bench.example", full_name="Lead", role="team_lead")
    return lead, keying_queue(client, name="Import")


def _write_csv(path: Path, rows: int) -> None:
    with path.open("w") as out:
        out.write(
            "external_ref,payload.document_ref,payload.fields_total,"
            "payload.customer_name,payload.customer_national_id\n"
        )
        for n in range(rows):
            out.write(f"R-{n},DOC-{n},5,Customer {n},QQ{n:06d}C\n")


def _watch(job_id: int, stop: threading.Event, every: float) -> None:
    """Print the job's progress as the page shows it, from its own connection."""
    from django.db import connection

    from tercero.delivery.work import import_jobs
    from tercero.delivery.work.models import ImportJob
    from tercero.platform.tenancy.scoping import all_clients_scope

    try:
        while not stop.wait(every):
            with all_clients_scope():
                progress = import_jobs.progress(ImportJob.objects.get(pk=job_id))
            print(
                f"  {progress['rows_done']:>9,} rows done  {progress['created']:>9,} items  "
                f"{progress['error_count']} errors  {progress['rows_per_second']:,.0f} rows/s",
                flush=True,
            )
    finally:
        connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=None, help="rows per transaction")
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--profile", type=int, default=0, help="profile the job (CPU), show N lines"
    )
    args = parser.parse_args()
    _setup(args.database_url)
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from tercero.delivery.work import import_jobs
    from tercero.delivery.work.models import WorkItem
    from tercero.platform.tenancy.scoping import client_scope

    lead, queue = _queue()
    path = Path(os.environ["TERCERO_VAR_DIR"]) / "rows.csv"
    _write_csv(path, args.rows)
    with path.open("rb") as handle, client_scope(clients=[queue.client_id]):
        upload = SimpleUploadedFile("rows.csv", handle.read(), content_type="text/csv")
        started = time.perf_counter()
        job = import_jobs.start(actor=lead, queue=queue, upload=upload)
    accepted_s = time.perf_counter() - started
    stop = threading.Event()
    watcher = threading.Thread(target=_watch, args=(job.pk, stop, 5.0), daemon=True)
    watcher.start()
    cpu = time.process_time()
    if args.profile:
        profiler = cProfile.Profile(time.process_time)
        job = profiler.runcall(
            import_jobs.run, job_id=job.pk, chunk=args.chunk or import_jobs.CHUNK
        )
    else:
        job = import_jobs.run(job_id=job.pk, chunk=args.chunk or import_jobs.CHUNK)
    cpu = time.process_time() - cpu
    elapsed = time.perf_counter() - started
    stop.set()
    watcher.join()
    with client_scope(clients=[queue.client_id]):
        items = WorkItem.objects.count()
    rate = args.rows / elapsed
    errors = job.error_count + (items != args.rows)
    print(f"engine          {connection.vendor}")
    print(f"rows            {args.rows:,} ({path.stat().st_size / 1e6:,.0f} MB)")
    print(f"accepted in     {accepted_s:.1f} s (file kept, rows counted, job queued)")
    print(f"imported in     {elapsed:.1f} s: {rate:,.0f} rows/s, {items:,} items, {job.status}")
    print(f"job's CPU       {cpu:.1f} s in this process ({1000 * cpu / args.rows:.3f} ms a row)")
    if args.profile:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.profile)
        print(out.getvalue())
    print(
        f"RESULT engine={connection.vendor} rows={args.rows} import_s={elapsed:.1f} "
        f"rows_per_s={rate:.0f} import_1m_s={1_000_000 / rate:.0f} cpu_s={cpu:.1f} "
        f"cpu_rows_per_s={args.rows / cpu:.0f} errors={errors}"
    )
    return 0 if errors == 0 and job.status == "done" else 1


if __name__ == "__main__":
    sys.exit(main())
