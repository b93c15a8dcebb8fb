"""Issue 18's acceptance property: over random transfers between pay groups, off-cycle
runs and mid-period changes (salary, unpaid leave, back-dated raises), the salary paid
for the periods equals what the employment records say is owed for them, exactly once.

The oracle works day by day from the scenario itself, not from the pay run's code: each
day of a monthly period owes 1/12 of the annual salary in force that day, spread over
the period's days, to the pay group the employee is in that day (nothing on unpaid
leave); each group's share is rounded half up to the penny once.
"""

import itertools
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from django.conf import settings as django_settings
from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st

from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import runs, services
from tercero.services.payroll.models import PayResult, PayRun
from tercero.services.payroll.tests.factories import APRIL, JUNE, MAY, hire, uk_group

PERIODS = (APRIL, MAY, JUNE)
HIRED = date(2026, 4, 1)
LAST = JUNE["period_end"]
SALARIES = st.integers(min_value=1_200_000, max_value=9_000_000)  # minor units a year
NAMES = itertools.count(1)
# Each example runs up to nine pay runs through their whole life (a few seconds). The
# PostgreSQL run repeats what the SQLite run tries, with its own random examples: half as
# many there, since the oracle's arithmetic is the same on both engines and each example
# already takes every lock and row-level check a run takes.
SHARE = 2 if django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql") else 1

# a change: (day offset from 6 April, group 0 or 1, new salary or None, on leave?)
CHANGE = st.tuples(
    st.integers(min_value=0, max_value=(LAST - APRIL["period_start"]).days),
    st.integers(min_value=0, max_value=1),
    st.none() | SALARIES,
    st.booleans(),
)


# a change that may be recorded late: (day offset, group, raise or None); only raises
# and transfers, so recovering an overpayment never leaves a negative net pay (a run
# with one is refused until a person corrects it)
LATE_CHANGE = st.tuples(
    st.integers(min_value=0, max_value=(LAST - APRIL["period_start"]).days),
    st.integers(min_value=0, max_value=1),
    st.none() | st.integers(min_value=1, max_value=2_000_000),
)


def _owed(timeline: list[tuple[date, int, int, bool]], period: dict) -> int:
    """What the records owe for one period, summed over the groups, day by day."""
    start, end = period["period_start"], period["period_end"]
    days = (end - start).days + 1
    exact: dict[int, Fraction] = {}
    day = start
    while day <= end:
        _, group, salary, on_leave = [row for row in timeline if row[0] <= day][-1]
        share = Fraction(0) if on_leave else Fraction(salary, 12 * days)
        exact[group] = exact.get(group, Fraction(0)) + share
        day += timedelta(days=1)
    return sum(int(value + Fraction(1, 2)) for value in exact.values())  # half up


def _finalise(tenant, run: PayRun) -> PayRun:
    run = runs.submit(actor=tenant.team_lead, run=run, version=run.version)
    run = runs.approve(actor=tenant.client_admin, run=run, version=run.version)
    return runs.finalise(actor=tenant.team_lead, run=run, version=run.version)


def _run(tenant, group, period, *, bonus: int = 0, number: str = "") -> PayRun:
    kind = PayRun.Kind.OFF_CYCLE if bonus else PayRun.Kind.REGULAR
    run = runs.create_run(actor=tenant.team_lead, pay_group=group, kind=kind, **period)
    if bonus:
        data = f"employee_number,bonus\n{number},{Decimal(bonus) / 100}\n".encode()
        runs.import_inputs(actor=tenant.team_lead, run=run, data=data)
    runs.start_calculation(actor=tenant.team_lead, run=run)
    return _finalise(tenant, runs.calculate(run_id=run.pk))


def _apply(tenant, employee, groups, change, timeline) -> None:
    effective, group, salary, on_leave = change
    services.change_employment(
        actor=tenant.team_lead,
        employee=employee,
        effective=effective,
        pay_group=groups[group],
        annual_salary=None if salary is None else str(Decimal(salary) / 100),
        status="on_leave" if on_leave else "active",
    )
    salary = timeline[-1][2] if salary is None else salary
    timeline.append((effective, group, salary, on_leave))


@settings(
    max_examples=12 // SHARE,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    first_salary=SALARIES,
    first_group=st.integers(min_value=0, max_value=1),
    changes=st.lists(LATE_CHANGE, max_size=4, unique_by=lambda change: change[0]),
    known_before=st.lists(st.integers(min_value=0, max_value=2), min_size=4, max_size=4),
    bonuses=st.lists(st.integers(min_value=0, max_value=150_000), min_size=3, max_size=3),
)
# found on PostgreSQL: the 0.19 bonus's tax (taxable pay to date crosses a whole pound at
# 40 %) was more than the bonus; the overriding limit holds it to half the payment
@example(
    first_salary=7394485, first_group=0, changes=[], known_before=[0, 0, 0, 0], bonuses=[19, 0, 0]
)
def test_every_period_is_paid_what_the_records_owe_exactly_once(
    tenant_a, first_salary, first_group, changes, known_before, bonuses
):
    # given: two monthly pay groups and one employee hired into one of them
    note(f"{first_salary=} {first_group=} {changes=} {known_before=} {bonuses=}")
    tag = next(NAMES)
    groups = [uk_group(tenant_a.client, name=f"{side} {tag}") for side in ("North", "South")]
    number = f"P-{tag}"
    with client_scope(clients=[tenant_a.client]):
        employee = hire(
            tenant_a.team_lead,
            groups[first_group],
            number,
            salary=str(Decimal(first_salary) / 100),
            start=HIRED,
        )
        timeline = [(HIRED, first_group, first_salary, False)]
        # each change is recorded before one of the periods is run, in date order (a
        # change dated in an earlier, finalised period is back-dated: owed as back pay)
        pending, known, salary = [], 0, first_salary
        for index, (offset, group, raised) in enumerate(sorted(changes)):
            known = max(known, known_before[index])
            salary += raised or 0
            effective = APRIL["period_start"] + timedelta(days=offset)
            pending.append((known, effective, group, salary if raised else None, False))
        given_bonus = 0
        for index, period in enumerate(PERIODS):
            for _when, *change in [item for item in pending if item[0] == index]:
                _apply(tenant_a, employee, groups, change, timeline)
            # when: each group runs the period, then an off-cycle bonus run may follow
            for group in groups:
                _run(tenant_a, group, period)
            at_end = [row for row in timeline if row[0] <= period["period_end"]][-1][1]
            if bonuses[index]:
                _run(tenant_a, groups[at_end], period, bonus=bonuses[index], number=number)
                given_bonus += bonuses[index]
        results = PayResult.objects.filter(employee=employee)
        lines = [{line[0]: line[3] for line in result.lines} for result in results]
    # then: salary and back pay over the three periods are what the records owe for
    # them, and the gross is that plus the bonuses, nothing twice
    owed = sum(_owed(timeline, period) for period in PERIODS)
    salary_paid = sum(line.get("BASIC", 0) + line.get("RETRO", 0) for line in lines)
    assert salary_paid == owed
    assert sum(result.gross_minor for result in results) == owed + given_bonus
    assert sum(line.get("BONUS", 0) for line in lines) == given_bonus


@settings(
    max_examples=8 // SHARE,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    first_salary=SALARIES,
    changes=st.lists(CHANGE, max_size=3, unique_by=lambda change: change[0]),
    bonus=st.integers(min_value=1, max_value=150_000),
)
def test_each_period_alone_is_paid_what_the_records_owe_when_changes_are_known_in_time(
    tenant_a, first_salary, changes, bonus
):
    # given: every change recorded before any run, so no period is owed back pay
    note(f"{first_salary=} {changes=} {bonus=}")
    tag = next(NAMES)
    groups = [uk_group(tenant_a.client, name=f"{side} {tag}") for side in ("East", "West")]
    number = f"Q-{tag}"
    with client_scope(clients=[tenant_a.client]):
        employee = hire(
            tenant_a.team_lead, groups[0], number, salary=str(Decimal(first_salary) / 100)
        )
        timeline = [(HIRED, 0, first_salary, False)]
        for offset, *rest in sorted(changes):
            _apply(
                tenant_a,
                employee,
                groups,
                (APRIL["period_start"] + timedelta(days=offset), *rest),
                timeline,
            )
        for period in PERIODS:
            for group in groups:
                _run(tenant_a, group, period)
            at_end = [row for row in timeline if row[0] <= period["period_end"]][-1][1]
            _run(tenant_a, groups[at_end], period, bonus=bonus, number=number)
            # then: this period's payments, all groups and runs together, are its due
            paid = PayResult.objects.filter(
                employee=employee, run__period_start=period["period_start"]
            )
            lines = [{line[0]: line[3] for line in result.lines} for result in paid]
            assert sum(line.get("BASIC", 0) for line in lines) == _owed(timeline, period)
            assert sum(line.get("RETRO", 0) for line in lines) == 0
            assert sum(line.get("BONUS", 0) for line in lines) == bonus
