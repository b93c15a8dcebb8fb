"""A long bulk intake through the real server: do the outbox, the audit chain and the
webhooks keep up, each event once?

    DATABASE_URL=postgres://root@127.0.0.1:5432/postgres .venv/bin/python bench/outbox_soak.py \\
        --seconds 600 --rate 0

Creates a throw-away database `tercero_bench_soak` on the server in DATABASE_URL, with one
live engagement, a queue of `capture.document` items (four personal fields, sealed at
rest), a client user's API token, a team lead's token to read operations, and one webhook
endpoint of the client pointing at a small HTTP receiver in this process that counts
deliveries by `Tercero-Event-Id`. Starts `tercero serve` (gunicorn, its task worker and
scheduler) as the application role, then posts bulk requests of `--bulk-size` items for
`--seconds` at `--rate` items/s (0: as fast as the server takes them) and, every second,
reads each consumer's lag (the oldest event it has not handled) from `/api/v1/ops/health`.

Then waits (at most `--drain-seconds`) until every outbox consumer and the webhook sender
have caught up, and checks, as the database owner: each work event has exactly one audit
event and reached the receiver exactly once; `tercero audit verify` passes; after one
audit event's payload is altered it fails naming that event. Prints the figures and one
`RESULT` line. The worker's CPU seconds per event are printed too: on a shared machine
they say more than the wall-clock lag.
"""

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ingest import (  # bench/ is the script's own directory on sys.path
    PERSON,
    _app_role,
    _free_port,
    _stop,
    keying_queue,
)

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "tercero_bench_soak"
TEMPLATE = f"{DATABASE}_template"
HEALTH = "/api/v1/ops/health"


def _setup(database_url: str) -> dict[str, str]:
    """Create the database and migrate it; returns the environment for the server.

    The migrated database is kept as a template (`tercero_bench_soak_template`, with the
    var directory its keys live in): the next run starts from a copy of it and applies
    only migrations added since, as migrating from nothing takes minutes on a busy
    machine."""
    import psycopg

    env = dict(os.environ)
    env["TERCERO_VAR_DIR"] = tempfile.mkdtemp(prefix="tercero-bench-soak-")
    template_var = Path(tempfile.gettempdir()) / "tercero-bench-soak-template"
    base, _, _ = database_url.rpartition("/")
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        kept = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [TEMPLATE]).fetchone()
        if kept and template_var.is_dir():
            admin.execute(f"CREATE DATABASE {DATABASE} TEMPLATE {TEMPLATE}")
            shutil.copytree(template_var, env["TERCERO_VAR_DIR"], dirs_exist_ok=True)
        else:
            admin.execute(f"CREATE DATABASE {DATABASE}")
    env["DATABASE_URL"] = f"{base}/{DATABASE}"
    env["DJANGO_SETTINGS_MODULE"] = "outbox_soak_settings"
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "bench"), *filter(None, [env.get("PYTHONPATH")])]
    )
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if not (kept and template_var.is_dir()):
        _keep_template(database_url, env["TERCERO_VAR_DIR"], template_var)
    return env


def _keep_template(database_url: str, var_dir: str, template_var: Path) -> None:
    """Keep the freshly migrated database and its var directory for the next run."""
    import psycopg
    from django.db import connection

    connection.close()
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
        admin.execute(f"CREATE DATABASE {TEMPLATE} TEMPLATE {DATABASE}")
    shutil.rmtree(template_var, ignore_errors=True)
    shutil.copytree(var_dir, template_var)


@dataclass(frozen=True)
class World:
    queue_id: int
    intake_token: str
    ops_token: str


def _world(receiver_url: str) -> World:
    """A client with a queue of documents, its user's intake token, a team lead's
    operations token and one webhook endpoint (every kind) at `receiver_url`."""
    from tercero.delivery.work import webhooks
    from tercero.platform.identity.models import Grant, User
    from tercero.platform.identity.services import create_api_token
    from tercero.platform.tenancy.models import Client, Provider
    from tercero.platform.tenancy.scoping import all_clients_scope

    provider = Provider.objects.create(name="Soak BPO")
    client = Client.objects.create(
        provider=provider, legal_name="Soak Client", country="US", time_zone="America/New_York"
    )
    with all_clients_scope():
        user = User.objects.create_user(
            "intake@soak.example", full_name="Intake", role="client_user", client=client
        )
        lead = User.objects.create_user("lead@soak.example", full_name="Lead", role="team_lead")
        Grant.objects.create(user=lead, client=client, reason="bench")
    queue = keying_queue(client, name="Documents")
    with all_clients_scope():
        _, intake = create_api_token(
            actor=user, client=client, name="bench", scopes=["work:read", "work:write"]
        )
        _, ops = create_api_token(actor=lead, client=client, name="ops", scopes=["work:read"])
        webhooks.create_endpoint(actor=lead, client=client, url=receiver_url)
    return World(queue.pk, intake, ops)


# --- the webhook receiver -------------------------------------------------------------


class Receiver:
    """Counts webhook deliveries by event id (a 200 for each)."""

    def __init__(self) -> None:
        self.seen: Counter[int] = Counter()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                event_id = int(self.headers["Tercero-Event-Id"])
                with receiver.lock:
                    receiver.seen[event_id] += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                """Silent: the receiver counts deliveries instead of printing a line each."""

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256  # the sender posts several at once

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def count(self) -> int:
        with self.lock:
            return sum(self.seen.values())


# --- load and sampling ----------------------------------------------------------------


@dataclass
class Load:
    """Bulk requests posted, at most `rate` items/s over all connections (0: no limit)."""

    rate: float
    size: int
    items: int = 0
    requests: int = 0
    errors: int = 0
    first_error: str = ""
    scheduled: int = 0
    began: float = 0.0
    latencies: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for_turn(self) -> None:
        """Sleep until this request's items are due at `rate` (a shared schedule)."""
        if not self.rate:
            return
        with self.lock:
            due = self.began + self.scheduled / self.rate
            self.scheduled += self.size
        time.sleep(max(0.0, due - time.perf_counter()))


def _post_bulks(port: int, world: World, load: Load, until: float, worker: int) -> None:
    headers = {"Authorization": f"Bearer {world.intake_token}", "Content-Type": "application/json"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    n = 0
    while time.perf_counter() < until:
        load.wait_for_turn()
        if time.perf_counter() >= until:
            break
        first = (worker * 1_000_000 + n) * load.size
        n += 1
        items = [
            {
                "work_type": "capture.document",
                "payload": {"document_ref": f"D-{first + k}", "fields_total": 12, **PERSON},
            }
            for k in range(load.size)
        ]
        body = json.dumps({"queue_id": world.queue_id, "items": items})
        began = time.perf_counter()
        try:
            connection.request("POST", "/api/v1/work-items/bulk", body=body, headers=headers)
            response = connection.getresponse()
            answer, status = response.read(), response.status
        except (OSError, http.client.HTTPException) as error:
            status, answer = 0, str(error).encode()
            connection.close()
        with load.lock:
            if status == 201:
                load.requests += 1
                load.items += load.size
                load.latencies.append(time.perf_counter() - began)
            else:
                load.errors += 1
                load.first_error = load.first_error or f"{status} {answer[:300]!r}"
    connection.close()


@dataclass
class Sample:
    at: float  # seconds since the load began
    items: int  # created so far (201 answers)
    lag: dict[str, float]  # "source/consumer" -> oldest waiting, seconds
    waiting: dict[str, int]


class Sampler:
    """Reads every consumer's lag once a second, by SQL as the owner: `backlogs()`, what
    the operations page and `/api/v1/ops/health` show. Not through the API itself, whose
    two web workers are busy with the bulk requests: a reading would wait behind them."""

    def __init__(self, load: Load) -> None:
        self.load = load
        self.samples: list[Sample] = []
        self.failures = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def read() -> tuple[dict[str, float], dict[str, int]] | None:
        from django.db import DatabaseError

        from tercero.platform.ops.selectors import backlogs

        try:
            rows = backlogs()
        except DatabaseError:
            return None
        lag = {f"{r.source}/{r.consumer}": r.oldest_waiting_seconds for r in rows}
        return lag, {f"{r.source}/{r.consumer}": r.waiting for r in rows}

    def _run(self) -> None:
        from django.db import connection

        while not self.stop.is_set():
            began = time.perf_counter()
            found = self.read()
            if found is None:
                self.failures += 1
            else:
                self.samples.append(
                    Sample(began - self.load.began, self.load.items, found[0], found[1])
                )
            self.stop.wait(max(0.0, 1.0 - (time.perf_counter() - began)))
        connection.close()


def _health_from_api(port: int, token: str) -> str:
    """What `/api/v1/ops/health` says of the outbox: the longest lag and each consumer's."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("GET", HEALTH, headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException) as error:
        return f"no answer ({error})"
    finally:
        connection.close()
    if response.status != 200:
        return f"HTTP {response.status}"
    health = json.loads(body)
    rows = ", ".join(
        f"{r['source']}/{r['consumer']} {r['waiting']} waiting, {r['oldest_waiting_seconds']:.1f} s"
        for r in health["backlogs"]
    )
    return f"max_lag_seconds={health['max_lag_seconds']:.1f}: {rows}"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


# --- the worker's CPU -----------------------------------------------------------------


def _worker_pids(serve_pid: int) -> list[int]:
    """The task worker(s) that `tercero serve` started (children running `worker`)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        parent = int(stat.rpartition(")")[2].split()[1])
        if parent == serve_pid and b"worker" in command:
            found.append(int(entry.name))
    return found


def _cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU seconds used so far by `pids`."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


# --- after the load -------------------------------------------------------------------


def _drain(sampler: Sampler, receiver: Receiver, limit: float) -> float | None:
    """Seconds until every consumer has nothing waiting and the receiver has had every
    event; None if that took longer than `limit`."""
    began = time.perf_counter()
    while time.perf_counter() - began < limit:
        found = sampler.read()
        caught_up = found is not None and not any(found[1].values())
        if caught_up and receiver.count() >= _event_count():
            return time.perf_counter() - began
        time.sleep(1.0)
    return None


def _event_count() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM work_workevent")
        return cursor.fetchone()[0]


@dataclass(frozen=True)
class Once:
    events: int
    audit_duplicates: int
    audit_missing: int
    webhook_duplicates: int
    webhook_missing: int
    receipts: dict[str, int]

    @property
    def duplicates(self) -> int:
        return self.audit_duplicates + self.webhook_duplicates

    @property
    def missing(self) -> int:
        return self.audit_missing + self.webhook_missing


def _exactly_once(receiver: Receiver) -> Once:
    """Each work event against its audit events and its deliveries at the receiver."""
    from django.db import connection

    from tercero.platform.audit.checkpoints import CHECKPOINT_SIGNED

    with connection.cursor() as cursor:
        cursor.execute("SELECT id, kind FROM work_workevent")
        kinds = dict(cursor.fetchall())
        cursor.execute(
            "SELECT (payload->>'work_event_id')::bigint, count(*) FROM audit_auditevent"
            " WHERE action LIKE 'work.%%' AND payload ? 'work_event_id' GROUP BY 1"
        )
        audited = dict(cursor.fetchall())
        cursor.execute("SELECT consumer, count(*) FROM work_eventreceipt GROUP BY 1 ORDER BY 1")
        receipts = dict(cursor.fetchall())
    chained = {event for event, kind in kinds.items() if kind != CHECKPOINT_SIGNED}
    with receiver.lock:
        seen = Counter(receiver.seen)
    return Once(
        events=len(kinds),
        audit_duplicates=sum(n - 1 for event, n in audited.items() if n > 1),
        audit_missing=len(chained - set(audited)),
        webhook_duplicates=sum(n - 1 for n in seen.values() if n > 1),
        webhook_missing=len(set(kinds) - set(seen)),
        receipts=receipts,
    )


def _verify(env: dict[str, str]) -> tuple[bool, str]:
    """`tercero audit verify`: passed?, and what it said."""
    command = [sys.executable, "-m", "tercero", "audit", "verify"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
    return done.returncode == 0, (done.stdout + done.stderr).strip().splitlines()[-1]


def _edit_one_audit_event() -> int:
    """As the database owner, past the append-only trigger: alter the payload of the
    work audit event in the middle of the chain. Returns its sequence."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY sequence)"
            " FROM audit_auditevent WHERE action LIKE 'work.%%'"
        )
        sequence = cursor.fetchone()[0]
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            "UPDATE audit_auditevent SET payload = payload || '{\"fields_total\": 13}'::jsonb"
            " WHERE sequence = %s",
            [sequence],
        )
    return sequence


# --- the run --------------------------------------------------------------------------


def _serve(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    """`tercero serve`, once it answers (a busy machine may take minutes to start it)."""
    command = [sys.executable, "-m", "tercero", "serve", "--bind", f"127.0.0.1:{port}"]
    command += ["--web-workers", str(workers)]
    log = Path(env["TERCERO_VAR_DIR"]) / "serve.log"
    server = subprocess.Popen(
        command, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, process_group=0
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and server.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.5)
    _stop(server)
    raise SystemExit(f"tercero serve did not start; see {log}")


def _run_load(args, port: int, world: World, load: Load, sampler: Sampler) -> None:
    load.began = time.perf_counter()
    until = load.began + args.seconds
    sampler.thread.start()
    threads = [
        threading.Thread(target=_post_bulks, args=(port, world, load, until, n))
        for n in range(args.connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sampler.stop.set()
    sampler.thread.join()


def _lag_figures(samples: list[Sample]) -> dict[str, tuple[float, float]]:
    """Per consumer: (max, p95) of its lag over the samples."""
    names = sorted({name for sample in samples for name in sample.lag})
    return {
        name: (
            max((s.lag.get(name, 0.0) for s in samples), default=0.0),
            _percentile([s.lag.get(name, 0.0) for s in samples], 0.95),
        )
        for name in names
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--seconds", type=float, default=600.0, help="of bulk intake")
    parser.add_argument("--rate", type=float, default=0.0, help="items/s; 0: as fast as taken")
    parser.add_argument("--bulk-size", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--drain-seconds", type=float, default=600.0)
    args = parser.parse_args(argv)
    if not (args.database_url or "").startswith("postgres"):
        raise SystemExit("The soak runs on PostgreSQL: give --database-url or DATABASE_URL.")

    env = _setup(args.database_url)
    receiver = Receiver()
    world = _world(receiver.url)
    owner_env = dict(env)
    _app_role(env)
    port = _free_port()
    server = _serve(env, port, args.workers)
    try:
        workers = _worker_pids(server.pid)
        cpu_before = _cpu_seconds(workers)
        load = Load(rate=args.rate, size=args.bulk_size)
        sampler = Sampler(load)
        print(
            f"soak: {args.seconds:.0f} s at {args.rate or 'max'} items/s, {args.bulk_size} a"
            f" request, {args.connections} connections; load={os.getloadavg()[0]:.2f}",
            flush=True,
        )
        _run_load(args, port, world, load, sampler)
        print(f"API at the end of the load: {_health_from_api(port, world.ops_token)}", flush=True)
        drain_s = _drain(sampler, receiver, args.drain_seconds)
        cpu = _cpu_seconds(workers) - cpu_before
        print(f"API after the drain: {_health_from_api(port, world.ops_token)}", flush=True)
    finally:
        _stop(server)
    once = _exactly_once(receiver)
    verify_ok, said = _verify(owner_env)
    edited = _edit_one_audit_event()
    still_ok, said_after = _verify(owner_env)
    names_edit = not still_ok and f"at sequence {edited}:" in said_after
    _report(args, load, sampler, drain_s, once, cpu, len(workers))
    print(f"verify: {said}")
    print(f"verify after editing sequence {edited}: {said_after}")
    _result(load, args, sampler, drain_s, once, verify_ok, names_edit)
    return 0


def _report(args, load, sampler, drain_s, once: Once, cpu: float, workers: int) -> None:
    items_per_s = load.items / args.seconds
    print(
        f"intake: {load.items} items in {load.requests} requests = {items_per_s:.0f} items/s;"
        f" p50 {_percentile(load.latencies, 0.5):.2f} s p95"
        f" {_percentile(load.latencies, 0.95):.2f} s a request; errors {load.errors}"
        + (f" (first: {load.first_error})" if load.errors else "")
    )
    for name, (top, p95) in _lag_figures(sampler.samples).items():
        print(f"lag {name:<24} max {top:7.1f} s  p95 {p95:7.1f} s")
    print(f"lag samples: {len(sampler.samples)} ({sampler.failures} failed reads)")
    for sample in sampler.samples[:: max(1, len(sampler.samples) // 12)]:
        lags = " ".join(f"{k}={v:.0f}s/{sample.waiting[k]}" for k, v in sorted(sample.lag.items()))
        print(f"  t={sample.at:5.0f}s items={sample.items:7d} {lags}")
    print(f"drain: {'not within the limit' if drain_s is None else f'{drain_s:.1f} s'}")
    print(
        f"events: {once.events}; receipts {once.receipts}; audit duplicates"
        f" {once.audit_duplicates} missing {once.audit_missing}; webhook duplicates"
        f" {once.webhook_duplicates} missing {once.webhook_missing}"
    )
    per_event = cpu / once.events * 1000 if once.events else 0.0
    handled = sum(once.receipts.values())
    per_handling = cpu / handled * 1000 if handled else 0.0
    print(
        f"task worker ({workers} process): {cpu:.1f} CPU s, {per_event:.3f} ms an event,"
        f" {per_handling:.3f} ms an event handed to one consumer ({handled} receipts)"
    )


def _result(load, args, sampler, drain_s, once: Once, verify_ok, names_edit) -> None:
    lags = _lag_figures(sampler.samples)
    outbox = [figures for name, figures in lags.items() if name.startswith("outbox/")]
    sending = lags.get("webhooks/sending", (0.0, 0.0))
    print(
        f"RESULT items_per_s={load.items / args.seconds:.0f}"
        f" outbox_lag_max_s={max((f[0] for f in outbox), default=0.0):.1f}"
        f" outbox_lag_p95_s={max((f[1] for f in outbox), default=0.0):.1f}"
        f" webhook_send_lag_max_s={sending[0]:.1f}"
        f" drain_s={'n/a' if drain_s is None else f'{drain_s:.1f}'}"
        f" duplicates={once.duplicates} missing={once.missing}"
        f" verify_ok={verify_ok} verify_names_edit={names_edit}"
        f" load={os.getloadavg()[0]:.2f}",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
