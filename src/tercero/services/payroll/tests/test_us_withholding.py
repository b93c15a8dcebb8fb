"""United States withholding against IRS Publication 15-T (2026) and Publication 15.

Expected figures are Worksheet 1A (Publication 15-T, section 1, "Percentage Method
Tables for Automated Payroll Systems") worked line by line on the 2026 Annual
Percentage Method Tables, the arithmetic written beside each case. The tables
themselves are checked against the figures they are built from: Rev. Proc. 2025-32's
2026 brackets and standard deductions less the worksheet's line 1g amounts.
"""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tercero.platform.errors import InvalidInput
from tercero.services.payroll import calc, us

RATES = us.pack("2026")
D = Decimal

# Publication 15-T (2026), Worksheet 1A worked by hand: (certificate, frequency, wages
# this period, withholding, the worksheet's lines)
WORKSHEET_1A = [
    (us.W4(filing_status="single"), "biweekly", "2000.00", "156.15",
     "1c 52,000; 1g 8,600; 1i 43,400; single row 19,900: 1,240 + 12 % x 23,500 = 4,060;"
     " 2h 4,060 / 26 = 156.153..."),
    (us.W4(filing_status="married_jointly", dependents=D("4400"), extra=D("50")), "monthly",
     "6000.00", "50.00",
     "1c 72,000; 1g 12,900; 1i 59,100; married row 44,100: 2,480 + 12 % x 15,000 = 4,280;"
     " 2h 356.67; 3b 4,400 / 12 = 366.67; 3c not below 0; 4b 0 + 50"),
    (us.W4(filing_status="head_of_household", multiple_jobs=True, other_income=D("5200"),
           deductions=D("2600")), "weekly", "1500.00", "227.68",
     "1c 78,000; 1e 83,200; 1h 2,600 (Step 2 checked: no 1g); 1i 80,600; Step 2 head of"
     " household row 64,925: 8,077.50 + 24 % x 15,675 = 11,839.50; 2h / 52 = 227.682..."),
    (us.W4(form="2019", filing_status="married", allowances=3, extra=D("20")), "semimonthly",
     "3500.00", "258.33",
     "1c 84,000; 1k 3 x 4,300 = 12,900; 1l 71,100; married row 44,100: 2,480 + 12 % x"
     " 27,000 = 5,720; 2h / 24 = 238.33; 4b + 20"),
    (us.W4(form="2019", filing_status="married_single_rate", allowances=1), "monthly",
     "10000.00", "1547.17",
     "1c 120,000; 1k 4,300; 1l 115,700; single row 113,200: 17,966 + 24 % x 2,500 = 18,566;"
     " 2h / 12 = 1,547.166..."),
    (us.W4(filing_status="single"), "biweekly", "30000.00", "9176.93",
     "1c 780,000; 1i 771,400; single row 648,100: 192,979.25 + 37 % x 123,300 ="
     " 238,600.25; 2h / 26 = 9,176.932..."),
    (us.W4(filing_status="single"), "weekly", "150.00", "0.00",
     "1c 7,800; 1i 0 (7,800 less 8,600, not below zero): nothing to withhold"),
    (us.W4(filing_status="married_jointly", exempt=True), "weekly", "5000.00", "0.00",
     "an exempt Form W-4: no income tax withheld"),
]  # fmt: skip


@pytest.mark.parametrize(("w4", "frequency", "wages", "expected", "worked"), WORKSHEET_1A)
def test_worksheet_1a_gives_publication_15t_withholding_to_the_cent(
    w4, frequency, wages, expected, worked
):
    # protects: the federal income tax withheld from every United States paycheck
    assert us.federal_income_tax(wages=D(wages), frequency=frequency, w4=w4, rates=RATES) == D(
        expected
    ), worked


def test_no_form_w4_on_file_withholds_as_single_with_no_entries():
    # protects: a new hire who has not handed in a Form W-4 (Pub. 15-T: single, no entries)
    assert us.certificate(None) == us.W4(form="2020", filing_status="single")
    assert us.federal_income_tax(
        wages=D("2000"), frequency="biweekly", w4=us.certificate({}), rates=RATES
    ) == D("156.15")


# Rev. Proc. 2025-32, section 4.01: 2026 brackets (upper limits of 10 % .. 35 %) and the
# standard deductions; Worksheet 1A line 1g: 12,900 married filing jointly, 8,600 others.
BRACKETS = {
    "married_jointly": (32200, 12900, [24800, 100800, 211400, 403550, 512450, 768700]),
    "single": (16100, 8600, [12400, 50400, 105700, 201775, 256225, 640600]),
    "head_of_household": (24150, 8600, [17700, 67450, 105700, 201750, 256200, 640600]),
}
RATES_BY_BAND = [D("0.10"), D("0.12"), D("0.22"), D("0.24"), D("0.32"), D("0.35"), D("0.37")]


def _tax_on(income: int, limits: list[int]) -> Decimal:
    due, lower = D(0), 0
    for limit, rate in zip([*limits, 10**9], RATES_BY_BAND, strict=True):
        due += max(min(income, limit) - lower, 0) * rate
        lower = limit
    return due


@pytest.mark.parametrize("status", sorted(BRACKETS))
def test_the_pack_annual_tables_are_the_2026_brackets_above_the_standard_deduction(status):
    # protects: a mistyped row in the pack withholding the wrong tax all year
    deduction, line_1g, limits = BRACKETS[status]
    start = deduction - line_1g
    expected = [[D(0), D(0), D(0)]] + [
        [D(start + lower), _tax_on(lower, limits), rate]
        for lower, rate in zip([0, *limits], RATES_BY_BAND, strict=True)
    ]
    rows = [[D(cell) for cell in row] for row in RATES["federal_income_tax"]["schedules"]
            ["standard"][status]]  # fmt: skip
    assert rows == expected
    # the Step 2 checkbox table: half the standard deduction and of each bracket (no
    # line 1g), printed in whole dollars and cents (Pub. 15-T prints 108,937.50 as 108,938)
    half = [
        [(D(deduction + lower) / 2).quantize(D(1), ROUND_HALF_UP),
         (_tax_on(lower, limits) / 2).quantize(D("0.01"), ROUND_HALF_UP), rate]
        for lower, rate in zip([0, *limits], RATES_BY_BAND, strict=True)
    ]  # fmt: skip
    checked = [[D(cell) for cell in row] for row in RATES["federal_income_tax"]["schedules"]
               ["step_2_checkbox"][status]]  # fmt: skip
    assert checked[1:] == half


def test_an_off_cycle_bonus_is_taxed_by_the_aggregate_procedure():
    # protects: a bonus run withholding as if the bonus were the whole period's pay
    # Pub. 15, section 7 (aggregate procedure): tax on 2,000 + 1,000 = 3,000 biweekly,
    # single: 1c 78,000; 1i 69,400; row 57,900: 5,800 + 22 % x 11,500 = 8,330; / 26 =
    # 320.38; less the 156.15 the regular pay withheld = 164.23
    routine = us.ROUTINES["us.fit"]
    context = {
        "tax_year": "2026",
        "frequency": "biweekly",
        "pay_in_period_before": D("2000"),
        "taken_in_period_before": {"us.fit": D("156.15")},
    }
    assert routine(D("1000"), None, context) == D("164.23")


def test_a_certificate_the_withholding_cannot_apply_is_refused_naming_the_field():
    # protects: a typo on a W-4 silently withholding at the wrong rate
    for bad, field in (
        (us.W4(filing_status="married"), "filing_status"),  # a 2019 status on a 2020 form
        (us.W4(form="2020", allowances=2), "allowances"),
        (us.W4(extra=D("-5")), "extra"),
        (us.W4(state="CA"), "state"),
    ):
        with pytest.raises(InvalidInput) as refused:
            us.check(bad, year="2026")
        assert field in refused.value.fields


def test_a_year_without_a_pack_is_refused_not_withheld_at_last_years_rates():
    # protects: 2027 paychecks taxed on 2026 tables without anyone noticing
    with pytest.raises(InvalidInput, match="No United States rates pack for 2027"):
        us.pack("2027")


# --- Social Security, Medicare, FUTA and Pennsylvania (Publication 15, section 9) --------

payments = st.lists(
    st.integers(min_value=1, max_value=4_000_000).map(lambda c: D(c).scaleb(-2)),
    min_size=1,
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(payments)
def test_social_security_stops_exactly_at_the_wage_base_across_periods(paid):
    # protects: Social Security withheld past the 184,500 base, or stopping short of it
    base = D(RATES["social_security"]["wage_base"])
    before, taxed = D(0), D(0)
    for wages in paid:
        part = us.capped(wages, before, base)
        tax = us.social_security(wages=wages, before=before, rates=RATES, who="employee")
        assert tax == (part * D("0.062")).quantize(D("0.01"), ROUND_HALF_UP)
        if before >= base:
            assert tax == 0
        taxed += part
        before += wages
    assert taxed == min(before, base)


@settings(max_examples=200, deadline=None)
@given(payments)
def test_additional_medicare_starts_exactly_at_200000_year_to_date(paid):
    # protects: the 0.9 % taken before wages pass 200,000, or not taken after
    threshold = D(RATES["medicare"]["additional_threshold"])
    before, extra = D(0), D(0)
    for wages in paid:
        part = us.above(wages, before, threshold)
        assert part == max(min(wages, before + wages - threshold), D(0))
        employee = us.medicare(wages=wages, before=before, rates=RATES, who="employee")
        employer = us.medicare(wages=wages, before=before, rates=RATES, who="employer")
        assert employee == (wages * D("0.0145") + part * D("0.009")).quantize(
            D("0.01"), ROUND_HALF_UP
        )
        assert employer == (wages * D("0.0145")).quantize(D("0.01"), ROUND_HALF_UP)
        extra += part
        before += wages
    assert extra == max(before - threshold, D(0))


def test_the_payment_that_crosses_a_limit_is_taxed_on_exactly_the_part_before_or_after_it():
    # protects: the one paycheck in the year where the caps are easiest to get wrong
    # 180,000 paid so far, 30,000 now: Social Security on 4,500 (to 184,500) = 279.00;
    # Medicare 1.45 % x 30,000 = 435.00 + 0.9 % x 10,000 above 200,000 = 90.00
    before, wages = D("180000"), D("30000")
    assert us.social_security(wages=wages, before=before, rates=RATES, who="employee") == D("279")
    assert us.medicare(wages=wages, before=before, rates=RATES, who="employee") == D("525")
    assert us.medicare(wages=wages, before=before, rates=RATES, who="employer") == D("435")
    # FUTA: 0.6 % of the first 7,000 (6.0 % less the 5.4 % credit): 6,500 paid, 1,000 now
    assert us.futa(wages=D("1000"), before=D("6500"), rates=RATES) == D("3.00")
    # Pennsylvania UC employer 3.822 % of the first 10,000: 9,000 paid, 2,500 now
    assert us.state_unemployment(
        wages=D("2500"), before=D("9000"), state="PA", rates=RATES, who="employer"
    ) == D("38.22")


@pytest.mark.parametrize(
    ("wages", "social_security", "medicare"),
    [
        ("100.25", "6.22", "1.45"),  # 6.2155 -> 6.22 (half a cent and more rounds up)
        ("100.08", "6.20", "1.45"),  # 6.20496 -> 6.20; 1.45116 -> 1.45
        ("0.25", "0.02", "0.00"),  # 0.0155 -> 0.02; 0.003625 -> 0.00
        ("10.00", "0.62", "0.15"),  # Medicare 0.145: exactly half a cent rounds up
        ("1234.70", "76.55", "17.90"),  # 76.5514 -> 76.55; 17.90315 -> 17.90
    ],
)
def test_each_payment_is_rounded_to_the_nearest_cent_half_up(wages, social_security, medicare):
    # protects: a cent lost or gained per paycheck; Form 941's line 7 takes up the rest
    assert us.social_security(wages=D(wages), before=D(0), rates=RATES, who="employee") == D(
        social_security
    )
    assert us.medicare(wages=D(wages), before=D(0), rates=RATES, who="employee") == D(medicare)


def test_a_biweekly_payslip_with_the_default_us_rules_is_exact_to_the_cent():
    # protects: the net pay of a Pennsylvania employee on 52,000 a year, paid biweekly
    # 2,000.00; FIT 156.15 (above); SS 6.2 % = 124.00; Medicare 1.45 % = 29.00; PA 3.07 %
    # = 61.40; PA UC 0.07 % = 1.40; net 1,628.05. Employer: SS 124.00, Medicare 29.00,
    # FUTA 0.6 % = 12.00, PA UC 3.822 % = 76.44
    setting = calc.Setting(
        rules=calc.rule_set(us.DEFAULT_RULES),
        frequency="biweekly",
        period=3,
        tax_year="2026",
        currency="USD",
        jurisdiction="US",
    )
    computed = calc.compute(
        calc.Snapshot(employee_id=1, annual_salary_minor=5_200_000, hourly_rate_minor=None),
        setting,
    )
    lines = {code: amount for code, _name, _category, amount in computed.lines}
    assert lines["FIT"] == 15615
    assert lines["SS"] == 12400
    assert lines["MEDICARE"] == 2900
    assert lines["STATE_TAX"] == 6140
    assert lines["STATE_UC"] == 140
    assert computed.net_minor == 162805
    assert lines["ER_SS"] == 12400
    assert lines["ER_MEDICARE"] == 2900
    assert lines["FUTA"] == 1200
    assert lines["ER_STATE_UC"] == 7644
    assert computed.employer_minor == 12400 + 2900 + 1200 + 7644
