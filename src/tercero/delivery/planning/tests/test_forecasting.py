"""Forecasts: accuracy arithmetic, the baselines, model choice, special days, DST, short history."""

import time as clock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tercero.delivery.planning.forecasting import (
    MODELS,
    Accuracy,
    Series,
    accuracy,
    forecast,
)
from tercero.delivery.planning.forecasting_calendar import intervals_in_day, slots_from
from tercero.platform.errors import InvalidInput

LONDON = "Europe/London"


def weekly_series(
    first: date, *, weeks: int, step: int, pattern, time_zone=LONDON, hour: int = 0
) -> Series:
    """A series from `hour` on day `first`, whose value depends only on weekday and time."""
    zone_start = datetime.combine(first, time(hour), tzinfo=ZoneInfo(time_zone))
    count = 0
    end = zone_start.astimezone(UTC) + timedelta(days=7 * weeks)
    while zone_start.astimezone(UTC) + timedelta(minutes=step * count) < end:
        count += 1
    slots = slots_from(zone_start, count=count, step_minutes=step, time_zone=time_zone)
    values = tuple(float(pattern(slot.day.weekday(), slot.minute)) for slot in slots)
    return Series(zone_start, step, values, time_zone)


def office_hours(weekday: int, minute: int) -> float:
    if weekday >= 5 or not 8 * 60 <= minute < 18 * 60:
        return 0.0
    return 10.0 + weekday * 3 + (minute // 60) % 4


def test_accuracy_matches_a_hand_worked_example():
    # given actual 10, 20, 30 (total 60) against forecast 12, 18, 33 (total 63)
    # when
    score = accuracy([10, 20, 30], [12, 18, 33])
    # then |2| + |2| + |3| = 7 -> 7/60 ; bias (63 - 60) / 60 = 0.05
    assert score.wape == pytest.approx(7 / 60)
    assert score.bias == pytest.approx(0.05)


def test_accuracy_of_a_quiet_week_never_divides_by_zero():
    assert accuracy([0, 0], [0, 0]) == Accuracy(0.0, 0.0)
    assert accuracy([0, 0], [1, 0]) == Accuracy(1.0, 1.0)


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=50))
def test_a_perfect_forecast_has_zero_wape_and_bias(values):
    score = accuracy(values, values)
    assert score.wape == 0
    assert score.bias == 0


@given(
    offset_days=st.integers(min_value=0, max_value=365),
    hour=st.integers(min_value=0, max_value=23),
    step=st.sampled_from([15, 30]),
    zone=st.sampled_from([LONDON, "America/New_York", "Asia/Kolkata", "Australia/Sydney"]),
)
@settings(max_examples=15, deadline=None)
def test_seasonal_naive_is_exact_on_a_weekly_series_across_dst(offset_days, hour, step, zone):
    # given three weeks of a purely weekly pattern starting any day of the year
    first = date(2025, 1, 1) + timedelta(days=offset_days)
    series = weekly_series(
        first, weeks=3, step=step, pattern=office_hours, time_zone=zone, hour=hour
    )
    # when the next week is forecast by "same time last week"
    result = forecast(series, horizon=7 * 24 * 60 // step, models=["seasonal_naive"])
    # then it matches the pattern exactly, the week's DST day included
    future = slots_from(result.start, count=len(result.values), step_minutes=step, time_zone=zone)
    expected = [office_hours(slot.day.weekday(), slot.minute) for slot in future]
    assert list(result.values) == expected
    assert result.accuracy.wape == 0


@given(
    day=st.lists(st.floats(min_value=0, max_value=500), min_size=48, max_size=48),
    scales=st.lists(st.floats(min_value=0, max_value=3), min_size=15, max_size=21),
)
@settings(max_examples=8, deadline=None)
def test_forecast_values_are_never_negative(day, scales):
    # given days of one shape at random scales, ending in a collapse to nothing, which
    # drives the smoothing of daily totals below zero
    values = [value * scale for scale in [*scales, 0.0] for value in day]
    series = Series(datetime(2026, 1, 5, tzinfo=ZoneInfo(LONDON)), 30, tuple(values), LONDON)
    # when
    result = forecast(series, horizon=7 * 48)
    # then
    assert len(result.values) == 7 * 48
    assert min(result.values) >= 0


def test_a_spring_forward_day_has_23_hours_of_intervals_in_the_forecast():
    # given four weeks of history ending the Saturday before London's clocks go forward
    series = weekly_series(date(2026, 3, 1), weeks=4, step=15, pattern=office_hours)
    assert intervals_in_day(date(2026, 3, 29), step_minutes=15, time_zone=LONDON) == 92
    # when the Sunday of the change and the Monday after it are forecast
    result = forecast(series, horizon=92 + 96)
    # then the Sunday holds 92 quarter-hours and the Monday starts at local midnight
    monday = result.start.astimezone(UTC) + timedelta(minutes=15 * 92)
    assert monday.astimezone(ZoneInfo(LONDON)) == datetime(2026, 3, 30, tzinfo=ZoneInfo(LONDON))
    assert result.values[92 + 9 * 4] == office_hours(0, 9 * 60)


def test_a_fall_back_day_forecasts_its_repeated_hour_twice():
    # given a pattern busy at 01:00 every night, four weeks ending before the clocks go back
    def nightly(weekday, minute):
        return 5.0 if 60 <= minute < 120 else 1.0

    series = weekly_series(date(2026, 9, 27), weeks=4, step=30, pattern=nightly)
    # when the day the clocks go back (25 hours: 50 half-hours) is forecast
    result = forecast(series, horizon=50, models=["seasonal_naive"])
    # then both passes through 01:00-02:00 are forecast as busy
    assert list(result.values[2:6]) == [5.0, 5.0, 5.0, 5.0]
    assert sum(result.values) == 46 * 1.0 + 4 * 5.0


def test_the_chosen_model_is_the_one_with_the_lowest_back_test_wape():
    # given a weekly pattern with one noisy week in the middle
    series = weekly_series(date(2026, 1, 5), weeks=8, step=30, pattern=office_hours)
    values = list(series.values)
    for index in range(3 * 336, 4 * 336):
        values[index] *= 1.5
    noisy = Series(series.start, 30, tuple(values), LONDON)
    progress: list[tuple[int, int]] = []
    # when
    result = forecast(
        noisy, horizon=48, holdout_weeks=2, progress=lambda d, t: progress.append((d, t))
    )
    # then every model was tried and the winner has the lowest WAPE
    assert set(result.candidates) == set(MODELS)
    assert result.candidates[result.model].wape == min(c.wape for c in result.candidates.values())
    assert result.accuracy == result.candidates[result.model]
    assert progress[-1] == (7, 7)


def test_special_days_are_forecast_from_past_special_days_and_left_out_of_training():
    # given a centre closed on two past holidays, with another holiday next Monday
    series = weekly_series(date(2026, 1, 5), weeks=6, step=30, pattern=office_hours)
    zone = ZoneInfo(LONDON)
    holidays = frozenset({date(2026, 1, 19), date(2026, 2, 2), date(2026, 2, 16)})
    values = list(series.values)
    for index, slot in enumerate(
        slots_from(series.start, count=len(values), step_minutes=30, time_zone=LONDON)
    ):
        if slot.day in holidays:
            values[index] = 0.0
    closed = Series(series.start, 30, tuple(values), LONDON)
    # when next Monday (a holiday) and Tuesday are forecast
    result = forecast(closed, horizon=96, special_days=holidays)
    # then the holiday is forecast closed and Tuesday as an ordinary Tuesday
    assert result.start == datetime(2026, 2, 16, tzinfo=zone)
    assert sum(result.values[:48]) == 0
    assert result.values[48 + 20] == pytest.approx(office_hours(1, 10 * 60))
    # and the naive baseline skipped the closed Monday two weeks ago in its look-back
    naive = forecast(
        closed, horizon=96, special_days=holidays - {date(2026, 2, 16)}, models=["seasonal_naive"]
    )
    assert naive.values[20] == office_hours(0, 10 * 60)


def test_a_short_history_falls_back_to_recent_days_and_says_why():
    # given ten days of history
    series = weekly_series(date(2026, 1, 5), weeks=2, step=30, pattern=office_hours)
    short = Series(series.start, 30, series.values[: 10 * 48], LONDON)
    # when
    result = forecast(short, horizon=48)
    # then
    assert result.model == "recent_days"
    assert "10 days" in result.note
    assert len(result.values) == 48


def test_a_single_day_of_history_is_refused_with_a_reason():
    series = Series(datetime(2026, 1, 5, tzinfo=ZoneInfo(LONDON)), 30, (1.0,) * 48, LONDON)
    with pytest.raises(InvalidInput, match="two days"):
        forecast(series, horizon=48)


def test_smoothing_is_left_out_with_a_note_when_training_is_under_two_weeks():
    series = weekly_series(date(2026, 1, 5), weeks=2, step=30, pattern=office_hours)
    result = forecast(series, horizon=48)
    assert set(result.candidates) == {"seasonal_naive", "weekday_average"}
    assert "Exponential smoothing" in result.note


def test_eight_weeks_of_half_hours_forecast_in_under_a_second_per_model():
    # given
    series = weekly_series(date(2026, 1, 5), weeks=8, step=30, pattern=office_hours)
    forecast(series, horizon=48, models=["ets"])  # statsmodels' import, once
    for model in MODELS:
        # when
        started = clock.process_time()  # CPU time: other work on the machine does not count
        forecast(series, horizon=7 * 48, models=[model])
        # then
        assert clock.process_time() - started < 1.0, model
