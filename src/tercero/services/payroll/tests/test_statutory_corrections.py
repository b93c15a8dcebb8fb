"""An absence corrected after its period was paid: the next run pays the shortfall or
recovers the overpayment, once, and the year's statutory pay to date comes out right.
SSP in 2026-27: 123.25 a week, no waiting days; five qualifying days are 24.65 each."""

import csv
import io
import itertools
from datetime import date, timedelta

import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from lxml import etree

from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import journal, outputs, rti, rti_figures, runs, statutory_leave
from tercero.services.payroll.models import PayResult, RtiEmployer, RtiPerson
from tercero.services.payroll.tests.factories import (
    APRIL,
    JUNE,
    MAY,
    calculated,
    finalised,
    hire,
    off_cycle,
    uk_group,
)

pytestmark = pytest.mark.django_db

FPS = "{http://www.govtalk.gov.uk/taxation/PAYE/RTI/FullPaymentSubmission/26-27/1}"
SSP_DAY = 2465  # 2026-27: 123.25 a week over five qualifying days
SICK = dict(kind="sickness", average_weekly_earnings_minor=50000)


def _lines(run, employee) -> dict[str, tuple[str, int]]:
    result = PayResult.objects.get(run=run, employee=employee)
    return {code: (name, amount) for code, name, _category, amount in result.lines}


def _paid_april(tenant, hired=None, **absence):
    """A pay group, an employee hired in June 2025 with `absence` recorded, and April
    2026 finalised."""
    group = uk_group(tenant.client)
    worker = hire(tenant.team_lead, group, "E-1", start=date(2025, 6, 1), **(hired or {}))
    recorded = statutory_leave.record_absence(actor=tenant.team_lead, employee=worker, **absence)
    april = finalised(tenant, group, APRIL)
    return group, worker, recorded, april


def test_an_ssp_absence_shortened_after_its_month_was_paid_recovers_the_overpaid_days(
    tenant_a,
):
    with client_scope(clients=[tenant_a.client]):
        # given: sick Monday 13 to Friday 24 April 2026, ten qualifying days paid in April
        group, worker, sick, april = _paid_april(
            tenant_a, start=date(2026, 4, 13), end=date(2026, 4, 24), **SICK
        )
        assert _lines(april, worker)["SSP"][1] == 10 * SSP_DAY
        # when: in May the sickness is found to have ended on Friday 17 April
        statutory_leave.correct_absence(
            actor=tenant_a.team_lead, absence=sick, version=sick.version, end=date(2026, 4, 17)
        )
        may = calculated(tenant_a.team_lead, group, MAY)
        # then: May recovers the five days overpaid, in a line that says so
        lines = _lines(may, worker)
        assert lines["SSP_ADJ_20260406"] == ("SSP correction for April 2026", -5 * SSP_DAY)
        assert "SSP" not in lines
        result = PayResult.objects.get(run=may, employee=worker)
        assert result.gross_minor == 250000 - 5 * SSP_DAY  # 2,500.00 salary less 123.25
        assert result.basis["statutory"] == [
            "SSP correction for April 2026: the corrected absence records owe £123.25 "
            "Statutory Sick Pay for 6 April 2026 to 5 May 2026 (5 days, 13 April 2026 to "
            "17 April 2026), £246.50 was paid; "
            "£123.25 recovered in this period."
        ]
        # and the register has a column for it, in pounds
        sink = io.StringIO()
        outputs.write_register(may, sink)
        header, row, _total = list(csv.reader(io.StringIO(sink.getvalue())))
        assert dict(zip(header, row, strict=True))["SSP_ADJ_20260406"] == "-123.25"
        # and the journal takes it back from the SSP account, naming the month corrected
        [correction] = [e for e in journal.entries(may) if "correction" in e.description]
        assert (correction.account, correction.credit_minor) == ("expense:SSP", 5 * SSP_DAY)
        assert correction.description == "SSP correction for April 2026"


def test_an_smp_start_moved_earlier_pays_the_missing_weeks(tenant_a):
    with client_scope(clients=[tenant_a.client]):
        # given: maternity pay from Sunday 26 April 2026 (90 % of 600.00 = 540.00 a week),
        # ten days of it paid in April
        group, worker, leave, april = _paid_april(
            tenant_a, kind="maternity", start=date(2026, 4, 26), expected_on=date(2026, 5, 17),
            average_weekly_earnings_minor=60000,
        )  # fmt: skip
        assert _lines(april, worker)["SMP"][1] == 54000 + 23143  # a week and 3/7 of one
        # when: the leave in fact started two weeks earlier, on Sunday 12 April
        statutory_leave.correct_absence(
            actor=tenant_a.team_lead, absence=leave, version=leave.version, start=date(2026, 4, 12)
        )
        may = calculated(tenant_a.team_lead, group, MAY)
        # then: May pays the two missing weeks of April, at 540.00 each
        lines = _lines(may, worker)
        assert lines["SMP_ADJ_20260406"] == ("SMP correction for April 2026", 2 * 54000)
        assert lines["SMP"][1] > 0  # and May's own maternity pay as corrected


def test_a_correction_that_changes_nothing_adds_no_line(tenant_a):
    with client_scope(clients=[tenant_a.client]):
        group, worker, sick, _april = _paid_april(
            tenant_a, start=date(2026, 4, 13), end=date(2026, 4, 24), **SICK
        )
        # when: the earnings are corrected to 600.00: SSP is still the flat rate
        statutory_leave.correct_absence(
            actor=tenant_a.team_lead,
            absence=sick,
            version=sick.version,
            average_weekly_earnings_minor=60000,
        )
        may = calculated(tenant_a.team_lead, group, MAY)
        # then: May pays salary alone
        assert not [code for code in _lines(may, worker) if code.startswith("SSP")]


def test_recalculating_the_run_pays_the_correction_once(tenant_a):
    with client_scope(clients=[tenant_a.client]):
        group, worker, sick, _april = _paid_april(
            tenant_a, start=date(2026, 4, 13), end=date(2026, 4, 24), **SICK
        )
        statutory_leave.correct_absence(
            actor=tenant_a.team_lead, absence=sick, version=sick.version, end=date(2026, 4, 17)
        )
        # when: May is calculated, calculated again, then finalised, and June follows
        may = calculated(tenant_a.team_lead, group, MAY)
        runs.start_calculation(actor=tenant_a.team_lead, run=may)
        may = runs.calculate(run_id=may.pk)
        assert _lines(may, worker)["SSP_ADJ_20260406"][1] == -5 * SSP_DAY
        may = runs.submit(actor=tenant_a.team_lead, run=may, version=may.version)
        may = runs.approve(actor=tenant_a.client_admin, run=may, version=may.version)
        may = runs.finalise(actor=tenant_a.team_lead, run=may, version=may.version)
        june = calculated(tenant_a.team_lead, group, JUNE)
        # then: the recovery was taken once, in May; June has no correction
        assert not [code for code in _lines(june, worker) if code.startswith("SSP")]
        # and a second run in May, a bonus, pays the bonus alone
        bonus = off_cycle(tenant_a.team_lead, group, MAY, b"employee_number,bonus\nE-1,100\n")
        assert not [code for code in _lines(bonus, worker) if code.startswith("SSP")]


def _to_date(document: rti.Document) -> dict[str, str]:
    root = etree.fromstring(document.xml)
    found = root.find(f".//{FPS}FiguresToDate")
    return {etree.QName(e).localname: e.text for e in found}


def test_the_year_to_date_ssp_in_the_fps_equals_what_the_corrected_records_owe(tenant_a):
    with client_scope(clients=[tenant_a.client]):
        group, worker, sick, _april = _paid_april(
            tenant_a, start=date(2026, 4, 13), end=date(2026, 4, 24), **SICK,
            hired=dict(national_id="AB123456C", date_of_birth="1990-02-14",
                       address="12 High Street, Leeds, LS1 4AP"),
        )  # fmt: skip
        RtiEmployer.objects.create(
            client=tenant_a.client, pay_group=group, tax_office_number="123",
            tax_office_reference="AB45678", accounts_office_reference="123PA00045678",
        )  # fmt: skip
        RtiPerson.objects.create(client=tenant_a.client, employee=worker, gender="F")
        # given: the sickness shortened to 13-17 April, and also sick 1-2 June (in May's
        # period)
        statutory_leave.correct_absence(
            actor=tenant_a.team_lead, absence=sick, version=sick.version, end=date(2026, 4, 17)
        )
        statutory_leave.record_absence(
            actor=tenant_a.team_lead, employee=worker, start=date(2026, 6, 1),
            end=date(2026, 6, 2), **SICK,
        )  # fmt: skip
        # when: May is finalised and its FPS built
        may = finalised(tenant_a, group, MAY)
        # then: SSP to date is what the corrected records owe: five April days and two
        # in May (123.25 + 49.30), not the ten April days first paid
        figures = rti_figures.year_to_date(employee_ids=[worker.pk], tax_year="2026-27")
        assert figures[worker.pk].figures.ssp == 5 * SSP_DAY + 2 * SSP_DAY == 17255
        # and the FPS (which carries no SSP figure of its own) reports it in taxable pay:
        # two months' salary of 2,500.00 and the 172.55
        assert _to_date(rti.fps(may))["TaxablePay"] == "5172.55"
        ytd = PayResult.objects.get(run=may, employee=worker).ytd
        assert (ytd["SSP"], ytd["SSP_ADJ_20260406"]) == (12 * SSP_DAY, -5 * SSP_DAY)


NAMES = itertools.count(1)
SHARE = 2 if django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql") else 1
FIRST, LAST = APRIL["period_start"], JUNE["period_end"]
SPELL = st.tuples(
    st.integers(min_value=0, max_value=(MAY["period_end"] - FIRST).days),  # from 6 April
    st.integers(min_value=0, max_value=30),  # more days
)


def _weekdays(start: date, end: date) -> int:
    """Monday-to-Friday days from start to end, inside April to June's periods."""
    start, end = max(start, FIRST), min(end, LAST)
    return sum((start + timedelta(days=n)).weekday() < 5 for n in range((end - start).days + 1))


@settings(
    max_examples=20 // SHARE,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(recorded=SPELL, corrected=SPELL, after_may=st.booleans())
def test_the_ssp_paid_over_the_months_is_what_the_corrected_record_owes(
    tenant_a, recorded, corrected, after_may
):
    # the oracle: in 2026-27 every Monday-to-Friday day of sickness pays 24.65 (123.25
    # a week, five qualifying days, no waiting days), whichever period pays it
    note(f"{recorded=} {corrected=} {after_may=}")
    tag = next(NAMES)
    group = uk_group(tenant_a.client, name=f"Sick {tag}")
    with client_scope(clients=[tenant_a.client]):
        worker = hire(tenant_a.team_lead, group, f"S-{tag}", start=date(2025, 6, 1))
        start = FIRST + timedelta(days=recorded[0])
        sick = statutory_leave.record_absence(
            actor=tenant_a.team_lead, employee=worker, start=start,
            end=start + timedelta(days=recorded[1]), **SICK,
        )  # fmt: skip
        made = [finalised(tenant_a, group, APRIL)]
        if after_may:
            made.append(finalised(tenant_a, group, MAY))
        # when: the sickness is corrected, and the remaining months are run (May twice)
        start = FIRST + timedelta(days=corrected[0])
        end = start + timedelta(days=corrected[1])
        statutory_leave.correct_absence(
            actor=tenant_a.team_lead, absence=sick, version=sick.version, start=start, end=end
        )
        if not after_may:
            may = calculated(tenant_a.team_lead, group, MAY)
            runs.start_calculation(actor=tenant_a.team_lead, run=may)
            runs.calculate(run_id=may.pk)
            made.append(finalised_again(tenant_a, may))
        made.append(calculated(tenant_a.team_lead, group, JUNE))
        # then: the SSP lines of the three months add up to what the corrected record owes
        paid = sum(
            amount
            for run in made
            for code, (_name, amount) in _lines(run, worker).items()
            if code.startswith("SSP")
        )
        assert paid == SSP_DAY * _weekdays(start, end)


def finalised_again(tenant, run):
    """A calculated run taken through approval to finalised."""
    run.refresh_from_db()
    run = runs.submit(actor=tenant.team_lead, run=run, version=run.version)
    run = runs.approve(actor=tenant.client_admin, run=run, version=run.version)
    return runs.finalise(actor=tenant.team_lead, run=run, version=run.version)
