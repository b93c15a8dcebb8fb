"""Annual and four-weekly pay frequencies for United Kingdom pay groups, worked by hand
from GOV.UK's 2026-27 rates: annual pay is taxed on the monthly tables at month 12 (the
whole year's allowance and bands) and its NICs on the yearly thresholds (PT 12,570, ST
5,000, UEL 50,270)."""

from datetime import date
from decimal import Decimal

import pytest

from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import calc, gb, paydates
from tercero.services.payroll.models import PayGroup, PayResult
from tercero.services.payroll.tests.factories import calculated, hire, uk_group

YEAR = dict(period_start=date(2026, 4, 6), period_end=date(2027, 4, 5), pay_date=date(2027, 3, 31))


def test_annual_pay_is_taxed_at_month_12():
    # free pay 1048.26 x 12 = 12579.12; 60000 - 12579.12 = 47420.88 -> 47420;
    # 37700 x 20 % = 7540.00 + (47420 - 37700) x 40 % = 3888.00 -> 11428.00
    assert calc.tax_period(jurisdiction="GB", frequency="annual", pay_date=date(2027, 3, 31)) == (
        "2026-27",
        12,
    )
    result = gb.income_tax(
        code="1257L", pay=Decimal(60000), pay_to_date=Decimal(60000),
        tax_to_date_before=Decimal(0), period=12, frequency="annual",
    )  # fmt: skip
    assert result.tax == Decimal("11428.00")
    week_one = gb.income_tax(
        code="1257L M1", pay=Decimal(60000), pay_to_date=Decimal(60000),
        tax_to_date_before=Decimal(0), period=12, frequency="annual",
    )  # fmt: skip
    assert week_one.tax == Decimal("11428.00")  # the month 1 figures x 12


def test_annual_nics_use_the_yearly_thresholds():
    # (50270 - 12570) x 8 % = 3016.00 + 9730 x 2 % = 194.60; (60000 - 5000) x 15 % = 8250
    result = gb.national_insurance(pay=Decimal(60000), frequency="annual")
    assert (result.employee, result.employer) == (Decimal("3210.60"), Decimal("8250.00"))


def test_four_weekly_and_annual_calendars():
    group = PayGroup(frequency="four_weekly", period_anchor=date(2026, 4, 6), pay_offset_days=0)
    start, end = paydates._period_containing("four_weekly", date(2026, 4, 6), date(2026, 5, 10))
    assert (start, end) == (date(2026, 5, 4), date(2026, 5, 31))
    start, end = paydates._period_containing("annual", date(2026, 4, 6), date(2027, 1, 15))
    assert (start, end) == (date(2026, 4, 6), date(2027, 4, 5))
    start, end = paydates._period_containing("annual", date(2026, 4, 6), date(2027, 4, 6))
    assert (start, end) == (date(2027, 4, 6), date(2028, 4, 5))
    assert group.get_frequency_display() == "Every four weeks"
    assert PayGroup(frequency="annual").get_frequency_display() == "Annually"


@pytest.mark.django_db
def test_an_annual_pay_group_pays_the_year_in_one_run(tenant_a):
    # given an annual group and an employee on 60,000
    group = uk_group(tenant_a.client, name="UK annual", frequency="annual")
    with client_scope(clients=[tenant_a.client]):
        employee = hire(tenant_a.team_lead, group, "A-1", "60000.00")
        # when the year is calculated
        run = calculated(tenant_a.team_lead, group, YEAR)
        result = PayResult.objects.get(run=run, employee=employee)
    lines = {code: amount for code, _name, _category, amount in result.lines}
    # then the whole salary, tax at month 12 and NICs on the yearly thresholds
    assert (run.period, lines["BASIC"], lines["PAYE"]) == (12, 6_000_000, 1_142_800)
    assert (lines["NI"], lines["ER_NI"]) == (321_060, 825_000)
