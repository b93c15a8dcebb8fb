"""The shared-pool simulation against Erlang, and pooling's saving."""

import pytest

from tercero.delivery.planning import erlang
from tercero.delivery.planning.simulation import QueueLoad, simulate_pool

# Ten replications of 40 half-hours: the simulated service level's standard error is
# about 0.011, so the simulation must agree with the formula within 0.04 (3.5 errors).
AGREEMENT = 0.04
LONG = {"replications": 10, "measured_intervals": 40}


def test_one_queue_agrees_with_erlang_c():
    # given 200 calls per half-hour at 180 s (20 Erlangs) on 24 agents
    result = simulate_pool(
        [QueueLoad(200, 180)], 24, interval_minutes=30, answer_seconds=20, **LONG
    )
    # then the simulated service level and wait match Erlang C
    [queue] = result
    assert queue.service_level == pytest.approx(
        erlang.service_level(24, 20, 180, 20), abs=AGREEMENT
    )
    assert queue.asa_seconds == pytest.approx(erlang.asa_seconds(24, 20, 180), abs=3.0)
    assert queue.abandon_rate == 0.0
    assert 78_000 < queue.calls < 82_000


def test_one_queue_with_impatient_callers_agrees_with_erlang_a():
    [queue] = simulate_pool(
        [QueueLoad(100, 180, patience_seconds=120)],
        12,
        interval_minutes=30,
        answer_seconds=20,
        **LONG,
    )
    expected = erlang.erlang_a(12, 100 / 1800, 180, 120, 20)
    assert queue.service_level == pytest.approx(expected.service_level, abs=AGREEMENT)
    assert queue.abandon_rate == pytest.approx(expected.abandon_rate, abs=0.02)


def test_two_queues_sharing_agents_need_fewer_than_apart():
    # given two clients' queues of 90 calls per half-hour at 100 s (5 Erlangs each):
    # apart each needs 8 agents for 80 % in 20 s (7 give 78 %), 16 in all
    assert erlang.service_level(7, 5, 100, 20) < 0.8 <= erlang.service_level(8, 5, 100, 20)
    # when they share one pool of 14
    shared = simulate_pool(
        [QueueLoad(90, 100), QueueLoad(90, 100)], 14, interval_minutes=30, answer_seconds=20
    )
    # then both queues still answer more than 80 % within 20 s
    assert all(queue.service_level > 0.8 for queue in shared)


def test_bad_input_is_refused_in_plain_words():
    with pytest.raises(ValueError, match="at least one queue"):
        simulate_pool([], 3, interval_minutes=30, answer_seconds=20)
    with pytest.raises(ValueError, match="handle time"):
        simulate_pool([QueueLoad(10, 0)], 3, interval_minutes=30, answer_seconds=20)
