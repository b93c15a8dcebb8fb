"""Each period is paid once: an off-cycle run pays only what it is given, and an
employee moved between pay groups is paid by each group for its own part of the period
only, at that group's frequency (issue 18, cases 1 to 3)."""

from datetime import date

from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import runs, services
from tercero.services.payroll.models import PayResult, PayRun
from tercero.services.payroll.tests.factories import (
    APRIL,
    JUNE,
    MAY,
    calculated,
    finalised,
    hire,
    off_cycle,
    uk_group,
)


def _lines(run, employee) -> dict[str, int]:
    result = PayResult.objects.get(run=run, employee=employee)
    return {code: amount for code, _name, _category, amount in result.lines}


def _finalise(tenant, run) -> PayRun:
    run = runs.submit(actor=tenant.team_lead, run=run, version=run.version)
    run = runs.approve(actor=tenant.client_admin, run=run, version=run.version)
    return runs.finalise(actor=tenant.team_lead, run=run, version=run.version)


def test_off_cycle_bonus_run_does_not_pay_the_salary_again(tenant_a):
    # protects: a supplementary run paying the month's salary a second time
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        # given: April's regular run paid 2,500.00 (30,000 a year, 1257L, category A)
        olivia = hire(tenant_a.team_lead, group, "E-1")
        finalised(tenant_a, group)
        # when: an off-cycle run in April pays a bonus of 500.00
        bonus = off_cycle(tenant_a.team_lead, group, APRIL, b"employee_number,bonus\nE-1,500\n")
        lines = _lines(bonus, olivia)
        # then: only the bonus is paid; tax and NICs are worked on the month's 3,000.00
        assert lines["BASIC"] == 0
        assert lines["RETRO"] == 0
        assert lines["BONUS"] == 50000
        assert bonus.gross_minor == 50000
        # PAYE month 1 on 3,000: taxable 3,000 - 1,048.25 -> 1,951, tax 390.20, less 290.20
        assert lines["PAYE"] == 10000
        # NICs: 8 % x (3,000 - 1,048) = 156.16, less the 116.16 taken in April's run
        assert lines["NI"] == 4000
        # employer: 15 % x (3,000 - 417) = 387.45, less 312.45
        assert lines["ER_NI"] == 7500
        # and May's regular run pays one month's salary and no back pay
        _finalise(tenant_a, bonus)
        may = calculated(tenant_a.team_lead, group, MAY)
        may_lines = _lines(may, olivia)
        assert may_lines["BASIC"] == 250000
        assert may_lines["RETRO"] == 0


def test_transfer_between_monthly_groups_mid_period_pays_each_part_once(tenant_a):
    # protects: both groups paying all of April after a move on 21 April
    north = uk_group(tenant_a.client, name="North monthly")
    south = uk_group(tenant_a.client, name="South monthly")
    with client_scope(clients=[tenant_a.client]):
        # given: hired into North, moved to South from 21 April (April: 6 Apr - 5 May)
        olivia = hire(tenant_a.team_lead, north, "E-1")
        services.change_employment(
            actor=tenant_a.team_lead, employee=olivia, effective=date(2026, 4, 21), pay_group=south
        )
        # when: both groups run April
        north_run = calculated(tenant_a.team_lead, north)
        south_run = calculated(tenant_a.team_lead, south)
        # then: North pays 6-20 April (15 of 30 days), South 21 April - 5 May (15 days)
        assert _lines(north_run, olivia)["BASIC"] == 125000
        assert _lines(south_run, olivia)["BASIC"] == 125000


def test_weekly_to_monthly_transfer_values_back_pay_at_each_periods_own_frequency(tenant_a):
    # protects: weekly periods valued at the monthly rate as back pay
    weekly = uk_group(tenant_a.client, name="Weekly", frequency="weekly")
    monthly = uk_group(tenant_a.client, name="Monthly")
    with client_scope(clients=[tenant_a.client]):
        # given: 30,000 a year, paid weekly for tax weeks 1 and 2, then moved to the
        # monthly group from 20 April
        olivia = hire(tenant_a.team_lead, weekly, "E-1")
        week_1 = dict(
            period_start=date(2026, 4, 6), period_end=date(2026, 4, 12), pay_date=date(2026, 4, 10)
        )
        week_2 = dict(
            period_start=date(2026, 4, 13), period_end=date(2026, 4, 19), pay_date=date(2026, 4, 17)
        )
        first = finalised(tenant_a, weekly, week_1)
        second = finalised(tenant_a, weekly, week_2)
        assert _lines(first, olivia)["BASIC"] == 57692  # 30,000 / 52
        assert _lines(second, olivia)["BASIC"] == 57692
        services.change_employment(
            actor=tenant_a.team_lead,
            employee=olivia,
            effective=date(2026, 4, 20),
            pay_group=monthly,
        )
        # when: the monthly group runs April (6 April - 5 May)
        april = calculated(tenant_a.team_lead, monthly)
        lines = _lines(april, olivia)
        # then: 20 April - 5 May is 16 of 30 days of 2,500.00, and the weekly periods
        # were paid in full at the weekly rate: nothing is owed back
        assert lines["BASIC"] == 133333
        assert lines["RETRO"] == 0


def test_a_transfer_back_dated_into_a_finalised_period_pays_the_new_groups_part(tenant_a):
    # protects: the new group's part of a finalised period never paid, while the old
    # group's overpayment was recovered (found by the property test over transfers)
    north = uk_group(tenant_a.client, name="North monthly")
    south = uk_group(tenant_a.client, name="South monthly")
    with client_scope(clients=[tenant_a.client]):
        # given: April finalised in both groups with the employee in North (2,500.00)
        olivia = hire(tenant_a.team_lead, north, "E-1")
        finalised(tenant_a, north)
        finalised(tenant_a, south)
        # when: a move to South on 21 April at 36,000 a year is recorded in May
        services.change_employment(
            actor=tenant_a.team_lead,
            employee=olivia,
            effective=date(2026, 4, 21),
            pay_group=south,
            annual_salary="36000",
        )
        north_may = calculated(tenant_a.team_lead, north, MAY)
        south_may = calculated(tenant_a.team_lead, south, MAY)
        lines = _lines(south_may, olivia)
        in_north = PayResult.objects.filter(run=north_may, employee=olivia).exists()
    # then: April owed North 15/30 of 2,500 = 1,250.00 (2,500 paid) and South 15/30 of
    # 3,000 = 1,500.00 (nothing paid): back pay 1,500 - 1,250 = 250.00, and May's 3,000
    assert not in_north
    assert lines["BASIC"] == 300000
    assert lines["RETRO"] == 25000


def test_a_transfer_back_dated_to_before_the_first_period_recovers_the_old_groups_pay(
    tenant_a,
):
    # protects: periods paid by a group the employee, by the records, was never in that
    # period being counted as owed (found by the property test: 2,000.00 paid twice)
    north = uk_group(tenant_a.client, name="North monthly")
    south = uk_group(tenant_a.client, name="South monthly")
    with client_scope(clients=[tenant_a.client]):
        # given: 12,000 a year (1,000.00 a month) in North from 1 April; April and May
        # finalised in both groups
        olivia = hire(tenant_a.team_lead, north, "E-1", salary="12000")
        for period in (APRIL, MAY):
            finalised(tenant_a, north, period)
            finalised(tenant_a, south, period)
        # when: a move to South from 6 April is recorded in June
        services.change_employment(
            actor=tenant_a.team_lead, employee=olivia, effective=date(2026, 4, 6), pay_group=south
        )
        calculated(tenant_a.team_lead, north, JUNE)
        june = calculated(tenant_a.team_lead, south, JUNE)
        lines = _lines(june, olivia)
    # then: South owes April and May (2,000.00) and North is owed them back (2,000.00):
    # no back pay, and June's 1,000.00
    assert (lines["BASIC"], lines["RETRO"]) == (100000, 0)
