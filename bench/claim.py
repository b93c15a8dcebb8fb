"""Claiming under contention: `get_next` (the engine's pull routing) beside a bare SQL
`FOR UPDATE SKIP LOCKED` loop doing the same claims, in the same run.

    DATABASE_URL=postgres://root@127.0.0.1/postgres \\
        .venv/bin/python bench/claim.py --items 100000 --queues 50 --claimers 200

Creates a throw-away database `tercero_bench_claim` on the server in DATABASE_URL (or a
temporary SQLite file without it). `--claimers` agents claim through `--connections`
database connections (threads); each connection serves its share of the agents in
turn, so 200 agents do not need 200 server connections. The engine path runs as the
application role (row-level security in force); the baseline runs as the owner.
Prints both throughputs, latency percentiles, double claims and unclaimed items, then
one `RESULT` line (with the machine's one-minute load average before and after the runs:
other work on the machine moves both paths' figures).
"""

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter


def _setup(database_url: str | None) -> str | None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tercero.config.settings"
    os.environ["TERCERO_VAR_DIR"] = tempfile.mkdtemp(prefix="tercero-bench-")
    bench_url = None
    if database_url:
        import psycopg

        base, _, _ = database_url.rpartition("/")
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute("DROP DATABASE IF EXISTS tercero_bench_claim")
            admin.execute("CREATE DATABASE tercero_bench_claim")
        bench_url = f"{base}/tercero_bench_claim"
        os.environ["DATABASE_URL"] = bench_url
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return bench_url


def _world(items: int, queues: int, claimers: int, engagements: int):
    from django.db import connection

    from tercero.delivery.engagements.services import create_engagement
    from tercero.delivery.work import services
    from tercero.delivery.workforce.models import Clearance
    from tercero.delivery.workforce.services import create_agent, create_site, set_presence
    from tercero.platform.identity.models import Grant, User
    from tercero.platform.tenancy.models import Client, Provider
    from tercero.platform.tenancy.scoping import client_scope

    provider = Provider.objects.create(name="Bench BPO")
    client = Client.objects.create(
        provider=provider, legal_name="Bench Client", country="US", time_zone="America/New_York"
    )
    site = create_site(
        actor=None,
        provider=provider,
        name="Manila",
        country="PH",
        city="Manila",
        time_zone="Asia/Manila",
        languages=["en"],
        hourly_cost_minor=900,
        currency="USD",
    )
    with client_scope(clients=[client]):
        made = [
            create_engagement(
                actor=None,
                client=client,
                name=f"Keying {n}",
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
            for n in range(engagements)
        ]
        queue_list = [
            services.create_queue(
                actor=None,
                engagement=made[n % engagements],
                name=f"Queue {n}",
                work_types=["capture.document"],
            )
            for n in range(queues)
        ]
    agents = []
    for n in range(claimers):
        user = User.objects.create_user(
            f"agent{n}@bench.example", full_name=f"Agent {n}", role="agent"
        )
        Grant.objects.create(user=user, client=client, reason="bench")
        agent = create_agent(
            actor=None,
            user=user,
            site=site,
            skills={"data_entry": 3},
            languages=["en"],
            capacity={"back_office": items},
        )
        with client_scope(clients=[client]):
            Clearance.objects.bulk_create(
                [Clearance(client=client, agent=agent, engagement=e) for e in made]
            )
        agents.append(set_presence(agent=agent, presence="available"))
    started = time.perf_counter()
    with client_scope(clients=[client]):
        batch = 5000
        for start in range(0, items, batch):
            for q, queue in enumerate(queue_list):
                rows = [
                    {
                        "work_type": "capture.document",
                        "payload": {"document_ref": f"D{n}", "fields_total": 5},
                        "priority": 1 + n % 4,
                    }
                    for n in range(start, min(start + batch, items))
                    if n % queues == q
                ]
                if rows:
                    services.create_items(actor=None, queue=queue, rows=rows)
    created_s = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum does after a bulk load
    connection.close()
    return client, queue_list, agents, created_s


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def _run(connections: int, agents: list, claim_once) -> tuple[list[int], list[float], float]:
    """Each thread serves its share of agents round-robin until none gets an item."""
    from django.db import connections as django_connections

    shares = [agents[n::connections] for n in range(connections)]
    claimed: list[list[int]] = [[] for _ in shares]
    latencies: list[list[float]] = [[] for _ in shares]
    barrier = threading.Barrier(len(shares) + 1)
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            barrier.wait()
            live = list(shares[n])
            while live:
                for agent in list(live):
                    began = time.perf_counter()
                    got = claim_once(agent)
                    latencies[n].append(time.perf_counter() - began)
                    if got is None:
                        live.remove(agent)
                    else:
                        claimed[n].append(got)
        except BaseException as error:  # reported after the run
            failures.append(error)
        finally:
            django_connections.close_all()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(len(shares))]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise failures[0]
    return [i for mine in claimed for i in mine], [x for mine in latencies for x in mine], elapsed


def _run_processes(processes: int, connections: int, agents: list, make_claim):
    """`_run` in `processes` forked processes (as a web tier runs several), each with its
    share of agents and connections; returns the same as `_run`, timed from a common
    start to the last process done."""
    if processes <= 1:
        return _run(connections, agents, make_claim())
    import multiprocessing

    from django.db import connections as django_connections

    django_connections.close_all()
    context = multiprocessing.get_context("fork")
    start = context.Barrier(processes + 1)
    results = context.Queue()
    per_process = max(1, connections // processes)

    def child(n: int) -> None:
        start.wait()
        results.put(_run(per_process, agents[n::processes], make_claim()))

    children = [context.Process(target=child, args=(n,)) for n in range(processes)]
    for process in children:
        process.start()
    start.wait()
    began = time.perf_counter()
    gathered = [results.get() for _ in children]
    elapsed = time.perf_counter() - began
    for process in children:
        process.join()
    claimed = [i for got, _, _ in gathered for i in got]
    latencies = [x for _, lat, _ in gathered for x in lat]
    return claimed, latencies, elapsed


def _engine_claim(client_ids):
    from tercero.delivery.work import services

    def claim(agent):
        item = services.get_next(agent=agent, client_ids=client_ids)
        return None if item is None else item.pk

    return claim


def _bare_sql_claim(bench_url: str | None, queue_ids: list[int]):
    """The same claim with nothing around it: pick with SKIP LOCKED, mark, record the
    assignment and the outbox event, commit. One connection per thread; no routing
    rules, no row-level security (it runs as the owner)."""
    local = threading.local()
    if bench_url:
        import psycopg

        sql = """
            WITH picked AS (
                SELECT id FROM work_workitem
                WHERE status = 'queued' AND queue_id = ANY(%(queues)s)
                ORDER BY priority, route_due_at, queued_at, id
                LIMIT 1 FOR UPDATE SKIP LOCKED
            ), claimed AS (
                UPDATE work_workitem w SET status = 'assigned', assignee_id = %(agent)s,
                    assigned_at = now(), version = w.version + 1
                FROM picked WHERE w.id = picked.id
                RETURNING w.id, w.client_id, w.engagement_id, w.channel
            ), held AS (
                INSERT INTO work_assignment (client_id, item_id, agent_id, channel, how,
                    started_at, end_reason)
                SELECT client_id, id, %(agent)s, channel, 'pull', now(), '' FROM claimed
            ), logged AS (
                INSERT INTO work_workevent (client_id, item_id, engagement_id, kind, data, at)
                SELECT client_id, id, engagement_id, 'item.assigned', '{}', now() FROM claimed
            )
            SELECT id FROM claimed
        """

        def claim(agent):
            if not hasattr(local, "db"):
                local.db = psycopg.connect(bench_url)
            with local.db.transaction():
                row = local.db.execute(sql, {"queues": queue_ids, "agent": agent.pk}).fetchone()
            return row[0] if row else None

        return claim

    from django.db import connection, transaction

    marks = ",".join("%s" for _ in queue_ids)

    def claim_sqlite(agent):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE work_workitem SET status = 'assigned', assignee_id = %s,"
                " version = version + 1 WHERE id = (SELECT id FROM work_workitem"
                f" WHERE status = 'queued' AND queue_id IN ({marks})"
                " ORDER BY priority, route_due_at, queued_at, id LIMIT 1)"
                " RETURNING id, client_id",
                [agent.pk, *queue_ids],
            )
            row = cursor.fetchone()
            if row:
                cursor.execute(
                    "INSERT INTO work_assignment (client_id, item_id, agent_id, channel, how,"
                    " started_at, end_reason) VALUES (%s, %s, %s, 'back_office', 'pull',"
                    " CURRENT_TIMESTAMP, '')",
                    [row[1], row[0], agent.pk],
                )
                cursor.execute(
                    "INSERT INTO work_workevent (client_id, item_id, engagement_id, kind, data, at)"
                    " SELECT client_id, id, engagement_id, 'item.assigned', '{}', CURRENT_TIMESTAMP"
                    " FROM work_workitem WHERE id = %s",
                    [row[0]],
                )
        return row[0] if row else None

    return claim_sqlite


def _reset(bench_url: str | None) -> None:
    """Put every item back in its queue (as the owner) for the baseline run."""
    statements = [
        "DELETE FROM work_assignment",
        "UPDATE work_workitem SET status = 'queued', assignee_id = NULL, assigned_at = NULL",
    ]
    if bench_url:
        import psycopg

        with psycopg.connect(bench_url, autocommit=True) as owner:
            for statement in statements:
                owner.execute(statement)
        return
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _check(claimed: list[int], total: int, bench_url: str | None) -> tuple[int, int]:
    doubles = sum(n - 1 for n in Counter(claimed).values() if n > 1)
    sql_left = "SELECT count(*) FROM work_workitem WHERE status = 'queued'"
    sql_twice = (
        "SELECT count(*) FROM (SELECT item_id FROM work_assignment WHERE ended_at IS NULL"
        " GROUP BY item_id HAVING count(*) > 1) AS twice"
    )
    if bench_url:
        import psycopg

        with psycopg.connect(bench_url) as owner:
            left = owner.execute(sql_left).fetchone()[0]
            doubles += owner.execute(sql_twice).fetchone()[0]
    else:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(sql_left)
            left = cursor.fetchone()[0]
            cursor.execute(sql_twice)
            doubles += cursor.fetchone()[0]
    unclaimed = max(left, total - len(set(claimed)))
    return doubles, unclaimed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--queues", type=int, default=50)
    parser.add_argument("--claimers", type=int, default=50)
    parser.add_argument("--connections", type=int, default=0, help="default: min(claimers, 60)")
    parser.add_argument("--engagements", type=int, default=5)
    parser.add_argument(
        "--processes", type=int, default=1, help="claimer processes (connections split)"
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args(argv)
    connections = args.connections or min(args.claimers, 60)
    if not args.database_url:
        connections = min(connections, 8)

    bench_url = _setup(args.database_url)
    from django.db import connection

    from tercero.platform.ops.database import grant_app_role

    engine = connection.vendor
    client, queues, agents, created_s = _world(
        args.items, args.queues, args.claimers, args.engagements
    )
    print(f"engine={engine} items={args.items} queues={args.queues} claimers={args.claimers}")
    print(f"created {args.items} items in {created_s:.1f}s ({args.items / created_s:,.0f}/s)")
    if bench_url:
        grant_app_role(role="tercero_app")
        connection.close()
        owner = connection.settings_dict["USER"]
        connection.settings_dict["USER"] = "tercero_app"

    load_before = os.getloadavg()[0]
    claimed, latencies, elapsed = _run_processes(
        args.processes, connections, agents, lambda: _engine_claim([client.pk])
    )
    if bench_url:
        connection.close()
        connection.settings_dict["USER"] = owner
    doubles, unclaimed = _check(claimed, args.items, bench_url)
    rate = len(claimed) / elapsed
    p50, p95, p99 = (_percentile(latencies, s) * 1000 for s in (0.5, 0.95, 0.99))
    print(
        f"get_next: {len(claimed)} claims in {elapsed:.1f}s = {rate:,.0f}/s;"
        f" latency p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms;"
        f" double claims {doubles}, unclaimed {unclaimed}"
    )

    _reset(bench_url)
    queue_ids = [q.pk for q in queues]
    sql_claimed, sql_latencies, sql_elapsed = _run_processes(
        args.processes, connections, agents, lambda: _bare_sql_claim(bench_url, queue_ids)
    )
    sql_doubles, sql_unclaimed = _check(sql_claimed, args.items, bench_url)
    sql_rate = len(sql_claimed) / sql_elapsed
    sql_p95 = _percentile(sql_latencies, 0.95) * 1000
    print(
        f"bare SQL: {len(sql_claimed)} claims in {sql_elapsed:.1f}s = {sql_rate:,.0f}/s;"
        f" latency p50 {statistics.median(sql_latencies) * 1000:.1f} ms, p95 {sql_p95:.1f} ms;"
        f" double claims {sql_doubles}, unclaimed {sql_unclaimed}"
    )
    ratio = rate / sql_rate if sql_rate else 0.0
    load_after = os.getloadavg()[0]
    print(
        f"RESULT engine={engine} items={args.items} claimers={args.claimers}"
        f" connections={connections} processes={args.processes}"
        f" claims_per_s={rate:.0f} p50_ms={p50:.1f} p95_ms={p95:.1f}"
        f" p99_ms={p99:.1f} double_claims={doubles} unclaimed={unclaimed}"
        f" sql_claims_per_s={sql_rate:.0f} sql_p95_ms={sql_p95:.1f} ratio_vs_sql={ratio:.2f}"
        f" load_before={load_before:.1f} load_after={load_after:.1f}"
    )
    return 0 if doubles == 0 and unclaimed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
