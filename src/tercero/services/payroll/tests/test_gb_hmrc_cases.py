"""Issue 18, cases 7 and 10: code NT after cumulative taxed months, and additional-rate
tax to the penny, as HMRC's "Specification for PAYE Tax Table Routines" version 24.0
has them (paragraph 7, cumulative code NT; Definitions 9-11 and paragraph 4.4.4, the
tax formulae). Figures for 2026-27 (bands 37,700 / 125,140; 1257L free pay 1,048.26 a
month), the arithmetic written beside each.
"""

from decimal import Decimal

from tercero.services.payroll.tests.factories import paye as _month


def test_nt_after_cumulative_taxed_months_refunds_the_tax_deducted():
    # protects: issue 18 case 7 (no refund where HMRC expects one)
    # three months on 1257L at 3,000: 9,000 - 3 x 1048.26 = 5855.22 -> 5855 x 20 %
    # = 1,171.00 to date
    paid = Decimal(0)
    for month in (1, 2, 3):
        paid += _month("1257L", "3000", period=month, pay_before=str(3000 * (month - 1)),
                       tax_before=str(paid)).tax  # fmt: skip
    assert paid == Decimal("1171.00")
    # month 4 on code NT (cumulative): tax due to date is nil, so the 1,171.00 comes back
    nt = _month("NT", "3000", period=4, pay_before="9000", tax_before=str(paid))
    assert (nt.tax, nt.tax_to_date) == (Decimal("-1171.00"), Decimal(0))
    # month 5, still NT: nothing more either way
    assert _month("NT", "3000", period=5, pay_before="12000", tax_before="0").tax == 0


def test_nt_on_the_month_one_basis_never_refunds():
    # specification paragraph 11: Week 1 / Month 1 NT, no tax deducted or refunded
    assert _month("NT M1", "3000", period=4, pay_before="9000", tax_before="1171.00").tax == 0


def test_additional_rate_tax_is_not_1p_off_in_some_months():
    # protects: issue 18 case 10
    # month 1, pay 20,000: taxable 18,951; threshold tax to 125,140 = (37700 x 20 % +
    # 87440 x 40 %) / 12 = 3543.0000; threshold 125140 / 12 = 10428.3333;
    # 3543 + (18951 - 10428.3333) x 45 % = 7378.2000 -> 7378.20 (band limits rounded up
    # to the penny first gave 7378.19)
    assert _month("1257L", "20000").tax == Decimal("7378.20")
    # month 5, 100,000 to date: free pay 5241.30, taxable 94,758; threshold tax 42516 x
    # 5 / 12 = 17715.0000; threshold 52141.6666; 17715 + 42616.3334 x 45 % = 19177.3500
    # -> 36892.35 (rounded-up band limits gave 36892.34). Months 1 to 4 deducted their
    # tax: 80,000 - 4193.04 -> 75,806; 14172 + (75806 - 41713.3333) x 45 % = 29513.70
    # (with nothing deducted before, the overriding limit would hold month 5 to 10,000)
    month = _month("1257L", "20000", period=5, pay_before="80000", tax_before="29513.70")
    assert (month.tax, month.tax_to_date) == (Decimal("7378.65"), Decimal("36892.35"))


def test_the_band_is_chosen_on_unrounded_taxable_pay_against_the_limit_rounded_to_the_pound():
    # specification Definition 10: month 1, the basic limit 3141.6667 is tested as
    # 3,142. Pay 4,190.26: taxable 3,142.00 is not above 3,142, so it is all basic rate:
    # 3142 x 20 % = 628.40 (splitting at 3141.67 would give 628.46)
    assert _month("1257L", "4190.26").tax == Decimal("628.40")
    # a penny more (3,142.01) is above the test: 628.3333 + (3142 - 3141.6666) x 40 %
    # = 0.13336 -> 628.4666 -> 628.46
    assert _month("1257L", "4190.27").tax == Decimal("628.46")
