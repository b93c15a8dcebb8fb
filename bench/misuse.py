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
        from django.db.models import Max

        from tercero.platform.audit.models import AuditEvent

        self.sequence = AuditEvent.objects.aggregate(top=Max("sequence"))["top"] or 0
        self.first = self.sequence
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
            " WHERE occurred_at >= %s AND occurred_at <= %s"
            " AND action IN ('work_item.viewed', 'work_item.revealed')"
            " AND actor_id IS NOT NULL AND client_id IS NOT NULL GROUP BY actor_id, client_id",
            [since, since + timedelta(hours=1)],
        )
        cursor.fetchall()
        return time.perf_counter() - started


def _shift(client, engagement, people, *, hours: int, views: int, start):
    """A normal shift in the trail; the detector at the end of each hour.
    Returns (events, detection seconds, bare SQL seconds, alerts)."""
    import time_machine

    from tercero.platform.security import detector

    rng = random.Random(7)
    trail = Trail()
    for hour in range(hours):
        for person in people:
            opened = [("work_item.viewed", rng.randint(views // 2, views))]
            opened.append(("work_item.revealed", rng.randint(0, 3)))
            for action, count in opened:
                for _ in range(count):
                    at = start + timedelta(hours=hour, seconds=rng.randint(0, 3599))
                    trail.add(
                        at=at,
                        actor=person.pk,
                        client=client.pk,
                        action=action,
                        object_id=rng.randint(1, 200_000),
                        engagement_id=engagement.pk,
                    )
    events = trail.sequence - trail.first
    trail.flush()
    detect_times, raw_times, alerts = [], [], []
    for hour in range(1, hours + 1):
        now = start + timedelta(hours=hour)
        with time_machine.travel(now, tick=False):
            began = time.perf_counter()
            alerts += detector.detect(now=now)
            detect_times.append(time.perf_counter() - began)
        raw_times.append(_raw_aggregate(now - detector.WINDOW))
    return events, detect_times, raw_times, alerts


def _harvest(client, engagement, thief, *, start, limit: int = 150):
    """One agent opens 500 records in 10 minutes; the detector runs every 20 s.
    Returns (alerts, seconds into the harvest of the first, seconds the limit was crossed)."""
    import time_machine

    from tercero.platform.security import detector

    trail = Trail()  # after whatever the detector itself appended to the trail
    for n in range(500):
        trail.add(
            at=start + timedelta(seconds=n * 1.2),
            actor=thief.pk,
            client=client.pk,
            action="work_item.viewed",
            object_id=900_000 + n,
            engagement_id=engagement.pk,
        )
    trail.flush()
    alerts, first = [], None
    tick = start
    while tick <= start + timedelta(minutes=11):
        with time_machine.travel(tick, tick=False):
            found = detector.detect(now=tick)
        if found and first is None:
            first = (tick - start).total_seconds()
        alerts += found
        tick += timedelta(seconds=detector.DETECT_EVERY_SECONDS)
    return alerts, first, limit * 1.2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--views-per-hour", type=int, default=40)
    parser.add_argument("--hours", type=int, default=8)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    _setup(args.database_url)
    client, engagement, people = _world(args.agents)
    start = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    events, detect_times, raw_times, normal = _shift(
        client, engagement, people, hours=args.hours, views=args.views_per_hour, start=start
    )
    # after an hour without work, so the window holds the harvest alone
    harvest, first, crossed = _harvest(
        client, engagement, people[0], start=start + timedelta(hours=args.hours, minutes=90)
    )
    detect_ms = statistics.median(detect_times) * 1000
    raw_ms = statistics.median(raw_times) * 1000
    engine = "postgresql" if args.database_url else "sqlite"
    print(f"engine {engine}: {args.agents} agents, {args.hours} h, {events} audit events")
    print(
        f"one detection pass over the last hour: median {detect_ms:.1f} ms "
        f"(bare SQL aggregate {raw_ms:.1f} ms, ratio {detect_ms / raw_ms:.1f})"
    )
    for alert in normal[:5]:
        print(f"  unexpected during the shift: {alert.kind} {alert.detail}")
    print(f"normal shift: {len(normal)} alerts")
    for alert in harvest:
        print(f"harvest alert: {alert.kind}: {alert.detail}")
    print(
        f"harvest: {len(harvest)} alert(s), the first {first} s into it "
        f"(the fixed limit is crossed at {crossed:.0f} s)"
    )
    print(
        f"RESULT engine={engine} agents={args.agents} hours={args.hours} events={events} "
        f"detect_ms={detect_ms:.1f} raw_ms={raw_ms:.1f} ratio={detect_ms / raw_ms:.1f} "
        f"normal_alerts={len(normal)} harvest_alerts={len(harvest)} "
        f"alert_after_s={first} limit_crossed_s={crossed:.0f}"
    )
    caught = first is not None and first <= crossed + 60
    return 0 if not normal and len(harvest) == 1 and caught else 1


if __name__ == "__main__":
    sys.exit(main())
