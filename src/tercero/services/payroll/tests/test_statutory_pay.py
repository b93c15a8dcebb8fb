"""UK statutory payments, worked by hand from the rules GOV.UK and the legislation give
(sources in statutory.py and the packs' "statutory_payments" entries)."""

from datetime import date, timedelta
from fractions import Fraction

import pytest

from tercero.platform.errors import InvalidInput
from tercero.services.payroll import calc, statutory, statutory_rules
from tercero.services.payroll.statutory import Spell

MON_TO_FRI = frozenset({0, 1, 2, 3, 4})


def _total(days) -> int:
    return sum(paid.amount_minor for paid in days)


def _sick(spells, awe=50000, weekdays=MON_TO_FRI) -> list[statutory.PaidDay]:
    return list(statutory.sick_days(spells=spells, awe_minor=awe, qualifying_weekdays=weekdays))


# --- rates from the packs -----------------------------------------------------------


def test_the_packs_carry_each_years_statutory_rates():
    # GOV.UK rates and thresholds for employers 2025 to 2026 and 2026 to 2027
    before, after = statutory.rates("2025-26"), statutory.rates("2026-27")
    assert (before.sick_weekly, before.family_weekly, before.lower_earnings_limit) == (
        11875,
        18718,
        12500,
    )
    assert (after.sick_weekly, after.family_weekly, after.lower_earnings_limit) == (
        12325,
        19432,
        12900,
    )
    # the Employment Rights Act 2025 from 6 April 2026: no waiting days, no earnings test
    assert (before.sick_waiting_days, after.sick_waiting_days) == (3, 0)
    assert (before.sick_incapacity_min_days, after.sick_incapacity_min_days) == (4, 1)
    assert before.sick_earnings_limit_applies
    assert not after.sick_earnings_limit_applies


# --- Statutory Maternity and Adoption Pay -------------------------------------------


def test_maternity_pay_is_six_weeks_at_90_percent_then_the_flat_rate():
    # given: average weekly earnings of 500.00; 90 % is 450.00, above 187.18
    days = list(
        statutory.family_days(
            kind=statutory.MATERNITY, start=date(2025, 6, 1), end=None, awe_minor=50000
        )
    )
    # then: 39 weeks of 7 days; 6 x 450.00 + 33 x 187.18 = 8,876.94
    assert len(days) == 273
    assert _total(days) == 6 * 45000 + 33 * 18718 == 887694
    assert days[-1].day == date(2026, 2, 28)


def test_maternity_pay_below_the_flat_rate_stays_at_90_percent_of_earnings():
    # given: 200.00 a week; 90 % is 180.00, lower than 187.18 in every week
    days = statutory.family_days(
        kind=statutory.MATERNITY, start=date(2025, 6, 1), end=None, awe_minor=20000
    )
    assert _total(days) == 39 * 18000


def test_ninety_percent_with_a_fraction_of_a_penny_is_rounded_up():
    # SMP (General) Regulations 1986 reg. 28: 90 % of 333.33 is 299.997 -> 300.00
    weekly, _said = statutory.family_weekly(
        awe_minor=33333, week_start=date(2025, 6, 1), higher=True
    )
    assert weekly == 30000


def test_flat_rate_weeks_follow_the_tax_year_they_start_in():
    # given: adoption pay from Sunday 4 January 2026, 90 % of 600.00 = 540.00
    days = list(
        statutory.family_days(
            kind=statutory.ADOPTION, start=date(2026, 1, 4), end=None, awe_minor=60000
        )
    )
    weekly = {paid.week_number: paid.weekly_minor for paid in days}
    # then: 6 weeks at 540.00; weeks 7 to 13 start before 6 April 2026 (187.18); week 14
    # starts on 5 April 2026 (still 2025-26), week 15 on 12 April 2026 (194.32)
    assert [weekly[n] for n in (1, 6, 7, 14, 15, 39)] == [54000, 54000, 18718, 18718, 19432, 19432]


def test_part_week_is_sevenths_of_the_week_rounded_up():
    # s. 166(4) SSCBA 1992: a day is one seventh of the week; 450.00 x 2 / 7 = 128.571...
    lines = statutory.lines_in(
        statutory.family_days(
            kind=statutory.MATERNITY, start=date(2025, 6, 1), end=None, awe_minor=50000
        ),
        kind=statutory.MATERNITY,
        period_start=date(2025, 6, 1),
        period_end=date(2025, 6, 30),
    )
    assert [line.amount_minor for line in lines] == [45000, 45000, 45000, 45000, 12858]
    assert lines[-1].text == (
        "Statutory Maternity Pay week 5 (from 29 June 2025): 2 days, 29 June 2025 to "
        "30 June 2025, at £450.00 a week (90 % of average weekly earnings £500.00) = £128.58."
    )


def test_maternity_pay_stops_on_the_last_day_given():
    days = list(
        statutory.family_days(
            kind=statutory.MATERNITY, start=date(2025, 6, 1), end=date(2025, 6, 10),
            awe_minor=50000,
        )
    )  # fmt: skip
    assert len(days) == 10
    assert _total(days) == 45000 + statutory.share_minor(45000, 3, 7)


# --- Statutory Paternity and Shared Parental Pay ------------------------------------


def test_paternity_pay_is_two_weeks_at_the_lower_of_the_flat_rate_and_90_percent():
    days = list(
        statutory.family_days(
            kind=statutory.PATERNITY, start=date(2025, 9, 1), end=None, awe_minor=50000
        )
    )
    assert len(days) == 14
    assert _total(days) == 2 * 18718


def test_shared_parental_pay_stops_when_the_weeks_left_are_used():
    # given: 3 weeks left after maternity pay, asked over two blocks of 2 weeks each
    blocks = [
        (date(2025, 10, 5), date(2025, 10, 18)),
        (date(2025, 11, 2), date(2025, 11, 15)),
    ]
    days = list(statutory.shared_days(blocks=blocks, awe_minor=30000, weeks_available=3))
    # then: 21 days, all at the lower of 187.18 and 270.00
    assert len(days) == 21
    assert _total(days) == 3 * 18718
    assert days[-1].day == date(2025, 11, 8)


# --- Statutory Sick Pay -------------------------------------------------------------


def test_ssp_waiting_days_gov_uk_table():
    # GOV.UK, Statutory Sick Pay: manually calculate: sick one week Monday to Sunday
    week = [Spell(date(2025, 6, 2), date(2025, 6, 8))]
    # Monday to Friday: Monday to Wednesday wait, SSP for Thursday and Friday
    assert [d.day.weekday() for d in _sick(week)] == [3, 4]
    # Tuesday, Thursday, Friday: all three are waiting days
    assert _sick(week, weekdays=frozenset({1, 3, 4})) == []
    # Tuesday to Friday: SSP for Friday only
    assert [d.day.weekday() for d in _sick(week, weekdays=frozenset({1, 2, 3, 4}))] == [4]


def test_ssp_daily_rate_is_the_weekly_rate_over_the_qualifying_days():
    # 118.75 / 5 = 23.75 for Thursday and Friday
    days = _sick([Spell(date(2025, 6, 2), date(2025, 6, 8))])
    assert [d.amount_minor for d in days] == [2375, 2375]


def test_ssp_three_days_of_sickness_is_no_period_of_incapacity_before_april_2026():
    assert _sick([Spell(date(2025, 6, 2), date(2025, 6, 4))]) == []


def test_ssp_linked_periods_serve_the_waiting_days_once():
    # given: sick Monday to Thursday, then again 4 weeks later (8 weeks or less apart)
    first = Spell(date(2025, 6, 2), date(2025, 6, 5))
    second = Spell(date(2025, 7, 7), date(2025, 7, 10))
    days = _sick([first, second])
    # then: Monday to Wednesday of the first wait; the second pays all 4 days
    assert [d.day for d in days] == [date(2025, 6, 5)] + [
        date(2025, 7, 7) + timedelta(days=i) for i in range(4)
    ]


def test_ssp_periods_more_than_8_weeks_apart_wait_again():
    first = Spell(date(2025, 6, 2), date(2025, 6, 5))
    second = Spell(date(2025, 8, 4), date(2025, 8, 7))  # 59 days after the first ended
    days = _sick([first, second])
    assert [d.day for d in days] == [date(2025, 6, 5), date(2025, 8, 7)]


def test_ssp_stops_after_28_weeks():
    # given: sick from Monday 7 April 2025 to 31 December 2025, Monday to Friday
    days = _sick([Spell(date(2025, 4, 7), date(2025, 12, 31))])
    # then: 3 waiting days (7 to 9 April), then exactly 28 weeks of 118.75
    assert len(days) == 28 * 5
    assert _total(days) == 28 * 11875
    assert days[-1].day == date(2025, 10, 22)  # 140 qualifying days from Thursday 10 April


def test_ssp_from_april_2026_is_paid_from_the_first_day_at_the_lower_of_80_percent():
    # Employment Rights Act 2025: one day is a period of incapacity, no waiting days;
    # 80 % of 100.00 is 80.00, lower than 123.25: 16.00 a day over 5 qualifying days
    lines = statutory.sick_lines(
        spells=[Spell(date(2026, 6, 2), date(2026, 6, 2))],
        awe_minor=10000,
        qualifying_weekdays=MON_TO_FRI,
        period_start=date(2026, 6, 1),
        period_end=date(2026, 6, 30),
    )
    assert [(line.code, line.amount_minor) for line in lines] == [("SSP", 1600)]
    assert lines[0].text == (
        "Statutory Sick Pay for the week from 31 May 2026: 1 day, 2 June 2026 to 2 June 2026, "
        "at £80.00 a week (80 % of average weekly earnings £100.00, 5 qualifying days a "
        "week) = £16.00."
    )


def test_ssp_from_april_2026_for_a_higher_earner_is_the_flat_rate():
    days = _sick([Spell(date(2026, 6, 1), date(2026, 6, 7))], awe=60000)
    assert _total(days) == 12325


def test_a_period_needs_only_the_rates_of_its_own_days():
    # given: maternity pay from Sunday 3 January 2027, running into 2027-28, a tax year
    # with no rates pack yet
    days = statutory.family_days(
        kind=statutory.MATERNITY, start=date(2027, 1, 3), end=None, awe_minor=30000
    )
    # when: January 2027 is paid; then it is, from the 2026-27 rates alone
    lines = statutory.lines_in(
        days, kind=statutory.MATERNITY, period_start=date(2027, 1, 1), period_end=date(2027, 1, 31)
    )
    assert sum(line.amount_minor for line in lines) == 4 * 27000 + statutory.share_minor(
        27000, 1, 7
    )
    # and a period in 2027-28 is refused in words (the run holds that employee alone)
    with pytest.raises(InvalidInput) as refused:
        statutory.lines_in(
            statutory.family_days(
                kind=statutory.MATERNITY, start=date(2027, 1, 3), end=None, awe_minor=30000
            ),
            kind=statutory.MATERNITY,
            period_start=date(2027, 5, 1),
            period_end=date(2027, 5, 31),
        )
    assert refused.value.message == "No UK rates pack for tax year 2027-28."


def test_a_payslip_whose_statutory_pay_could_not_be_worked_out_is_held_in_words():
    setting = calc.Setting(
        rules=calc.rule_set(calc.GB_DEFAULT_RULES), frequency="monthly", period=1,
        tax_year="2026-27", currency="GBP", jurisdiction="GB",
    )  # fmt: skip
    snapshot = calc.Snapshot(
        employee_id=1,
        annual_salary_minor=3000000,
        hourly_rate_minor=None,
        statutory_problem="Statutory pay: No UK rates pack for tax year 2027-28.",
    )
    with pytest.raises(InvalidInput) as held:
        calc.compute(snapshot, setting)
    assert held.value.message == "Statutory pay: No UK rates pack for tax year 2027-28."


def test_statutory_pay_is_an_earning_before_income_tax_on_the_payslip():
    setting = calc.Setting(
        rules=calc.rule_set(calc.GB_DEFAULT_RULES), frequency="monthly", period=1,
        tax_year="2026-27", currency="GBP", jurisdiction="GB",
    )  # fmt: skip
    snapshot = calc.Snapshot(
        employee_id=1,
        annual_salary_minor=None,
        hourly_rate_minor=None,
        statutory=(("SSP", "Statutory Sick Pay", 12325, ("Statutory Sick Pay ...",)),),
    )
    computed = calc.compute(snapshot, setting)
    codes = [line[0] for line in computed.lines]
    assert codes.index("SSP") < codes.index("PAYE")
    assert computed.gross_minor == 12325
    assert computed.ytd["SSP"] == 12325
    assert computed.basis["statutory"] == ["Statutory Sick Pay ..."]


def test_average_weekly_earnings_are_used_unrounded():
    # HMRC's helpbook E15: do not round average weekly earnings to whole pence
    # given: 5,000.00 over two monthly payments: 5,000 x 12 / 52 / 2 = 576.923...
    awe, text = statutory_rules.average_weekly_earnings(
        payments=[(date(2026, 4, 28), 250000), (date(2026, 5, 28), 250000),
                  (date(2026, 6, 26), 250000)],
        up_to=date(2026, 6, 30),
        frequency="monthly",
    )  # fmt: skip
    assert awe == Fraction(500000 * 12, 52 * 2)
    assert text.startswith("Average weekly earnings £576.92:")
    # then: 90 % is 519.2307... -> 519.24 (519.23 had the earnings been rounded first)
    weekly, _said = statutory.family_weekly(awe_minor=awe, week_start=date(2026, 7, 5), higher=True)
    assert weekly == 51924
    # and 124.996 a week is below the 125.00 limit, though it would round to 125.00
    assert statutory_rules.family_refusal(
        kind=statutory.MATERNITY,
        expected=date(2026, 5, 17),
        employed_from=date(2025, 1, 1),
        awe_minor=Fraction(124996, 10),
    ) == (
        "No Statutory Maternity Pay: average weekly earnings of £124.99 are below the lower "
        "earnings limit of £125.00."
    )


def test_no_ssp_is_paid_in_a_maternity_pay_period():
    # given: sick Monday 1 to Friday 12 June 2026; maternity pay from Sunday 7 June 2026
    days = statutory.sick_days(
        spells=[Spell(date(2026, 6, 1), date(2026, 6, 12))],
        awe_minor=60000,
        qualifying_weekdays=MON_TO_FRI,
        not_payable=(Spell(date(2026, 6, 7), date(2027, 3, 6)),),
    )
    # then: SSP for the first week only (no waiting days from April 2026)
    assert [paid.day for paid in days] == [date(2026, 6, 1) + timedelta(days=i) for i in range(5)]
