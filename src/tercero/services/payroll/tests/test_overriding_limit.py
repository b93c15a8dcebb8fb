"""HMRC's overriding limit: the tax deducted from a payment is at most 50 % of it, on
every tax code since 6 April 2015 (PAYE Regulations 2003, regulation 23(5); HMRC's
Specification for PAYE Tax Table Routines, version 13 on). What it holds back stays
due on the cumulative basis and later payments of the year collect it."""

import csv
import io
from decimal import Decimal

from django.utils.html import escape

from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import calc, gb, outputs, runs
from tercero.services.payroll.models import PayResult, PayRun
from tercero.services.payroll.tests.factories import (
    APRIL,
    MAY,
    finalised,
    hire,
    off_cycle,
    paye,
    uk_group,
)


def _finalise(tenant, run: PayRun) -> PayRun:
    run = runs.submit(actor=tenant.team_lead, run=run, version=run.version)
    run = runs.approve(actor=tenant.client_admin, run=run, version=run.version)
    return runs.finalise(actor=tenant.team_lead, run=run, version=run.version)


def _paye_of(result: PayResult) -> int:
    return next(amount for code, _n, _c, amount in result.lines if code == "PAYE")


def test_off_cycle_bonus_of_19p_on_73944_85_a_year_takes_9p_tax_and_may_collects_the_31p(
    tenant_a,
):
    # protects: the property test's falsifying example (first_salary=7394485,
    # bonuses=[19, 0, 0]): the bonus's tax was 0.40, a negative net pay
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        employee = hire(tenant_a.team_lead, group, "P-19", salary="73944.85")
        # given April's regular run: 6162.07 - 1048.26 free pay -> 5,113 taxable;
        # 628.3333 + (5113 - 3141.6666) x 40 % = 1416.8666 -> 1416.86
        finalised(tenant_a, group, APRIL)
        # when a 0.19 bonus is paid off-cycle in April: 6162.26 - 1048.26 -> 5,114, so
        # the tax due to date is 0.40 more (1417.26), but 50 % of 0.19 is 0.09
        bonus_run = off_cycle(
            tenant_a.team_lead, group, APRIL, b"employee_number,bonus\nP-19,0.19\n"
        )
        bonus = PayResult.objects.get(run=bonus_run, employee=employee)
        # then 0.09 is deducted, 0.31 is carried, and the net pay is 0.10, not -0.21
        assert (_paye_of(bonus), bonus.net_minor) == (9, 10)
        assert bonus.basis[calc.TAX_NOT_DEDUCTED] == 31
        assert bonus.flags == ["tax_not_deducted"]
        # and the payslip and the register say so in words
        words = (
            "Tax not deducted: £0.31. Income tax may take at most half of a payment (HMRC's "
            "overriding limit); the rest is collected from later pay this tax year."
        )
        assert escape(words) in outputs.payslip_html(bonus, run=bonus_run)
        sink = io.StringIO()
        outputs.write_register(bonus_run, sink)
        register = list(csv.DictReader(io.StringIO(sink.getvalue())))
        assert [(row["tax_not_deducted"], row["flags"], row["notes"]) for row in register] == [
            ("0.31", "tax_not_deducted", words),
            ("0.31", "", ""),
        ]
        _finalise(tenant_a, bonus_run)  # no negative net pay stops it
        # and May collects the 0.31: 12324.33 - 2096.52 -> 10,227; 1256.6666 + (10227 -
        # 6283.3333) x 40 % = 2834.13 due to date, less 1416.95 deducted = 1417.18
        may = PayResult.objects.get(run=finalised(tenant_a, group, MAY), employee=employee)
        assert _paye_of(may) == 141718
        assert calc.TAX_NOT_DEDUCTED not in may.basis
        assert may.ytd["PAYE"] == 283413


def test_a_cumulative_catch_up_is_held_to_half_the_pay_on_an_ordinary_code():
    # month 5 on 1257L at 20,000 with nothing deducted in months 1 to 4: 36,892.35 is
    # due to date (test_gb_hmrc_cases), but half of 20,000 is the most this payment gives
    result = paye("1257L", "20000", period=5, pay_before="80000")
    assert (result.tax, result.limited, result.not_deducted) == (
        Decimal("10000.00"),
        True,
        Decimal("26892.35"),
    )
    # month 6, the same pay, collects the rest within its own limit: 120,000 - 6289.56
    # -> 113,710 taxable; 21258 + (113710 - 62570) x 45 % = 44,271.00 due to date, less
    # 10,000 deducted is 34,271.00, held to 10,000 again
    month6 = paye("1257L", "20000", period=6, pay_before="100000", tax_before="10000.00")
    assert (month6.tax, month6.tax_to_date) == (Decimal("10000.00"), Decimal("20000.00"))


def test_a_refund_and_a_payment_of_nothing_are_never_limited_below_zero():
    # half of nothing (or of a negative payment) is nothing; a refund is paid in full
    assert gb.overriding_limit(Decimal("5.00"), pay=Decimal(0), rate=Decimal("0.5")) == 0
    assert gb.overriding_limit(Decimal("5.00"), pay=Decimal(-10), rate=Decimal("0.5")) == 0
    assert gb.overriding_limit(Decimal("-7.50"), pay=Decimal(1), rate=Decimal("0.5")) == (
        Decimal("-7.50")
    )
    assert gb.overriding_limit(Decimal("5.00"), pay=Decimal("0.19"), rate=Decimal("0.5")) == (
        Decimal("0.09")
    )


def test_month_one_off_cycle_payment_is_limited_on_itself_and_nothing_is_carried():
    # given 1257L M1 with 6162.07 paid earlier in the month and 1416.86 taken from it
    context = {
        "tax_code": "1257L M1",
        "period": 1,
        "pay_in_period_before": Decimal("6162.07"),
        "taxable_pay_to_date_before": Decimal("6162.07"),
        "tax_to_date_before": Decimal("1416.86"),
        "taken_in_period_before": {"gb.paye": Decimal("1416.86")},
        "not_deducted": {},
    }
    rule = calc.rule_set(calc.GB_DEFAULT_RULES)[5]
    # when 0.19 more is paid in the month: the month's tax is 1417.26, 0.40 more
    tax = gb.ROUTINES["gb.paye"](Decimal("0.19"), rule, context)
    # then this payment gives half of itself and the rest is noted as not deducted
    assert (tax, context["not_deducted"]) == (Decimal("0.09"), {"PAYE": Decimal("0.31")})
