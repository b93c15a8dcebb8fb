"""Work arriving through the real server, beside a bare Django view doing the least.

    DATABASE_URL=postgres://root@127.0.0.1/postgres .venv/bin/python bench/ingest.py

Creates a throw-away database `tercero_bench_ingest` on the server in DATABASE_URL (or
a temporary SQLite file without it), with one live engagement, a queue of
`capture.document` items (four personal fields, sealed at rest) and an API token. Then
starts `tercero serve` (gunicorn, its task worker and scheduler) as the application role,
and beside it gunicorn serving `bench/ingest_baseline` (one view inserting one row, one
bulk-creating rows into a plain table) with the same workers and connection settings.

A load generator in this process (threads, one HTTP connection each) posts for
`--seconds` per point: single creates at `--connections`, then bulk requests of
`--bulk-size` items at `--bulk-connections`, first to Tercero, then to the bare view.
Prints each point, then one `RESULT` line. `import_1m_s` and `outbox_lag_s` are `n/a`
here (the CSV import job and the outbox have benches of their own).
"""

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "tercero_bench_ingest"
APP_ROLE = "tercero_app"
PERSON = {
    "customer_name": "Maria Santos",
    "customer_national_id": "QQ123456C",
    "customer_date_of_birth": "1984-03-17",
    "customer_iban": "DE89370400440532013000",
}


def _setup(database_url: str | None) -> dict[str, str]:
    """Create the database and migrate it; returns the environment for the servers."""
    env = dict(os.environ)
    env["TERCERO_VAR_DIR"] = tempfile.mkdtemp(prefix="tercero-bench-ingest-")
    env["DJANGO_SETTINGS_MODULE"] = "tercero.config.settings"
    if database_url:
        import psycopg

        base, _, _ = database_url.rpartition("/")
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {DATABASE}")
        env["DATABASE_URL"] = f"{base}/{DATABASE}"
    else:
        env.pop("DATABASE_URL", None)
    os.environ.update(env)
    if not database_url:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return env


def keying_queue(client, *, name: str):
    """A live data-entry engagement of `client` with one queue of capture documents
    (the intake benches' common ground)."""
    from tercero.delivery.engagements.services import create_engagement
    from tercero.delivery.work import services
    from tercero.platform.tenancy.scoping import client_scope

    with client_scope(clients=[client]):
        engagement = create_engagement(
            actor=None,
            client=client,
            name="Keying",
            service_line="data_entry",
            category="BPO",
            office="back",
            orientation="horizontal",
            pricing_model="per_transaction",
            time_zone="America/New_York",
            hours_of_cover="24_7",
            status="live",
            sla_targets=[{"metric": "turnaround", "target_seconds": 4 * 3600}],
        )
        return services.create_queue(
            actor=None, engagement=engagement, name=name, work_types=["capture.document"]
        )


def _world() -> tuple[int, str]:
    """A live engagement with a queue of documents and a client user's API token;
    returns the queue id and the token."""
    from tercero.platform.identity.models import User
    from tercero.platform.identity.services import create_api_token
    from tercero.platform.tenancy.models import Client, Provider
    from tercero.platform.tenancy.scoping import all_clients_scope

    provider = Provider.objects.create(name="Bench BPO")
    client = Client.objects.create(
        provider=provider, legal_name="Bench Client", country="US", time_zone="America/New_York"
    )
    with all_clients_scope():
        user = User.objects.create_user(
            "intake@bench.example", full_name="Intake", role="client_user", client=client
        )
    queue = keying_queue(client, name="Documents")
    with all_clients_scope():
        _, token = create_api_token(
            actor=user, client=client, name="bench", scopes=["work:read", "work:write"]
        )
    return queue.pk, token


def _baseline_table() -> None:
    from django.db import connection

    kind = "jsonb" if connection.vendor == "postgresql" else "text"
    key = "bigserial" if connection.vendor == "postgresql" else "integer"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE bench_ingest_row (id {key} PRIMARY KEY, client_id bigint NOT NULL,"
            f" title varchar(200) NOT NULL, payload {kind} NOT NULL,"
            " created_at timestamp with time zone NOT NULL)"
        )


def _app_role(env: dict[str, str]) -> None:
    """Serve as the application role, as production does (row-level security binds)."""
    from django.db import connection

    from tercero.platform.ops.database import grant_app_role

    grant_app_role(role=APP_ROLE)
    url = env["DATABASE_URL"]
    scheme, _, rest = url.partition("://")
    _, _, host = rest.rpartition("@")
    env["DATABASE_URL"] = f"{scheme}://{APP_ROLE}@{host}"
    connection.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(name: str, command: list[str], env: dict[str, str], port: int, log: Path):
    handle = log.open("w")
    process = subprocess.Popen(
        command, env=env, stdout=handle, stderr=subprocess.STDOUT, process_group=0
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} stopped at start; see {log}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{name} did not start in 60 s; see {log}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@dataclass
class Point:
    """What one load point measured."""

    requests: int = 0
    items: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    first_error: str = ""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def items_per_s(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0

    def percentile_ms(self, share: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def _load(port: int, path: str, bodies, headers: dict, connections: int, seconds: float) -> Point:
    """`connections` threads post `bodies(n)` to `path` until `seconds` are up; a
    request counts as done on a 201, and `items` counts what its body says was made."""
    point = Point()
    lock = threading.Lock()
    start = threading.Barrier(connections + 1)
    window: list[float] = []  # the end of the run, set before the threads start posting

    def run(worker: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        start.wait()
        n = 0
        while time.perf_counter() < window[0]:
            body, count = bodies(worker * 1_000_000 + n)
            n += 1
            began = time.perf_counter()
            try:
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                answer = response.read()
            except (OSError, http.client.HTTPException) as error:
                status, answer = 0, str(error).encode()
                connection.close()
            else:
                status = response.status
            took = time.perf_counter() - began
            with lock:
                if status == 201:
                    point.requests += 1
                    point.items += count
                    point.latencies.append(took)
                else:
                    point.errors += 1
                    point.first_error = point.first_error or f"{status} {answer[:300]!r}"
        connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    window.append(began + seconds)
    start.wait()
    for thread in threads:
        thread.join()
    point.seconds = time.perf_counter() - began
    return point


def _document(n: int) -> dict:
    return {
        "work_type": "capture.document",
        "payload": {"document_ref": f"D-{n}", "fields_total": 12, **PERSON},
    }


def _report(name: str, point: Point) -> None:
    print(
        f"{name:<28} {point.requests:6d} requests {point.items:8d} items in {point.seconds:5.1f}s"
        f" = {point.rps:8.1f} req/s {point.items_per_s:9.1f} items/s;"
        f" p50 {point.percentile_ms(0.5):7.1f} ms p95 {point.percentile_ms(0.95):7.1f} ms;"
        f" errors {point.errors}" + (f" (first: {point.first_error})" if point.errors else ""),
        flush=True,
    )


def _measure(args, queue_id: int, token: str, ports: tuple[int, int]) -> dict[str, Point]:
    tercero, bare = ports
    api = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    plain = {"Content-Type": "application/json"}
    size = args.bulk_size

    def single(n: int) -> tuple[str, int]:
        return json.dumps({"queue_id": queue_id, **_document(n)}), 1

    def bulk(n: int) -> tuple[str, int]:
        items = [_document(n * size + k) for k in range(size)]
        return json.dumps({"queue_id": queue_id, "items": items}), size

    def bare_single(n: int) -> tuple[str, int]:
        return json.dumps(_document(n)), 1

    def bare_bulk(n: int) -> tuple[str, int]:
        return json.dumps({"items": [_document(n * size + k) for k in range(size)]}), size

    points: dict[str, Point] = {}
    plan = [
        ("single", tercero, "/api/v1/work-items", single, api, args.connections),
        ("baseline", bare, "/rows", bare_single, plain, args.connections),
        ("bulk", tercero, "/api/v1/work-items/bulk", bulk, api, args.bulk_connections),
        ("baseline_bulk", bare, "/rows/bulk", bare_bulk, plain, args.bulk_connections),
    ]
    for name, port, path, bodies, headers, connections in plan:
        if name.endswith("bulk") and args.skip_bulk:
            continue
        _load(port, path, bodies, headers, connections, min(args.seconds, 3))  # warm up
        points[name] = _load(port, path, bodies, headers, connections, args.seconds)
        _report(f"{name} ({connections} conn.)", points[name])
    return points


def _count_written() -> tuple[int, int]:
    """Items and outbox events in the database after the run."""
    from django.db import connection

    from tercero.platform.tenancy.scoping import all_clients_scope

    with all_clients_scope(), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM work_workitem")
        items = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM work_workevent")
        events = cursor.fetchone()[0]
    return items, events


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, both servers")
    parser.add_argument("--connections", type=int, default=8, help="for single creates")
    parser.add_argument("--bulk-connections", type=int, default=2)
    parser.add_argument("--bulk-size", type=int, default=1000, help="items per bulk request")
    parser.add_argument("--seconds", type=float, default=15.0, help="per point")
    parser.add_argument("--skip-bulk", action="store_true")
    args = parser.parse_args(argv)

    env = _setup(args.database_url)
    queue_id, token = _world()
    _baseline_table()
    engine = "postgresql" if args.database_url else "sqlite"
    if args.database_url:
        _app_role(env)
        _grant_baseline()
    logs = Path(env["TERCERO_VAR_DIR"])
    ports = (_free_port(), _free_port())
    python = sys.executable
    servers = [
        _start(
            "tercero serve",
            [
                python,
                "-m",
                "tercero",
                "serve",
                "--bind",
                f"127.0.0.1:{ports[0]}",
                "--web-workers",
                str(args.workers),
            ],
            env,
            ports[0],
            logs / "tercero.log",
        ),
    ]
    try:
        servers.append(
            _start(
                "bare view",
                [
                    python,
                    "-m",
                    "gunicorn",
                    "ingest_baseline.wsgi:application",
                    "--chdir",
                    str(ROOT / "bench"),
                    "--bind",
                    f"127.0.0.1:{ports[1]}",
                    "--workers",
                    str(args.workers),
                    "--worker-class",
                    "sync",
                    "--access-logfile",
                    "-",
                    "--access-logformat",
                    '%(t)s %(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss',
                ],
                {**env, "DJANGO_SETTINGS_MODULE": "ingest_baseline.settings"},
                ports[1],
                logs / "baseline.log",
            )
        )
        print(f"engine={engine} workers={args.workers} load={os.getloadavg()[0]:.2f}", flush=True)
        points = _measure(args, queue_id, token, ports)
    finally:
        for server in servers:
            _stop(server)
    items, events = _count_written()
    made = sum(p.items for name, p in points.items() if not name.startswith("baseline"))
    print(f"written: {items} items, {events} events (201 answers counted {made} items + warm-up)")
    _result(points, engine, args)
    return 0


def _grant_baseline() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"GRANT SELECT, INSERT ON bench_ingest_row TO {APP_ROLE}")
        cursor.execute(f"GRANT USAGE ON SEQUENCE bench_ingest_row_id_seq TO {APP_ROLE}")


def _result(points: dict[str, Point], engine: str, args) -> None:
    single, baseline = points["single"], points["baseline"]
    ratio = single.rps / baseline.rps if baseline.rps else 0.0
    bulk, bare_bulk = points.get("bulk"), points.get("baseline_bulk")
    errors = sum(p.errors for p in points.values())

    def figure(point: Point | None) -> str:
        return f"{point.items_per_s:.0f}" if point else "n/a"

    print(
        f"RESULT engine={engine} workers={args.workers} connections={args.connections}"
        f" single_rps={single.rps:.1f} baseline_rps={baseline.rps:.1f}"
        f" single_ratio={ratio:.2f} p95_ms={single.percentile_ms(0.95):.1f}"
        f" baseline_p95_ms={baseline.percentile_ms(0.95):.1f}"
        f" bulk_items_per_s={figure(bulk)} baseline_bulk_items_per_s={figure(bare_bulk)}"
        f" bulk_size={args.bulk_size} import_1m_s=n/a outbox_lag_s=n/a errors={errors}"
        f" load={os.getloadavg()[0]:.2f}",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
