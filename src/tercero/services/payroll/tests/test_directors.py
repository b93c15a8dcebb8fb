"""Directors' Class 1 NICs (HMRC CA44, National Insurance for company directors), worked
by hand from GOV.UK's 2026-27 yearly thresholds (LEL 6,708, PT 12,570, ST 5,000, UEL
50,270; 8 % / 2 % employee, 15 % employer) and checked through pay runs.

- Annual earnings period method: every payment is worked on the earnings to date against
  the yearly thresholds, less the NICs already paid this year.
- Alternative method: each pay period as for an employee, and the year's last pay day
  on the annual earnings period, squaring the year.
- Appointed during the year: a pro rata period of the weeks left counting the week of
  appointment, each yearly threshold / 52 x weeks rounded up to the pound.
"""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tercero.platform.errors import InvalidInput
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import gb
from tercero.services.payroll.models import PayResult
from tercero.services.payroll.tests.factories import (
    APRIL,
    MAY,
    calculated,
    finalised,
    hire,
    uk_group,
)

START = date(2026, 4, 6)


def _lines(result: PayResult) -> dict:
    return {code: amount for code, _name, _category, amount in result.lines}


def test_weeks_of_a_directors_earnings_period():
    # before the year or in its first week: 52; 1 May 2026 is in tax week 4: 49 weeks
    assert gb.director_weeks(appointed_on=date(2019, 1, 1), tax_year_start=START) == 52
    assert gb.director_weeks(appointed_on=date(2026, 4, 12), tax_year_start=START) == 52
    assert gb.director_weeks(appointed_on=date(2026, 5, 1), tax_year_start=START) == 49
    assert gb.director_weeks(appointed_on=date(2027, 4, 5), tax_year_start=START) == 1


def test_pro_rata_thresholds_round_up_to_the_pound():
    # 49 weeks: PT 12570 x 49 / 52 = 11844.81 -> 11845; ST 4711.54 -> 4712; UEL 47369.04
    # -> 47370; LEL 6708 x 49 / 52 = 6321 (129 a week)
    limits = gb.director_limits(table=gb.pack("2026-27")["national_insurance"], weeks=49)
    assert (limits["PT"], limits["ST"], limits["UEL"], limits["LEL"]) == (
        Decimal(11845),
        Decimal(4712),
        Decimal(47370),
        Decimal(6321),
    )


def test_annual_method_on_a_years_earnings_of_60000():
    # (50270 - 12570) x 8 % = 3016.00 + (60000 - 50270) x 2 % = 194.60; employer
    # (60000 - 5000) x 15 % = 8250.00
    result = gb.director_national_insurance(
        pay=Decimal(60000),
        earnings_before=Decimal(0),
        employee_before=Decimal(0),
        employer_before=Decimal(0),
        category="A",
        weeks=52,
    )
    assert (result.employee, result.employer) == (Decimal("3210.60"), Decimal("8250.00"))


def test_alternative_method_squares_the_year_only_on_its_last_pay_day():
    assert not gb.final_period(frequency="monthly", period=11)
    assert gb.final_period(frequency="monthly", period=12)
    assert gb.final_period(frequency="weekly", period=52)
    assert not gb.final_period(frequency="biweekly", period=50)
    assert gb.final_period(frequency="biweekly", period=51)
    assert gb.final_period(frequency="annual", period=12)


@settings(max_examples=200, deadline=None)
@given(
    payments=st.lists(st.integers(min_value=0, max_value=2_000_000), min_size=1, max_size=12),
    weeks=st.integers(min_value=1, max_value=52),
    category=st.sampled_from(["A", "B", "C", "H", "J", "M", "F", "N", "X"]),
)
def test_annual_method_payments_add_up_to_the_years_nics_on_the_total(payments, weeks, category):
    # property: however the year's pay is split, the NICs taken add up to the NICs on the
    # year's earnings in one payment (the cumulative annual earnings period)
    employee = employer = earned = Decimal(0)
    for pence in payments:
        pay = Decimal(pence) / 100
        result = gb.director_national_insurance(
            pay=pay,
            earnings_before=earned,
            employee_before=employee,
            employer_before=employer,
            category=category,
            weeks=weeks,
        )
        employee, employer, earned = (
            employee + result.employee,
            employer + result.employer,
            earned + pay,
        )
    whole = gb.director_national_insurance(
        pay=earned,
        earnings_before=Decimal(0),
        employee_before=Decimal(0),
        employer_before=Decimal(0),
        category=category,
        weeks=weeks,
    )
    assert (employee, employer) == (whole.employee, whole.employer)


@pytest.mark.django_db
def test_a_directors_monthly_pay_runs_on_the_annual_earnings_period(tenant_a):
    # given a director since 2020 and an employee, each on 60,000 a year (5,000 a month)
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        director = hire(
            tenant_a.team_lead, group, "D-1", "60000.00", director_since=date(2020, 1, 1)
        )
        worker = hire(tenant_a.team_lead, group, "E-1", "60000.00")
        # when April is paid and May calculated
        april = finalised(tenant_a, group)
        may = calculated(tenant_a.team_lead, group, MAY)
        paid = {
            (result.run_id, result.employee_id): _lines(result)
            for result in PayResult.objects.filter(run__in=[april, may])
        }
    # then April's 5,000 is below the yearly PT (no employee NICs) and at the yearly ST
    # (no employer NICs); May's 10,000 to date owes employer (10000 - 5000) x 15 % = 750
    assert (paid[april.pk, director.pk]["NI"], paid[april.pk, director.pk]["ER_NI"]) == (0, 0)
    assert (paid[may.pk, director.pk]["NI"], paid[may.pk, director.pk]["ER_NI"]) == (0, 75000)
    # the employee pays by the month: (4189 - 1048) x 8 % + (5000 - 4189) x 2 % = 267.50;
    # employer (5000 - 417) x 15 % = 687.45
    assert (paid[april.pk, worker.pk]["NI"], paid[april.pk, worker.pk]["ER_NI"]) == (26750, 68745)


@pytest.mark.django_db
def test_a_director_appointed_after_the_pay_day_is_paid_as_an_employee(tenant_a):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        later = hire(tenant_a.team_lead, group, "D-2", "60000.00", director_since=date(2026, 6, 1))
        run = calculated(tenant_a.team_lead, group, APRIL)
        lines = _lines(PayResult.objects.get(run=run, employee=later))
    assert (lines["NI"], lines["ER_NI"]) == (26750, 68745)


@pytest.mark.django_db
def test_hiring_with_an_unknown_directors_method_is_refused(tenant_a):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]), pytest.raises(InvalidInput) as refused:
        hire(
            tenant_a.team_lead,
            group,
            "D-3",
            director_since=date(2026, 4, 6),
            director_nic_method="weekly",
        )
    assert refused.value.fields == {"director_nic_method": "annual or alternative"}
