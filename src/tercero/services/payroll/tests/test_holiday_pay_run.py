"""Holiday pay paid by a run: a recorded holiday's working days in the period are paid at
a week's holiday pay, the average of the 52 weeks with pay before it (Working Time
Regulations 1998 reg. 16; holiday_pay.py), as the HOLIDAY line, and a salaried
employee's basic pay for the same days is not paid as salary. Worked by hand."""

import io
from datetime import date

import pytest

from tercero.platform.errors import InvalidInput
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import outputs, rti_figures, runs, statutory_leave
from tercero.services.payroll.models import PayResult, StatutoryAbsence
from tercero.services.payroll.tests.factories import (
    APRIL,
    JUNE,
    MAY,
    calculated,
    finalised,
    hire,
    uk_group,
)

pytestmark = pytest.mark.django_db

JULY = dict(period_start=date(2026, 7, 6), period_end=date(2026, 8, 5), pay_date=date(2026, 7, 28))


def _holiday(tenant, employee, start, end, **fields) -> StatutoryAbsence:
    return statutory_leave.record_absence(
        actor=tenant.team_lead, employee=employee, kind="holiday", start=start, end=end, **fields
    )


def _lines(run, employee) -> dict[str, int]:
    result = PayResult.objects.get(run=run, employee=employee)
    return {code: amount for code, _name, _category, amount in result.lines}


def _finalise(tenant, run):
    run = runs.submit(actor=tenant.team_lead, run=run, version=run.version)
    run = runs.approve(actor=tenant.client_admin, run=run, version=run.version)
    return runs.finalise(actor=tenant.team_lead, run=run, version=run.version)


@pytest.fixture
def worker(tenant_a):
    """30,000 a year; April 2026 paid 2,500.00, May 2,500.00 and a 1,300.00 bonus."""
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        employee = hire(tenant_a.team_lead, group, "E-1", start=date(2025, 6, 1))
        finalised(tenant_a, group, APRIL)
        may = runs.create_run(actor=tenant_a.team_lead, pay_group=group, **MAY)
        runs.import_inputs(
            actor=tenant_a.team_lead, run=may, data=b"employee_number,bonus\nE-1,1300.00\n"
        )
        runs.start_calculation(actor=tenant_a.team_lead, run=may)
        _finalise(tenant_a, runs.calculate(run_id=may.pk))
        yield group, employee


def test_a_run_pays_holiday_at_the_52_week_average_and_not_the_salary_for_those_days(
    tenant_a, worker
):
    group, employee = worker
    with client_scope(clients=[tenant_a.client]):
        # given: a week's holiday, Monday 15 to Friday 19 June 2026
        _holiday(tenant_a, employee, date(2026, 6, 15), date(2026, 6, 19))
        # when: June's run (6 June to 5 July 2026) is calculated
        run = calculated(tenant_a.team_lead, group, JUNE)
        lines = _lines(run, employee)
        result = PayResult.objects.get(run=run, employee=employee)
    # then: a week's pay is 6,300.00 over the 61 days of April and May x 7 = 722.95
    # (722.9508 rounded half up); five of five working days pay 722.95
    assert lines["HOLIDAY"] == 72295
    # and the basic pay for those days (30,000 x 5 / (52 x 5) = 576.923 -> 576.92) is not
    # paid as salary: 2,500.00 - 576.92
    assert lines["BASIC"] == 250000 - 57692 == 192308
    assert result.gross_minor == 192308 + 72295
    assert result.basis["salary_minor"] == 250000
    assert result.basis["holiday_salary_minor"] == 57692
    assert result.basis["holiday"] == [
        "Holiday 15 June 2026 to 19 June 2026: 5 days at £722.95 a week (5 working days a "
        "week) = £722.95. A week's holiday pay is £722.95: £6,300.00 paid for the 2 pay "
        "periods with pay from 6 April 2026 to 5 June 2026 (61 days), times 7 over 61 days.",
        "Basic pay for the same days not paid as salary: £576.92.",
    ]


def test_the_next_run_owes_no_back_pay_for_the_holiday_days(tenant_a, worker):
    group, employee = worker
    with client_scope(clients=[tenant_a.client]):
        _holiday(tenant_a, employee, date(2026, 6, 15), date(2026, 6, 19))
        _finalise(tenant_a, calculated(tenant_a.team_lead, group, JUNE))
        # when: July's run is calculated after June's was finalised
        july = _lines(calculated(tenant_a.team_lead, group, JULY), employee)
    # then: a whole month's salary and no back pay: the holiday days were paid once
    assert july["BASIC"] == 250000
    assert july.get("RETRO", 0) == 0
    assert "HOLIDAY" not in july


def test_holiday_pay_is_taxable_pay_in_the_fps_and_a_register_column(tenant_a, worker):
    group, employee = worker
    with client_scope(clients=[tenant_a.client]):
        _holiday(tenant_a, employee, date(2026, 6, 15), date(2026, 6, 19))
        run = calculated(tenant_a.team_lead, group, JUNE)
        result = PayResult.objects.get(run=run, employee=employee)
        figures = rti_figures.of_result(result, rti_figures.line_kinds(run))
        sink = io.StringIO()
        outputs.write_register(run, sink)
    assert figures.taxable_pay == figures.nic_earnings == result.gross_minor == 264603
    header, row = sink.getvalue().splitlines()[:2]
    column = header.split(",").index("HOLIDAY")
    assert row.split(",")[column] == "722.95"


def test_a_joiner_with_no_pay_on_record_gets_the_salarys_week(tenant_a):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        employee = hire(tenant_a.team_lead, group, "E-1", start=date(2026, 4, 1))
        # given: Thursday 16 and Friday 17 April 2026 off, nothing paid before
        _holiday(tenant_a, employee, date(2026, 4, 16), date(2026, 4, 17))
        lines = _lines(calculated(tenant_a.team_lead, group, APRIL), employee)
    # then: a week is 30,000 / 52 = 576.92; two days 230.768 -> 230.77 each way
    assert lines["HOLIDAY"] == 23077
    assert lines["BASIC"] == 250000 - 23077
    assert lines["BASIC"] + lines["HOLIDAY"] == 250000


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (date(2026, 6, 15), None, "A holiday needs its last day."),
        (
            date(2026, 6, 13),
            date(2026, 6, 14),
            "This holiday has no working day in it (its working days are the days ticked).",
        ),
    ],
)
def test_a_holiday_without_a_last_day_or_a_working_day_is_refused(tenant_a, start, end, message):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        employee = hire(tenant_a.team_lead, group, "E-1")
        with pytest.raises(InvalidInput) as refused:
            _holiday(tenant_a, employee, start, end)
        assert refused.value.message == message
        assert StatutoryAbsence.objects.count() == 0


def test_the_employee_page_lists_the_holiday_in_words(tenant_a, client, worker):
    _group, employee = worker
    with client_scope(clients=[tenant_a.client]):
        _holiday(tenant_a, employee, date(2026, 6, 15), date(2026, 6, 19))
    client.force_login(tenant_a.team_lead)
    page = client.get(f"/payroll/employees/{employee.pk}/").content.decode()
    assert "Holiday (paid annual leave)" in page
    assert (
        "5 working days, paid by the run of each period at the average of the 52 weeks with "
        "pay before the holiday" in page
    )
