"""Agents per interval: the textbook figures, rounding once, and the fast path agreeing."""

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tercero.delivery.planning import erlang
from tercero.delivery.planning.staffing import staff, staff_many, total_agents

TEXTBOOK: dict[str, Any] = {
    "calls": 100,
    "interval_minutes": 30,
    "aht_seconds": 180,
    "target": 0.8,
    "answer_seconds": 20,
}


def test_textbook_example_needs_fourteen_agents():
    # given 100 calls per 30 minutes, 3-minute handle time, 80 % in 20 seconds
    # (Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked Example")
    result = staff("erlang_c", **TEXTBOOK)
    # then 14 agents answer 88.8 % in 20 seconds
    assert result.agents == 14
    assert result.service_level == pytest.approx(0.8884, abs=1e-4)
    assert result.occupancy == pytest.approx(10 / 14)
    assert 13 < result.agents_raw <= 14


def test_textbook_example_with_thirty_percent_shrinkage_needs_twenty():
    result = staff("erlang_c", **TEXTBOOK, shrinkage=0.3)
    assert result.agents == 20
    # the service level is that of the 14 on the phones
    assert result.service_level == pytest.approx(0.8884, abs=1e-4)


def test_fractional_requirements_are_rounded_once_across_queues():
    # given two queues that each need 18.64 agents at 30 % shrinkage (20 each, rounded alone)
    one = staff("erlang_c", **TEXTBOOK, shrinkage=0.3)
    # then together they need 38, not 40 (the rounding pyworkforce#41 reports)
    assert one.agents_raw == pytest.approx(18.64, abs=0.01)
    assert total_agents([one.agents_raw, one.agents_raw]) == 38
    assert one.agents + one.agents == 40


@given(st.lists(st.floats(0, 500), max_size=50))
def test_total_agents_is_the_sum_rounded_up_once(raws):
    total = total_agents(raws)
    assert sum(raws) - 1e-6 <= total < sum(raws) + 1
    assert total <= sum(math.ceil(r) for r in raws)


def test_erlang_b_ten_erlangs_at_one_percent_blocking_needs_eighteen_lines():
    # given the Erlang B table (10 Erlangs, 1 % blocking -> 18 lines); target = blocking allowed
    result = staff("erlang_b", **{**TEXTBOOK, "target": 0.01})
    assert result.agents == 18
    assert 1 - result.service_level == pytest.approx(erlang.erlang_b(18, 10))
    assert result.asa_seconds == 0.0


def test_erlang_a_needs_fewer_agents_when_callers_hang_up():
    result = staff("erlang_a", **TEXTBOOK, patience_seconds=300)
    assert result.agents == 13
    assert result.service_level >= 0.8
    assert result.abandon_rate == pytest.approx(0.025, abs=0.001)


def test_occupancy_cap_adds_agents_beyond_the_service_level():
    # given 10 Erlangs and at most 70 % occupancy: 10 / 0.7 = 14.3 agents
    result = staff("erlang_c", **TEXTBOOK, max_occupancy=0.7)
    assert result.agents == 15
    assert result.agents_raw == pytest.approx(10 / 0.7)
    assert result.occupancy <= 0.7


def test_no_calls_need_no_agents():
    result = staff("erlang_c", **{**TEXTBOOK, "calls": 0})
    assert (result.agents, result.agents_raw, result.service_level) == (0, 0.0, 1.0)


@settings(max_examples=60, deadline=None)
@given(
    calls=st.floats(0.5, 20_000),
    aht=st.floats(20, 1_200),
    target=st.floats(0.5, 0.95),
    answer=st.sampled_from([10.0, 20.0, 30.0, 60.0]),
)
def test_staff_gives_the_fewest_agents_meeting_the_target(calls, aht, target, answer):
    result = staff(
        "erlang_c",
        calls=calls,
        interval_minutes=30,
        aht_seconds=aht,
        target=target,
        answer_seconds=answer,
    )
    load = calls / 1800 * aht
    assert erlang.service_level(result.agents, load, aht, answer) >= target
    assert erlang.service_level(result.agents - 1, load, aht, answer) < target
    assert result.agents - 1 < result.agents_raw <= result.agents


@settings(max_examples=40, deadline=None)
@given(
    intervals=st.lists(
        st.tuples(st.floats(0, 30_000), st.floats(20, 1_200)), min_size=1, max_size=8
    ),
    target=st.floats(0.5, 0.95),
    shrinkage=st.sampled_from([0.0, 0.3]),
    cap=st.sampled_from([None, 0.85]),
)
def test_staff_many_agrees_with_staff(intervals, target, shrinkage, cap):
    calls = [c for c, _ in intervals]
    aht = [h for _, h in intervals]
    common = {"interval_minutes": 30, "target": target, "answer_seconds": 20}
    common |= {"shrinkage": shrinkage, "max_occupancy": cap}
    fast = staff_many("erlang_c", calls=calls, aht_seconds=aht, **common)
    for got, c, h in zip(fast, calls, aht, strict=True):
        one = staff("erlang_c", calls=c, aht_seconds=h, **common)
        assert got.agents == one.agents
        assert got.agents_raw == pytest.approx(one.agents_raw, rel=1e-9, abs=1e-9)
        assert got.service_level == pytest.approx(one.service_level, abs=1e-9)


def test_staff_many_runs_other_models_interval_by_interval():
    results = staff_many(
        "erlang_a",
        calls=[100, 200],
        aht_seconds=[180, 180],
        interval_minutes=30,
        target=0.8,
        answer_seconds=20,
        patience_seconds=300,
    )
    assert [r.agents for r in results] == [
        13,
        staff("erlang_a", **{**TEXTBOOK, "calls": 200}, patience_seconds=300).agents,
    ]


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"calls": -1}, "Calls"),
        ({"target": 1.2}, "target"),
        ({"aht_seconds": 0}, "handle time"),
        ({"interval_minutes": 0}, "interval"),
        ({"shrinkage": 1.0}, "Shrinkage"),
        ({"max_occupancy": 0}, "occupancy cap"),
    ],
)
def test_bad_input_is_refused_in_plain_words(changes, words):
    with pytest.raises(ValueError, match=words):
        staff("erlang_c", **{**TEXTBOOK, **changes})


def test_unknown_model_and_missing_patience_are_refused():
    with pytest.raises(ValueError, match="model"):
        staff("erlang_x", **TEXTBOOK)
    with pytest.raises(ValueError, match="patience"):
        staff("erlang_a", **TEXTBOOK)
    with pytest.raises(ValueError, match="one handle time"):
        staff_many(
            "erlang_c",
            calls=[1, 2],
            aht_seconds=[180],
            interval_minutes=30,
            target=0.8,
            answer_seconds=20,
        )
