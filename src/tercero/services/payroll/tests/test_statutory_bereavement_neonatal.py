"""Statutory Parental Bereavement Pay and Statutory Neonatal Care Pay: who qualifies, when
they may be taken, what a run pays and what HMRC's returns carry. Worked by hand from
GOV.UK's employer guides (Statutory Parental Bereavement Pay and Leave; Statutory
Neonatal Care Pay and Leave), SI 2025/376 and the packs' flat rates (2025-26 187.18,
2026-27 194.32 a week; sources in the packs' "statutory_payments")."""

from datetime import date

import pytest
from lxml import etree

from tercero.platform.audit.models import AuditEvent
from tercero.platform.errors import InvalidInput
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import rti, statutory, statutory_leave
from tercero.services.payroll.models import PayResult, RtiEmployer, RtiPerson, StatutoryAbsence
from tercero.services.payroll.tests.factories import JUNE, MAY, finalised, hire, uk_group
from tercero.services.payroll.tests.rti_world import use_schemas

pytestmark = pytest.mark.django_db

FPS = "{http://www.govtalk.gov.uk/taxation/PAYE/RTI/FullPaymentSubmission/26-27/1}"
EPS = "{http://www.govtalk.gov.uk/taxation/PAYE/RTI/EmployerPaymentSummary/26-27/1}"
DEATH = date(2026, 6, 1)  # a Monday: the relevant week is 24 to 30 May 2026
BIRTH = date(2026, 5, 1)  # neonatal care from the same day: relevant week 19 to 25 April
FLAT_2026 = 19432


def _bereavement(tenant, employee, start, end, **overrides) -> StatutoryAbsence:
    fields = dict(
        actor=tenant.team_lead, employee=employee, kind="bereavement", start=start, end=end,
        expected_on=DEATH, average_weekly_earnings_minor=60000,
    )  # fmt: skip
    fields.update(overrides)
    return statutory_leave.record_absence(**fields)


def _neonatal(tenant, employee, start, end, **overrides) -> StatutoryAbsence:
    fields = dict(
        actor=tenant.team_lead, employee=employee, kind="neonatal_care", start=start, end=end,
        expected_on=BIRTH, care_started_on=BIRTH, weeks_available=3,
        average_weekly_earnings_minor=60000,
    )  # fmt: skip
    fields.update(overrides)
    return statutory_leave.record_absence(**fields)


def _lines(run, employee) -> dict[str, int]:
    result = PayResult.objects.get(run=run, employee=employee)
    return {code: amount for code, _name, _category, amount in result.lines}


@pytest.fixture
def families(tenant_a, settings, tmp_path):
    """E-1 bereaved on 1 June 2026, two separate weeks of bereavement pay in June; E-2's
    baby born 1 May 2026 in neonatal care for 3 weeks, paid from Sunday 17 May 2026; May
    and June 2026 paid and finalised."""
    use_schemas(settings, tmp_path)
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        RtiEmployer.objects.create(
            client=tenant_a.client, pay_group=group, tax_office_number="123",
            tax_office_reference="AB45678", accounts_office_reference="123PA00045678",
        )  # fmt: skip
        people = {}
        for number, nino in (("E-1", "AB123456C"), ("E-2", "CE234567D")):
            people[number] = hire(
                tenant_a.team_lead, group, number, start=date(2025, 6, 1), national_id=nino,
                date_of_birth="1990-02-14", address="12 High Street, Leeds, LS1 4AP",
            )  # fmt: skip
            RtiPerson.objects.create(client=tenant_a.client, employee=people[number], gender="F")
        _bereavement(tenant_a, people["E-1"], date(2026, 6, 7), date(2026, 6, 13))
        _bereavement(tenant_a, people["E-1"], date(2026, 6, 21), date(2026, 6, 27))
        _neonatal(tenant_a, people["E-2"], date(2026, 5, 17), date(2026, 6, 6))
        may = finalised(tenant_a, group, MAY)
        june = finalised(tenant_a, group, JUNE)
        yield group, people, may, june


# --- rates --------------------------------------------------------------------------


def test_spbp_and_sncp_rates_come_from_each_years_pack():
    before, after = statutory.rates("2025-26"), statutory.rates("2026-27")
    assert (before.bereavement_weekly, before.neonatal_weekly) == (18718, 18718)
    assert (after.bereavement_weekly, after.neonatal_weekly) == (19432, 19432)
    assert (after.bereavement_weeks, after.bereavement_window_weeks) == (2, 56)
    assert (after.neonatal_max_weeks, after.neonatal_window_weeks) == (12, 68)


def test_spbp_is_the_lower_of_the_flat_rate_and_90_percent_of_earnings():
    # 90 % of 600.00 is 540.00: the 2025-26 flat rate 187.18 is lower
    high = statutory.family_weekly(
        kind=statutory.BEREAVEMENT, awe_minor=60000, week_start=date(2025, 6, 1), higher=False
    )
    # 90 % of 200.00 is 180.00, lower than the flat rate
    low = statutory.family_weekly(
        kind=statutory.NEONATAL, awe_minor=20000, week_start=date(2025, 6, 1), higher=False
    )
    assert high == (
        18718,
        "the 2025-26 flat rate (lower than 90 % of average weekly earnings £600.00)",
    )
    assert low == (18000, "90 % of average weekly earnings £200.00")


# --- paid by a run ------------------------------------------------------------------


def test_spbp_two_weeks_within_56_weeks_of_death(tenant_a, families):
    _group, people, may, june = families
    with client_scope(clients=[tenant_a.client]):
        # then: nothing in May; June pays two separate weeks at the 2026-27 flat rate,
        # taxed and NICable like pay, as its own line with a sentence per week
        assert "SPBP" not in _lines(may, people["E-1"])
        lines = _lines(june, people["E-1"])
        assert lines["SPBP"] == 2 * FLAT_2026 == 38864
        result = PayResult.objects.get(run=june, employee=people["E-1"])
        assert result.gross_minor == 250000 + 38864
        assert result.basis["statutory"] == [
            "Statutory Parental Bereavement Pay week 1 (from 7 June 2026): 7 days, 7 June 2026 "
            "to 13 June 2026, at £194.32 a week (the 2026-27 flat rate (lower than 90 % of "
            "average weekly earnings £600.00)) = £194.32.",
            "Statutory Parental Bereavement Pay week 1 (from 21 June 2026): 7 days, "
            "21 June 2026 to 27 June 2026, at £194.32 a week (the 2026-27 flat rate (lower "
            "than 90 % of average weekly earnings £600.00)) = £194.32.",
        ]


def test_sncp_one_week_per_week_of_neonatal_care_split_across_two_periods(tenant_a, families):
    _group, people, may, june = families
    with client_scope(clients=[tenant_a.client]):
        # then: May (to 5 June) pays weeks 1 and 2 and 6 days of week 3 (194.32 x 6 / 7 =
        # 166.56); June pays its last day (194.32 - 166.56 = 27.76): three weeks exactly
        assert _lines(may, people["E-2"])["SNCP"] == 2 * FLAT_2026 + 16656 == 55520
        assert _lines(june, people["E-2"])["SNCP"] == 2776
        texts = PayResult.objects.get(run=may, employee=people["E-2"]).basis["statutory"]
        assert texts[2] == (
            "Statutory Neonatal Care Pay week 3 (from 31 May 2026): 6 days, 31 May 2026 to "
            "5 June 2026, at £194.32 a week (the 2026-27 flat rate (lower than 90 % of "
            "average weekly earnings £600.00)) = £166.56."
        )


def test_spbp_and_sncp_are_in_the_fps_year_to_date_and_the_eps_recovery(tenant_a, families):
    group, _people, _may, june = families
    with client_scope(clients=[tenant_a.client]):
        root = etree.fromstring(rti.fps(june).xml)
        to_date = {}
        for entry in root.iter(f"{FPS}Employee"):
            found = entry.find(f".//{FPS}FiguresToDate")
            to_date[entry.findtext(f".//{FPS}PayId")] = {
                etree.QName(e).localname: e.text for e in found
            }
        eps = etree.fromstring(rti.eps_recovery(pay_group=group, tax_year="2026-27", month=3).xml)
    # then: each payment to date under HMRC's own field names (SPBPYTD, SNCPYTD)
    assert to_date["E-1"]["SPBPYTD"] == "388.64"
    assert to_date["E-2"]["SNCPYTD"] == "582.96"
    assert "SMPYTD" not in to_date["E-1"]
    # and the EPS claims back 92 % of each: 357.5488 -> 357.55, 536.3232 -> 536.32
    section = next(eps.iter(f"{EPS}RecoverableAmountsYTD"))
    assert [(etree.QName(e).localname, e.text) for e in section] == [
        ("TaxMonth", "3"),
        ("SPBPRecovered", "357.55"),
        ("SNCPRecovered", "536.32"),
    ]


# --- refused when recorded ----------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (
            date(2027, 6, 22),
            date(2027, 6, 28),
            "Statutory Parental Bereavement Pay must be taken within 56 weeks of the death on "
            "1 June 2026: by 27 June 2027.",
        ),
        (
            date(2026, 6, 7),
            date(2026, 6, 11),
            "Statutory Parental Bereavement Pay is paid in whole weeks (one block of two weeks "
            "or two separate weeks): 7 June 2026 to 11 June 2026 is 5 days.",
        ),
        (
            date(2026, 5, 24),
            date(2026, 5, 30),
            "Statutory Parental Bereavement Pay cannot start before the child's death on "
            "1 June 2026.",
        ),
        (
            date(2026, 6, 7),
            date(2026, 6, 27),
            "Statutory Parental Bereavement Pay is 2 weeks at most for each child, as one block "
            "or two separate weeks: 0 already recorded for the death on 1 June 2026, 3 more "
            "asked.",
        ),
    ],
)
def test_spbp_outside_its_window_or_weeks_is_refused_in_a_sentence(tenant_a, start, end, message):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        parent = hire(tenant_a.team_lead, group, "E-1", start=date(2025, 6, 1))
        with pytest.raises(InvalidInput) as refused:
            _bereavement(tenant_a, parent, start, end)
        assert refused.value.message == message
        assert StatutoryAbsence.objects.count() == 0


def test_spbp_third_week_after_a_block_of_two_is_refused(tenant_a):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        parent = hire(tenant_a.team_lead, group, "E-1", start=date(2025, 6, 1))
        _bereavement(tenant_a, parent, date(2026, 6, 7), date(2026, 6, 20))
        with pytest.raises(InvalidInput) as refused:
            _bereavement(tenant_a, parent, date(2026, 9, 6), date(2026, 9, 12))
        assert refused.value.message.endswith(
            "2 already recorded for the death on 1 June 2026, 1 more asked."
        )
        assert StatutoryAbsence.objects.count() == 1


def test_spbp_needs_26_weeks_into_the_week_before_the_death(tenant_a):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        # relevant week 24 to 30 May 2026: employment must have started by 6 December 2025
        parent = hire(tenant_a.team_lead, group, "E-1", start=date(2025, 12, 7))
        with pytest.raises(InvalidInput) as refused:
            _bereavement(tenant_a, parent, date(2026, 6, 7), date(2026, 6, 13))
        assert refused.value.message == (
            "No Statutory Parental Bereavement Pay: employment must have started by "
            "6 December 2025 to reach 26 weeks into the qualifying week (24 May 2026 to "
            "30 May 2026)."
        )


def test_spbp_below_the_lower_earnings_limit_is_refused(tenant_a):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        parent = hire(tenant_a.team_lead, group, "E-1", start=date(2025, 6, 1))
        with pytest.raises(InvalidInput) as refused:
            _bereavement(
                tenant_a, parent, date(2026, 6, 7), date(2026, 6, 13),
                average_weekly_earnings_minor=12899,
            )  # fmt: skip
        assert refused.value.message == (
            "No Statutory Parental Bereavement Pay: average weekly earnings of £128.99 are "
            "below the lower earnings limit of £129.00."
        )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"start": date(2026, 6, 7), "end": date(2026, 6, 13), "weeks_available": 1,
             "previous": (date(2026, 5, 17), date(2026, 5, 23))},
            "Statutory Neonatal Care Pay is one week for each week of neonatal care: 1 week of "
            "care, 1 already recorded, 1 more asked.",
        ),
        (
            {"start": date(2027, 8, 15), "end": date(2027, 8, 21)},
            "Statutory Neonatal Care Pay must be taken within 68 weeks of the birth on "
            "1 May 2026: by 19 August 2027.",
        ),
        (
            {"expected_on": date(2025, 3, 1), "care_started_on": date(2025, 3, 1)},
            "Statutory Neonatal Care Pay is for babies born on or after 6 April 2025.",
        ),
        (
            {"care_started_on": date(2026, 6, 1)},
            "No Statutory Neonatal Care Pay: neonatal care must start within 28 days of the "
            "birth on 1 May 2026 (by 29 May 2026).",
        ),
        (
            {"weeks_available": 13},
            "Statutory Neonatal Care Pay needs the weeks of neonatal care of 7 or more "
            "continuous days, 1 to 12.",
        ),
    ],
)  # fmt: skip
def test_sncp_outside_its_weeks_or_window_is_refused_in_a_sentence(tenant_a, overrides, message):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        parent = hire(tenant_a.team_lead, group, "E-1", start=date(2025, 6, 1))
        previous = overrides.pop("previous", None)
        if previous:
            _neonatal(tenant_a, parent, *previous, weeks_available=overrides["weeks_available"])
        dates = {"start": date(2026, 5, 17), "end": date(2026, 5, 23)}
        dates.update({k: overrides.pop(k) for k in ("start", "end") if k in overrides})
        with pytest.raises(InvalidInput) as refused:
            _neonatal(tenant_a, parent, dates["start"], dates["end"], **overrides)
        assert refused.value.message == message
        assert StatutoryAbsence.objects.count() == (1 if previous else 0)


# --- the API and the page -----------------------------------------------------------


def test_the_api_records_bereavement_and_neonatal_care_and_refuses_in_words(tenant_a, client):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        parent = hire(tenant_a.team_lead, group, "E-1", start=date(2025, 6, 1))
    client.force_login(tenant_a.team_lead)
    url = f"/api/v1/payroll/employees/{parent.pk}/absences"
    neonatal = {"kind": "neonatal_care", "start": "2026-05-17", "end": "2026-05-30",
                "expected_on": "2026-05-01", "care_started_on": "2026-05-01",
                "weeks_available": 2, "average_weekly_earnings_minor": 60000}  # fmt: skip
    made = client.post(url, neonatal, content_type="application/json")
    too_long = client.post(
        url, {**neonatal, "start": "2026-06-07", "end": "2026-06-13"},
        content_type="application/json",
    )  # fmt: skip
    assert made.status_code == 201
    assert (made.json()["kind"], made.json()["care_started_on"]) == ("neonatal_care", "2026-05-01")
    assert too_long.status_code == 422
    assert "2 weeks of care, 2 already recorded, 1 more asked" in too_long.content.decode()
    with client_scope(clients=[tenant_a.client]):
        recorded = AuditEvent.objects.filter(action="payroll.statutory_absence.recorded")
        assert recorded.count() == 1
    page = client.get(f"/payroll/employees/{parent.pk}/").content.decode()
    assert "Neonatal care" in page
    assert "£388.64" in page  # two weeks at 194.32
