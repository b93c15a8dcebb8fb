"""Rules as data: lines computed in their declared order, exact to the penny, with the
UK routines plugged in as rules."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tercero.services.payroll import calc, gb
from tercero.services.payroll.rules import Rule, RuleError, check, evaluate

UK_MONTHLY = [
    Rule("BASIC", "Basic pay", "earning", "fixed", amount="salary"),
    Rule("OT", "Overtime", "earning", "rate_x_quantity", rate="overtime_rate", quantity="hours"),
    Rule(
        "BONUS",
        "Bonus (at most half of basic)",
        "earning",
        "formula",
        formula="min(bonus, BASIC * 0.5)",
    ),
    Rule("PENSION", "Pension 5 %", "deduction", "percent_of", percent="5", of=("BASIC", "OT")),
    Rule("PAYE", "Income tax", "deduction", "tax", tax="gb.paye"),
    Rule("NI", "National Insurance", "deduction", "tax", tax="gb.nic"),
    Rule("ER_NI", "Employer NI", "employer", "tax", tax="gb.nic_employer"),
]


def test_a_uk_monthly_payslip_is_exact():
    # protects: gross to net for one UK employee, month 1, 1257L
    slip = evaluate(
        UK_MONTHLY,
        inputs={"salary": "3000", "overtime_rate": "18.753", "hours": "10", "bonus": "2000"},
        taxes=gb.ROUTINES,
        context={"tax_code": "1257L", "period": 1},
    )
    # overtime 187.53 (18.753 x 10 = 187.53); bonus capped at 1500; pension 5 % of
    # 3187.53 = 159.3765 -> 159.38; taxable (all earnings) 4687.53:
    # PAYE 4687.53 - 1048.26 = 3639.27 -> 3639; basic band 3141.67 x 20 % = 628.334
    # + (3639 - 3141.67) x 40 % = 198.932 -> 827.266 -> 827.26;
    # NI (4189 - 1048) x 8 % = 251.28 + (4687.53 - 4189) x 2 % = 9.9706 -> 261.25;
    # employer (4687.53 - 417) x 15 % = 640.5795 -> 640.58
    assert [line.amount for line in slip.lines] == [
        Decimal("3000.00"),
        Decimal("187.53"),
        Decimal("1500.00"),
        Decimal("159.38"),
        Decimal("827.26"),
        Decimal("261.25"),
        Decimal("640.58"),
    ]
    assert slip.gross == Decimal("4687.53")
    assert slip.net == Decimal("4687.53") - Decimal("159.38") - Decimal("827.26") - Decimal(
        "261.25"
    )
    assert slip.employer_cost == Decimal("5328.11")


def test_a_rule_reading_a_later_line_is_an_error_not_zero():
    # protects: dependency order is explicit (no silent zero)
    with pytest.raises(RuleError) as refused:
        check(
            [
                Rule("PENSION", "Pension", "deduction", "percent_of", percent="5", of=("BASIC",)),
                Rule("BASIC", "Basic", "earning", "fixed", amount="100"),
            ]
        )
    assert "BASIC" in refused.value.message
    with pytest.raises(RuleError):  # formulas are read, never run as code
        evaluate([Rule("X", "x", "earning", "formula", formula="__import__('os')")])
    with pytest.raises(RuleError):
        evaluate([Rule("X", "x", "earning", "formula", formula="nope * 2")])
    with pytest.raises(RuleError):
        evaluate([Rule("X", "x", "earning", "formula", formula="1 / 0")])
    with pytest.raises(RuleError):
        check([Rule("A", "a", "earning", "fixed", amount="1")] * 2)


def test_rounding_rules_and_yearly_caps_are_honoured():
    # protects: declared rounding per line; a cap the year to date never passes
    rules = [
        Rule("A", "Down", "earning", "fixed", amount="10.019", rounding="down"),
        Rule("B", "Up", "earning", "fixed", amount="10.011", rounding="up"),
        Rule("C", "Even", "earning", "fixed", amount="10.125", rounding="half_even"),
        Rule("D", "Whole units", "earning", "fixed", amount="10.5", unit="1"),
        Rule("CAP", "Capped", "deduction", "fixed", amount="300", yearly_cap="1000"),
    ]
    slip = evaluate(rules, ytd={"CAP": Decimal("900")})
    assert [line.amount for line in slip.lines] == [
        Decimal("10.01"),
        Decimal("10.02"),
        Decimal("10.12"),
        Decimal("11"),
        Decimal("100"),
    ]


amounts = st.decimals(min_value=0, max_value=50000, places=3, allow_nan=False)


@settings(max_examples=200)
@given(
    salary=amounts,
    rate=st.decimals(min_value=0, max_value=200, places=4, allow_nan=False),
    hours=st.decimals(min_value=0, max_value=300, places=2, allow_nan=False),
    bonus=amounts,
    percent=st.decimals(min_value=0, max_value=20, places=2, allow_nan=False),
    rounding=st.sampled_from(["half_up", "half_even", "down", "up"]),
    code=st.sampled_from(["1257L", "K500", "BR", "D0", "NT", "0T", "1257L M1"]),
    period=st.integers(min_value=1, max_value=12),
)
def test_every_total_reconciles_to_the_penny(
    salary, rate, hours, bonus, percent, rounding, code, period
):
    # protects: lines = gross - deductions = net, to the minor unit, for any employee
    rules = [
        Rule("BASIC", "Basic", "earning", "fixed", amount="salary", rounding=rounding),
        Rule(
            "OT",
            "Overtime",
            "earning",
            "rate_x_quantity",
            rate="rate",
            quantity="hours",
            rounding=rounding,
        ),
        Rule("BONUS", "Bonus", "earning", "formula", formula="min(bonus, BASIC)"),
        Rule(
            "PENSION",
            "Pension",
            "deduction",
            "percent_of",
            percent=str(percent),
            of=("category:earning",),
            rounding=rounding,
        ),
        Rule("PAYE", "Tax", "deduction", "tax", tax="gb.paye"),
        Rule("NI", "NI", "deduction", "tax", tax="gb.nic"),
    ]
    slip = evaluate(
        rules,
        inputs={"salary": salary, "rate": rate, "hours": hours, "bonus": bonus},
        taxes=gb.ROUTINES,
        context={"tax_code": code, "period": period},
    )
    pence = [int(line.amount * 100) for line in slip.lines]
    assert all(line.amount == line.amount.quantize(Decimal("0.01")) for line in slip.lines)
    gross = sum(p for p, line in zip(pence, slip.lines, strict=True) if line.category == "earning")
    deductions = sum(
        p for p, line in zip(pence, slip.lines, strict=True) if line.category == "deduction"
    )
    assert gross == int(slip.gross * 100)
    assert gross - deductions == int(slip.net * 100)
    assert slip.amount("BONUS") <= slip.amount("BASIC")


@given(
    annual=st.integers(min_value=0, max_value=10**12),
    salaries=st.lists(st.integers(min_value=0, max_value=10**10), min_size=1, max_size=4),
    frequency=st.sampled_from(sorted(calc.PERIODS_PER_YEAR)),
    period_days=st.integers(min_value=1, max_value=31),
    data=st.data(),
)
@settings(max_examples=300, deadline=None)
def test_pro_rata_pay_is_exact_and_never_more_than_the_days_worked(
    annual, salaries, frequency, period_days, data
):
    # protects: a joiner's, leaver's or raised salary paid to the minor unit, once rounded
    whole = calc.period_amount_minor(annual, frequency)
    assert calc.prorated_minor([(annual, period_days)], period_days, frequency) == whole
    # a whole period cut into parts at one salary pays the same as the whole period
    cut = data.draw(st.integers(min_value=0, max_value=period_days))
    parts = [(annual, cut), (annual, period_days - cut)]
    assert calc.prorated_minor(parts, period_days, frequency) == whole
    # days at several salaries: between the lowest and highest whole-period pay, and
    # exactly the rounded sum of each salary's share
    days = data.draw(
        st.lists(
            st.integers(min_value=0, max_value=period_days),
            min_size=len(salaries),
            max_size=len(salaries),
        ).filter(lambda ds: sum(ds) <= period_days)
    )
    paid = calc.prorated_minor(list(zip(salaries, days, strict=True)), period_days, frequency)
    per_year = calc.PERIODS_PER_YEAR[frequency]
    exact = sum(
        Fraction(salary * d, per_year * period_days)
        for salary, d in zip(salaries, days, strict=True)
    )
    assert abs(paid - exact) <= Fraction(1, 2)
    assert paid <= calc.period_amount_minor(max(salaries), frequency)
    if sum(days) == period_days:
        assert paid >= calc.period_amount_minor(min(salaries), frequency)


def test_numbers_in_formulas_are_read_as_decimals_without_a_float():
    # protects: digits past about 15 significant figures lost through a binary float
    long = "10000000000000000 * 0.12345678901234567891"
    rule = Rule("X", "x", "earning", "formula", formula=long, unit="0.0001")
    assert evaluate([rule]).amount("X") == Decimal("1234567890123456.7891")
    big = Rule("Z", "z", "earning", "formula", formula="12345678901234567.89 - 12345678901234567")
    assert evaluate([big]).amount("Z") == Decimal("0.89")
    with pytest.raises(RuleError):
        evaluate([Rule("H", "h", "earning", "formula", formula="0x10 * 2")])
