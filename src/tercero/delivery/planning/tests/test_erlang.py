"""Erlang B, C and A against published tables, exact arithmetic and their limits."""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tercero.delivery.planning import erlang

# Erlang B tables at 1 % blocking (ITU-T Teletraffic Engineering Handbook, Iversen, the
# table of Erlang's B-formula; the same figures are in every telephone traffic table):
# 11 lines carry 5.16 Erlangs, 18 lines 10.44, 30 lines 20.34, 100 lines 84.06.
ERLANG_B_ONE_PERCENT = [(11, 5.16), (18, 10.44), (30, 20.34), (100, 84.06)]


@pytest.mark.parametrize(("lines", "erlangs"), ERLANG_B_ONE_PERCENT)
def test_erlang_b_matches_the_one_percent_table(lines, erlangs):
    # given the table's traffic, to its two decimals
    # then the traffic blocked 1 % of the time on those lines rounds to it
    assert erlang.erlang_b(lines, erlangs - 0.005) < 0.01 < erlang.erlang_b(lines, erlangs + 0.005)


def test_ten_erlangs_at_one_percent_need_eighteen_lines():
    # given the Erlang B table: 10 Erlangs at 1 % blocking -> 18 lines
    # then 18 lines are within the grade of service and 17 are not
    assert erlang.erlang_b(18, 10) <= 0.01 < erlang.erlang_b(17, 10)


def test_twenty_erlangs_at_one_percent_need_thirty_lines():
    assert erlang.erlang_b(30, 20) <= 0.01 < erlang.erlang_b(29, 20)


def test_worked_erlang_c_example_gives_fourteen_agents():
    # given 100 calls in 30 minutes at 180 s (10 Erlangs), 80 % answered in 20 s
    # (the Erlang C worked example of Call Centre Helper, "Erlang C Formula - Made Simple")
    # then 13 agents miss the target and 14 meet it
    assert erlang.service_level(13, 10, 180, 20) < 0.8 <= erlang.service_level(14, 10, 180, 20)
    assert erlang.erlang_c(14, 10) == pytest.approx(0.1741, abs=1e-4)
    assert erlang.service_level(14, 10, 180, 20) == pytest.approx(0.8884, abs=1e-4)
    assert erlang.asa_seconds(14, 10, 180) == pytest.approx(7.84, abs=0.01)


def _erlang_b_exact(servers: int, load: Fraction) -> Fraction:
    """The direct formula, (A^n / n!) / sum_k A^k / k!, in exact rational arithmetic."""
    terms = [load**k / math.factorial(k) for k in range(servers + 1)]
    return terms[-1] / sum(terms)


@given(
    servers=st.integers(min_value=0, max_value=40),
    load=st.fractions(min_value=Fraction(1, 100), max_value=60, max_denominator=1000),
)
def test_erlang_b_recursion_equals_the_direct_formula(servers, load):
    exact = _erlang_b_exact(servers, load)
    assert erlang.erlang_b(servers, float(load)) == pytest.approx(float(exact), rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(load=st.floats(min_value=0.01, max_value=20_000), extra=st.integers(0, 400))
def test_erlang_c_is_finite_and_monotone_up_to_twenty_thousand_erlangs(load, extra):
    # given one more agent than another, anywhere from 0.01 to 20,000 Erlangs
    servers = math.floor(load) + 1 + extra
    fewer = erlang.service_level(servers, load, 180, 20)
    more = erlang.service_level(servers + 1, load, 180, 20)
    # then both are finite probabilities and the extra agent never hurts
    assert 0.0 <= fewer <= more <= 1.0
    assert math.isfinite(erlang.asa_seconds(servers, load, 180))
    assert erlang.erlang_c(servers + 1, load) <= erlang.erlang_c(servers, load) <= 1.0
    assert 0.0 <= erlang.erlang_b(servers, load) <= 1.0


def test_erlang_c_needs_more_servers_than_the_load():
    assert erlang.erlang_c(10, 10.0) == 1.0
    assert erlang.service_level(10, 10.0, 180, 20) == 0.0
    assert erlang.asa_seconds(9, 10.0, 180) == math.inf


def test_erlang_b_stays_finite_for_a_tiny_load_on_many_lines():
    assert erlang.erlang_b(20_000, 0.01) == 0.0
    assert erlang.erlang_b(0, 0.01) == 1.0


def _queue_distribution(servers, calls_per_second, aht_seconds, patience_seconds, states):
    """Stationary probabilities of 0..states-1 callers in M/M/n+M, summed in log space."""
    load = calls_per_second * aht_seconds
    k = np.arange(states, dtype=float)
    log_p = np.empty(states)
    below = k <= servers
    log_p[below] = k[below] * math.log(load) - np.array([math.lgamma(x + 1) for x in k[below]])
    departures = servers / aht_seconds + (k[~below] - servers) / patience_seconds
    log_p[~below] = log_p[servers] + np.cumsum(np.log(calls_per_second / departures))
    p = np.exp(log_p - log_p.max())
    return p / p.sum()


@settings(max_examples=40, deadline=None)
@given(
    servers=st.integers(1, 60),
    load_per_server=st.floats(0.2, 1.6),
    aht=st.floats(30, 900),
    patience=st.floats(10, 2_000),
)
def test_erlang_a_obeys_littles_law_against_the_queue_distribution(
    servers, load_per_server, aht, patience
):
    # given Erlang A's closed forms and the queue's stationary distribution summed directly
    calls_per_second = servers * load_per_server / aht
    result = erlang.erlang_a(servers, calls_per_second, aht, patience, 20)
    p = _queue_distribution(servers, calls_per_second, aht, patience, servers + 4_000)
    queue = np.clip(np.arange(p.size) - servers, 0, None)
    # then mean queue length = arrival rate x mean wait, and the share who wait agrees
    assert float((queue * p).sum()) == pytest.approx(
        calls_per_second * result.asa_seconds, rel=1e-8
    )
    assert float(p[servers:].sum()) == pytest.approx(result.wait_probability, rel=1e-8)


@settings(max_examples=40, deadline=None)
@given(servers=st.integers(1, 200), load_per_server=st.floats(0.05, 0.97))
def test_erlang_c_obeys_littles_law_against_the_queue_distribution(servers, load_per_server):
    aht = 180.0
    load = servers * load_per_server
    p = _queue_distribution(servers, load / aht, aht, math.inf, servers + 6_000)
    queue = np.clip(np.arange(p.size) - servers, 0, None)
    assert float((queue * p).sum()) == pytest.approx(
        load / aht * erlang.asa_seconds(servers, load, aht), rel=1e-8
    )


# Infinite patience is Erlang C; at a patience of 1e8 handle times the gap is below these.
HUGE_PATIENCE_TOLERANCE = 1e-6


@settings(max_examples=40, deadline=None)
@given(servers=st.integers(1, 300), load_per_server=st.floats(0.05, 0.95), aht=st.floats(30, 900))
def test_erlang_a_with_huge_patience_equals_erlang_c(servers, load_per_server, aht):
    load = servers * load_per_server
    a = erlang.erlang_a(servers, load / aht, aht, 1e8 * aht, 20)
    assert a.service_level == pytest.approx(
        erlang.service_level(servers, load, aht, 20), abs=HUGE_PATIENCE_TOLERANCE
    )
    assert a.wait_probability == pytest.approx(erlang.erlang_c(servers, load), abs=1e-6)
    assert a.asa_seconds == pytest.approx(erlang.asa_seconds(servers, load, aht), rel=1e-4)
    assert a.abandon_rate <= HUGE_PATIENCE_TOLERANCE


def test_erlang_a_with_infinite_patience_is_erlang_c():
    a = erlang.erlang_a(14, 100 / 1800, 180, math.inf, 20)
    assert a.service_level == erlang.service_level(14, 10, 180, 20)
    assert a.abandon_rate == 0.0


@settings(max_examples=30, deadline=None)
@given(
    servers=st.integers(1, 80),
    load_per_server=st.floats(0.1, 1.5),
    patience=st.floats(5, 1_000),
)
def test_erlang_a_answers_within_a_long_wait_everyone_who_does_not_hang_up(
    servers, load_per_server, patience
):
    # given two closed forms: the share answered within t, and the share who hang up
    aht = 200.0
    calls_per_second = servers * load_per_server / aht
    no_wait = erlang.erlang_a(servers, calls_per_second, aht, patience, 0)
    forever = erlang.erlang_a(servers, calls_per_second, aht, patience, 1e6 * patience)
    # then answered at once = did not wait, and answered ever = did not hang up
    assert no_wait.service_level == pytest.approx(1 - no_wait.wait_probability, abs=1e-9)
    assert forever.service_level == pytest.approx(1 - forever.abandon_rate, abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(load=st.floats(0.01, 20_000), step=st.integers(1, 50))
def test_erlang_a_service_level_is_finite_and_monotone_in_agents_up_to_twenty_thousand_erlangs(
    load, step
):
    aht, patience = 180.0, 300.0
    servers = max(1, math.floor(load * 0.9))
    fewer = erlang.erlang_a(servers, load / aht, aht, patience, 20)
    more = erlang.erlang_a(servers + step, load / aht, aht, patience, 20)
    assert 0.0 <= fewer.service_level <= more.service_level + 1e-12 <= 1.0 + 1e-12
    assert more.abandon_rate <= fewer.abandon_rate + 1e-12
    assert all(math.isfinite(x) for x in (fewer.asa_seconds, more.asa_seconds, more.occupancy))


def test_erlang_a_at_twenty_thousand_erlangs_does_not_underflow():
    # given 20,000 Erlangs on 20,100 agents with 5 minutes' patience
    result = erlang.erlang_a(20_100, 20_000 / 180, 180, 300, 20)
    # then almost everyone is answered in time (no underflow to a low figure)
    assert result.service_level == pytest.approx(0.99921, abs=1e-5)
    assert result.abandon_rate == pytest.approx(0.00079, abs=1e-5)


def test_bad_inputs_are_refused_in_plain_words():
    with pytest.raises(ValueError, match="negative"):
        erlang.erlang_b(-1, 1.0)
    with pytest.raises(ValueError, match="offered load"):
        erlang.erlang_c(3, math.nan)
    with pytest.raises(ValueError, match="handle time"):
        erlang.service_level(3, 1.0, 0, 20)
    with pytest.raises(ValueError, match="Patience"):
        erlang.erlang_a(3, 0.01, 180, 0, 20)
