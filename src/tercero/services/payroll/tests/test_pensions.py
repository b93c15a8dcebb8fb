"""Workplace pension automatic enrolment, 2026-27: qualifying earnings per pay period,
net pay arrangement and relief at source, the scheme's rates per line, the opt-out
window.

Figures worked by hand from The Pensions Regulator's earnings thresholds for 2026-27
(qualifying earnings monthly 520 to 4,189, weekly 120 to 967, fortnightly 240 to 1,934,
four-weekly 480 to 3,867), the Pensions Act 2008 and the Occupational and Personal
Pension Schemes (Automatic Enrolment) Regulations 2010, regulations 9 and 10 (opt-out
within one month beginning with enrolment: a refund), HMRC's relief at source (the
member pays 80 % of the gross contribution) and the 2026-27 PAYE and NICs figures.
"""

from datetime import date
from decimal import Decimal

import pytest

from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import calc, gb, groups, pensions, rules, services
from tercero.services.payroll.models import PayResult
from tercero.services.payroll.tests.factories import (
    JUNE,
    MAY,
    calculated,
    finalised,
    hire,
    uk_group,
)
from tercero.services.payroll.views.rules import _rows

RATES = gb.pack("2026-27")
NET_PAY = {"code": "PENSION", "name": "Pension (net pay)", "category": "deduction",
           "kind": "tax", "tax": "gb.pension_net_pay", "percent": "5",
           "before_tax": True}  # fmt: skip
RELIEF_AT_SOURCE = {"code": "PENSION", "name": "Pension (relief at source)",
                    "category": "deduction", "kind": "tax",
                    "tax": "gb.pension_relief_at_source", "percent": "5"}  # fmt: skip
EMPLOYER = {"code": "ER_PENSION", "name": "Employer pension", "category": "employer",
            "kind": "tax", "tax": "gb.pension_employer", "percent": "3"}  # fmt: skip


def _scheme(employee_line: dict) -> list[dict]:
    """The default UK rules with the pension lines of an automatic enrolment scheme: the
    employee's before income tax (so a net pay arrangement lowers taxable pay)."""
    kept = [r for r in calc.GB_DEFAULT_RULES if r["code"] not in ("PENSION", "ER_PENSION")]
    at = next(index for index, r in enumerate(kept) if r["code"] == "PAYE")
    return [*kept[:at], employee_line, *kept[at:], EMPLOYER]


def _payslip(pay: str, employee_line: dict, **context) -> dict[str, Decimal]:
    slip = rules.evaluate(
        [rules.Rule(**{**r, "of": tuple(r.get("of", ()))}) for r in _scheme(employee_line)],
        inputs={"salary": pay, "hourly_rate": "0", "hours": "0", "overtime_hours": "0",
                "bonus": "0", "retro": "0", "deduction": "0"},
        taxes=gb.ROUTINES,
        context={"tax_code": "1257L", "period": 1, "frequency": "monthly", **context},
    )  # fmt: skip
    return {line.code: line.amount for line in slip.lines}


@pytest.mark.parametrize(
    ("pay", "frequency", "qualifying"),
    [
        ("2500", "monthly", "1980"),  # 2500 - 520
        ("5000", "monthly", "3669"),  # 4189 - 520: capped at the upper limit
        ("400", "monthly", "0"),  # under the lower limit
        ("600", "weekly", "480"),  # 600 - 120
        ("1000", "biweekly", "760"),  # 1000 - 240
        ("4000", "four_weekly", "3387"),  # 3867 - 480
    ],
)
def test_qualifying_earnings_per_pay_period(pay, frequency, qualifying):
    assert pensions.qualifying_earnings(
        earnings=Decimal(pay), frequency=frequency, rates=RATES
    ) == Decimal(qualifying)


def test_a_net_pay_arrangement_is_taken_before_income_tax_but_not_before_nics():
    slip = _payslip("2500", NET_PAY)
    # 5 % of 1,980 = 99.00; employer 3 % = 59.40
    assert (slip["PENSION"], slip["ER_PENSION"]) == (Decimal("99.00"), Decimal("59.40"))
    # PAYE month 1 on 2,500 - 99 = 2,401: 2401 - 1048.26 = 1352.74 -> 1352 x 20 % = 270.40
    assert slip["PAYE"] == Decimal("270.40")
    # NICs on the whole 2,500: (2500 - 1048) x 8 % = 116.16
    assert slip["NI"] == Decimal("116.16")


def test_relief_at_source_takes_80_percent_after_tax():
    slip = _payslip("2500", RELIEF_AT_SOURCE)
    # 5 % of 1,980 = 99.00 gross; the member pays 80 %: 79.20; tax on all 2,500: 290.20
    assert (slip["PENSION"], slip["PAYE"]) == (Decimal("79.20"), Decimal("290.20"))
    assert slip["ER_PENSION"] == Decimal("59.40")


def test_a_net_pay_line_must_be_before_tax_and_a_relief_at_source_line_must_not():
    with pytest.raises(InvalidInput, match="net pay arrangement"):
        _payslip("2500", {**NET_PAY, "before_tax": False})
    with pytest.raises(InvalidInput, match="net pay arrangement"):
        _payslip("2500", {**RELIEF_AT_SOURCE, "before_tax": True})
    with pytest.raises(rules.RuleError, match="only a deduction"):
        rules.check([rules.Rule("X", "X", "earning", "fixed", amount="1", before_tax=True)])


@pytest.mark.parametrize(
    ("enrolled", "last"),
    [
        (date(2026, 4, 6), date(2026, 5, 5)),
        (date(2027, 1, 31), date(2027, 2, 28)),  # no 31 February: the month's last day
        (date(2026, 12, 15), date(2027, 1, 14)),
    ],
)
def test_the_opt_out_window_is_one_month_beginning_with_enrolment(enrolled, last):
    assert pensions.opt_out_last_day(enrolled) == last


def test_membership_in_a_period():
    enrolled, end = date(2026, 4, 6), date(2026, 6, 5)
    member = pensions.membership
    assert member(enrolled_on=enrolled, opted_out_on=None, period_end=end) == "active"
    assert member(enrolled_on=date(2026, 7, 1), opted_out_on=None, period_end=end) == (
        "not_enrolled"
    )
    assert member(enrolled_on=enrolled, opted_out_on=date(2026, 5, 5), period_end=end) == (
        "refunded"
    )
    assert member(enrolled_on=enrolled, opted_out_on=date(2026, 5, 6), period_end=end) == "left"
    assert member(enrolled_on=enrolled, opted_out_on=date(2026, 6, 6), period_end=end) == (
        "active"  # opts out after this period: this one still contributes
    )


def _lines(run, employee) -> dict[str, int]:
    result = PayResult.objects.get(run=run, employee=employee)
    return {code: amount for code, _name, _category, amount in result.lines}


def _pension_group(tenant):
    group = uk_group(tenant.client)
    with client_scope(clients=[tenant.client]):
        return groups.update_pay_group(
            actor=tenant.team_lead,
            group=group,
            version=group.version,
            changes={"rules": _scheme(NET_PAY)},
            note="Automatic enrolment, net pay arrangement",
        )


def test_a_net_pay_pension_lowers_taxable_pay_to_date_in_later_months(tenant_a):
    group = _pension_group(tenant_a)
    with client_scope(clients=[tenant_a.client]):
        member = hire(tenant_a.team_lead, group, "E-1", pension_enrolled_on=date(2026, 4, 6))
        april = finalised(tenant_a, group)
        may = calculated(tenant_a.team_lead, group, MAY)
        april_lines, may_lines = _lines(april, member), _lines(may, member)
    assert (april_lines["PENSION"], april_lines["PAYE"], april_lines["ER_PENSION"]) == (
        9900,
        27040,
        5940,
    )
    # May, cumulative: 2 x 2,401 = 4,802 - 2,096.52 = 2,705.48 -> 2705 x 20 % = 541.00,
    # less April's 270.40
    assert may_lines["PAYE"] == 27060


def test_an_opt_out_within_the_month_refunds_the_contributions(tenant_a):
    group = _pension_group(tenant_a)
    with client_scope(clients=[tenant_a.client]):
        member = hire(tenant_a.team_lead, group, "E-1", pension_enrolled_on=date(2026, 4, 6))
        finalised(tenant_a, group)
        # the opt-out on 1 May is inside the month beginning 6 April (last day 5 May)
        services.record_pension_opt_out(
            actor=tenant_a.team_lead, employee=member, opted_out_on=date(2026, 5, 1)
        )
        may = finalised(tenant_a, group, MAY)
        june = calculated(tenant_a.team_lead, group, JUNE)
        may_lines, june_lines = _lines(may, member), _lines(june, member)
        with pytest.raises(Conflict):
            services.record_pension_opt_out(
                actor=tenant_a.team_lead, employee=member, opted_out_on=date(2026, 5, 2)
            )
    # May refunds April's 99.00 (and the employer's 59.40 stops and comes back); the
    # refund is taxable: 2,401 + 2,599 = 5,000 - 2,096.52 -> 2903 x 20 % = 580.60 to
    # date, less 270.40
    assert (may_lines["PENSION"], may_lines["ER_PENSION"]) == (-9900, -5940)
    assert may_lines["PAYE"] == 31020
    assert (june_lines["PENSION"], june_lines["ER_PENSION"]) == (0, 0)


def test_an_opt_out_after_the_month_stops_contributions_without_a_refund(tenant_a):
    group = _pension_group(tenant_a)
    with client_scope(clients=[tenant_a.client]):
        member = hire(tenant_a.team_lead, group, "E-1", pension_enrolled_on=date(2026, 4, 6))
        finalised(tenant_a, group)
        services.record_pension_opt_out(
            actor=tenant_a.team_lead, employee=member, opted_out_on=date(2026, 5, 10)
        )
        may = calculated(tenant_a.team_lead, group, MAY)
        lines = _lines(may, member)
    assert (lines["PENSION"], lines["ER_PENSION"]) == (0, 0)


def test_the_rules_editor_keeps_a_pension_lines_percent_and_before_tax(client, tenant_a):
    # protects: a net pay pension line losing its rate or its place before tax when the
    # payroll team saves the rules on the page
    group = _pension_group(tenant_a)
    client.force_login(tenant_a.team_lead)
    page = client.get(f"/payroll/groups/{group.pk}/rules/").content.decode()
    at = [rule["code"] for rule in group.rules].index("PENSION")
    assert f'id="r-{at}-before_tax" name="r-{at}-before_tax" checked' in page
    data = {"version": group.version, "note": "Employer rate up to 4 %", "rows": len(group.rules)}
    for index, row in enumerate(_rows(group.rules)[: len(group.rules)]):
        for name, value in row.items():
            if name in ("taxable", "before_tax"):
                if value:
                    data[f"r-{index}-{name}"] = "on"
            elif name not in ("error", "remove"):
                data[f"r-{index}-{name}"] = value
    last = len(group.rules) - 1
    data[f"r-{last}-percent"] = "4"  # ER_PENSION
    saved = client.post(f"/payroll/groups/{group.pk}/rules/", data)
    assert saved.status_code == 302
    with client_scope(clients=[tenant_a.client]):
        group.refresh_from_db()
    by_code = {rule["code"]: rule for rule in group.rules}
    assert by_code["PENSION"]["before_tax"] is True
    assert by_code["PENSION"]["percent"] == "5"
    assert by_code["ER_PENSION"]["percent"] == "4"
    shown = client.get(f"/payroll/groups/{group.pk}/").content.decode()
    assert "tax routine gb.pension_net_pay at 5 %; before income tax" in shown
