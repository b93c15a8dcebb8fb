"""Recording statutory absences and paying them in a run, on the real database."""

from datetime import date

import pytest

from tercero.platform.audit.models import AuditEvent
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import runs, statutory_leave
from tercero.services.payroll.models import PayResult, StatutoryAbsence
from tercero.services.payroll.tests.factories import (
    APRIL,
    JUNE,
    MAY,
    finalised,
    hire,
    uk_group,
)

# due 17 May 2026: the qualifying week is 1 to 7 February 2026, so employment must have
# started by 16 August 2025
DUE = date(2026, 5, 17)


def _maternity(tenant, employee, **overrides) -> StatutoryAbsence:
    fields = dict(
        actor=tenant.team_lead,
        employee=employee,
        kind="maternity",
        start=date(2026, 5, 10),
        expected_on=DUE,
        average_weekly_earnings_minor=60000,
    )
    fields.update(overrides)
    return statutory_leave.record_absence(**fields)


def _lines(run, employee) -> dict[str, int]:
    result = PayResult.objects.get(run=run, employee=employee)
    return {code: amount for code, _name, _category, amount in result.lines}


def _audits(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def test_a_run_pays_maternity_pay_for_the_days_in_its_period_taxed_like_pay(tenant_a):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        # given: two employees on 30,000 a year since June 2025; one starts maternity
        # leave on Sunday 10 May 2026 on average weekly earnings of 600.00
        mother = hire(tenant_a.team_lead, group, "E-1", start=date(2025, 6, 1))
        other = hire(tenant_a.team_lead, group, "E-2", start=date(2025, 6, 1))
        _maternity(tenant_a, mother)
        # and the other is paid a bonus of what the maternity pay comes to
        run = runs.create_run(actor=tenant_a.team_lead, pay_group=group, **MAY)
        runs.import_inputs(
            actor=tenant_a.team_lead, run=run, data=b"employee_number,bonus\nE-2,2082.86\n"
        )
        runs.start_calculation(actor=tenant_a.team_lead, run=run)
        run = runs.calculate(run_id=run.pk)
        # when: May's run (6 May to 5 June 2026) is calculated
        lines = _lines(run, mother)
        # then: weeks 1 to 3 at 540.00 and 6 days of week 4 (540 x 6 / 7 = 462.857 ->
        # 462.86): 2,082.86 of Statutory Maternity Pay
        assert lines["SMP"] == 3 * 54000 + 46286 == 208286
        result = PayResult.objects.get(run=run, employee=mother)
        assert result.gross_minor == 250000 + 208286
        assert result.ytd["SMP"] == 208286
        assert result.basis["statutory"][3] == (
            "Statutory Maternity Pay week 4 (from 31 May 2026): 6 days, 31 May 2026 to "
            "5 June 2026, at £540.00 a week (90 % of average weekly earnings £600.00) = £462.86."
        )
        # and income tax and both NICs are those of the same pay as a bonus
        bonus = _lines(run, other)
        for code in ("PAYE", "NI", "ER_NI"):
            assert lines[code] == bonus[code]
        assert "SMP" not in bonus


def test_recording_an_absence_writes_an_audit_event(tenant_a):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        mother = hire(tenant_a.team_lead, group, "E-1", start=date(2025, 6, 1))
        absence = _maternity(tenant_a, mother)
        assert absence.average_weekly_earnings_minor == 60000
        assert absence.is_earnings_given
        assert _audits("payroll.statutory_absence.recorded") == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"end": date(2026, 5, 1)}, "The absence ends before it starts."),
        ({"kind": "sabbatical"}, "'sabbatical' is not a kind of statutory absence"),
        (
            # the qualifying week (February 2026) is in 2025-26: the limit is 125.00
            {"average_weekly_earnings_minor": 12499},
            "No Statutory Maternity Pay: average weekly earnings of £124.99 are below the "
            "lower earnings limit of £125.00.",
        ),
        ({"expected_on": None}, "Statutory Maternity Pay needs the expected week of childbirth."),
        ({"kind": "shared_parental"}, "Shared parental pay needs the weeks left"),
    ],
)
def test_bad_absences_are_refused_with_a_sentence_and_nothing_is_written(
    tenant_a, overrides, message
):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        mother = hire(tenant_a.team_lead, group, "E-1", start=date(2025, 6, 1))
        with pytest.raises(InvalidInput) as refused:
            _maternity(tenant_a, mother, **overrides)
        assert message in refused.value.message
        assert StatutoryAbsence.objects.count() == 0
        assert _audits("payroll.statutory_absence.recorded") == 0


def test_too_short_employment_is_refused_with_the_date_it_needed(tenant_a):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        mother = hire(tenant_a.team_lead, group, "E-1", start=date(2025, 9, 1))
        with pytest.raises(InvalidInput) as refused:
            _maternity(tenant_a, mother)
        assert refused.value.message == (
            "No Statutory Maternity Pay: employment must have started by 16 August 2025 to "
            "reach 26 weeks into the qualifying week (1 February 2026 to 7 February 2026)."
        )


def test_an_absence_overlapping_another_of_its_kind_is_refused(tenant_a):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        worker = hire(tenant_a.team_lead, group, "E-1", start=date(2025, 6, 1))
        sick = dict(kind="sickness", expected_on=None, average_weekly_earnings_minor=50000)
        _maternity(tenant_a, worker, start=date(2026, 6, 1), end=date(2026, 6, 10), **sick)
        with pytest.raises(InvalidInput) as refused:
            _maternity(tenant_a, worker, start=date(2026, 6, 10), end=date(2026, 6, 12), **sick)
        assert refused.value.message == (
            "This Statutory Sick Pay absence overlaps the one from 1 June 2026."
        )
        assert StatutoryAbsence.objects.count() == 1


def test_a_correction_is_checked_again_audited_and_refused_when_stale(tenant_a):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        mother = hire(tenant_a.team_lead, group, "E-1", start=date(2025, 6, 1))
        absence = _maternity(tenant_a, mother)
        corrected = statutory_leave.correct_absence(
            actor=tenant_a.team_lead, absence=absence, version=1, end=date(2026, 9, 30)
        )
        assert (corrected.end, corrected.version) == (date(2026, 9, 30), 2)
        assert _audits("payroll.statutory_absence.corrected") == 1
        with pytest.raises(Conflict):
            statutory_leave.correct_absence(
                actor=tenant_a.team_lead, absence=absence, version=1, end=date(2026, 9, 1)
            )
        with pytest.raises(InvalidInput):
            statutory_leave.correct_absence(
                actor=tenant_a.team_lead, absence=absence, version=2, end=date(2026, 1, 1)
            )
        corrected.refresh_from_db()
        assert corrected.end == date(2026, 9, 30)


def test_average_weekly_earnings_are_worked_out_from_finalised_pay(tenant_a):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        # given: April, May and June 2026 paid 2,500.00 each (pay days 28 April, 28 May,
        # 26 June)
        worker = hire(tenant_a.team_lead, group, "E-1")
        for period in (APRIL, MAY, JUNE):
            finalised(tenant_a, group, period)
        # when: sick from 1 July 2026
        absence = statutory_leave.record_absence(
            actor=tenant_a.team_lead, employee=worker, kind="sickness", start=date(2026, 7, 1)
        )
        # then: the relevant period ends 26 June and starts after 28 April (the last pay
        # day at least 8 weeks before): 5,000.00 x 12 / 52 / 2 = 576.923 -> 576.92
        assert absence.average_weekly_earnings_minor == 57692
        assert absence.earnings_text == (
            "Average weekly earnings £576.92: £5,000.00 paid from 29 April 2026 to "
            "26 June 2026, 2 monthly payments times 12, divided by 52."
        )
        assert not absence.is_earnings_given


def test_the_api_records_and_lists_absences_and_refuses_in_words(tenant_a, client):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        worker = hire(tenant_a.team_lead, group, "E-1", start=date(2025, 6, 1))
    client.force_login(tenant_a.team_lead)
    url = f"/api/v1/payroll/employees/{worker.pk}/absences"
    sick = {"kind": "sickness", "start": "2026-06-01", "end": "2026-06-05",
            "average_weekly_earnings_minor": 50000}  # fmt: skip
    # when: a sickness is recorded, then the same days again
    made = client.post(url, sick, content_type="application/json")
    again = client.post(url, sick, content_type="application/json")
    # then: the first is stored, the second refused with a sentence and nothing stored
    assert made.status_code == 201
    assert made.json()["kind"] == "sickness"
    assert made.json()["average_weekly_earnings_minor"] == 50000
    assert again.status_code == 422
    assert "overlaps the one from 1 June 2026" in again.content.decode()
    listed = client.get(url).json()
    assert [(row["kind"], row["start"], row["end"]) for row in listed] == [
        ("sickness", "2026-06-01", "2026-06-05")
    ]
