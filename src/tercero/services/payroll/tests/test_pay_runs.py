"""Pay runs: inputs with a per-row error report, calculation to the penny, variance
review, maker-checker approval, finalising (locked, journal posted), back pay."""

from datetime import date

import pytest

from tercero.platform.errors import Conflict, InvalidInput, PermissionDenied
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import journal, runs, services
from tercero.services.payroll.models import PayInput, PayResult, PayRun, Posting
from tercero.services.payroll.tests.factories import (
    APRIL,
    JUNE,
    MAY,
    calculated,
    finalised,
    hire,
    uk_group,
)


@pytest.fixture
def group(tenant_a):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        yield group


def _result(run, employee) -> PayResult:
    return PayResult.objects.get(run=run, employee=employee)


def _lines(result) -> dict[str, int]:
    return {code: amount for code, _name, _category, amount in result.lines}


def test_a_month_of_pay_is_exact_to_the_penny(tenant_a, group):
    # protects: the figures on every employee's payslip
    # 30,000 a year, 1257L, category A, April 2026 (tax month 1), worked by hand:
    # basic 2,500.00; free pay 1257L month 1 = 1,048.25 (HMRC pay adjustment), taxable
    # 1,451 -> tax 20 % = 290.20; NI 8 % x (2,500 - 1,048) = 116.16; pension 5 % = 125.00;
    # net 1,968.64; employer NI 15 % x (2,500 - 417) = 312.45, employer pension 75.00.
    olivia = hire(tenant_a.team_lead, group, "E-1")
    run = calculated(tenant_a.team_lead, group)
    assert run.status == PayRun.Status.CALCULATED
    assert run.work_item is not None
    assert run.work_item.work_type == "payroll.run"
    lines = _lines(_result(run, olivia))
    assert lines["BASIC"] == 250000
    assert lines["PAYE"] == 29020
    assert lines["NI"] == 11616
    assert lines["PENSION"] == 12500
    assert lines["ER_NI"] == 31245
    assert lines["ER_PENSION"] == 7500
    assert _result(run, olivia).net_minor == 196864
    assert run.net_minor == 196864
    assert run.gross_minor == 250000


def test_inputs_with_a_bad_row_store_nothing_and_name_every_bad_row(tenant_a, group):
    # protects: a half-imported timesheet paying some people and not others
    hire(tenant_a.team_lead, group, "E-1", salary=None, hourly_rate="15.00")
    hire(tenant_a.team_lead, group, "E-2")
    run = runs.create_run(actor=tenant_a.team_lead, pay_group=group, **APRIL)
    bad = b"employee_number,hours,overtime_hours,bonus\nE-1,160,abc,\nE-9,1,,\nE-2,,,-5\n"
    report = runs.import_inputs(actor=tenant_a.team_lead, run=run, data=bad)
    assert report.errors == [
        (2, "overtime_hours", "'abc' is not a number"),
        (3, "employee_number", "no such employee"),
        (4, "bonus", "must not be negative"),
    ]
    assert not PayInput.objects.exists()
    good = b"employee_number,hours,overtime_hours,bonus\nE-1,160,10,\nE-2,,,400.50\n"
    report = runs.import_inputs(actor=tenant_a.team_lead, run=run, data=good)
    assert report.ok
    assert report.stored == 3
    runs.start_calculation(actor=tenant_a.team_lead, run=run)
    run = runs.calculate(run_id=run.pk)
    hourly = _lines(PayResult.objects.get(run=run, employee__employee_number="E-1"))
    assert hourly["HOURS"] == 240000  # 160 x 15.00
    assert hourly["OT"] == 22500  # 10 x 15.00 x 1.5
    assert _lines(PayResult.objects.get(run=run, employee__employee_number="E-2"))["BONUS"] == (
        40050
    )


def test_unknown_input_columns_are_refused(tenant_a, group):
    # protects: a typo in a column header silently paying nothing
    run = runs.create_run(actor=tenant_a.team_lead, pay_group=group, **APRIL)
    with pytest.raises(Exception, match="Unknown columns: overtime"):
        runs.import_inputs(actor=tenant_a.team_lead, run=run, data=b"employee_number,overtime\n")


def test_maker_checker_and_the_lock(tenant_a, tenant_b, group):
    # protects: nobody pays a run alone; a paid run cannot change
    olivia = hire(tenant_a.team_lead, group, "E-1")
    run = calculated(tenant_a.team_lead, group)
    with pytest.raises(PermissionDenied):
        runs.submit(actor=tenant_a.client_admin, run=run, version=run.version)
    run = runs.submit(actor=tenant_a.team_lead, run=run, version=run.version)
    assert run.prepared_by == tenant_a.team_lead
    with pytest.raises(PermissionDenied):
        runs.approve(actor=tenant_a.team_lead, run=run, version=run.version)
    with pytest.raises(PermissionDenied):
        runs.approve(actor=tenant_a.client_user, run=run, version=run.version)
    with pytest.raises(PermissionDenied):
        runs.approve(actor=tenant_b.client_admin, run=run, version=run.version)
    with pytest.raises(Conflict):
        runs.finalise(actor=tenant_a.team_lead, run=run, version=run.version)
    run = runs.send_back(
        actor=tenant_a.client_admin, run=run, version=run.version, note="Bonus for E-1 missing"
    )
    assert run.status == PayRun.Status.CALCULATED
    assert run.note == "Bonus for E-1 missing"
    run = runs.submit(actor=tenant_a.team_lead, run=run, version=run.version)
    with pytest.raises(Conflict):
        runs.approve(actor=tenant_a.client_admin, run=run, version=run.version - 1)
    run = runs.approve(actor=tenant_a.client_admin, run=run, version=run.version)
    run = runs.finalise(actor=tenant_a.team_lead, run=run, version=run.version)
    assert run.status == PayRun.Status.FINALISED
    assert run.finalised_at
    for attempt in (
        lambda: runs.import_inputs(
            actor=tenant_a.team_lead, run=run, data=b"employee_number,bonus\nE-1,5\n"
        ),
        lambda: runs.start_calculation(actor=tenant_a.team_lead, run=run),
        lambda: runs.cancel(actor=tenant_a.team_lead, run=run, version=run.version, reason="x"),
    ):
        with pytest.raises(Conflict):
            attempt()
    assert _result(run, olivia).net_minor == 196864


def test_the_journal_balances_and_credits_net_pay(tenant_a, group):
    # protects: the ledger the finance team closes the month with
    for number in ("E-1", "E-2", "E-3"):
        hire(tenant_a.team_lead, group, number, salary=f"{20000 + int(number[2:]) * 7919}.37")
    run = finalised(tenant_a, group)
    postings = list(Posting.objects.filter(run=run))
    assert sum(p.debit_minor for p in postings) == sum(p.credit_minor for p in postings)
    net = [p for p in postings if p.account == journal.NET_PAY]
    assert len(net) == 1
    assert net[0].credit_minor == run.net_minor
    assert run.net_minor == sum(
        PayResult.objects.filter(run=run).values_list("net_minor", flat=True)
    )


def test_a_regular_period_is_run_once(tenant_a, group):
    # protects: paying a month twice
    runs.create_run(actor=tenant_a.team_lead, pay_group=group, **APRIL)
    with pytest.raises(Conflict):
        runs.create_run(actor=tenant_a.team_lead, pay_group=group, **APRIL)
    off = runs.create_run(actor=tenant_a.team_lead, pay_group=group, kind="off_cycle", **APRIL)
    assert off.kind == "off_cycle"


def test_the_variance_review_flags_what_a_reviewer_must_see(tenant_a, group):
    # protects: an unexplained jump in someone's pay going out unnoticed
    steady = hire(tenant_a.team_lead, group, "E-1")
    bonus = hire(tenant_a.team_lead, group, "E-2")
    leaver = hire(tenant_a.team_lead, group, "E-3")
    finalised(tenant_a, group, APRIL)
    joiner = hire(tenant_a.team_lead, group, "E-4", start=date(2026, 5, 10))
    services.leave(actor=tenant_a.team_lead, employee=leaver, last_day=date(2026, 5, 20))
    run = runs.create_run(actor=tenant_a.team_lead, pay_group=group, **MAY)
    runs.import_inputs(actor=tenant_a.team_lead, run=run, data=b"employee_number,bonus\nE-2,900\n")
    runs.start_calculation(actor=tenant_a.team_lead, run=run)
    run = runs.calculate(run_id=run.pk)
    assert _result(run, steady).flags == []
    assert _result(run, bonus).flags == ["net_moved"]
    # a leaver's and a joiner's part of the month is paid pro rata (and so moves)
    assert _result(run, leaver).flags == ["leaver", "net_moved"]
    assert _result(run, joiner).flags == ["new_joiner"]
    assert run.flagged == 3


def test_joiners_leavers_unpaid_leave_and_raises_within_a_period_are_paid_pro_rata(tenant_a, group):
    # protects: nobody is paid for days they were not employed, or at the wrong salary
    # May's period runs 6 May to 5 June: 31 days; 30,000 a year is 2,500.00 a month.
    leaver = hire(tenant_a.team_lead, group, "E-1")
    services.leave(actor=tenant_a.team_lead, employee=leaver, last_day=date(2026, 5, 20))
    joiner = hire(tenant_a.team_lead, group, "E-2", start=date(2026, 5, 10))
    raised = hire(tenant_a.team_lead, group, "E-3")
    services.change_employment(
        actor=tenant_a.team_lead, employee=raised, effective=date(2026, 5, 22),
        annual_salary="36000",
    )  # fmt: skip
    away = hire(tenant_a.team_lead, group, "E-4")
    services.change_employment(
        actor=tenant_a.team_lead, employee=away, effective=date(2026, 5, 26), status="on_leave"
    )
    whole = hire(tenant_a.team_lead, group, "E-5")
    run = calculated(tenant_a.team_lead, group, MAY)
    basic = {e: _lines(_result(run, e))["BASIC"] for e in (leaver, joiner, raised, away, whole)}
    assert basic[leaver] == 120968  # 2,500 x 15 / 31 = 1,209.677...
    assert basic[joiner] == 217742  # 2,500 x 27 / 31 = 2,177.419...
    assert basic[raised] == 274194  # (2,500 x 16 + 3,000 x 15) / 31 = 2,741.935...
    assert basic[away] == 161290  # 2,500 x 20 / 31 = 1,612.903...
    assert basic[whole] == 250000
    assert _result(run, raised).basis["salary_minor"] == 274194


def test_cumulative_tax_carries_the_year_to_date(tenant_a, group):
    # protects: PAYE computed on the year so far, not on each month alone
    olivia = hire(tenant_a.team_lead, group, "E-1")
    april = finalised(tenant_a, group, APRIL)
    may = calculated(tenant_a.team_lead, group, MAY)
    first, second = _result(april, olivia), _result(may, olivia)
    assert second.ytd["TAXABLE"] == 500000
    assert second.ytd["PAYE"] == first.ytd["PAYE"] + _lines(second)["PAYE"]
    # month 2 cumulative: taxable 5,000 - 2,096.50 free pay = 2,903 -> 580.60 to date
    assert second.ytd["PAYE"] == 58060


def test_a_backdated_raise_is_paid_as_a_delta_once(tenant_a, group):
    # protects: back pay for a raise agreed after a month was already paid
    olivia = hire(tenant_a.team_lead, group, "E-1")
    finalised(tenant_a, group, APRIL)
    services.change_employment(
        actor=tenant_a.team_lead,
        employee=olivia,
        effective=date(2026, 4, 20),
        annual_salary="36000.00",
    )
    may = finalised(tenant_a, group, MAY)
    lines = _lines(_result(may, olivia))
    assert lines["BASIC"] == 300000
    # April (6 April to 5 May, 30 days) should have paid 14 days at 2,500.00 a month and
    # 16 days at 3,000.00: (35,000 + 48,000) / 30 = 2,766.67; it paid 2,500.00
    assert lines["RETRO"] == 26667
    june = calculated(tenant_a.team_lead, group, JUNE)
    assert _lines(_result(june, olivia))["RETRO"] == 0


def test_a_run_stopped_between_chunks_continues_where_it_stopped(tenant_a, group):
    # protects: a restarted calculation paying someone twice or not at all
    for index in range(7):
        hire(tenant_a.team_lead, group, f"E-{index}", salary=f"{25000 + index * 1000}.00")
    whole = calculated(tenant_a.team_lead, group)
    # the same period again (an off-cycle run would pay only its inputs: nothing here)
    runs.cancel(actor=tenant_a.team_lead, run=whole, version=whole.version, reason="again")
    run = runs.create_run(actor=tenant_a.team_lead, pay_group=group, **APRIL)
    runs.start_calculation(actor=tenant_a.team_lead, run=run)
    run = runs.calculate(run_id=run.pk, chunk=3, chunks=1)
    assert (run.status, run.employees_done, run.employees_total) == ("calculating", 3, 7)
    run = runs.calculate(run_id=run.pk, chunk=3)
    assert run.status == PayRun.Status.CALCULATED
    assert PayResult.objects.filter(run=run).count() == 7
    assert (run.gross_minor, run.net_minor) == (whole.gross_minor, whole.net_minor)


def test_a_file_that_is_not_csv_is_a_clear_error(tenant_a, group):
    # protects: an operator uploading the wrong file getting a server error
    hire(tenant_a.team_lead, group, "E-1")
    run = runs.create_run(actor=tenant_a.team_lead, pay_group=group, **APRIL)
    huge_field = b'employee_number,bonus\nE-1,"' + b"1" * 200_000 + b'"\n'
    for data in (huge_field, b"\xff\xfe\x00b\x00o"):
        with pytest.raises(InvalidInput):
            runs.import_inputs(actor=tenant_a.team_lead, run=run, data=data)
    stray = runs.import_inputs(
        actor=tenant_a.team_lead, run=run, data=b"employee_number,bonus\nE-1,\x0012\n"
    )
    assert stray.errors == [(2, "bonus", "'\\x0012' is not a number")]
    assert not PayInput.objects.exists()


def test_a_starters_p45_pay_and_tax_count_in_cumulative_paye(tenant_a, group):
    # protects: a mid-year starter taxed as if their earlier job never happened
    # October (tax month 7), 1257L, 30,000 a year: free pay to date 7 x 1,048.25 =
    # 7,337.75. With a P45 of 15,000.00 pay and 1,700.00 tax: taxable to date 17,500.00
    # - 7,337.75 = 10,162 (whole pounds), tax to date 20 % = 2,032.40, due now 2,032.40
    # - 1,700.00 = 332.40. Without it, nothing is taxable to date: no tax.
    october = dict(
        period_start=date(2026, 10, 6), period_end=date(2026, 11, 5), pay_date=date(2026, 10, 28)
    )
    start = date(2026, 10, 6)
    with_p45 = hire(
        tenant_a.team_lead, group, "E-1", start=start, previous_pay="15000.00",
        previous_tax="1700.00",
    )  # fmt: skip
    without = hire(tenant_a.team_lead, group, "E-2", start=start)
    assert with_p45.previous_tax_year == "2026-27"
    run = calculated(tenant_a.team_lead, group, october)
    assert run.period == 7
    assert _lines(_result(run, with_p45))["PAYE"] == 33240
    assert _lines(_result(run, without))["PAYE"] == 0
    # the next tax year no longer counts them
    with_p45.previous_tax_year = "2025-26"
    with_p45.save()
    again = runs.create_run(actor=tenant_a.team_lead, pay_group=group, kind="off_cycle", **october)
    runs.start_calculation(actor=tenant_a.team_lead, run=again)
    again = runs.calculate(run_id=again.pk)
    assert _lines(_result(again, with_p45))["PAYE"] == 0
