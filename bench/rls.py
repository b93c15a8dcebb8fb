"""What row-level security costs per statement: scoped primary-key reads (each in its
own transaction, as a web request's first read is, and all in one transaction) and a
scoped count over many rows, read as the application role on PostgreSQL.

    DATABASE_URL=postgres://root@127.0.0.1/postgres \\
        .venv/bin/python bench/rls.py --reads 2000 --rows 10000 --runs 7

Creates a throw-away database `tercero_bench_rls` with two clients holding `--rows`
rows each (the policy has another client's rows to hide), then times each measure
`--runs` times: wall time, and the CPU time of this process and of its PostgreSQL
server process (read from /proc, so the server must run on this machine), which a busy
machine disturbs far less. Prints the medians, then one `RESULT` line.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path


def _setup(database_url: str) -> None:
    import psycopg

    os.environ["DJANGO_SETTINGS_MODULE"] = "tercero.config.settings"
    os.environ.setdefault("TERCERO_VAR_DIR", tempfile.mkdtemp(prefix="tercero-bench-"))
    base, _, _ = database_url.rpartition("/")
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS tercero_bench_rls")
        admin.execute("CREATE DATABASE tercero_bench_rls")
    os.environ["DATABASE_URL"] = f"{base}/tercero_bench_rls"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _world(rows: int) -> tuple[int, list[int]]:
    """Two clients with `rows` rows each, written by the owner; returns client A's id
    and its row ids."""
    from tercero.delivery.contact.models import LookupCounter
    from tercero.platform.tenancy.models import Client, Provider
    from tercero.platform.tenancy.scoping import all_clients_scope

    provider = Provider.objects.create(name="Bench BPO", country="PH")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    clients = [
        Client.objects.create(
            provider=provider, legal_name=f"Client {n}", country="US", time_zone="UTC"
        )
        for n in range(2)
    ]
    with all_clients_scope():
        for client in clients:
            LookupCounter.objects.bulk_create(
                LookupCounter(
                    client=client,
                    kind="ip",
                    key=f"k{n}",
                    window_start=start + timedelta(minutes=n),
                    count=n,
                )
                for n in range(rows)
            )
        ids = list(
            LookupCounter.objects.filter(client=clients[0]).values_list("pk", flat=True)[:rows]
        )
    return clients[0].pk, ids


def _server_cpu() -> float:
    """CPU seconds used so far by the PostgreSQL process serving this connection."""
    from django.db import connection

    pid = connection.connection.info.backend_pid
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed(action) -> tuple[float, float, float]:
    """Wall, own CPU and server CPU seconds of one run of `action`."""
    wall, own, server = time.perf_counter(), time.process_time(), _server_cpu()
    action()
    return (
        time.perf_counter() - wall,
        time.process_time() - own,
        _server_cpu() - server,
    )


def _measures(client_id: int, ids: list[int], reads: int) -> dict:
    from django.db import connection, transaction

    from tercero.platform.tenancy.scoping import client_scope

    chosen = [ids[n % len(ids)] for n in range(reads)]
    by_key = "SELECT count FROM contact_lookupcounter WHERE id = %s"

    def each_in_its_transaction():
        with client_scope(clients=[client_id]), connection.cursor() as cursor:
            for pk in chosen:
                cursor.execute(by_key, [pk])  # autocommit: one transaction per read
                cursor.fetchone()

    def all_in_one_transaction():
        with client_scope(clients=[client_id]), transaction.atomic(), connection.cursor() as cursor:
            for pk in chosen:
                cursor.execute(by_key, [pk])
                cursor.fetchone()

    def count():
        with client_scope(clients=[client_id]), connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM contact_lookupcounter")
            assert cursor.fetchone()[0] == len(ids)

    return {
        "reads_own_transaction": each_in_its_transaction,
        "reads_one_transaction": all_in_one_transaction,
        "count": count,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=2_000)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    if not args.database_url:
        print("row-level security needs PostgreSQL: set DATABASE_URL")
        return 2

    _setup(args.database_url)
    from django.db import connection

    from tercero.platform.ops.database import grant_app_role

    client_id, ids = _world(args.rows)
    grant_app_role(role="tercero_app")
    connection.close()
    connection.settings_dict["USER"] = "tercero_app"

    result = {}
    for name, action in _measures(client_id, ids, args.reads).items():
        action()  # warm: connection, prepared statements, caches
        runs = [_timed(action) for _ in range(args.runs)]
        wall, own, server = (statistics.median(run[n] for run in runs) * 1000 for n in range(3))
        print(
            f"{name:<22} median wall {wall:8.2f} ms  cpu {own:8.2f} ms  server cpu {server:8.2f} ms"
        )
        result[name] = (wall, own, server)
    print(
        "RESULT "
        + " ".join(
            f"{name}_ms={wall:.2f} {name}_cpu_ms={own:.2f} {name}_server_cpu_ms={server:.2f}"
            for name, (wall, own, server) in result.items()
        )
        + f" reads={args.reads} rows={args.rows} runs={args.runs}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
