"""Wilson intervals and sample sizes against published worked examples and statsmodels."""

import math
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import (  # type: ignore[import-untyped]
    proportion_confint,
    samplesize_confint_proportion,
)

from tercero.governance.quality import sampling

# Newcombe, "Two-sided confidence intervals for the single proportion: comparison of seven
# methods", Statistics in Medicine 17 (1998), Table I, method 3 (Wilson score, no continuity
# correction), 95 %, to four decimals.
NEWCOMBE_WILSON = [
    (81, 263, (0.2553, 0.3662)),
    (15, 148, (0.0624, 0.1605)),
    (0, 20, (0.0, 0.1611)),
    (1, 29, (0.0061, 0.1718)),
]

confidences = st.floats(min_value=0.5, max_value=0.999)
margins = st.floats(min_value=0.005, max_value=0.3)
shares = st.floats(min_value=0.0, max_value=1.0)


def test_z_for_ninety_five_percent_is_the_familiar_one_point_nine_six():
    assert sampling.z_for(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert sampling.z_for(0.99) == pytest.approx(2.575829, abs=1e-6)


@pytest.mark.parametrize(("successes", "trials", "expected"), NEWCOMBE_WILSON)
def test_wilson_interval_matches_newcombes_worked_examples(successes, trials, expected):
    lower, upper = sampling.wilson_interval(successes, trials)
    assert (round(lower, 4), round(upper, 4)) == expected


def test_no_trials_tell_nothing_the_interval_is_zero_to_one():
    assert sampling.wilson_interval(0, 0) == (0.0, 1.0)
    assert sampling.margin_of(0, 0) == 0.5


def test_all_or_nothing_intervals_touch_the_bounds_exactly():
    assert sampling.wilson_interval(0, 50)[0] == 0.0
    assert sampling.wilson_interval(50, 50)[1] == 1.0


@pytest.mark.parametrize(
    ("successes", "trials", "confidence", "message"),
    [
        (5, 4, 0.95, "cannot exceed trials"),
        (-1, 4, 0.95, "negative"),
        (1, 4, 1.0, "confidence"),
        (1, 4, 0.0, "confidence"),
        (1, 4, 95, "confidence"),
        (2.5, 4, 0.95, "whole numbers"),
        (True, 4, 0.95, "whole numbers"),
    ],
)
def test_bad_counts_and_confidences_are_refused_by_name(successes, trials, confidence, message):
    with pytest.raises(ValueError, match=message):
        sampling.wilson_interval(successes, trials, confidence)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=100_000), st.data(), confidences)
def test_wilson_interval_equals_statsmodels(trials, data, confidence):
    successes = data.draw(st.integers(min_value=0, max_value=trials))
    ours = sampling.wilson_interval(successes, trials, confidence)
    theirs = proportion_confint(successes, trials, alpha=1 - confidence, method="wilson")
    assert ours == pytest.approx(theirs, abs=1e-12)
    assert sampling.margin_of(successes, trials, confidence) == pytest.approx(
        (theirs[1] - theirs[0]) / 2, abs=1e-12
    )


def test_published_ninety_five_five_half_example_by_each_method():
    # given 95 %, +/-5 %, p = 0.5: the textbook normal formula n0 = z^2 p(1-p)/e^2 is 384.15
    # (384.16 with z = 1.96), 385 rounded up; with N = 1,000, n0/(1 + (n0-1)/N) = 277.7 -> 278
    target: dict[str, Any] = {"confidence": 0.95, "margin": 0.05, "expected": 0.5}
    assert samplesize_confint_proportion(0.5, 0.05) == pytest.approx(384.146, abs=1e-3)
    assert sampling.normal_approximation_size(**target) == 385
    assert sampling.normal_approximation_size(**target, population=1000) == 278
    # then our rule, the Wilson search, needs 381 (its half-width at p = 0.5 is
    # z / 2 sqrt(n + z^2), so n = z^2/4e^2 - z^2 = 380.3 -> 381) and 381 corrects to 277
    assert sampling.sample_size(**target) == 381
    assert sampling.sample_size(**target, population=1000) == 277


def test_ninety_percent_expected_needs_141_by_wilson_where_the_normal_formula_says_139():
    target: dict[str, Any] = {"confidence": 0.95, "margin": 0.05, "expected": 0.9}
    assert sampling.normal_approximation_size(**target) == 139  # 138.3 rounded up
    # the Wald interval is too narrow this close to 1: at n = 139 Wilson's is +/-5.04 %
    assert sampling.margin_of(125, 139) > 0.05
    assert sampling.sample_size(**target) == 141


def test_a_perfect_expected_share_still_needs_a_sample():
    # the normal formula asks for nothing at p = 1; the Wilson interval of 35 straight
    # successes is [0.901, 1] -- within 5 points of 1 only at 35 items or more
    assert sampling.normal_approximation_size(confidence=0.95, margin=0.05, expected=1.0) == 0
    assert sampling.sample_size(confidence=0.95, margin=0.05, expected=1.0) == 35
    assert sampling.margin_of(35, 35) <= 0.05 < sampling.margin_of(34, 34)


def test_small_populations_need_most_or_all_of_their_items():
    # 381 / (1 + 380/40) = 36.3 -> 37 of 40; at 99 % +/-1 % three items are all three
    assert sampling.sample_size(confidence=0.95, margin=0.05, expected=0.5, population=40) == 37
    assert sampling.sample_size(confidence=0.99, margin=0.01, expected=0.5, population=3) == 3


@settings(max_examples=200, deadline=None)
@given(confidences, margins, shares)
def test_sample_size_is_the_smallest_n_whose_statsmodels_wilson_interval_meets_the_margin(
    confidence, margin, expected
):
    n = sampling.sample_size(confidence=confidence, margin=margin, expected=expected)
    alpha = 1 - confidence
    lower, upper = proportion_confint(expected * n, n, alpha=alpha, method="wilson")
    assert (upper - lower) / 2 <= margin + 1e-12
    if n > 1:
        lower, upper = proportion_confint(expected * (n - 1), n - 1, alpha=alpha, method="wilson")
        assert (upper - lower) / 2 > margin - 1e-12


@settings(max_examples=200, deadline=None)
@given(confidences, margins, st.floats(min_value=0.01, max_value=0.99))
def test_normal_figure_is_statsmodels_samplesize_confint_proportion_rounded_up(
    confidence, margin, expected
):
    theirs = samplesize_confint_proportion(expected, margin, alpha=1 - confidence)
    assume(abs(theirs - round(theirs)) > 1e-6)  # no float ties at a whole number
    ours = sampling.normal_approximation_size(
        confidence=confidence, margin=margin, expected=expected
    )
    assert ours == math.ceil(theirs)


@settings(max_examples=200, deadline=None)
@given(confidences, margins, shares, st.integers(min_value=1, max_value=1_000_000))
def test_finite_population_correction_never_asks_for_more(confidence, margin, expected, population):
    target: dict[str, Any] = {"confidence": confidence, "margin": margin, "expected": expected}
    unlimited = sampling.sample_size(**target)
    corrected = sampling.sample_size(**target, population=population)
    assert 1 <= corrected <= min(unlimited, population)
    n0 = unlimited
    assert corrected == min(population, math.ceil(n0 / (1 + (n0 - 1) / population) - 1e-9))
    assert sampling.sample_size(**target, population=population + 1) >= corrected


def test_target_needed_is_the_sample_size_of_its_figures():
    target = sampling.Target(confidence=0.95, margin=0.05, expected=0.9)
    assert target.needed() == 141
    assert target.needed(population=500) == 111


@pytest.mark.parametrize(
    ("figures", "message"),
    [
        ({"confidence": 1.5, "margin": 0.05, "expected": 0.9}, "confidence"),
        ({"confidence": 0.95, "margin": 0.0, "expected": 0.9}, "margin"),
        ({"confidence": 0.95, "margin": 0.05, "expected": 1.2}, "expected share"),
    ],
)
def test_a_target_with_impossible_figures_is_refused(figures, message):
    with pytest.raises(ValueError, match=message):
        sampling.Target(**figures)
    with pytest.raises(ValueError, match=message):
        sampling.sample_size(**figures)


def test_a_population_of_nothing_is_refused():
    with pytest.raises(ValueError, match="population"):
        sampling.sample_size(confidence=0.95, margin=0.05, expected=0.9, population=0)
