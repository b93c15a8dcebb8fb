"""Server time of the list pages over many items: the staff item list, the client's
item list, the live floor, the floor per agent, the queue wallboard and the SLA report,
each rendered through the whole Django stack (middleware, scope, row-level security,
template), beside a baseline that runs the same page's rows as one raw SQL query in the
same process.

    DATABASE_URL=postgres://root@127.0.0.1/postgres \\
        .venv/bin/python bench/pages.py --agents 500 --items 50000 --runs 30

`--agents` agents (in teams of 25, the first led by the bench's team lead) each hold an
item and changed presence twice today; a delivery manager watches all of them.

Creates a throw-away database `tercero_bench_pages` (or a temporary SQLite file without
DATABASE_URL) and renders as the application role when on PostgreSQL. Prints median
and p95 and worst server time and the query count per page, then one `RESULT` line.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta


def _setup(database_url: str | None) -> str | None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tercero.config.settings"
    os.environ["TERCERO_VAR_DIR"] = tempfile.mkdtemp(prefix="tercero-bench-")
    bench_url = None
    if database_url:
        import psycopg

        base, _, _ = database_url.rpartition("/")
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute("DROP DATABASE IF EXISTS tercero_bench_pages")
            admin.execute("CREATE DATABASE tercero_bench_pages")
        bench_url = f"{base}/tercero_bench_pages"
        os.environ["DATABASE_URL"] = bench_url
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return bench_url


def _world(items: int, agents: int):
    from django.db import connection
    from django.utils import timezone

    from tercero.delivery.engagements.services import create_engagement
    from tercero.delivery.work import services
    from tercero.delivery.work.models import WorkItem
    from tercero.delivery.workforce.services import create_agent, create_site
    from tercero.platform.identity.models import Grant, User
    from tercero.platform.identity.roles import Role
    from tercero.platform.tenancy.models import Client, Provider
    from tercero.platform.tenancy.scoping import client_scope

    provider = Provider.objects.create(name="Bench BPO", country="PH")
    client = Client.objects.create(
        provider=provider, legal_name="Bench Client", country="US", time_zone="America/New_York"
    )
    lead = User.objects.create_user(
        "lead@bench.example", "bench-password-123", full_name="Lead", role=Role.TEAM_LEAD
    )
    customer = User.objects.create_user(
        "user@bench.example",
        "bench-password-123",
        full_name="Client User",
        role=Role.CLIENT_USER,
        client=client,
    )
    Grant.objects.create(user=lead, client=client)
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
    always = {str(d): [["00:00", "24:00"]] for d in range(7)}
    with client_scope(clients=[client]):
        create_agent(actor=None, user=lead, site=site, skills={"data_entry": 3})
        engagement = create_engagement(
            actor=None,
            client=client,
            name="Keying",
            service_line="data_processing",
            category="BPO",
            office="back",
            orientation="horizontal",
            pricing_model="per_transaction",
            time_zone="America/New_York",
            working_hours=always,
            hours_of_cover="24_7",
            status="live",
            sla_targets=[{"metric": "turnaround", "target_seconds": 8 * 3600}],
        )
        queues = [
            services.create_queue(
                actor=None, engagement=engagement, name=f"Q{n}", work_types=["capture.document"]
            )
            for n in range(10)
        ]
        started = time.perf_counter()
        batch = 1000
        for offset in range(0, items, batch):
            rows = [
                {
                    "work_type": "capture.document",
                    "payload": {"document_ref": f"PO-{i}", "fields_total": 5},
                    "external_ref": f"PO-{i}",
                    "priority": 1 + i % 4,
                }
                for i in range(offset, min(items, offset + batch))
            ]
            services.create_items(actor=None, queue=queues[offset // batch % 10], rows=rows)
        # a third already finished, for the SLA report
        now = timezone.now()
        finished = list(WorkItem.objects.values_list("pk", flat=True)[: items // 3])
        WorkItem.objects.filter(pk__in=finished).update(
            status="closed", resolved_at=now - timedelta(days=2), sla_met=True
        )
        manager = _floor(provider, client, site, lead, agents, now)
        created = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return client, lead, customer, manager, created


def _floor(provider, client, site, lead, count: int, now):
    """`count` agents granted to the client, in teams of 25 (the first led by `lead`),
    each holding one item and back from a break today; and a delivery manager."""
    from django.contrib.auth.hashers import make_password

    from tercero.delivery.work.models import WorkItem
    from tercero.delivery.workforce.models import Agent, PresenceChange, Team, TeamMembership
    from tercero.platform.identity.models import Grant, User
    from tercero.platform.identity.roles import Role

    password = make_password("bench-password-123")
    manager = User.objects.create_user(
        "ops@bench.example", "bench-password-123", full_name="Ops", role=Role.DELIVERY_MANAGER
    )
    Grant.objects.create(user=manager, client=client)
    users = User.objects.bulk_create(
        User(
            email=f"agent{n}@bench.example",
            full_name=f"Agent {n:04d}",
            role=Role.AGENT,
            password=password,
        )
        for n in range(count)
    )
    Grant.objects.bulk_create(Grant(user=user, client=client) for user in users)
    since = now - timedelta(hours=2)
    agents = Agent.objects.bulk_create(
        Agent(user=user, site=site, presence="available", presence_since=since, idle_since=since)
        for user in users
    )
    teams = [
        Team.objects.create(provider=provider, name=f"Team {n}", lead=lead if n == 0 else None)
        for n in range((count + 24) // 25)
    ]
    TeamMembership.objects.bulk_create(
        TeamMembership(team=teams[n // 25], agent=agent) for n, agent in enumerate(agents)
    )
    PresenceChange.objects.bulk_create(
        change
        for agent in agents
        for change in (
            PresenceChange(
                agent=agent,
                presence="break",
                previous="available",
                at=since - timedelta(minutes=15),
            ),
            PresenceChange(agent=agent, presence="available", previous="break", at=since),
        )
    )
    queued = list(WorkItem.objects.filter(status="queued").values_list("pk", flat=True)[:count])
    for agent, item_id in zip(agents, queued, strict=False):
        WorkItem.objects.filter(pk=item_id).update(
            status="in_progress", assignee=agent, assigned_at=since, working_since=since
        )
    return manager


def _measure(client, path: str, runs: int) -> tuple[list[float], int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)  # warm: templates compiled, statements prepared
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    return times, len(queries), len(response.content)


def _baseline(client_id: int, runs: int) -> list[float]:
    """The item list page's rows as one hand-written query (no count, no template)."""
    from django.db import connection

    from tercero.platform.tenancy.scoping import client_scope

    sql = (
        "SELECT i.id, i.title, i.status, q.name, i.priority, u.full_name, i.due_at, i.created_at"
        " FROM work_workitem i JOIN work_queue q ON q.id = i.queue_id"
        " LEFT JOIN workforce_agent a ON a.id = i.assignee_id"
        " LEFT JOIN identity_user u ON u.id = a.user_id"
        " WHERE i.client_id = %s ORDER BY i.created_at DESC, i.id DESC LIMIT 50"
    )
    times = []
    for _ in range(runs):
        with client_scope(clients=[client_id]):
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(sql, [client_id])
                cursor.fetchall()
            times.append(time.perf_counter() - started)
    return times


def _p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()

    bench_url = _setup(args.database_url)
    from django.db import connection
    from django.test import Client

    client, lead, customer, manager, created = _world(args.items, args.agents)
    print(
        f"engine={connection.vendor} items={args.items} agents={args.agents}"
        f" created in {created:.1f}s"
    )
    if bench_url:
        from tercero.platform.ops.database import grant_app_role

        grant_app_role(role="tercero_app")
        connection.close()
        connection.settings_dict["USER"] = "tercero_app"

    pages = {
        "items": (lead, "/work/items/"),
        "items_filtered": (lead, "/work/items/?status=queued&priority=1&sort=-due_at"),
        "items_search": (lead, "/work/items/?q=PO-99"),
        "portal_items": (customer, "/portal/items/"),
        "floor": (lead, "/ops/"),
        "floor_agents": (manager, "/ops/agents/?per_page=100"),
        "floor_team": (lead, "/ops/agents/"),
        "floor_search": (manager, "/ops/agents/?q=Agent+01&state=available"),
        "wallboard": (lead, "/ops/wallboard/"),
        "wallboard_live": (lead, "/ops/wallboard/live/"),
        "sla": (lead, "/ops/sla/"),
    }
    result = {}
    for name, (user, path) in pages.items():
        browser = Client()
        browser.force_login(user)
        times, queries, size = _measure(browser, path, args.runs)
        median, p95 = statistics.median(times) * 1000, _p(times, 0.95) * 1000
        slowest = max(times) * 1000
        print(
            f"{name:<15} {path:<52} median {median:6.1f} ms  p95 {p95:6.1f} ms  "
            f"worst {slowest:6.1f} ms  {queries:2d} queries  {size / 1024:5.0f} KiB"
        )
        result[name] = (median, queries, slowest)
    base = statistics.median(_baseline(client.pk, args.runs)) * 1000
    print(f"baseline        one raw SQL query for the item list's rows: median {base:.2f} ms")
    # worst_ms: the slowest page's median, as in every earlier run of this bench; each
    # page's single slowest run is its own <page>_worst_ms
    worst = max(median for median, _, _ in result.values())
    print(
        "RESULT "
        + " ".join(
            f"{k}_ms={v[0]:.1f} {k}_worst_ms={v[2]:.1f} {k}_queries={v[1]}"
            for k, v in result.items()
        )
        + f" baseline_ms={base:.2f} items_ratio={result['items'][0] / base:.0f}"
        + f" worst_ms={worst:.1f} items={args.items} agents={args.agents}"
        + f" engine={connection.vendor}"
    )
    return 0 if worst < 300 else 1


if __name__ == "__main__":
    sys.exit(main())
