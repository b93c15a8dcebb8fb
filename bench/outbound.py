"""Outbound: loading a lead list (normalise, seal, dedupe, scrub) and handing out the next
lead to 200 agents at once, each beside bare SQL doing the least the same job needs.

    .venv/bin/python bench/outbound.py --leads 100000 \\
        --database-url postgres://root@127.0.0.1/postgres
    .venv/bin/python bench/outbound.py --leads 20000              # SQLite

Import: N leads (US numbers in many area codes, 2 % of them twice, 1 % on a registry
file) through `lead_import.load` -- E.164 with phonenumbers, name and number sealed, the
lookup hash, duplicates merged, every lead asked through the compliance rules -- beside
a bare `INSERT` (executemany; COPY on PostgreSQL) of the same rows already prepared.
Next lead: `--agents` agents over `--connections` connections (a thread each) take
leads until the list is spent: the outbound selection (`next_lead.take`, FOR UPDATE
SKIP LOCKED on PostgreSQL) then the dial-time compliance check (`scrub.why_not_now`),
marking the lead in a call; beside bare SQL `SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1`
and an `UPDATE`. Every lead handed out is checked again afterwards at the moment it was
handed out: `window_violations` counts those a calling window forbade. The clock is fixed
on a Tuesday at 18:00 UTC
(13:00 in New York, 10:00 in Los Angeles), so every US zone is inside its window.
Uses a throw-away database (a temporary SQLite file, or `tercero_bench_outbound`).
Prints one `RESULT` line.
"""

import argparse
import os
import sys
import threading
import time
from datetime import UTC, datetime

sys.path.insert(0, os.path.dirname(__file__))
from import_csv import _setup

AREAS = ("212", "415", "312", "305", "206", "617", "702", "808", "907", "303", "404", "512")
AT = datetime(2026, 12, 8, 18, 0, tzinfo=UTC)


def _number(n: int) -> str:
    area = AREAS[n % len(AREAS)]
    rest = n // len(AREAS)
    return f"+1{area}{200 + rest // 10000 % 700:03d}{rest % 10000:04d}"


def _world():
    from tercero.delivery.engagements.services import create_engagement
    from tercero.delivery.work import services as work
    from tercero.platform.identity.models import User
    from tercero.platform.tenancy.models import Client, Provider
    from tercero.platform.tenancy.scoping import client_scope
    from tercero.services.outbound import campaigns

    provider = Provider.objects.create(name="Bench BPO")
    client = Client.objects.create(
        provider=provider, legal_name="Bench Client", country="US", time_zone="America/New_York"
    )
    manager = User.objects.create_user("dm@bench.example", full_name="DM", role="delivery_manager")
    with client_scope(clients=[client]):
        engagement = create_engagement(
            actor=None, client=client, name="Bench calls", service_line="telemarketing",
            category="BPO", office="front", orientation="horizontal",
            time_zone="America/New_York", pricing_model="per_hour",
        )  # fmt: skip
        queue = work.create_queue(
            actor=None, engagement=engagement, name="Diallers", work_types=["outbound.call"]
        )
        campaign = campaigns.create_campaign(
            actor=manager, engagement=engagement,
            fields={"name": "Bench", "pack": "us", "queue": queue.pk},
        )  # fmt: skip
    return client, manager, campaign


def _import(client, manager, campaign, leads: int) -> tuple[float, object]:
    from tercero.platform.tenancy.scoping import client_scope
    from tercero.services.outbound import dnc, lead_import

    rows = [(n + 2, {"phone": _number(n), "name": f"Lead {n}"}) for n in range(leads)]
    rows += [(leads + n + 2, {"phone": _number(n)}) for n in range(0, leads, 50)]  # 2 % twice
    registry = "\n".join(_number(n)[2:] for n in range(0, leads, 100))  # 1 % on the NDNC
    with client_scope(clients=[client]):
        dnc.import_registry(
            actor=manager, client_id=client.pk, kind="US-NDNC", file_name="ndnc.txt",
            text=registry,
        )  # fmt: skip
        started = time.perf_counter()
        lead_list = lead_import.load(actor=manager, campaign=campaign, name="Bench", rows=rows)
        return time.perf_counter() - started, lead_list


def _bare_import(client, campaign, lead_list, leads: int) -> float:
    """The same rows, already sealed-looking and hashed, into a table of the same shape."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_leads AS SELECT * FROM outbound_lead WHERE 1 = 0")
        columns = (
            "id, client_id, campaign_id, lead_list_id, phone, phone_hash, name, postal_code, "
            "country, time_zone, fields, status, attempts, held_reason, disposition, consent, "
            "version, created_at"
        )
        rows = [
            (n + 10_000_000, client.pk, campaign.pk, lead_list.pk, "s" * 90, f"{n:064d}",
             "s" * 80, "", "US", "America/New_York", "{}", "callable", 0, "", "", "{}", 1,
             AT.isoformat())
            for n in range(leads)
        ]  # fmt: skip
        started = time.perf_counter()
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY bench_leads ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * 18)
            cursor.executemany(f"INSERT INTO bench_leads ({columns}) VALUES ({marks})", rows)
        return time.perf_counter() - started


def _agents(client, campaign, agents: int, connections: int, take_one) -> tuple[float, list]:
    """`agents` agents asking over `connections` connections (one thread each, serving
    its agents in turn) until nothing is left; the time and (lead id, agent id) given."""
    handed: list = []
    lock = threading.Lock()
    start = threading.Barrier(connections + 1)

    def worker(first: int) -> None:
        from django.db import connection

        from tercero.platform.tenancy.scoping import client_scope

        mine = list(range(first, agents + 1, connections))
        try:
            start.wait()
            with client_scope(clients=[client]):
                for turn in range(10**9):
                    agent_id = mine[turn % len(mine)]
                    got = take_one(campaign, agent_id)
                    if got is None:
                        return
                    with lock:
                        handed.append((got, agent_id))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n + 1,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, handed


def _take_outbound(campaign, agent_id: int):
    from django.db import transaction

    from tercero.services.outbound import scrub
    from tercero.services.outbound.models import Lead

    try:
        from tercero.services.outbound.next_lead import take
    except ImportError:  # the selection of selectors.py when the dialler's is not there
        from tercero.services.outbound import selectors

        def take(*, campaign, agent_id, now):
            return list(selectors.next_callable(campaign=campaign, now=now)[:20])

    with transaction.atomic():
        for lead in take(campaign=campaign, agent_id=agent_id, now=AT):
            verdict = scrub.why_not_now(lead, at=AT)
            if not verdict.callable:
                Lead.objects.filter(pk=lead.pk).update(
                    next_callable_at=verdict.next_callable_at, status=Lead.Status.HELD
                    if verdict.next_callable_at is None else Lead.Status.CALLABLE,
                )  # fmt: skip
                continue
            Lead.objects.filter(pk=lead.pk).update(status=Lead.Status.IN_CALL, attempts=1)
            return lead.pk
    return None


def _take_bare(campaign, agent_id: int):
    from django.db import connection, transaction

    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM outbound_lead WHERE campaign_id = %s AND status = 'new' "
            f"ORDER BY next_callable_at, id LIMIT 1{lock}",
            [campaign.pk],
        )
        row = cursor.fetchone()
        if row is None:
            return None
        cursor.execute("UPDATE outbound_lead SET status = 'done' WHERE id = %s", [row[0]])
        return row[0]


def _violations(client, handed: list) -> int:
    from tercero.platform.tenancy.scoping import client_scope
    from tercero.services.outbound import scrub
    from tercero.services.outbound.models import Lead

    with client_scope(clients=[client]):
        leads = Lead.objects.select_related("campaign").in_bulk([pk for pk, _ in handed])
        return sum(
            any(r.rule.endswith("calling_hours") for r in scrub.why_not_now(lead, at=AT).reasons)
            for lead in leads.values()
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--connections", type=int, default=0, help="default: min(agents, 60)")
    parser.add_argument("--take", type=int, default=5000, help="leads handed out per side")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    _setup(args.database_url, database="tercero_bench_outbound", name="outbound")
    from django.db import connection

    from tercero.platform.tenancy.scoping import client_scope
    from tercero.services.outbound.models import Lead

    client, manager, campaign = _world()
    import_s, lead_list = _import(client, manager, campaign, args.leads)
    bare_s = _bare_import(client, campaign, lead_list, args.leads)
    print(f"engine          {connection.vendor}")
    rate = args.leads / import_s
    print(
        f"import          {args.leads:,} leads in {import_s:.1f} s ({rate:,.0f}/s): "
        f"{lead_list.rows_loaded:,} loaded, {lead_list.rows_merged:,} merged, "
        f"{lead_list.rows_held:,} held"
    )
    print(f"bare insert     {args.leads:,} rows in {bare_s:.1f} s ({args.leads / bare_s:,.0f}/s)")
    with client_scope(clients=[client]):
        spare = list(Lead.objects.filter(status="callable").order_by("-pk")
                     .values_list("pk", flat=True)[args.take:2 * args.take])  # fmt: skip
        Lead.objects.filter(status="callable").exclude(pk__in=spare).exclude(
            pk__in=Lead.objects.filter(status="callable").order_by("pk")
            .values_list("pk", flat=True)[: args.take]
        ).update(status="done")  # fmt: skip
        Lead.objects.filter(pk__in=spare).update(status="new")
    connection.close()
    connections = args.connections or min(args.agents, 60)
    took_s, handed = _agents(client, campaign, args.agents, connections, _take_outbound)
    base_s, bare_handed = _agents(client, campaign, args.agents, connections, _take_bare)
    unique = len({pk for pk, _ in handed}) == len(handed)
    violations = _violations(client, handed)
    per_s, base_per_s = len(handed) / took_s, len(bare_handed) / base_s
    print(f"next lead       {len(handed):,} to {args.agents} agents over {connections} "
          f"connections in {took_s:.1f} s "
          f"({per_s:,.0f}/s), each lead once: {unique}")  # fmt: skip
    print(f"bare SQL        {len(bare_handed):,} in {base_s:.1f} s ({base_per_s:,.0f}/s)")
    print(
        f"RESULT engine={connection.vendor} leads={args.leads} import_s={import_s:.1f} "
        f"bare_import_s={bare_s:.2f} next_lead_per_s={per_s:.0f} baseline_per_s={base_per_s:.0f} "
        f"window_violations={violations}"
    )
    return 0 if unique and violations == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
