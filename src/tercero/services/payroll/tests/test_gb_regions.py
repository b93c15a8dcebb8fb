"""Scottish (S) and Welsh (C) tax codes on the 2026-27 pack's own bands.

Expected figures worked by hand from GOV.UK "Rates and thresholds for employers 2026 to
2027" (Scottish bands on taxable pay: starter 19 % to 3,967, basic 20 % to 16,956,
intermediate 21 % to 31,092, higher 42 % to 62,430, advanced 45 % to 125,140, top 48 %;
Welsh rates as England's) and HMRC's "Specification for PAYE Tax Table Routines"
version 24.0 (Definitions 9-11: thresholds and threshold taxes to date to four decimals,
income tests against the limits to date rounded up to the pound; Appendix B, Scottish
parameters; Appendix C, Welsh parameters), the arithmetic written beside each.
"""

from decimal import Decimal

import pytest

from tercero.platform.errors import InvalidInput
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import gb
from tercero.services.payroll.models import PayResult
from tercero.services.payroll.tests.factories import calculated, hire, uk_group
from tercero.services.payroll.tests.factories import paye as _month


def test_scottish_code_taxes_a_basic_month_on_the_starter_basic_and_intermediate_bands():
    # S1257L month 1, pay 3,000: free pay 1,048.26, taxable 1,951.74 -> 1,951.
    # starter to 3967 / 12 = 330.5833 (test 331), basic to 16956 / 12 = 1413.0000 (test
    # 1413), intermediate to 31092 / 12 = 2591 (test 2591 >= 1951.74: the band).
    # threshold tax to the basic limit: (3967 x 19 % + 12989 x 20 %) / 12 = 3351.53 / 12
    # = 279.2941; + (1951 - 1413) x 21 % = 112.98 -> 392.2741 -> 392.27
    scottish = _month("S1257L", "3000")
    assert scottish.tax == Decimal("392.27")
    assert _month("1257L", "3000").tax == Decimal("390.20")  # England: 1951 x 20 %


def test_scottish_code_reaches_the_advanced_band_in_a_high_month():
    # S1257L month 1, pay 10,000: taxable 8,951.74 -> 8,951; higher limit 62430 / 12 =
    # 5202.5 (test 5203 < 8951.74); advanced to 125140 / 12 -> test 10429: the band.
    # threshold tax to 62,430: 753.73 + 2597.80 + 14136 x 21 % (2968.56) + 31338 x 42 %
    # (13161.96) = 19482.05 / 12 = 1623.5041; + (8951 - 5202.5) x 45 % = 1686.825
    # -> 3310.3291 -> 3310.32
    assert _month("S1257L", "10000").tax == Decimal("3310.32")


def test_scottish_top_rate_above_the_advanced_band():
    # S1257L month 1, pay 20,000: taxable 18,951; threshold tax to 125,140: 19482.05 +
    # 62710 x 45 % (28219.50) = 47701.55 / 12 = 3975.1291; threshold 10428.3333;
    # + (18951 - 10428.3333) x 48 % = 4090.8800 -> 8066.0091 -> 8066.00
    assert _month("S1257L", "20000").tax == Decimal("8066.00")


@pytest.mark.parametrize(
    ("code", "tax"),
    [
        ("SBR", "246.80"),  # 1234 x 20 % (the Scottish basic rate)
        ("SD0", "259.14"),  # 1234 x 21 % (intermediate)
        ("SD1", "518.28"),  # 1234 x 42 % (higher)
        ("SD2", "555.30"),  # 1234 x 45 % (advanced)
        ("SD3", "592.32"),  # 1234 x 48 % (top)
        ("CBR", "246.80"),  # Wales: 20 %
        ("CD0", "493.60"),  # 40 %
        ("CD1", "555.30"),  # 45 %
        ("SNT", "0"),
        ("CNT", "0"),
    ],
)
def test_scottish_and_welsh_flat_codes(code, tax):
    # month 1, pay 1,234.56: the flat rate on pay rounded down to the pound
    assert _month(code, "1234.56").tax == Decimal(tax)


def test_scottish_zero_t_and_k_codes():
    # S0T month 1, pay 2,000: taxable 2,000; 279.2941 + (2000 - 1413) x 21 % = 123.27
    # -> 402.5641 -> 402.56
    assert _month("S0T", "2000").tax == Decimal("402.56")
    # SK475 month 1, pay 2,000: additional pay 396.59 (as K475), taxable 2,396.59 ->
    # 2,396 (test 2591 >= 2396.59: intermediate); 279.2941 + 983 x 21 % = 206.43
    # -> 485.7241 -> 485.72, under the regulatory limit of 1,000
    k = _month("SK475", "2000")
    assert (k.pay_adjustment_to_date, k.tax, k.limited) == (
        Decimal("396.59"),
        Decimal("485.72"),
        False,
    )


def test_welsh_codes_use_the_welsh_bands_equal_to_englands_in_2026_27():
    for pay in ("3000", "10000", "20000"):
        assert _month("C1257L", pay).tax == _month("1257L", pay).tax
    assert _month("C1257L", "20000").tax == Decimal("7378.20")


def test_scottish_month_one_basis_and_cumulative_refund():
    # S1257L M1 in month 7 after six months of 5,000: taxed as month 1 on 3,000
    assert _month("S1257L M1", "3000", period=7, pay_before="30000", tax_before="6000").tax == (
        Decimal("392.27")
    )
    # cumulatively the same month refunds what the first six over-deducted: 33,000 -
    # 7 x 1048.26 = 25662.18 -> 25662; intermediate limit to date 31092 x 7 / 12 =
    # 18137 (test 18137 < 25662.18), higher to 62430 x 7 / 12 = 36417.5 (test 36418):
    # threshold tax 6320.09 x 7 / 12 = 3686.7191 + (25662 - 18137) x 42 % = 3160.50
    # -> 6847.2191 -> 6847.21 to date; 6,000 paid: 847.21 more
    cumulative = _month("S1257L", "3000", period=7, pay_before="30000", tax_before="6000")
    assert cumulative.tax == Decimal("847.21")


def test_a_pack_without_scottish_bands_refuses_a_scottish_code():
    england_only = {"income_tax": {**gb.pack("2026-27")["income_tax"], "regions": {}}}
    with pytest.raises(InvalidInput, match="Scottish"):
        _month("S1257L", "3000", rates=england_only)


def test_a_scottish_employee_is_taxed_on_the_scottish_bands_in_a_pay_run(tenant_a):
    # protects: the S prefix reaching the pay run (30,000 a year = 2,500.00 a month)
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        scot = hire(tenant_a.team_lead, group, "E-1", tax_code="s1257l")
        english = hire(tenant_a.team_lead, group, "E-2")
        run = calculated(tenant_a.team_lead, group)
        assert scot.tax_code == "S1257L"
        paye = {
            result.employee_id: {line[0]: line[3] for line in result.lines}["PAYE"]
            for result in PayResult.objects.filter(run=run)
        }
    # taxable 2500 - 1048.26 = 1451.74 -> 1451: England 1451 x 20 % = 290.20;
    # Scotland 279.2941 + (1451 - 1413) x 21 % = 7.98 -> 287.2741 -> 287.27
    assert paye == {scot.pk: 28727, english.pk: 29020}
