"""Re-forecasting the rest of the day from the actuals so far."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tercero.delivery.planning.intraday import reforecast


def test_a_busier_morning_raises_the_afternoon_by_half_the_excess():
    # given 100 planned so far, 120 arrived: ratio 1.2, damped by 0.5 -> scale 1.1
    result = reforecast(planned=[50, 50, 40, 20], actual_so_far=[60, 60])
    # then
    assert result == [pytest.approx(44), pytest.approx(22)]


def test_intervals_planned_at_zero_do_not_move_the_ratio():
    # given an unplanned early call: 0 planned, 5 arrived, then 100 planned and 100 arrived
    result = reforecast(planned=[0, 100, 80], actual_so_far=[5, 100], damping=0)
    # then the plan stands
    assert result == [80]


def test_full_damping_keeps_the_plan_and_none_follows_the_ratio():
    assert reforecast(planned=[10, 10], actual_so_far=[30], damping=1) == [10]
    assert reforecast(planned=[10, 10], actual_so_far=[30], damping=0) == [30]


def test_nothing_arrived_yet_keeps_the_whole_plan():
    assert reforecast(planned=[3, 4], actual_so_far=[]) == [3, 4]


def test_a_damping_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError, match="damping"):
        reforecast(planned=[1], actual_so_far=[], damping=1.5)


@given(
    planned=st.lists(st.floats(min_value=0, max_value=1e4), min_size=1, max_size=48),
    actual=st.lists(st.floats(min_value=0, max_value=1e4), max_size=48),
    damping=st.floats(min_value=0, max_value=1),
)
def test_the_rest_of_the_day_is_never_negative_and_keeps_its_length(planned, actual, damping):
    actual = actual[: len(planned)]
    result = reforecast(planned=planned, actual_so_far=actual, damping=damping)
    assert len(result) == len(planned) - len(actual)
    assert all(value >= 0 for value in result)
