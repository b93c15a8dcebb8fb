"""The limits on when statutory pay is due, refused with a sentence when recorded: the
three-year limit on a linked series of sickness (SSCBA 1992 s. 153(6)(b)), the earliest
start of maternity pay (the 11th week before the expected week of childbirth, or the day
after an earlier birth: SMP (General) Regulations 1986 reg. 2) and of adoption pay (14
days before the placement), and paternity pay's 52 weeks from the birth or placement
(from 6 April 2024). Sources: statutory_rules.py's docstring."""

import shutil
from datetime import date, timedelta

import pytest

from tercero.platform.errors import InvalidInput
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import gb, statutory, statutory_leave, statutory_limits
from tercero.services.payroll.models import StatutoryAbsence
from tercero.services.payroll.tests.factories import hire, uk_group

pytestmark = pytest.mark.django_db

SERIES_START = date(2026, 4, 6)  # a Monday
MONDAYS = frozenset({0})


@pytest.fixture
def later_years(tmp_path, monkeypatch):
    """Stand-in packs for 2027-28 to 2029-30 (GOV.UK has not published them): the 2026-27
    figures under those years, so a series can run three years on the real routines."""
    for name in ("gb-2025-26.json", "gb-2026-27.json"):
        shutil.copy(gb.PACKS / name, tmp_path / name)
    for year in ("2027-28", "2028-29", "2029-30"):
        shutil.copy(gb.PACKS / "gb-2026-27.json", tmp_path / f"gb-{year}.json")
    monkeypatch.setattr(gb, "PACKS", tmp_path)
    _forget_packs()
    yield
    _forget_packs()  # the stand-ins never outlive the test


def _forget_packs() -> None:
    gb.pack.cache_clear()
    statutory.rates.cache_clear()


def _spells() -> list[statutory.Spell]:
    """A day's sickness every 8 weeks from Monday 6 April 2026 (each 55 days after the
    last: linked), then Monday 2 April and Monday 9 April 2029."""
    days = [SERIES_START + timedelta(weeks=8 * k) for k in range(20)]
    days += [date(2029, 4, 2), date(2029, 4, 9)]
    return [statutory.Spell(day, day) for day in days]


def test_ssp_ends_when_a_linked_series_passes_three_years(later_years):
    # when: SSP is worked out over the series, Mondays its only qualifying days
    paid = list(statutory.sick_days(spells=_spells(), awe_minor=60000, qualifying_weekdays=MONDAYS))
    # then: one series (each gap is 8 weeks or less); 21 days paid, well inside 28 weeks,
    # and nothing from 6 April 2029, three years after its first day
    assert len(statutory.linked_series(_spells())) == 1
    assert statutory.series_ends(SERIES_START) == date(2029, 4, 6)
    assert len(paid) == 21
    assert paid[-1].day == date(2029, 4, 2)


def test_sickness_in_a_series_older_than_three_years_is_refused_when_recorded(
    tenant_a, later_years
):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        worker = hire(tenant_a.team_lead, group, "E-1", start=date(2025, 6, 1))
        for spell in _spells()[:-1]:
            statutory_leave.record_absence(
                actor=tenant_a.team_lead, employee=worker, kind="sickness", start=spell.start,
                end=spell.end, average_weekly_earnings_minor=60000, qualifying_days="0",
            )  # fmt: skip
        with pytest.raises(InvalidInput) as refused:
            statutory_leave.record_absence(
                actor=tenant_a.team_lead, employee=worker, kind="sickness",
                start=date(2029, 4, 9), end=date(2029, 4, 9), average_weekly_earnings_minor=60000,
            )  # fmt: skip
        assert refused.value.message == (
            "No Statutory Sick Pay: this sickness links to a series of linked periods of "
            "sickness that began on 6 April 2026 and passed three years on 6 April 2029."
        )
        assert StatutoryAbsence.objects.count() == 21


def _record(tenant, employee, **fields) -> StatutoryAbsence:
    return statutory_leave.record_absence(
        actor=tenant.team_lead, employee=employee, average_weekly_earnings_minor=60000, **fields
    )


def test_maternity_pay_before_the_11th_week_before_childbirth_is_refused(tenant_a):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        mother = hire(tenant_a.team_lead, group, "E-1", start=date(2025, 6, 1))
        # given: due Sunday 17 May 2026; the 11th week before starts Sunday 1 March 2026
        with pytest.raises(InvalidInput) as refused:
            _record(
                tenant_a, mother, kind="maternity", start=date(2026, 2, 22),
                expected_on=date(2026, 5, 17),
            )  # fmt: skip
        assert refused.value.message == (
            "Statutory Maternity Pay cannot start before 1 March 2026: the 11th week before "
            "the expected week of childbirth (due 17 May 2026), unless the baby is born "
            "earlier (give the date of birth)."
        )
        # and: from 1 March 2026 it is recorded
        made = _record(
            tenant_a, mother, kind="maternity", start=date(2026, 3, 1),
            expected_on=date(2026, 5, 17),
        )  # fmt: skip
        assert made.start == date(2026, 3, 1)


def test_maternity_pay_starts_the_day_after_an_early_birth(tenant_a):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        mother = hire(tenant_a.team_lead, group, "E-1", start=date(2025, 6, 1))
        # given: due 17 May 2026, born early on 20 February 2026
        made = _record(
            tenant_a, mother, kind="maternity", start=date(2026, 2, 21),
            expected_on=date(2026, 5, 17), child_arrived_on=date(2026, 2, 20),
        )  # fmt: skip
        assert (made.start, made.child_arrived_on) == (date(2026, 2, 21), date(2026, 2, 20))


def test_adoption_pay_more_than_14_days_before_the_placement_is_refused(tenant_a):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        adopter = hire(tenant_a.team_lead, group, "E-1", start=date(2025, 6, 1))
        with pytest.raises(InvalidInput) as refused:
            _record(
                tenant_a, adopter, kind="adoption", start=date(2026, 5, 10),
                expected_on=date(2026, 5, 4), child_arrived_on=date(2026, 6, 1),
            )  # fmt: skip
        assert refused.value.message == (
            "Statutory Adoption Pay cannot start before 18 May 2026: 14 days before the "
            "placement on 1 June 2026."
        )
        assert StatutoryAbsence.objects.count() == 0


def test_paternity_pay_after_52_weeks_from_the_birth_is_refused(tenant_a):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        father = hire(tenant_a.team_lead, group, "E-1", start=date(2024, 6, 1))
        # given: born on the due date, Thursday 1 May 2025: the 52 weeks end 29 April 2026
        with pytest.raises(InvalidInput) as refused:
            _record(
                tenant_a, father, kind="paternity", start=date(2026, 4, 26),
                expected_on=date(2025, 5, 1), child_arrived_on=date(2025, 5, 1),
            )  # fmt: skip
        assert refused.value.message == (
            "Statutory Paternity Pay must be taken within 52 weeks of the birth or placement "
            "(1 May 2025): by 29 April 2026; this leave ends 9 May 2026."
        )
        assert StatutoryAbsence.objects.count() == 0


def test_paternity_window_counts_an_early_birth_from_the_expected_week():
    # born 10 April 2026, due 3 May 2026 (its week starts Sunday 3 May): the 52 weeks
    # count from 3 May, so leave ending 1 May 2027 is in time
    leave = statutory_limits.Leave(
        kind="paternity", start=date(2027, 4, 18), end=date(2027, 5, 1),
        expected_on=date(2026, 5, 3), child_arrived_on=date(2026, 4, 10),
    )  # fmt: skip
    assert statutory_limits.refusal(leave) == ""
