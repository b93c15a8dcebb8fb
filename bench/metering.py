"""Metering and month close: the billing consumer's batch path over N `item.resolved`
events, beside a bare SQL `INSERT ... SELECT` of the same usage rows; then the month
closed for every client through `rating.rate_period` (and drafted as invoices), and the
whole outbox replayed once.

    DATABASE_URL=postgres://root@127.0.0.1/postgres \\
        .venv/bin/python bench/metering.py --events 200000 --clients 30

Creates a throw-away database `tercero_bench_metering` on the server in DATABASE_URL
(PostgreSQL only: the events and items are written with set-based SQL as the owner).
Metering, rating and drafting run as the application role (row-level security in
force); the baseline runs as the owner into a scratch copy of the usage table with the
same unique keys. Rate cards cycle through tiered, volume and flat-with-minimum; each
client's rated total is checked against the charge of its event count computed apart
(`invoice_mismatches`), and the replay counts usage rows added or changed
(`replay_changes`). The last line is the `RESULT`.
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal

NOVEMBER = date(2026, 11, 1)
BANDS = [
    {"up_to": 1000, "price_minor": 40},
    {"up_to": 10000, "price_minor": 35},
    {"up_to": None, "price_minor": 30},
]
CARDS = (
    {"unit": "transaction", "banding": "tiered", "bands": BANDS},
    {"unit": "transaction", "banding": "volume", "bands": BANDS},
    {"unit": "transaction", "banding": "flat", "price_minor": 37},
)
MINIMUM = 250_000  # on the flat cards: a small client is topped up


def _setup(database_url: str) -> str:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tercero.config.settings"
    os.environ["TERCERO_VAR_DIR"] = tempfile.mkdtemp(prefix="tercero-bench-")
    import psycopg

    base, _, _ = database_url.rpartition("/")
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS tercero_bench_metering")
        admin.execute("CREATE DATABASE tercero_bench_metering")
    bench_url = f"{base}/tercero_bench_metering"
    os.environ["DATABASE_URL"] = bench_url
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return bench_url


def _world(clients: int):
    """A provider, an agent in Manila, and per client an engagement, a queue, one item
    resolved through the engine (the template the rest are copied from) and a rate card."""
    from pydantic import BaseModel

    from tercero.delivery.engagements.services import create_engagement
    from tercero.delivery.work import services as work
    from tercero.delivery.work.registry import WorkType
    from tercero.delivery.work.registry import register as register_type
    from tercero.delivery.workforce.models import Clearance
    from tercero.delivery.workforce.services import create_agent, create_site, set_presence
    from tercero.governance.billing import rates
    from tercero.platform.identity.models import Grant, User
    from tercero.platform.tenancy.models import Client, Provider
    from tercero.platform.tenancy.scoping import client_scope

    class Document(BaseModel):
        document: str

    register_type(
        WorkType(
            key="bench.document",
            title="Document",
            payload_schema=Document,
            office="back",
            channel="back_office",
            sla_metrics=("turnaround",),
        )
    )
    provider = Provider.objects.create(name="Bench BPO", country="PH")
    site = create_site(
        actor=None, provider=provider, name="Manila", country="PH", city="Manila",
        time_zone="Asia/Manila", languages=["en"], hourly_cost_minor=900, currency="USD",
    )  # fmt: skip
    user = User.objects.create_user("agent@bench.example", "x" * 16, role="agent")
    agent = create_agent(
        actor=None, user=user, site=site, skills={}, languages=["en"], capacity=None
    )
    set_presence(agent=agent, presence="available")
    made = []
    for number in range(clients):
        client = Client.objects.create(
            provider=provider, legal_name=f"Client {number:02d}", country="US",
            time_zone="America/New_York",
        )  # fmt: skip
        with client_scope(clients=[client]):
            Grant.objects.create(user=user, client=client, reason="bench")
            engagement = create_engagement(
                actor=None, client=client, name="Keying", service_line="customer_care",
                category="BPO", office="back", orientation="horizontal",
                pricing_model="per_transaction", time_zone=client.time_zone,
                working_hours={str(d): [["00:00", "24:00"]] for d in range(7)},
                hours_of_cover="24_7", status="live",
            )  # fmt: skip
            Clearance.objects.create(client=client, agent=agent, engagement=engagement)
            queue = work.create_queue(
                actor=None, engagement=engagement, name="Docs", work_types=["bench.document"]
            )
            item = work.create_item(
                actor=None, queue=queue, work_type="bench.document", payload={"document": "t"}
            )
            item = work.assign(actor=None, item=item, agent=agent)
            item = work.transition(actor=user, item=item, action="start")
            work.transition(actor=user, item=item, action="resolve")
            card = rates.create_card(
                actor=None, engagement=engagement, name="Bench", currency="USD"
            )
            shape = CARDS[number % len(CARDS)]
            version = rates.add_version(
                actor=None, card=card, effective_from=date(2026, 1, 1),
                monthly_minimum_minor=MINIMUM if shape["banding"] == "flat" else 0,
            )  # fmt: skip
            rates.add_line(actor=None, rate_version=version, fields=dict(shape))
        made.append((client, engagement, item, shape))
    return made, user


def _copy_items_and_events(made, events: int, user_id: int) -> float:
    """`events` resolved items spread over the clients, each with its `item.resolved`
    event in November, written set-based as the owner."""
    from django.db import connection

    from tercero.delivery.work.models import WorkItem

    columns = [
        f.column for f in WorkItem._meta.concrete_fields if f.column not in ("id", "external_ref")
    ]
    started = time.perf_counter()
    per_client = events // len(made)
    with connection.cursor() as cursor:
        for _client, _, template, _ in made:
            listed = ", ".join(columns)
            cursor.execute(
                f"INSERT INTO work_workitem ({listed}, external_ref)"
                f" SELECT {listed}, '' FROM work_workitem, generate_series(1, %s)"
                " WHERE id = %s",
                [per_client, template.pk],
            )
        cursor.execute(
            "INSERT INTO work_workevent (client_id, item_id, engagement_id, kind, actor_id,"
            " data, at)"
            " SELECT client_id, id, engagement_id, 'item.resolved', %s,"
            ' \'{"from": "in_progress", "to": "resolved", "sla_met": true}\'::jsonb,'
            " %s::timestamptz + (id %% 2000000) * interval '1 second'"
            " FROM work_workitem WHERE id > %s ORDER BY id",
            [user_id, datetime(2026, 11, 2, tzinfo=UTC), max(t.pk for _, _, t, _ in made)],
        )
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


def _as_app_role(switch: bool) -> None:
    from django.db import connection

    connection.close()
    if switch:
        connection.settings_dict["_OWNER"] = connection.settings_dict["USER"]
        connection.settings_dict["USER"] = "tercero_app"
    else:
        connection.settings_dict["USER"] = connection.settings_dict.pop("_OWNER")


def _meter(batch_size: int) -> tuple[int, float]:
    from tercero.delivery.work import outbox

    started = time.perf_counter()
    handled = outbox.consume("billing.metering", batch_size=batch_size)
    return handled, time.perf_counter() - started


def _baseline() -> tuple[int, float]:
    """The same usage rows with one INSERT ... SELECT into a scratch copy of the usage
    table (same unique keys), as the owner: the floor for the consumer's path."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE usage_baseline (LIKE billing_usagerecord INCLUDING DEFAULTS"
            " INCLUDING CONSTRAINTS INCLUDING INDEXES INCLUDING IDENTITY)"
        )
        started = time.perf_counter()
        cursor.execute(
            "INSERT INTO usage_baseline (client_id, engagement_id, unit, quantity, work_type,"
            " outcome_kind, shore, site_id, skill, source_event_id, source_key, occurred_at,"
            " period, created_at)"
            " SELECT e.client_id, e.engagement_id, 'transaction', 1, i.work_type, '',"
            " 'offshore', a.site_id, '', e.id, 'item:' || e.item_id, e.at,"
            " date_trunc('month', e.at AT TIME ZONE c.time_zone)::date, now()"
            " FROM work_workevent e JOIN work_workitem i ON i.id = e.item_id"
            " JOIN tenancy_client c ON c.id = e.client_id"
            " JOIN workforce_agent a ON a.user_id = e.actor_id"
            " WHERE e.kind = 'item.resolved' ON CONFLICT DO NOTHING"
        )
        inserted = cursor.rowcount
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE usage_baseline")
    return inserted, elapsed


def _ledger() -> tuple[int, Decimal, int]:
    from django.db.models import Count, Max, Sum

    from tercero.governance.billing.models import UsageRecord
    from tercero.platform.tenancy.scoping import all_clients_scope

    with all_clients_scope():
        found = UsageRecord.objects.aggregate(n=Count("id"), q=Sum("quantity"), top=Max("id"))
    return found["n"], found["q"] or Decimal(0), found["top"] or 0


def _close(made, per_client: int) -> tuple[float, int, int]:
    """Rate every client's November (and draft its invoice when invoices are there);
    returns seconds, mismatches against the charge of the client's count, invoices."""
    from tercero.governance.billing import pricing, rating
    from tercero.platform.tenancy.scoping import client_scope

    try:
        from tercero.governance.billing import invoices
    except ImportError:
        invoices = None
    mismatches = drafted = 0
    started = time.perf_counter()
    for client, _engagement, _, shape in made:
        with client_scope(clients=[client]):
            lines = rating.rate_period(client_id=client.pk, period=NOVEMBER)
            rated = sum(line.amount_minor for line in lines)
            if invoices is not None:
                try:
                    drafts = invoices.draft_invoices(
                        actor=None, client_id=client.pk, period=NOVEMBER
                    )
                except Exception as error:
                    print(f"drafting invoices failed, rating only: {error!r}")
                    invoices, drafts = None, []
                for invoice in drafts:
                    drafted += 1
                    mismatches += invoice.subtotal_minor != rated
        count = per_client  # the copies (the template was resolved today, not in November)
        expected = sum(
            piece.amount_minor
            for piece in pricing.charges(
                banding=shape["banding"], price_minor=shape.get("price_minor", 0),
                bands=shape.get("bands", []), quantity=Decimal(count),
            )
        )  # fmt: skip
        if shape["banding"] == "flat":
            expected = max(expected, MINIMUM)
        mismatches += rated != expected
    return time.perf_counter() - started, mismatches, drafted


def _replay(batch_size: int) -> tuple[int, float]:
    from tercero.delivery.work.models import ConsumerPosition, EventReceipt
    from tercero.platform.tenancy.scoping import all_clients_scope

    before = _ledger()
    with all_clients_scope():
        EventReceipt.objects.filter(consumer="billing.metering").delete()
        ConsumerPosition.objects.filter(name="billing.metering").update(last_event_id=0)
    _, elapsed = _meter(batch_size)
    after = _ledger()
    changes = abs(after[0] - before[0]) + (after[1] != before[1]) + (after[2] != before[2])
    return changes, elapsed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args(argv)
    if not args.database_url or not args.database_url.startswith("postgres"):
        print("bench/metering.py needs PostgreSQL: set DATABASE_URL", file=sys.stderr)
        return 2
    _setup(args.database_url)
    from tercero.platform.ops.database import grant_app_role

    made, user = _world(args.clients)
    written_s = _copy_items_and_events(made, args.events, user.pk)
    events = (args.events // args.clients) * args.clients
    print(f"clients={args.clients} events={events}: written as the owner in {written_s:.1f}s")
    grant_app_role(role="tercero_app")
    load_before = os.getloadavg()[0]
    _as_app_role(True)
    handled, meter_s = _meter(args.batch_size)
    rows, quantity, _ = _ledger()
    print(
        f"metered {handled} events in {meter_s:.1f}s = {handled / meter_s:,.0f}/s;"
        f" {rows} usage rows, {quantity} units"
    )
    _as_app_role(False)
    baseline_rows, baseline_s = _baseline()
    print(
        f"bare SQL INSERT ... SELECT: {baseline_rows} rows in {baseline_s:.1f}s"
        f" = {baseline_rows / baseline_s:,.0f}/s"
    )
    _as_app_role(True)
    close_s, mismatches, drafted = _close(made, args.events // args.clients)
    print(f"closed November for {len(made)} clients in {close_s:.1f}s; {drafted} invoices drafted")
    replay_changes, replay_s = _replay(args.batch_size)
    print(f"replayed every event in {replay_s:.1f}s: {replay_changes} changes")
    _as_app_role(False)
    print(
        f"RESULT events={handled} events_per_s={handled / meter_s:.0f} close_s={close_s:.2f}"
        f" invoice_mismatches={mismatches} replay_changes={replay_changes}"
        f" baseline_events_per_s={baseline_rows / baseline_s:.0f} clients={len(made)}"
        f" invoices={drafted} load_before={load_before:.1f} load_after={os.getloadavg()[0]:.1f}"
    )
    return 0 if mismatches == 0 and replay_changes == 0 and rows == events + len(made) else 1


if __name__ == "__main__":
    raise SystemExit(main())
