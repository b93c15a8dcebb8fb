"""Properties of the statutory payment arithmetic, over generated earnings and dates."""

from datetime import date, timedelta
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from tercero.services.payroll import holiday_pay, statutory
from tercero.services.payroll.statutory import Spell

earnings = st.integers(min_value=0, max_value=500_000)
starts = st.dates(min_value=date(2025, 4, 6), max_value=date(2026, 1, 31))
weekdays = st.frozensets(st.integers(min_value=0, max_value=6), min_size=1)


@settings(max_examples=60, deadline=None)
@given(awe=earnings, start=starts, kind=st.sampled_from([statutory.MATERNITY, statutory.ADOPTION]))
def test_maternity_total_never_exceeds_six_weeks_at_90_percent_and_33_at_the_flat_rate(
    awe, start, kind
):
    days = list(statutory.family_days(kind=kind, start=start, end=None, awe_minor=awe))
    ninety = statutory.percent_of_minor(awe, statutory.rates("2025-26").family_percent)
    highest_flat = max(statutory.rates(y).family_weekly for y in ("2025-26", "2026-27"))
    total = sum(paid.amount_minor for paid in days)
    assert len(days) == 39 * 7
    assert 0 <= total <= 6 * ninety + 33 * min(ninety, highest_flat)


@settings(max_examples=200, deadline=None)
@given(weekly=st.integers(min_value=0, max_value=10**7), of=st.integers(1, 7), data=st.data())
def test_days_of_a_week_sum_to_the_weekly_amount_however_the_week_is_split(weekly, of, data):
    cut = data.draw(st.integers(min_value=0, max_value=of))
    first = sum(statutory._day_amount(weekly, i, of) for i in range(cut))
    second = sum(statutory._day_amount(weekly, i, of) for i in range(cut, of))
    assert first + second == weekly
    assert first == statutory.share_minor(weekly, cut, of)


@settings(max_examples=60, deadline=None)
@given(awe=earnings, start=starts, cut=st.integers(min_value=1, max_value=272))
def test_two_pay_periods_pay_what_the_whole_entitlement_pays(awe, start, cut):
    days = list(
        statutory.family_days(kind=statutory.MATERNITY, start=start, end=None, awe_minor=awe)
    )
    boundary = start + timedelta(days=cut)
    parts = [
        statutory.lines_in(days, kind=statutory.MATERNITY, period_start=a, period_end=b)
        for a, b in ((start, boundary - timedelta(days=1)), (boundary, date(2027, 12, 31)))
    ]
    assert sum(line.amount_minor for part in parts for line in part) == sum(
        paid.amount_minor for paid in days
    )


@settings(max_examples=80, deadline=None)
@given(
    # within the tax years the packs have rates for (spells and gaps of up to 60 days)
    start=st.dates(min_value=date(2025, 4, 6), max_value=date(2025, 12, 1)),
    lengths=st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=4),
    gaps=st.lists(st.integers(min_value=1, max_value=60), min_size=4, max_size=4),
    awe=earnings,
    qualifying=weekdays,
)
def test_ssp_never_pays_more_than_28_weeks_in_a_linked_series(
    start, lengths, gaps, awe, qualifying
):
    spells, day = [], start
    for length, gap in zip(lengths, gaps, strict=False):
        spells.append(Spell(day, day + timedelta(days=length - 1)))
        day += timedelta(days=length + gap)
    days = list(statutory.sick_days(spells=spells, awe_minor=awe, qualifying_weekdays=qualifying))
    weeks = sum((Fraction(1, len(qualifying)) for _ in days), Fraction(0))
    series = statutory.linked_series(spells)
    assert weeks <= 28 * len(series)
    assert all(paid.day.weekday() in qualifying for paid in days)
    highest = max(statutory.rates(y).sick_weekly for y in ("2025-26", "2026-27"))
    assert sum(paid.amount_minor for paid in days) <= 28 * highest * len(series)


@settings(max_examples=60, deadline=None)
@given(pays=st.lists(st.integers(min_value=0, max_value=200_000), min_size=1, max_size=120))
def test_a_weeks_holiday_pay_lies_between_the_lowest_and_highest_paid_week(pays):
    holiday = date(2026, 6, 1)
    weeks = [(holiday - timedelta(weeks=i + 1), pay) for i, pay in enumerate(pays)]
    found = holiday_pay.week_pay(weeks=weeks, holiday_starts=holiday)
    counted = [pay for _ended, pay in weeks[:104] if pay > 0][:52]
    assert found.weeks_counted == len(counted)
    if counted:
        assert min(counted) <= found.weekly_minor <= max(counted)
    else:
        assert found.weekly_minor == 0
