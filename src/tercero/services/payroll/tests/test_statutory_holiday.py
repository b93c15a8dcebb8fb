"""Holiday pay: the 52-week average for variable pay and 12.07 % for irregular hours
(Working Time Regulations 1998 reg. 16; GOV.UK, Holiday entitlement and pay for
irregular hours and part-year workers, from 1 April 2024)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tercero.platform.errors import InvalidInput
from tercero.services.payroll import holiday_pay

HOLIDAY = date(2026, 6, 1)


def _weeks(pays: list[int]) -> list[tuple[date, int]]:
    """Weeks ending before the holiday, the most recent first."""
    return [(HOLIDAY - timedelta(days=1) - timedelta(weeks=i), pay) for i, pay in enumerate(pays)]


def test_weeks_without_pay_are_skipped_and_52_paid_weeks_are_averaged():
    # given: 10 unpaid weeks, then 52 weeks at 400.00 and older weeks at 900.00
    weeks = _weeks([0] * 10 + [40000] * 52 + [90000] * 20)
    found = holiday_pay.week_pay(weeks=weeks, holiday_starts=HOLIDAY)
    # then: the unpaid weeks do not count and the older weeks are not reached
    assert (found.weekly_minor, found.weeks_counted) == (40000, 52)


def test_the_look_back_stops_at_104_weeks():
    # given: 100 unpaid weeks, then 10 paid weeks of which 4 fall within 104 weeks
    weeks = _weeks([0] * 100 + [50000] * 10)
    found = holiday_pay.week_pay(weeks=weeks, holiday_starts=HOLIDAY)
    assert (found.weekly_minor, found.weeks_counted) == (50000, 4)


def test_fewer_paid_weeks_are_averaged_over_the_weeks_there_are():
    found = holiday_pay.week_pay(weeks=_weeks([30000, 0, 60000]), holiday_starts=HOLIDAY)
    assert found.weekly_minor == 45000
    assert found.text == (
        "A week's holiday pay is £450.00: £900.00 earned in 2 weeks with pay, the weeks "
        "ending 17 May 2026 to 31 May 2026, divided by 2."
    )


def test_irregular_hours_accrue_12_07_percent_of_hours_worked():
    # 12.07 % of 100 hours; of 37.5 hours 4.526... -> 4.53
    assert holiday_pay.accrued_hours(Decimal("100")) == Decimal("12.07")
    assert holiday_pay.accrued_hours(Decimal("37.5")) == Decimal("4.53")


def test_rolled_up_holiday_pay_is_12_07_percent_of_the_periods_pay():
    amount, text = holiday_pay.rolled_up_minor(123456)
    # 1,234.56 x 12.07 % = 149.011... -> 149.01
    assert amount == 14901
    assert text == "Rolled-up holiday pay: 12.07 % of £1,234.56 = £149.01."


def test_negative_hours_or_pay_are_refused():
    with pytest.raises(InvalidInput):
        holiday_pay.accrued_hours(Decimal("-1"))
    with pytest.raises(InvalidInput):
        holiday_pay.week_pay(weeks=_weeks([-5]), holiday_starts=HOLIDAY)
