"""Student and postgraduate loan deductions, 2026-27.

Expected figures worked by hand from GOV.UK "Rates and thresholds for employers 2026 to
2027" (Plan 1 26,900, Plan 2 29,385, Plan 4 33,795, Plan 5 25,000 a year at 9 %;
postgraduate loan 21,000 at 6 %) and HMRC's "Collection of student loans" employer
guidance (period thresholds = yearly / 52 or / 12 rounded down to the penny, times the
weeks of a multi-week pay period; deductions rounded down to the whole pound; more than
one plan: 9 % above the lowest threshold; a postgraduate loan as well).
"""

from decimal import Decimal

import pytest

from tercero.platform.errors import InvalidInput
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import gb, student_loans
from tercero.services.payroll.models import Employee, PayResult
from tercero.services.payroll.tests.factories import APRIL, finalised, hire, off_cycle, uk_group

RATES = gb.pack("2026-27")


def _plans(pay, plans, frequency="monthly"):
    earnings = Decimal(pay)
    return (
        student_loans.plan_deduction(
            earnings=earnings, plans=plans, frequency=frequency, rates=RATES
        ),
        student_loans.postgraduate_deduction(
            earnings=earnings, plans=plans, frequency=frequency, rates=RATES
        ),
    )


def test_period_thresholds_round_down_to_the_penny():
    yearly = {plan: Decimal(RATES["student_loans"]["plans"][plan]) for plan in "1245"}
    monthly = {plan: student_loans.period_threshold(v, "monthly") for plan, v in yearly.items()}
    weekly = {plan: student_loans.period_threshold(v, "weekly") for plan, v in yearly.items()}
    # 26900 / 12 = 2241.6667; 25000 / 12 = 2083.3333; 29385 / 52 = 565.0961
    assert monthly == {"1": Decimal("2241.66"), "2": Decimal("2448.75"),
                       "4": Decimal("2816.25"), "5": Decimal("2083.33")}  # fmt: skip
    assert weekly == {"1": Decimal("517.30"), "2": Decimal("565.09"),
                      "4": Decimal("649.90"), "5": Decimal("480.76")}  # fmt: skip
    assert student_loans.period_threshold(Decimal(21000), "weekly") == Decimal("403.84")
    assert student_loans.period_threshold(Decimal(29385), "biweekly") == Decimal("1130.18")


@pytest.mark.parametrize(
    ("plans", "expected"),
    [
        ("1", (68, 0)),  # (3000 - 2241.66) x 9 % = 68.2506 -> 68
        ("2", (49, 0)),  # (3000 - 2448.75) x 9 % = 49.6125 -> 49
        ("4", (16, 0)),  # (3000 - 2816.25) x 9 % = 16.5375 -> 16
        ("5", (82, 0)),  # (3000 - 2083.33) x 9 % = 82.5003 -> 82
        ("PGL", (0, 75)),  # (3000 - 1750) x 6 % = 75.00
        ("1 2", (68, 0)),  # two plans: 9 % above the lower threshold, once
        ("2 4", (49, 0)),
        ("2 PGL", (49, 75)),  # a postgraduate loan as well
        ("", (0, 0)),
    ],
)
def test_a_month_of_3000_for_each_plan(plans, expected):
    assert _plans("3000", plans) == tuple(Decimal(value) for value in expected)


def test_below_the_threshold_nothing_is_deducted_and_never_a_refund():
    assert _plans("2400", "2 PGL") == (Decimal(0), Decimal(39))  # PGL: 650 x 6 %
    assert _plans("1000", "1 PGL") == (Decimal(0), Decimal(0))


def test_weekly_fortnightly_and_four_weekly_thresholds():
    # weekly 700, Plan 2: (700 - 565.09) x 9 % = 12.1419 -> 12
    assert _plans("700", "2", "weekly")[0] == Decimal(12)
    # fortnightly 1,400, Plan 2: 2 x 565.09 = 1130.18; 269.82 x 9 % = 24.2838 -> 24
    assert _plans("1400", "2", "biweekly")[0] == Decimal(24)
    # four-weekly 2,500, Plan 1: 4 x 517.30 = 2069.20; 430.80 x 9 % = 38.772 -> 38;
    # PGL 4 x 403.84 = 1615.36; 884.64 x 6 % = 53.0784 -> 53
    assert _plans("2500", "1 PGL", "four_weekly") == (Decimal(38), Decimal(53))


@pytest.mark.parametrize(
    ("text", "stored"),
    [("plan 2, pgl", "2 PGL"), ("PGL 1", "1 PGL"), ("", ""), ("4 4", "4")],
)
def test_plans_are_stored_in_one_spelling(text, stored):
    assert student_loans.parse_plans(text) == stored


@pytest.mark.parametrize("text", ["3", "plan 6", "postgrad", "2;PGL"])
def test_unknown_plans_are_refused(text):
    with pytest.raises(InvalidInput):
        student_loans.parse_plans(text)


def test_hiring_with_an_unknown_plan_is_refused_and_nothing_is_stored(tenant_a):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        with pytest.raises(InvalidInput) as refused:
            hire(tenant_a.team_lead, group, "E-1", student_loan_plans="plan 3")
        assert "student_loan_plans" in refused.value.fields
        assert not Employee.objects.filter(employee_number="E-1").exists()


def _lines(run, employee) -> dict[str, int]:
    result = PayResult.objects.get(run=run, employee=employee)
    return {code: amount for code, _name, _category, amount in result.lines}


def test_a_pay_run_deducts_the_loans_and_an_off_cycle_run_tops_up_on_the_months_total(
    tenant_a,
):
    # protects: loans on the period's total earnings, however many payments make it
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        # given: 30,000 a year (2,500.00 a month), Plan 2 and a postgraduate loan
        graduate = hire(tenant_a.team_lead, group, "E-1", student_loan_plans="plan 2, pgl")
        other = hire(tenant_a.team_lead, group, "E-2")
        april = finalised(tenant_a, group)
        # then: Plan 2 (2500 - 2448.75) x 9 % = 4.6125 -> 4; PGL 750 x 6 % = 45
        assert (_lines(april, graduate)["SL"], _lines(april, graduate)["PGL"]) == (400, 4500)
        assert (_lines(april, other)["SL"], _lines(april, other)["PGL"]) == (0, 0)
        # when: an off-cycle bonus of 500.00 in April
        bonus = off_cycle(tenant_a.team_lead, group, APRIL, b"employee_number,bonus\nE-1,500\n")
        lines = _lines(bonus, graduate)
    # then: the month's 3,000: Plan 2 49 less the 4 taken; PGL 75 less the 45 taken
    assert (lines["SL"], lines["PGL"]) == (4500, 3000)
