"""Insider-misuse detector: one detection pass over a busy hour of the audit trail,
beside the bare SQL aggregate it is built on, plus a replayed harvest.

    .venv/bin/python bench/misuse.py --agents 50 --views-per-hour 40 --hours 8
    .venv/bin/python bench/misuse.py --database-url postgres://root@127.0.0.1/postgres

A normal shift (every agent opens `--views-per-hour` records an hour, a few reveals) is
written straight into the audit table (the chain is not what is measured), then the
detector runs as the scheduler would at the end of each hour: it must raise nothing.
Then one agent opens 500 records in 10 minutes and the detector runs every 20 s: it must
raise exactly one alert, and the delay from crossing the limit to the alert is printed.
Uses a throw-away database. Ends with one `RESULT` line.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta


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


class Trail:
    """Writes audit rows in bulk (sequence and hash made up: only counts matter here)."""

    def __init__(self):
        self.sequence = 0
        self.rows = []

    def add(self, *, at, actor, client, action, object_id, engagement_id, on_shift=True):
        from tercero.platform.audit.models import AuditEvent

        self.sequence += 1
        self.rows.append(
            AuditEvent(
                sequence=self.sequence,
                occurred_at=at,
                actor_id=actor,
                actor_label="",
                client_id=client,
                action=action,
                object_type="work_item",
                object_id=str(object_id),
                payload={"engagement_id": engagement_id, "on_shift": on_shift},
                payload_digest="",
                prev_hash="",
                hash=f"bench-{self.sequence}",
            )
        )

    def flush(self):
        from tercero.platform.audit.models import AuditEvent

        AuditEvent.objects.bulk_create(self.rows, batch_size=2000)
        self.rows = []


def _world(agents: int):
    from tercero.delivery.engagements.services import create_engagement
    from tercero.platform.identity.models import User
    from tercero.platform.tenancy.models import Client, Provider
    from tercero.platform.tenancy.scoping import client_scope

    provider = Provider.objects.create(name="Bench BPO", country="PH")
    client = Client.objects.create(
        provider=provider,
        legal_name="Bench Client",
        country="US",
        time_zone="America/New_York",
        industry_vertical="retail",
        status="active",
    )
    with client_scope(clients=[client]):
        engagement = create_engagement(
            actor=None,
            client=client,
            name="Claims",
            service_line="customer_care",
            category="BPO",
            office="front",
            orientation="horizontal",
            pricing_model="per_hour",
            time_zone=client.time_zone,
            working_hours={0: [["09:00", "17:00"]]},
        )
    people = [
        User.objects.create_user(f"agent{n}@bench.example", None, full_name=f"A{n}", role="agent")
        for n in range(agents)
    ]
    return client, engagement, people


def _raw_aggregate(since):
    from django.db import connection

    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(
            "SELECT actor_id, client_id, COUNT(DISTINCT object_id) FROM audit_auditevent"
            " WHERE occurred_at >= %s AND action IN ('work_item.viewed', 'work_item.revealed')"
            " AND actor_id IS NOT NULL AND client_id IS NOT NULL GROUP BY actor_id, client_id",
            [since],
        )
        cursor.fetchall()
        return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--views-per-hour", type=int, default=40)
    parser.add_argument("--hours", type=int, default=8)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    _setup(args.database_url)
    import time_machine

    from tercero.platform.security import detector
    from tercero.platform.security.models import SecurityAlert
    from tercero.platform.tenancy.scoping import client_scope

    client, engagement, people = _world(args.agents)
    rng = random.Random(7)
    start = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    trail = Trail()
    for hour in range(args.hours):
        for person in people:
            for _ in range(rng.randint(args.views_per_hour // 2, args.views_per_hour)):
                at = start + timedelta(hours=hour, seconds=rng.randint(0, 3599))
                trail.add(
                    at=at,
                    actor=person.pk,
                    client=client.pk,
                    action="work_item.viewed",
                    object_id=rng.randint(1, 200_000),
                    engagement_id=engagement.pk,
                )
            for _ in range(rng.randint(0, 3)):
                at = start + timedelta(hours=hour, seconds=rng.randint(0, 3599))
                trail.add(
                    at=at,
                    actor=person.pk,
                    client=client.pk,
                    action="work_item.revealed",
                    object_id=rng.randint(1, 200_000),
                    engagement_id=engagement.pk,
                )
    events = trail.sequence
    trail.flush()

    detect_times, raw_times, normal_alerts = [], [], 0
    for hour in range(1, args.hours + 1):
        now = start + timedelta(hours=hour)
        with time_machine.travel(now, tick=False):
            began = time.perf_counter()
            normal_alerts += len(detector.detect(now=now))
            detect_times.append(time.perf_counter() - began)
        raw_times.append(_raw_aggregate(now - detector.WINDOW))

    # the harvest: one agent, 500 records in 10 minutes, detector every 20 s
    thief = people[0]
    harvest_start = start + timedelta(hours=args.hours, minutes=5)
    limit = 150
    crossed = None
    for n in range(500):
        at = harvest_start + timedelta(seconds=n * 1.2)
        trail.add(
            at=at,
            actor=thief.pk,
            client=client.pk,
            action="work_item.viewed",
            object_id=900_000 + n,
            engagement_id=engagement.pk,
        )
        if n + 1 > limit and crossed is None:
            crossed = at
    trail.flush()
    raised_at = None
    tick = harvest_start
    harvest_alerts = 0
    while tick <= harvest_start + timedelta(minutes=11):
        with time_machine.travel(tick, tick=False):
            found = detector.detect(now=tick)
        harvest_alerts += len(found)
        if found and raised_at is None:
            raised_at = tick
        tick += timedelta(seconds=detector.DETECT_EVERY_SECONDS)
    with client_scope(clients=[client.pk]):
        kinds = list(SecurityAlert.objects.values_list("kind", flat=True))
    latency = (raised_at - crossed).total_seconds() if raised_at else float("nan")

    detect_ms = statistics.median(detect_times) * 1000
    raw_ms = statistics.median(raw_times) * 1000
    engine = "postgresql" if args.database_url else "sqlite"
    print(f"engine {engine}: {args.agents} agents, {args.hours} h, {events} audit events")
    print(
        f"one detection pass over the last hour: median {detect_ms:.1f} ms "
        f"(bare SQL aggregate {raw_ms:.1f} ms, ratio {detect_ms / raw_ms:.1f})"
    )
    print(
        f"normal shift: {normal_alerts} alerts; harvest: {harvest_alerts} alert(s) {kinds}, "
        f"raised {latency:.0f} s after the limit was crossed"
    )
    print(
        f"RESULT engine={engine} agents={args.agents} hours={args.hours} events={events} "
        f"detect_ms={detect_ms:.1f} raw_ms={raw_ms:.1f} ratio={detect_ms / raw_ms:.1f} "
        f"normal_alerts={normal_alerts} harvest_alerts={harvest_alerts} latency_s={latency:.0f}"
    )
    return 0 if normal_alerts == 0 and harvest_alerts == 1 and latency <= 60 else 1


if __name__ == "__main__":
    sys.exit(main())
