"""Pay groups and their pay calendars: periods by frequency, pay dates moved off weekends
and public holidays, regular runs held to the calendar, settings changed with checks,
the same through the API and the runs page."""

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tercero.delivery.engagements.models import Engagement
from tercero.delivery.work.tests.conftest import live_engagement, make_queue
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import groups, paydates, runs
from tercero.services.payroll.models import PayGroup, PayRun
from tercero.services.payroll.tests.factories import finalised, hire

JSON = "application/json"


@pytest.fixture
def engagement(tenant_a):
    found = live_engagement(
        tenant_a.client,
        name="Payroll UK",
        service_line="payroll",
        holiday_country="GB",
        holiday_subdivision="ENG",
    )
    make_queue(found, name="Pay runs", work_types=["payroll.run"])
    with client_scope(clients=[tenant_a.client]):
        yield found


def _monthly(engagement, **overrides) -> PayGroup:
    fields = dict(
        name="UK monthly",
        frequency="monthly",
        currency="GBP",
        period_anchor=date(2026, 4, 6),
        pay_rule="day_of_month",
        pay_day=28,
    )
    fields.update(overrides)
    return groups.create_pay_group(actor=None, engagement=engagement, **fields)


def test_a_uk_monthly_calendar_pays_on_the_28th_or_the_business_day_before(engagement):
    # protects: pay dates that a bank can actually pay on
    group = _monthly(engagement)
    year = paydates.periods(group, after=date(2026, 4, 6), count=12)
    assert [(p.start, p.end) for p in year[:2]] == [
        (date(2026, 4, 6), date(2026, 5, 5)),
        (date(2026, 5, 6), date(2026, 6, 5)),
    ]
    assert year[-1].end == date(2027, 4, 5)
    paid = {p.start.month: p.pay_date for p in year}
    assert paid[4] == date(2026, 4, 28)  # a Tuesday
    assert paid[11] == date(2026, 11, 27)  # the 28th is a Saturday
    # the 28th is the substitute Boxing Day bank holiday in England; the 25th is
    # Christmas Day, so the Thursday before
    assert paid[12] == date(2026, 12, 24)
    assert paid[2] == date(2027, 2, 26)  # the 28th is a Sunday


def test_weekly_and_twice_monthly_calendars(engagement):
    # protects: the periods other pay groups run on
    weekly = _monthly(
        engagement,
        name="UK weekly",
        frequency="weekly",
        period_anchor=date(2026, 4, 6),
        pay_rule="offset",
        pay_offset_days=-2,
    )
    weeks = paydates.periods(weekly, after=date(2026, 4, 20), count=3)
    assert [(p.start, p.end, p.pay_date) for p in weeks] == [
        (date(2026, 4, 20), date(2026, 4, 26), date(2026, 4, 24)),
        (date(2026, 4, 27), date(2026, 5, 3), date(2026, 5, 1)),
        (date(2026, 5, 4), date(2026, 5, 10), date(2026, 5, 8)),
    ]
    twice = groups.create_pay_group(
        actor=None,
        engagement=engagement,
        name="US twice a month",
        frequency="semimonthly",
        currency="USD",
        jurisdiction="US",
        period_anchor=date(2027, 1, 1),
        pay_rule="offset",
        pay_offset_days=0,
    )
    halves = paydates.periods(twice, after=date(2027, 2, 3), count=2)
    assert [(p.start, p.end) for p in halves] == [
        (date(2027, 2, 1), date(2027, 2, 15)),
        (date(2027, 2, 16), date(2027, 2, 28)),
    ]
    assert halves[1].pay_date == date(2027, 2, 26)  # the 28th is a Sunday


@given(
    frequency=st.sampled_from(["weekly", "biweekly", "semimonthly", "monthly"]),
    anchor=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    offset=st.integers(min_value=-31, max_value=31),
    after=st.dates(min_value=date(2020, 1, 1), max_value=date(2036, 12, 31)),
)
@settings(max_examples=200, deadline=None)
def test_a_calendar_covers_every_day_once_and_pays_on_business_days(
    frequency, anchor, offset, after
):
    # protects: no day paid twice or never, whatever the calendar
    if frequency == "monthly":
        anchor = anchor.replace(day=min(anchor.day, 28))
    if frequency == "semimonthly":
        anchor = anchor.replace(day=1 if anchor.day < 16 else 16)
    group = PayGroup(
        frequency=frequency, period_anchor=anchor, pay_rule="offset", pay_offset_days=offset
    )
    group.engagement = Engagement(holiday_country="")
    found = paydates.periods(group, after=after, count=8)
    assert found[0].start <= after <= found[0].end
    for before, following in itertools.pairwise(found):
        assert following.start == before.end + timedelta(days=1)
    for period in found:
        assert period.start <= period.end
        assert period.pay_date.weekday() < 5
        assert period.pay_date <= period.end + timedelta(days=offset)
        assert (period.end + timedelta(days=offset) - period.pay_date).days <= 2


def test_regular_runs_follow_the_calendar_off_cycle_runs_need_not(tenant_a, engagement):
    # protects: a regular run for the wrong dates (a period paid twice or skipped)
    group = _monthly(engagement)
    hire(tenant_a.team_lead, group, "E-1")
    with pytest.raises(InvalidInput, match="06 May 2026 to 05 Jun 2026, paid 28 May 2026"):
        runs.create_run(
            actor=tenant_a.team_lead,
            pay_group=group,
            period_start=date(2026, 5, 6),
            period_end=date(2026, 6, 5),
            pay_date=date(2026, 5, 29),
        )
    regular = runs.create_run(
        actor=tenant_a.team_lead,
        pay_group=group,
        period_start=date(2026, 4, 6),
        period_end=date(2026, 5, 5),
        pay_date=date(2026, 4, 28),
    )
    assert regular.period == 1
    assert groups.next_period(group).start == date(2026, 5, 6)
    bonus = runs.create_run(
        actor=tenant_a.team_lead,
        pay_group=group,
        kind="off_cycle",
        period_start=date(2026, 4, 6),
        period_end=date(2026, 5, 5),
        pay_date=date(2026, 4, 30),
    )
    assert bonus.kind == PayRun.Kind.OFF_CYCLE


def test_settings_are_checked_and_fixed_once_a_run_exists(tenant_a, engagement):
    # protects: a pay group changed under its runs, or a bank file to a bad account
    group = _monthly(engagement)
    with pytest.raises(InvalidInput, match="IBAN"):
        groups.update_pay_group(
            actor=None, group=group, version=group.version, changes={"payer_iban": "GB00 1234"}
        )
    with pytest.raises(InvalidInput, match="day 1 to 28"):
        groups.update_pay_group(
            actor=None,
            group=group,
            version=group.version,
            changes={"period_anchor": date(2026, 4, 30)},
        )
    with pytest.raises(InvalidInput, match="fortnightly, four-weekly, monthly or annually"):
        _monthly(
            engagement,
            name="UK twice a month",
            frequency="semimonthly",
            period_anchor=date(2026, 4, 16),
        )
    saved = groups.update_pay_group(
        actor=None,
        group=group,
        version=group.version,
        changes={"payer_iban": "gb82 west 1234 5698 7654 32", "payer_bic": "westgb2l"},
    )
    assert saved.payer_iban == "GB82WEST12345698765432"
    assert saved.payer_bic == "WESTGB2L"
    with pytest.raises(Conflict):
        groups.update_pay_group(actor=None, group=saved, version=1, changes={"name": "Old"})
    hire(tenant_a.team_lead, group, "E-1")
    runs.create_run(
        actor=tenant_a.team_lead,
        pay_group=saved,
        period_start=date(2026, 4, 6),
        period_end=date(2026, 5, 5),
        pay_date=date(2026, 4, 28),
    )
    with pytest.raises(Conflict, match="has runs"):
        groups.update_pay_group(
            actor=None, group=saved, version=saved.version, changes={"frequency": "weekly"}
        )
    with pytest.raises(Conflict, match="exists"):
        _monthly(engagement)


def test_the_api_and_the_runs_page_create_the_next_run_by_the_calendar(
    client, tenant_a, engagement
):
    # protects: the payroll team starting the right period without typing dates
    client.force_login(tenant_a.team_lead)
    made = client.post(
        "/api/v1/payroll/pay-groups",
        {
            "engagement_id": engagement.pk,
            "name": "UK monthly",
            "frequency": "monthly",
            "currency": "GBP",
            "period_anchor": "2026-04-06",
            "pay_rule": "day_of_month",
            "pay_day": 28,
        },
        content_type=JSON,
    )
    assert made.status_code == 201
    body = made.json()
    assert body["rules"][0]["code"] == "BASIC"
    calendar = client.get(
        f"/api/v1/payroll/pay-groups/{body['id']}/calendar",
        {"after": "2026-04-06", "count": 3},
    ).json()
    assert [p["pay_date"] for p in calendar] == ["2026-04-28", "2026-05-28", "2026-06-26"]
    stale = client.patch(
        f"/api/v1/payroll/pay-groups/{body['id']}",
        {"version": 99, "changes": {"pay_day": 25}},
        content_type=JSON,
    )
    assert stale.status_code == 409
    bad = client.patch(
        f"/api/v1/payroll/pay-groups/{body['id']}",
        {"version": body["version"], "changes": {"rules": [{"code": "X", "kind": "?"}]}},
        content_type=JSON,
    )
    assert bad.status_code == 422

    group = PayGroup.objects.get(pk=body["id"])
    hire(tenant_a.team_lead, group, "E-1")
    runs.create_run(
        actor=tenant_a.team_lead,
        pay_group=group,
        period_start=date(2026, 4, 6),
        period_end=date(2026, 5, 5),
        pay_date=date(2026, 4, 28),
    )
    page = client.get("/payroll/runs/").content.decode()
    assert "Next runs by the pay calendar" in page
    assert "06 May 2026 to 05 Jun 2026" in page
    created = client.post(
        "/payroll/runs/new/",
        {
            "pay_group": group.pk,
            "period_start": "2026-05-06",
            "period_end": "2026-06-05",
            "pay_date": "2026-05-28",
            "kind": "regular",
        },
    )
    assert created.status_code == 302
    assert PayRun.objects.filter(pay_group=group, period=2, kind="regular").exists()
    assert "06 Jun 2026 to 05 Jul 2026" in client.get("/payroll/runs/").content.decode()
    group_page = client.get(f"/payroll/groups/{group.pk}/").content.decode()
    assert "Fri 26 Jun 2026" in group_page


def test_a_uk_fortnightly_group_is_taxed_on_the_week_of_each_pay_day(tenant_a, engagement):
    # protects: UK fortnightly payrolls, from the calendar to the payslip lines
    group = _monthly(
        engagement,
        name="UK fortnightly",
        frequency="biweekly",
        pay_rule="offset",
        pay_offset_days=0,
    )
    first, second = paydates.periods(group, after=date(2026, 4, 6), count=2)
    # 19 April 2026 is a Sunday: paid Friday the 17th, tax week 2; then Friday 1 May, week 4
    assert (first.start, first.end, first.pay_date) == (
        date(2026, 4, 6),
        date(2026, 4, 19),
        date(2026, 4, 17),
    )
    assert second.pay_date == date(2026, 5, 1)
    hire(tenant_a.team_lead, group, "E-1", salary="52000.00")  # 2,000.00 a fortnight
    paid = []
    for period in (first, second):
        dates = dict(period_start=period.start, period_end=period.end, pay_date=period.pay_date)
        run = finalised(tenant_a, group, dates)
        lines = {code: amount for code, _n, _c, amount in run.results.get().lines}
        paid.append((lines["BASIC"], lines["PAYE"], lines["NI"], lines["ER_NI"]))
    # week 2 and week 4 on the weekly tables (see test_gb_paye for the arithmetic):
    # each fortnight 2,000.00 gross, PAYE 316.40, NI 117.32, employer NI 271.05 (above
    # HMRC's fortnightly secondary threshold of 193, not 2 x 96)
    assert paid == [(200000, 31640, 11732, 27105)] * 2
