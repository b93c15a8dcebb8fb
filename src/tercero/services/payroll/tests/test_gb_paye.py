"""UK PAYE and Class 1 NICs against published figures.

Two kinds of expected figures:
- HMRC's own test data for payroll software developers (tax year 2009-10, "HMRC Notes
  for Payroll Software Developers", Annex B "Test Data - 2009-2010"), run through the
  same routines with that year's parameters (basic rate 20 % up to £37,400, higher 40 %):
  the routines are year-independent, so reproducing HMRC's figures to the penny checks
  pay adjustment, rounding and bands;
- 2026-27 cases worked out by hand from GOV.UK "Rates and thresholds for employers 2026
  to 2027" (personal allowance £12,570, code 1257L; bands £37,700 / £125,140; monthly
  NICs thresholds LEL £559, PT £1,048, ST £417, UEL £4,189; 8 % / 2 % / 15 %), the
  arithmetic written beside each.
"""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tercero.platform.errors import InvalidInput
from tercero.services.payroll import calc, gb
from tercero.services.payroll.tests.factories import paye as _month

RATES_2009_10 = {
    "income_tax": {
        "bands": [
            {"name": "basic", "rate": "0.20", "upto": "37400"},
            {"name": "higher", "rate": "0.40", "upto": None},
        ],
        "flat_codes": {"BR": "0.20", "D0": "0.40"},
        "regulatory_limit": "0.50",
        "pay_adjustment_unit": "500",
    }
}

# HMRC Annex B (2009-10): code, frequency, period, gross pay to date,
# pay adjustment to date, taxable pay, tax due to date "per specification"
HMRC_2009_10 = [
    ("510L", "weekly", 8, "2046.15", "786.08", "1260.07", "252.00"),
    ("510L", "weekly", 29, "3091.22", "2849.54", "241.68", "48.20"),
    ("560T", "monthly", 3, "2750.00", "1402.26", "1347.74", "269.40"),
    ("560T", "monthly", 10, "21287.75", "4674.20", "16613.55", "3322.60"),
    ("K255", "monthly", 5, "6023.66", "1066.25", "7089.91", "1417.80"),
    ("K255", "monthly", 8, "32799.98", "1706.00", "34505.98", "8815.33"),
]


@pytest.mark.parametrize(
    ("code", "frequency", "period", "gross", "adjust", "taxable", "tax"), HMRC_2009_10
)
def test_hmrc_published_test_data_is_reproduced_to_the_penny(
    code, frequency, period, gross, adjust, taxable, tax
):
    # protects: the PAYE routine is HMRC's (pay adjustment, rounding, bands)
    result = gb.income_tax(
        code=code,
        pay=Decimal(gross),  # one payment to date: the regulatory limit never bites here
        pay_to_date=Decimal(gross),
        tax_to_date_before=Decimal(0),
        period=period,
        frequency=frequency,
        rates=RATES_2009_10,
    )
    assert result.pay_adjustment_to_date == Decimal(adjust)
    assert result.taxable_to_date == int(Decimal(taxable))  # HMRC rounds down to whole pounds
    assert result.tax_to_date == Decimal(tax)


def test_1257L_month_one_and_a_full_year():
    # protects: the standard code, cumulative over the year
    # free pay a month: 2 x 416.67 + roundup((257 x 10 + 9) / 12 = 214.9167) = 1048.26
    first = _month("1257L", "3000")
    assert first.pay_adjustment_to_date == Decimal("1048.26")
    # taxable 3000 - 1048.26 = 1951.74 -> 1951; 1951 x 20 % = 390.20
    assert (first.taxable_to_date, first.tax) == (Decimal(1951), Decimal("390.20"))
    # twelve equal months: 36000 - 12579.12 = 23420.88 -> 23420 x 20 % = 4684.00 for the
    # year; the months are 390.20 x 11 + the rest: cumulative keeps the year exact
    total = Decimal(0)
    for month in range(1, 13):
        result = _month(
            "1257L", "3000", period=month, pay_before=str(3000 * (month - 1)), tax_before=str(total)
        )
        total += result.tax
    assert total == Decimal("4684.00")


def test_higher_and_additional_rate_bands_prorate_by_period():
    # protects: bands to date (annual limit x n / 12, rounded up to the penny)
    # month 1, 1257L, pay 10,000: taxable 10000 - 1048.26 = 8951.74 -> 8951;
    # basic band to date 37700 / 12 = 3141.6667 -> 3141.67: 3141.67 x 20 % = 628.334;
    # (8951 - 3141.67) x 40 % = 2323.732; total 2952.066 -> 2952.06
    assert _month("1257L", "10000").tax == Decimal("2952.06")
    # month 1, pay 20,000: taxable 18951 (specification version 24.0, Definitions 9-11):
    # threshold tax to 125140 = (7540 + 87440 x 40 %) / 12 = 3543.0000; threshold
    # 125140 / 12 = 10428.3333; 3543 + (18951 - 10428.3333) x 45 % = 7378.2000 -> 7378.20
    assert _month("1257L", "20000").tax == Decimal("7378.20")


def test_flat_codes_nt_and_0t():
    # protects: BR, D0, D1, NT and 0T
    assert _month("BR", "1234.56").tax == Decimal("246.80")  # 1234 x 20 %
    assert _month("D0", "1234.56").tax == Decimal("493.60")  # 1234 x 40 %
    assert _month("D1", "1234.56").tax == Decimal("555.30")  # 1234 x 45 %
    assert _month("NT", "50000").tax == Decimal(0)
    assert _month("0T", "2000").tax == Decimal("400.00")  # no allowance: 2000 x 20 %


def test_k_code_adds_pay_and_the_regulatory_limit_holds_tax_back():
    # protects: K codes (untaxed benefits collected through pay), never over 50 % of pay
    # K475 monthly: roundup((475 x 10 + 9) / 12 = 396.5833) = 396.59 added;
    # pay 2000: taxable 2396.59 -> 2396 x 20 % = 479.20 (under the limit of 1000)
    normal = _month("K475", "2000")
    assert (normal.pay_adjustment_to_date, normal.tax, normal.limited) == (
        Decimal("396.59"),
        Decimal("479.20"),
        False,
    )
    # K1000 with pay of 500: additional 834.09 (416.67 + roundup(5009 / 12)); taxable
    # 1334 -> 266.80 due, but at most 50 % of 500 = 250.00 this month
    capped = _month("K1000", "500")
    assert (capped.tax, capped.limited) == (Decimal("250.00"), True)


def test_week1_month1_basis_ignores_the_year_and_never_refunds():
    # protects: the emergency basis (non-cumulative)
    # month 7 on 1257L M1, pay 3000 after 6 months of 5000: taxed like month 1 = 390.20
    m1 = _month("1257L M1", "3000", period=7, pay_before="30000", tax_before="5000")
    assert m1.tax == Decimal("390.20")
    # the same month cumulatively would refund: 33000 - 7 x 1048.26 = 25662.18 -> 25662;
    # band 37700 x 7 / 12 = 21991.67: 4398.334 + (25662 - 21991.67) x 40 % = 1468.132
    # -> 5866.46 to date, 5000 already paid: 866.46 more
    cumulative = _month("1257L", "3000", period=7, pay_before="30000", tax_before="5000")
    assert cumulative.tax == Decimal("866.46")
    low = _month("1257L W1", "100", frequency="weekly")
    assert low.tax == Decimal(0)  # below the weekly free pay: nothing, and no refund


def test_a_mid_year_starter_continues_from_the_p45():
    # protects: starters with a P45 (previous pay and tax carried in)
    # month 7, 1257L, P45 pay 15,000 and tax 1,486.00; this month 2,500:
    # 17500 - 7 x 1048.26 = 10162.18 -> 10162 x 20 % = 2032.40 to date; 546.40 this month
    starter = _month("1257L", "2500", period=7, pay_before="15000", tax_before="1486.00")
    assert starter.tax == Decimal("546.40")
    # a refund when the previous job over-deducted
    refund = _month("1257L", "500", period=7, pay_before="8000", tax_before="900.00")
    # 8500 - 7337.82 = 1162.18 -> 1162 x 20 % = 232.40 to date; 900 paid: 667.60 back
    assert refund.tax == Decimal("-667.60")


def test_national_insurance_crossing_the_upper_earnings_limit():
    # protects: Class 1 NICs per period, category A
    below = gb.national_insurance(pay=Decimal("1000"))
    assert (below.employee, below.employer) == (Decimal(0), Decimal("87.45"))  # (1000 - 417) x 15 %
    mid = gb.national_insurance(pay=Decimal("3000"))
    assert mid.employee == Decimal("156.16")  # (3000 - 1048) x 8 %
    assert mid.employer == Decimal("387.45")  # (3000 - 417) x 15 %
    # 5000 a month crosses the UEL (4189): (4189 - 1048) x 8 % = 251.28;
    # (5000 - 4189) x 2 % = 16.22; employer (5000 - 417) x 15 % = 687.45
    high = gb.national_insurance(pay=Decimal("5000"))
    assert (high.employee, high.employer) == (Decimal("267.50"), Decimal("687.45"))
    under_21 = gb.national_insurance(pay=Decimal("5000"), category="M")
    assert under_21.employer == Decimal("121.65")  # only above the UST: 811 x 15 %
    # half a penny rounds down: (1048.0625 - 1048) x 8 % = 0.005 -> 0.00
    assert gb.national_insurance(pay=Decimal("1048.0625")).employee == Decimal("0.00")
    with pytest.raises(InvalidInput):
        gb.national_insurance(pay=Decimal("100"), category="Q")


def test_fortnightly_pay_is_worked_on_the_weekly_tables():
    # protects: UK fortnightly payrolls (tax week of the pay day; NICs thresholds x 2)
    # HMRC CWG2: a fortnight uses the weekly figures times two. 1257L weekly free pay:
    # 2 x 5000/52 -> 96.16 each + 2579/52 -> 49.60 = 241.92; week 2 -> 483.84.
    # 2000 - 483.84 = 1516.16 -> 1516; basic band 37700 x 2 / 52 = 1450:
    # 1450 x 20 % + 66 x 40 % = 316.40
    week2 = _month("1257L", "2000", period=2, frequency="biweekly")
    assert (week2.pay_adjustment_to_date, week2.tax) == (Decimal("483.84"), Decimal("316.40"))
    # the same two weeks paid weekly (1000 each) end at the same tax to date
    # week 1 paid 158.20: 758 -> 725 x 20 % + 33 x 40 %
    weekly = _month(
        "1257L", "1000", period=2, pay_before="1000", tax_before="158.20", frequency="weekly"
    )
    assert weekly.tax_to_date == week2.tax_to_date
    # Week 1 basis, fortnightly: the week 2 figures on this pay alone, whatever the week
    w1 = _month(
        "1257L W1", "2000", period=20, pay_before="7000", tax_before="1000", frequency="biweekly"
    )
    assert w1.tax == Decimal("316.40")
    # NICs on the pack's fortnightly thresholds (HMRC NIM01010): PT 484, UEL 1934, ST 193:
    # (1934 - 484) x 8 % = 116.00 + (2000 - 1934) x 2 % = 1.32; (2000 - 193) x 15 % = 271.05
    nic = gb.national_insurance(pay=Decimal("2000"), frequency="biweekly")
    assert (nic.employee, nic.employer) == (Decimal("117.32"), Decimal("271.05"))
    with pytest.raises(InvalidInput, match="fortnightly"):
        gb.national_insurance(pay=Decimal("2000"), frequency="semimonthly")


def test_a_week_53_pay_day_is_taxed_on_the_week_1_basis():
    # protects: the extra weekly pay day at the end of some tax years (GOV.UK, "Week 53
    # payments": the code is operated on a Week 1 / Month 1 basis for that payment;
    # fortnightly uses the week 2 figures, "week 54")
    assert calc.tax_period(jurisdiction="GB", frequency="weekly", pay_date=date(2027, 4, 5)) == (
        "2026-27",
        53,
    )
    # 2027-28 is a leap year's end: 4 April 2028 is already week 53
    assert calc.tax_period(jurisdiction="GB", frequency="biweekly", pay_date=date(2028, 4, 4)) == (
        "2027-28",
        53,
    )
    weekly = _month(
        "1257L", "1000", period=53, pay_before="52000", tax_before="12000", frequency="weekly"
    )
    assert weekly.tax == Decimal("158.20")  # week 1 figures on 1000 (see above)
    fortnight = _month(
        "1257L", "2000", period=53, pay_before="52000", tax_before="12000", frequency="biweekly"
    )
    assert fortnight.tax == Decimal("316.40")  # week 2 figures on 2000
    with pytest.raises(InvalidInput, match="1 to 12"):
        _month("1257L", "1", period=13)


@pytest.mark.parametrize(
    "code", ["", "1257", "X1", "Q1257L", "K", "12345L", "BR X Y", "D2", "CD2", "SD4", "SC1257L"]
)
def test_bad_codes_are_refused_clearly(code):
    # protects: a typo in a tax code is an error, not a silent wrong deduction
    with pytest.raises(InvalidInput):
        gb.parse_code(code)


@given(
    pays=st.lists(
        st.decimals(min_value=0, max_value=20000, places=2, allow_nan=False),
        min_size=12,
        max_size=12,
    ),
    number=st.integers(min_value=0, max_value=2000),
)
def test_cumulative_tax_always_equals_the_tax_due_on_the_year_to_date(pays, number):
    # protects: cumulative PAYE never drifts (what was deducted equals what is due)
    paid, to_date = Decimal(0), Decimal(0)
    for month, pay in enumerate(pays, start=1):
        to_date += pay
        result = gb.income_tax(
            code=f"{number}L" if number else "0T",
            pay=pay,
            pay_to_date=to_date,
            tax_to_date_before=paid,
            period=month,
        )
        paid += result.tax
        assert paid == result.tax_to_date
        assert result.tax_to_date >= 0
        assert result.tax.as_tuple().exponent >= -2  # whole pence


def test_fortnightly_employer_nics_use_hmrcs_fortnightly_secondary_threshold():
    # protects: 15p too much employer NICs per employee per fortnight (2 x 96 = 192)
    # HMRC NIM01010 (regulation 11 SS(C)R 2001): PT and ST for a multiple of a week are
    # the yearly threshold / 52 x weeks rounded up to the next pound: ST 5000 x 2 / 52 =
    # 192.31 -> 193, four-weekly 384.62 -> 385; PT 12570 x 2 / 52 = 483.46 -> 484,
    # four-weekly 966.92 -> 967; LEL the weekly one times the weeks, UEL likewise rounded
    # up from the yearly figure (50270 x 4 / 52 = 3866.92 -> 3867, HMRC's 2025-26 NICs
    # test data: four-weekly 3867.04 pays 1p employer NICs for category M).
    fortnight = gb.national_insurance(pay=Decimal("1000"), frequency="biweekly")
    assert fortnight.employer == Decimal("121.05")  # (1000 - 193) x 15 %
    assert fortnight.employee == Decimal("41.28")  # (1000 - 484) x 8 %
    four_weeks = gb.national_insurance(pay=Decimal("2000"), frequency="four_weekly")
    assert four_weeks.employer == Decimal("242.25")  # (2000 - 385) x 15 %
    assert four_weeks.employee == Decimal("82.64")  # (2000 - 967) x 8 %
    assert four_weeks.at_lel_to_pt == Decimal(451)  # 967 - 4 x 129
    over = gb.national_insurance(pay=Decimal("4000"), frequency="four_weekly")
    assert over.employee == Decimal("234.66")  # (3867 - 967) x 8 % = 232.00 + 133 x 2 % = 2.66


def _hmrc_nic_pence(pence_by_band: list[tuple[int, int]]) -> int:
    """Oracle from HMRC's text, in whole numbers: each band's earnings (pence) times its
    rate (basis points) is kept to four decimal places of a pound (1/100 penny), the
    fourth decimal is ignored and the third decides: 5 or less rounds down, 6 or more
    rounds up; each band is rounded so and then the bands are added (HMRC's 2025-26 NICs
    test data v1.1, category B fortnightly 1,934.05: 26.825 -> 26.82 plus 0.001 -> 0.00
    is 26.82, where the sum 26.826 would round to 26.83)."""
    total = 0
    for pence, points in pence_by_band:
        tenths = pence * points // 100 // 10
        total += tenths // 10 + (1 if tenths % 10 >= 6 else 0)
    return total


@settings(max_examples=2000, deadline=None)
@given(
    pence=st.integers(min_value=0, max_value=1_000_000),
    frequency=st.sampled_from(["weekly", "biweekly", "monthly"]),
    category=st.sampled_from(["A", "B", "J", "M"]),
)
def test_employee_nics_round_on_the_third_decimal_as_hmrc_specifies(pence, frequency, category):
    # protects: 1p off HMRC for about 8 % of employees between the PT and the UEL
    # HMRC NICs guidance: 52.6558 -> 52.65 (the 4th decimal ignored), 52.6562 -> 52.66
    limits = {"weekly": (242, 967, 96), "biweekly": (484, 1934, 193), "monthly": (1048, 4189, 417)}
    points = {"A": (800, 200, 1500), "B": (185, 200, 1500), "J": (200, 200, 1500),
              "M": (800, 200, 0)}[category]  # fmt: skip
    pt, uel, st_ = (value * 100 for value in limits[frequency])
    main = max(min(pence, uel) - pt, 0)
    above = max(pence - uel, 0)
    result = gb.national_insurance(pay=Decimal(pence) / 100, category=category, frequency=frequency)
    assert result.employee * 100 == _hmrc_nic_pence([(main, points[0]), (above, points[1])])
    employer = [(max(pence - st_, 0), points[2])] if points[2] else [(above, 1500)]
    assert result.employer * 100 == _hmrc_nic_pence(employer)


def test_nics_rounding_worked_examples():
    # 8 % of 658.1975 -> 52.6558 -> 52.65; 8 % of 658.2025 -> 52.6562 -> 52.66
    assert gb.national_insurance(pay=Decimal("1706.19")).employee == Decimal("52.65")
    assert gb.national_insurance(pay=Decimal("1706.20")).employee == Decimal("52.66")
