"""The National Minimum Wage check in the variance review (issue 18): pay per hour
below the rate for the worker's age band, from the 2026-27 pack (GOV.UK, National
Minimum Wage and National Living Wage rates from 1 April 2026: 21 and over 12.71;
18 to 20 10.85; under 18 8.00), flagged in words and holding nobody else's pay."""

import math
from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tercero.delivery.work import services as work
from tercero.delivery.work.tests.conftest import make_agent, make_queue
from tercero.platform.errors import InvalidInput
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import gb, hr_events, minimum_wage, outputs, runs, selectors, services
from tercero.services.payroll.models import PayResult
from tercero.services.payroll.tests.factories import APRIL, calculated, hire, uk_group

RATES = gb.pack("2026-27")


def _gbp(minor: int) -> str:
    return outputs.amount_text(minor, "GBP")


def test_the_band_follows_the_age_at_the_start_of_the_period():
    # GOV.UK: the rate for the worker's age at the start of the pay reference period
    assert [
        (band.wage, band.ages, band.rate_minor)
        for band in (minimum_wage.band_for(RATES, age) for age in (16, 17, 18, 20, 21, 60))
    ] == [
        ("National Minimum Wage", "under 18", 800),
        ("National Minimum Wage", "under 18", 800),
        ("National Minimum Wage", "18 to 20", 1085),
        ("National Minimum Wage", "18 to 20", 1085),
        ("National Living Wage", "21 and over", 1271),
        ("National Living Wage", "21 and over", 1271),
    ]
    assert minimum_wage.band_for(RATES, None).rate_minor == 1271
    # a 21st birthday on the period's first day counts; the day after does not
    assert minimum_wage.age_on(date(2005, 4, 6), APRIL["period_start"]) == 21
    assert minimum_wage.age_on(date(2005, 4, 7), APRIL["period_start"]) == 20


def test_a_salary_is_divided_by_its_contracted_hours_a_year():
    # 22,000.00 a year over 37.5 hours x 52 weeks = 1,950 hours: 11.2820... an hour
    hourly = minimum_wage.pay_per_hour(
        annual_salary_minor=2_200_000, hourly_rate_minor=None, contracted_seconds_per_week=135_000
    )
    assert hourly == Fraction(2_200_000, 1950)
    low = minimum_wage.shortfall(rates=RATES, hourly=hourly, age=30)
    assert minimum_wage.sentence(low.as_basis(), amount_text=_gbp) == (
        "Paid £11.28 an hour, below the National Living Wage of £12.71 for 21 and over"
    )
    # a salary without contracted hours is not checked
    assert (
        minimum_wage.pay_per_hour(
            annual_salary_minor=2_200_000, hourly_rate_minor=None, contracted_seconds_per_week=None
        )
        is None
    )


@given(
    age=st.integers(min_value=15, max_value=70),
    seconds=st.integers(min_value=1, max_value=4_666).map(lambda n: n * 36),  # to 46.66 h
    step=st.integers(min_value=-3, max_value=3),
)
def test_a_salary_is_flagged_exactly_when_it_is_below_the_rate_times_the_hours(age, seconds, step):
    # given a salary a few pence either side of the band's rate for the contracted hours
    band = minimum_wage.band_for(RATES, age)
    boundary = Fraction(band.rate_minor * seconds * 52, 3600)  # pence a year, exactly
    salary = math.ceil(boundary) + step
    # when it is checked
    hourly = minimum_wage.pay_per_hour(
        annual_salary_minor=salary, hourly_rate_minor=None, contracted_seconds_per_week=seconds
    )
    low = minimum_wage.shortfall(rates=RATES, hourly=hourly, age=age)
    # then it is flagged if and only if it is below, and never shown as the rate itself
    assert (low is not None) == (salary < boundary)
    if low is not None:
        assert low.hourly_minor < band.rate_minor
        assert low.band == band


@given(
    age=st.integers(min_value=15, max_value=70),
    rate=st.integers(min_value=700, max_value=1400),
)
def test_an_hourly_rate_is_flagged_exactly_when_it_is_below_the_band(age, rate):
    band = minimum_wage.band_for(RATES, age)
    low = minimum_wage.shortfall(
        rates=RATES,
        hourly=minimum_wage.pay_per_hour(
            annual_salary_minor=None, hourly_rate_minor=rate, contracted_seconds_per_week=None
        ),
        age=age,
    )
    assert (low is not None) == (rate < band.rate_minor)
    if low is not None:
        assert low.as_basis()["hourly_minor"] == rate


def test_the_review_flags_pay_below_the_minimum_wage_in_words_and_holds_no_one_else(
    tenant_a, client
):
    # given a UK monthly group: a 26-year-old at 11.02 an hour, a 19-year-old at 10.85
    # (their band's rate exactly), a salaried 30-year-old on 22,000 for 37.5 hours, the
    # same salary with no hours recorded, and an hourly worker with no date of birth
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        people = [
            ("M-1", dict(salary=None, hourly_rate="11.02", date_of_birth="2000-01-01")),
            ("M-2", dict(salary=None, hourly_rate="10.85", date_of_birth="2006-06-01")),
            ("M-3", dict(salary="22000", contracted_hours="37.5", date_of_birth="1996-02-02")),
            ("M-4", dict(salary="22000", date_of_birth="1996-02-02")),
            ("M-5", dict(salary=None, hourly_rate="12.00")),
        ]
        for number, fields in people:
            hire(tenant_a.team_lead, group, number, **fields)
        # when the run is calculated
        run = calculated(tenant_a.team_lead, group)
        flags = dict(
            PayResult.objects.filter(run=run).values_list("employee__employee_number", "flags")
        )
        # then the three below their band are flagged, the others not, and the run goes on
        assert flags == {
            "M-1": ["below_minimum_wage"],
            "M-2": [],
            "M-3": ["below_minimum_wage"],
            "M-4": [],
            "M-5": ["below_minimum_wage"],
        }
        assert run.employees_done == 5
        runs.submit(actor=tenant_a.team_lead, run=run, version=run.version)
    # and the review says why, in words, on the API and the run page
    client.force_login(tenant_a.team_lead)
    results = client.get(f"/api/v1/payroll/runs/{run.pk}/results").json()
    notes = {row["employee_number"]: row["notes"] for row in results}
    assert notes["M-1"] == [
        "Paid £11.02 an hour, below the National Living Wage of £12.71 for 21 and over."
    ]
    assert notes["M-3"] == [
        "Paid £11.28 an hour, below the National Living Wage of £12.71 for 21 and over."
    ]
    assert notes["M-5"] == [
        "Paid £12.00 an hour, below the National Living Wage of £12.71 for 21 and over (no "
        "date of birth recorded: checked against the highest rate)."
    ]
    assert notes["M-2"] == []
    page = client.get(f"/payroll/runs/{run.pk}/", {"flag": "below_minimum_wage"})
    text = page.content.decode()
    assert "below the minimum wage (3)</a>" in text
    assert "Paid £11.02 an hour, below the National Living Wage of £12.71 for 21 and over." in text


def test_contracted_hours_are_recorded_changed_and_shown(tenant_a, client):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        employee = hire(tenant_a.team_lead, group, "H-1", contracted_hours="37.5")
        services.change_employment(
            actor=tenant_a.team_lead,
            employee=employee,
            effective=date(2026, 5, 1),
            contracted_hours="40",
        )
        services.change_employment(
            actor=tenant_a.team_lead,
            employee=employee,
            effective=date(2026, 6, 1),
            annual_salary="31000",
        )
        # nonsense is refused in words, naming the field
        for wrong in ("0", "169", "37.555", "lots"):
            with pytest.raises(InvalidInput) as refused:
                services.change_employment(
                    actor=tenant_a.team_lead,
                    employee=employee,
                    effective=date(2026, 7, 1),
                    contracted_hours=wrong,
                )
            assert refused.value.fields == {"contracted_hours": "hours a week, 0.01 to 168"}
    client.force_login(tenant_a.team_lead)
    rows = client.get(f"/api/v1/payroll/employees/{employee.pk}/employments").json()
    # the hours carry over a change that does not name them
    assert [row["contracted_hours_per_week"] for row in rows] == ["37.5", "40", "40"]
    page = client.get(f"/payroll/employees/{employee.pk}/").content.decode()
    assert '<td data-label="Hours a week">37.5</td>' in page


def test_an_hr_change_records_contracted_hours_and_a_second_person_sees_them_match(tenant_a):
    # given a salaried employee and an HR desk
    group = uk_group(tenant_a.client)
    queue = make_queue(group.engagement, name="HR changes", work_types=["payroll.hr_event"])
    agent = make_agent(group.engagement, skills={"hr": 3})
    with client_scope(clients=[tenant_a.client]):
        employee = hire(tenant_a.team_lead, group, "C-1", salary="26000")
        asked = {
            "event": "change",
            "employee_number": "C-1",
            "effective": "2026-07-01",
            "contracted_hours": "37.5",
        }
        # a request with hours that are not hours is refused when it is made
        with pytest.raises(InvalidInput):
            work.submit_item(
                actor=tenant_a.client_user,
                queue=queue,
                work_type="payroll.hr_event",
                payload={**asked, "contracted_hours": "37.555"},
            )
        # when the client asks for 37.5 hours a week and the agent applies it
        item = work.submit_item(
            actor=tenant_a.client_user, queue=queue, work_type="payroll.hr_event", payload=asked
        )
        item = work.assign(actor=tenant_a.team_lead, item=item, agent=agent)
        item = work.transition(actor=agent.user, item=item, action="start")
        hr_events.apply(actor=agent.user, item=item)
        # then the row from 1 July holds them, and the checker's comparison matches
        after = selectors.employment_on(employee=employee, day=date(2026, 7, 1))
        assert after.contracted_seconds_per_week == 135_000
        assert after.annual_salary_minor == 2_600_000
        compared = [
            (row["label"], row["matches"])
            for row in hr_events.comparison(item, hr_events.event_of(item))
            if row["label"] == "Contracted hours a week"
        ]
        assert compared == [("Contracted hours a week", True)]
