"""Pay groups, employees and runs for payroll tests (call inside the client's scope)."""

from datetime import date
from decimal import Decimal

from tercero.delivery.work.tests.conftest import live_engagement, make_queue
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import calc, gb, runs, services
from tercero.services.payroll.models import PayGroup, PayRun

APRIL = dict(period_start=date(2026, 4, 6), period_end=date(2026, 5, 5), pay_date=date(2026, 4, 28))
MAY = dict(period_start=date(2026, 5, 6), period_end=date(2026, 6, 5), pay_date=date(2026, 5, 28))
JUNE = dict(period_start=date(2026, 6, 6), period_end=date(2026, 7, 5), pay_date=date(2026, 6, 26))


def uk_group(client, *, name="UK monthly", frequency="monthly") -> PayGroup:
    engagement = live_engagement(client, name=f"Payroll {name}")
    make_queue(engagement, name=f"Pay runs {name}", work_types=["payroll.run"])
    with client_scope(clients=[client]):
        return PayGroup.objects.create(
            client=client,
            engagement=engagement,
            name=name,
            frequency=frequency,
            currency="GBP",
            jurisdiction="GB",
            rules=calc.GB_DEFAULT_RULES,
        )


def hire(actor, group, number: str, salary: str | None = "30000.00", **overrides):
    fields = dict(
        actor=actor,
        client_id=group.client_id,
        employee_number=number,
        full_name=f"Employee {number}",
        country="GB",
        start=date(2026, 4, 1),
        pay_group=group,
        annual_salary=salary,
        iban="GB82 WEST 1234 5698 7654 32",
        tax_code="1257L",
        ni_category="A",
    )
    fields.update(overrides)
    return services.hire(**fields)


def calculated(actor, group, period=APRIL, **fields):
    run = runs.create_run(actor=actor, pay_group=group, **period, **fields)
    runs.start_calculation(actor=actor, run=run)
    return runs.calculate(run_id=run.pk)


def finalised(tenant, group, period=APRIL):
    run = calculated(tenant.team_lead, group, period)
    run = runs.submit(actor=tenant.team_lead, run=run, version=run.version)
    run = runs.approve(actor=tenant.client_admin, run=run, version=run.version)
    return runs.finalise(actor=tenant.team_lead, run=run, version=run.version)


def paye(code, pay, *, period=1, pay_before="0", tax_before="0", **kw) -> gb.TaxResult:
    """PAYE for one period of `pay`, with the year's pay and tax before it."""
    return gb.income_tax(
        code=code,
        pay=Decimal(pay),
        pay_to_date=Decimal(pay_before) + Decimal(pay),
        tax_to_date_before=Decimal(tax_before),
        period=period,
        **kw,
    )


def off_cycle(actor, group, period, csv: bytes) -> PayRun:
    """An off-cycle run of the period paying only the inputs in `csv`, calculated."""
    run = runs.create_run(actor=actor, pay_group=group, kind=PayRun.Kind.OFF_CYCLE, **period)
    runs.import_inputs(actor=actor, run=run, data=csv)
    runs.start_calculation(actor=actor, run=run)
    return runs.calculate(run_id=run.pk)
