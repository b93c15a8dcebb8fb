"""The month's quality report for 500 agents and a million completed items' evaluations,
beside a bare SQL aggregate of the same figures.

    DATABASE_URL=postgres://root@127.0.0.1/postgres \\
        .venv/bin/python bench/quality.py --agents 500 --items 1000000
    .venv/bin/python bench/quality.py --agents 50 --items 20000       # embedded SQLite

What "a million completed items" means here: the report reads evaluations, never work
items, so the bench writes one evaluation row per completed item of the month, as a back
office reviewing every item (100 % inspection, double keying) would: the heaviest case
(a 5 % QA sample of a million items is 50,000 rows, twenty times less). The items
themselves are not generated; `source_item_id` numbers them. Two clients, two
engagements each (a conversation scorecard with yes/no, 1-5, points and bonus criteria,
and a "fields" scorecard of keyed fields), 500 agents on three sites (onshore, nearshore
and offshore to the clients) in teams of 20 under 25 team leads; scores, N/A and
critical failures drawn with a fixed seed. Besides the month, 2 % more rows fall in
October and 1 % are calibration: the report must leave both out.

Rows are bulk-inserted as the table owner (COPY on PostgreSQL, multi-row inserts on
SQLite), then ANALYZEd. Timed, alternating, `--runs` times each: `reports.report` (every
dimension, criteria, weekly trend, names and intervals, through the ORM inside the client
scope) and the bare SQL of the same grouped sums (no names, no intervals, no ORM), after one
untimed run of each. Prints the medians and one RESULT line.
"""

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
DATABASE = "tercero_bench_quality"
MONTH = date(2026, 11, 1)
CONVERSATION = {
    "sections": [
        {
            "title": "Call",
            "criteria": [
                {"key": "greeting", "label": "Greets the caller", "weight": 1, "scale": "yes_no"},
                {"key": "verify", "label": "Verifies identity", "weight": 2, "scale": "yes_no",
                 "critical": True, "allows_na": True},
                {"key": "tone", "label": "Tone", "weight": 1, "scale": "one_to_five"},
                {"key": "resolution", "label": "Resolution", "weight": 2, "scale": "points",
                 "max_points": 10},
                {"key": "delight", "label": "Delights", "weight": 1, "scale": "yes_no",
                 "bonus": True},
            ],
        }
    ]
}  # fmt: skip
FIELDS = {
    "sections": [
        {
            "title": "Keyed fields",
            "criteria": [
                {"key": "ref", "label": "Reference", "weight": 1, "scale": "yes_no",
                 "critical": True, "field": "document_ref"},
                {"key": "name", "label": "Name", "weight": 1, "scale": "yes_no",
                 "field": "customer_name"},
                {"key": "iban", "label": "Bank account", "weight": 2, "scale": "yes_no",
                 "critical": True, "field": "customer_iban"},
            ],
        }
    ]
}  # fmt: skip
COLUMNS = (
    "client_id", "engagement_id", "source_item_id", "agent_id", "evaluator_id",
    "scorecard_version_id", "scores", "comments", "overall_comment", "score", "critical_failed",
    "fields_total", "fields_right", "status", "submitted_at", "is_calibration", "site_id",
    "team_lead_id", "version", "created_at",
)  # fmt: skip


def _setup(database_url: str | None) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tercero.config.settings"
    os.environ["TERCERO_VAR_DIR"] = tempfile.mkdtemp(prefix="tercero-bench-quality-")
    if database_url:
        import psycopg

        base, _, _ = database_url.rpartition("/")
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {DATABASE}")
        os.environ["DATABASE_URL"] = f"{base}/{DATABASE}"
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _people(provider, count: int, role: str, prefix: str) -> list:
    from tercero.platform.identity.models import User
    from tercero.platform.tenancy.scoping import all_clients_scope

    with all_clients_scope():
        users = [
            User(email=f"{prefix}{n}@bench.example", full_name=f"{prefix.title()} {n}", role=role)
            for n in range(count)
        ]
        for user in users:
            user.set_unusable_password()
        return User.objects.bulk_create(users, batch_size=500)


def _world(agent_count: int) -> dict:
    """Two clients with two engagements each (a scorecard version and rule on each),
    three sites, the agents, their team leads and one evaluator."""
    from django.utils import timezone
    from tests.factories import engagement_for, site

    from tercero.delivery.workforce.models import Agent
    from tercero.governance.quality.models import SamplingRule, Scorecard, ScorecardVersion
    from tercero.platform.tenancy.models import Client, Provider
    from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

    provider = Provider.objects.create(name="Bench BPO")
    clients = [
        Client.objects.create(provider=provider, legal_name=name, country=country, time_zone=zone)
        for name, country, zone in (
            ("Bench Retail Inc", "US", "America/New_York"),
            ("Bench Versand GmbH", "DE", "Europe/Berlin"),
        )
    ]
    sites = [
        site(name="New York", country="US", time_zone="America/New_York", city="New York"),
        site(name="Lisbon", country="PT", time_zone="Europe/Lisbon", city="Lisbon"),
        site(name="Manila"),
    ]
    engagements, versions = [], []
    for client in clients:
        for kind, definition in (("conversation", CONVERSATION), ("fields", FIELDS)):
            engagement = engagement_for(client, name=f"{client.legal_name} {kind}", status="live")
            with client_scope(clients=[client]):
                card = Scorecard.objects.create(
                    client=client, engagement=engagement, work_type="capture.document",
                    name=f"{kind} card", kind=kind, is_active=True)  # fmt: skip
                version = ScorecardVersion.objects.create(
                    client=client, scorecard=card, number=1, definition=definition
                )
                SamplingRule.objects.create(
                    client=client, engagement=engagement, work_type="capture.document",
                    scorecard=card)  # fmt: skip
            engagements.append(engagement)
            versions.append(version)
    leads = _people(provider, max(1, agent_count // 20), "team_lead", "lead")
    evaluator = _people(provider, 1, "qa_analyst", "analyst")[0]
    users = _people(provider, agent_count, "agent", "agent")
    now = timezone.now()
    with all_clients_scope():
        agents = Agent.objects.bulk_create(
            [
                Agent(user=user, site=sites[n % 3], presence_since=now, idle_since=now)
                for n, user in enumerate(users)
            ],
            batch_size=500,
        )
    return {
        "clients": clients,
        "engagements": engagements,
        "versions": versions,
        "agents": agents,
        "leads": leads,
        "evaluator": evaluator,
    }


def _score_pools(rng: random.Random) -> dict[str, list[tuple]]:
    """Pre-drawn scores per kind: (scores JSON, score, critical failed, fields total, right)."""
    from tercero.governance.quality.scorecards import score

    pools: dict[str, list[tuple]] = {"conversation": [], "fields": []}
    for _ in range(2000):
        marks = {
            "greeting": int(rng.random() < 0.95),
            "verify": None if rng.random() < 0.1 else int(rng.random() < 0.97),
            "tone": rng.choice((2, 3, 4, 4, 5, 5)),
            "resolution": rng.choice((4, 6, 8, 9, 10, 10)),
            "delight": int(rng.random() < 0.2),
        }
        result = score(CONVERSATION, marks)
        pools["conversation"].append(
            (json.dumps(marks), result.percent, result.critical_failed, 0, 0)
        )
        fields = {key: int(rng.random() < 0.985) for key in ("ref", "name", "iban")}
        result = score(FIELDS, fields)
        pools["fields"].append(
            (json.dumps(fields), result.percent, result.critical_failed,
             result.fields_total, result.fields_right)
        )  # fmt: skip
    return pools


def _rows(world: dict, items: int, seed: int):
    """The evaluation rows: `items` in the month, 2 % more in October, 1 % calibration."""
    rng = random.Random(seed)
    pools = _score_pools(rng)
    agents, leads = world["agents"], world["leads"]
    start = datetime(MONTH.year, MONTH.month, 1, tzinfo=UTC)
    seconds = 30 * 86400
    extra_october, extra_calibration = items // 50, items // 100
    for n in range(items + extra_october + extra_calibration):
        agent_index = rng.randrange(len(agents))
        agent = agents[agent_index]
        slot = agent_index % len(world["engagements"])
        engagement, version = world["engagements"][slot], world["versions"][slot]
        kind = "conversation" if slot % 2 == 0 else "fields"
        marks, percent, critical, total, right = rng.choice(pools[kind])
        at = start + timedelta(seconds=rng.randrange(seconds))
        if items <= n < items + extra_october:
            at = start - timedelta(seconds=1 + rng.randrange(seconds))  # October
        yield (
            engagement.client_id, engagement.pk, 10_000_000 + n, agent.pk, world["evaluator"].pk,
            version.pk, marks, "{}", "", percent, critical, total, right, "submitted", at,
            n >= items + extra_october, agent.site_id, leads[agent_index // 20 % len(leads)].pk,
            1, at,
        )  # fmt: skip


def _insert(world: dict, items: int, seed: int) -> float:
    from django.db import connection

    started = time.perf_counter()
    rows = _rows(world, items, seed)
    columns = ", ".join(COLUMNS)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(f"COPY quality_evaluation ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute("ANALYZE quality_evaluation")
    else:
        marks = ", ".join(["%s"] * len(COLUMNS))
        sql = f"INSERT INTO quality_evaluation ({columns}) VALUES ({marks})"
        with connection.cursor() as cursor:
            batch = []
            for row in rows:
                at = row[14].replace(tzinfo=None).isoformat(" ")  # as Django stores it
                batch.append((*row[:9], str(row[9]), *row[10:14], at, *row[15:19], at))
                if len(batch) == 5000:
                    cursor.executemany(sql, batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
            cursor.execute("ANALYZE quality_evaluation")
    return time.perf_counter() - started


def _bare_sql(client_ids: list[int], vendor: str) -> list:
    """The same grouped sums as the report, as bare SQL: one query per dimension, the
    weekly trend, and the criteria counts per scorecard version."""
    from django.db import connection

    start = datetime(MONTH.year, MONTH.month, 1, tzinfo=UTC)
    end = datetime(MONTH.year, MONTH.month + 1, 1, tzinfo=UTC)
    ids = ", ".join(str(int(i)) for i in client_ids)
    where = (
        f"e.client_id IN ({ids}) AND NOT e.is_calibration "
        "AND e.submitted_at >= %s AND e.submitted_at < %s"
    )
    sums = (
        "count(*), sum(e.score), sum(e.score * e.score), "
        "sum(CASE WHEN s.kind = 'fields' THEN e.fields_right WHEN NOT e.critical_failed "
        "THEN 1 ELSE 0 END), sum(CASE WHEN s.kind = 'fields' THEN e.fields_total ELSE 1 END)"
    )
    joined = (
        "FROM quality_evaluation e JOIN quality_scorecardversion v "
        "ON v.id = e.scorecard_version_id JOIN quality_scorecard s ON s.id = v.scorecard_id"
    )
    week = (
        "date_trunc('week', e.submitted_at)"
        if vendor == "postgresql"
        else "date(e.submitted_at, 'weekday 0', '-6 days')"
    )
    groups = ["e.agent_id", "e.team_lead_id", "e.site_id", "e.site_id, e.client_id",
              "e.client_id", "e.engagement_id", week]  # fmt: skip
    out = []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sums} {joined} WHERE {where}", [start, end])
        out.append(cursor.fetchall())
        for group in groups:
            cursor.execute(
                f"SELECT {group}, {sums} {joined} WHERE {where} GROUP BY {group}", [start, end]
            )
            out.append(cursor.fetchall())
        for keys in (CONVERSATION, FIELDS):
            out.append(_bare_criteria(cursor, vendor, where, start, end, keys))
    return out


def _bare_criteria(cursor, vendor: str, where: str, start, end, definition) -> list:
    keys = [c for s in definition["sections"] for c in s["criteria"] if not c.get("bonus")]
    parts = []
    for c in keys:
        low = 1 if c["scale"] == "one_to_five" else 0
        if vendor == "postgresql":
            key = c["key"]
            parts += [
                f"count(*) FILTER (WHERE e.scores ? '{key}')",
                f"count(*) FILTER (WHERE e.scores -> '{key}' = 'null'::jsonb)",
                f"count(*) FILTER (WHERE e.scores -> '{key}' = '{low}'::jsonb)",
            ]
        else:
            path = f"'$.{c['key']}'"
            parts += [f"sum(json_type(e.scores, {path}) IS NOT NULL)",
                      f"sum(json_type(e.scores, {path}) = 'null')",
                      f"sum(json_extract(e.scores, {path}) = {low})"]  # fmt: skip
    cursor.execute(
        f"SELECT e.scorecard_version_id, {', '.join(parts)} FROM quality_evaluation e "
        f"WHERE {where} GROUP BY e.scorecard_version_id",
        [start, end],
    )
    return cursor.fetchall()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    _setup(args.database_url)

    from django.db import connection, transaction

    from tercero.governance.quality import reports
    from tercero.platform.tenancy.scoping import client_scope

    world = _world(args.agents)
    seconds = _insert(world, args.items, args.seed)
    outside = args.items // 50 + args.items // 100
    print(
        f"engine: {connection.vendor}; inserted {args.items:,} evaluations "
        f"(+{outside:,} outside the report) in {seconds:.1f} s"
    )
    client_ids = [c.pk for c in world["clients"]]
    first, last = reports.month_bounds(MONTH)
    filters = reports.Filters(client_ids=client_ids, first=first, last=last)
    report_ms, baseline_ms = [], []
    found = None
    with client_scope(clients=client_ids):
        with transaction.atomic():  # one untimed run each: imports (SciPy) and warm caches
            reports.report(filters)
            _bare_sql(client_ids, connection.vendor)
        for _ in range(args.runs):
            with transaction.atomic():
                started = time.perf_counter()
                found = reports.report(filters)
                report_ms.append((time.perf_counter() - started) * 1000)
            with transaction.atomic():
                started = time.perf_counter()
                _bare_sql(client_ids, connection.vendor)
                baseline_ms.append((time.perf_counter() - started) * 1000)
    assert found is not None
    assert found.overall.evaluations == args.items, found.overall
    report = statistics.median(report_ms)
    baseline = statistics.median(baseline_ms)
    overall = found.overall
    print(
        f"report: {len(found.dimensions['agent'])} agents, overall score {overall.score:.2f} "
        f"({overall.score_low:.2f} to {overall.score_high:.2f}), accuracy "
        f"{overall.accuracy:.2f} %, {len(found.criteria)} criteria, {len(found.trend)} weeks"
    )
    print(f"report runs (ms): {', '.join(f'{v:.0f}' for v in report_ms)}")
    print(f"bare SQL runs (ms): {', '.join(f'{v:.0f}' for v in baseline_ms)}")
    print(
        f"RESULT agents={args.agents} items={args.items} report_ms={report:.0f} "
        f"baseline_ms={baseline:.0f} ratio={report / baseline:.2f} engine={connection.vendor}"
    )


if __name__ == "__main__":
    main()
