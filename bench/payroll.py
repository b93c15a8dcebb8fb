"""Pay run throughput: gross to net for many employees with the results written, beside
a pure-Python computation of the same rules on the same employees in the same run.

    DATABASE_URL=postgres://root@127.0.0.1/postgres \\
        .venv/bin/python bench/payroll.py --employees 100000
    .venv/bin/python bench/payroll.py --employees 20000          # embedded SQLite

Generated employees (staff.add_employees: every kind of UK tax code, NI categories,
salaried and hourly, bonuses, overtime, one-off deductions) in one UK monthly pay group
with the default rule set. Timed: `runs.calculate` from a started run to a calculated
one (snapshots read per chunk, PAYE/NI and every line computed, results bulk-written
with unique run + employee, totals and the variance review). Then the same snapshots
are computed again without the database (`calc.compute` only) and every stored result
is compared with the pure one. Uses a throw-away database; prints one RESULT line.
"""

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]


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


def _pay_group():
    from tercero.delivery.work.tests.conftest import live_engagement, make_queue
    from tercero.platform.tenancy.models import Client, Provider
    from tercero.platform.tenancy.scoping import client_scope
    from tercero.services.payroll import calc
    from tercero.services.payroll.models import PayGroup

    provider = Provider.objects.create(name="Bench BPO", country="PH")
    client = Client.objects.create(
        provider=provider,
        legal_name="Bench Employer Ltd",
        country="GB",
        time_zone="Europe/London",
        industry_vertical="retail",
    )
    engagement = live_engagement(client, name="Payroll")
    make_queue(engagement, name="Pay runs", work_types=["payroll.run"])
    with client_scope(clients=[client]):
        return PayGroup.objects.create(
            client=client,
            engagement=engagement,
            name="UK monthly",
            frequency="monthly",
            currency="GBP",
            jurisdiction="GB",
            rules=calc.GB_DEFAULT_RULES,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    _setup(args.database_url)

    from datetime import date

    from django.db import connection

    from tercero.platform.tenancy.scoping import client_scope
    from tercero.services.payroll import calc, runs, staff
    from tercero.services.payroll.models import PayResult

    group = _pay_group()
    period = dict(period_start=date(2026, 4, 6), period_end=date(2026, 5, 5))
    with client_scope(clients=[group.client_id]):
        started = time.perf_counter()
        ids = staff.add_employees(
            pay_group=group, count=args.employees, seed=args.seed, start=date(2026, 4, 1)
        )
        run = runs.create_run(actor=None, pay_group=group, pay_date=date(2026, 4, 28), **period)
        inputs = staff.add_inputs(run=run, employee_ids=ids, seed=args.seed + 4)
        runs.start_calculation(actor=None, run=run)
        loaded = time.perf_counter() - started
        print(f"loaded {args.employees} employees and {inputs} inputs in {loaded:.1f} s")

        started = time.perf_counter()
        run = runs.calculate(run_id=run.pk, chunk=args.chunk)
        seconds = time.perf_counter() - started
        assert run.employees_done == args.employees, run.employees_done

        setting = runs.setting_of(run)
        snaps = []
        for start in range(0, len(ids), args.chunk):
            snaps.extend(runs.snapshots(run, ids[start : start + args.chunk]))
        started = time.perf_counter()
        pure = {snap.employee_id: calc.compute(snap, setting) for snap in snaps}
        pure_seconds = time.perf_counter() - started

        mismatches = 0
        stored = PayResult.objects.filter(run=run).values_list(
            "employee_id", "gross_minor", "deductions_minor", "net_minor", "employer_minor",
            "lines", "ytd",
        )  # fmt: skip
        count = 0
        for employee_id, gross, deductions, net, employer, lines, ytd in stored.iterator(
            chunk_size=5000
        ):
            count += 1
            want = pure[employee_id]
            if (gross, deductions, net, employer, lines, ytd) != (
                want.gross_minor, want.deductions_minor, want.net_minor, want.employer_minor,
                want.lines, want.ytd,
            ):  # fmt: skip
                mismatches += 1
        mismatches += abs(count - len(pure))
        nets = [result.net_minor for result in pure.values()]

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = args.employees / seconds
    print(f"engine: {connection.vendor}")
    print(f"pay run (database): {seconds:.2f} s, {rate:.0f} employees/s")
    print(f"pure computation:   {pure_seconds:.2f} s, {args.employees / pure_seconds:.0f}/s")
    print(f"ratio database/pure: {seconds / pure_seconds:.2f}")
    print(f"net pay: total {sum(nets) / 100:.2f}, median {statistics.median(nets) / 100:.2f}")
    print(f"peak memory: {peak_mb:.0f} MB; mismatches: {mismatches}")
    print(
        f"RESULT employees={args.employees} seconds={seconds:.2f} employees_per_s={rate:.0f} "
        f"peak_mb={peak_mb:.0f} ratio_vs_pure={seconds / pure_seconds:.2f} "
        f"mismatches={mismatches} engine={connection.vendor} pure_seconds={pure_seconds:.2f}"
    )


if __name__ == "__main__":
    main()
