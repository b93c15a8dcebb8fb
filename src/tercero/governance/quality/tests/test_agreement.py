"""Inter-rater agreement against the authors' worked examples and the libraries."""

import math

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats import inter_rater  # type: ignore[import-untyped]

from tercero.governance.quality import agreement

# Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011), section C: 4 observers,
# 12 units, values 1-5, missing data. Published: nominal .743, ordinal .815, interval .849,
# ratio .797.
NA = None  # a missing rating
KRIPPENDORFF_C = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NA, NA, NA],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NA, 3],
    [NA, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NA],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NA],
]

# Fleiss' kappa, the 10 subjects x 14 raters x 5 categories example (Wikipedia, "Fleiss'
# kappa", worked example; also statsmodels' own test): per subject, how many of the 14
# raters chose each category. Published: P-bar 0.378, kappa 0.210.
FLEISS_COUNTS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]
FLEISS_RATINGS = [
    [category for category, raters in enumerate(row, start=1) for _ in range(raters)]
    for row in FLEISS_COUNTS
]


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_alpha_matches_his_worked_example_with_missing_data(level, published):
    assert agreement.krippendorff_alpha(KRIPPENDORFF_C, level) == pytest.approx(published, abs=5e-4)


def test_krippendorff_alpha_matches_his_two_observer_examples():
    # section A, binary data, two observers: alpha = 0.095
    binary = [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]
    assert agreement.krippendorff_alpha(binary) == pytest.approx(0.095, abs=5e-4)
    # section B, nominal data a-e, two observers: alpha = 0.692
    codes = {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}
    first = [codes[value] for value in "aabbdcccedda"]
    second = [codes[value] for value in "babbbccceddd"]
    assert agreement.krippendorff_alpha([first, second]) == pytest.approx(0.692, abs=5e-4)


def test_krippendorff_alpha_is_none_with_nothing_to_pair_or_no_variation():
    assert agreement.krippendorff_alpha([[1, NA, 3], [NA, 2, NA]]) is None
    assert agreement.krippendorff_alpha([]) is None
    assert agreement.krippendorff_alpha([[4, 4, 4], [4, 4, NA]], "interval") is None


def test_krippendorff_alpha_refuses_ragged_rows_and_unknown_levels():
    with pytest.raises(ValueError, match="same units"):
        agreement.krippendorff_alpha([[1, 2, 3], [1, 2]])
    with pytest.raises(ValueError, match="nominal, ordinal, interval, ratio"):
        agreement.krippendorff_alpha(KRIPPENDORFF_C, "cardinal")  # type: ignore[arg-type]


@settings(max_examples=100, deadline=None)
@given(
    st.integers(min_value=2, max_value=5).flatmap(
        lambda raters: st.lists(
            st.lists(
                st.one_of(st.none(), st.integers(min_value=1, max_value=5)),
                min_size=raters,
                max_size=raters,
            ),
            min_size=1,
            max_size=15,
        )
    ),
    st.sampled_from(agreement.LEVELS),
)
def test_krippendorff_alpha_equals_the_library_on_random_data(units, level):
    ratings = [list(rater) for rater in zip(*units, strict=True)]  # rows = raters
    ours = agreement.krippendorff_alpha(ratings, level)
    data = np.array([[math.nan if v is None else v for v in row] for row in ratings], float)
    paired = data[:, (~np.isnan(data)).sum(axis=0) >= 2]
    if len(np.unique(paired[~np.isnan(paired)])) < 2:
        assert ours is None
    else:
        theirs = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
        assert ours == pytest.approx(float(theirs), abs=1e-12)


def test_fleiss_kappa_matches_the_published_example():
    assert agreement.fleiss_kappa(FLEISS_RATINGS) == pytest.approx(0.210, abs=5e-4)


def test_fleiss_kappa_takes_any_category_labels():
    labels = {1: "pass", 2: "coach", 3: "fail", 4: "n/a", 5: ("auto", "fail")}
    named = [[labels[category] for category in unit] for unit in FLEISS_RATINGS]
    assert agreement.fleiss_kappa(named) == pytest.approx(agreement.fleiss_kappa(FLEISS_RATINGS))


def test_fleiss_kappa_is_none_when_undefined_and_refuses_incomplete_data():
    assert agreement.fleiss_kappa([]) is None
    assert agreement.fleiss_kappa([["pass"], ["fail"]]) is None  # one rater
    assert agreement.fleiss_kappa([["pass", "pass"], ["pass", "pass"]]) is None
    with pytest.raises(ValueError, match="same number of raters"):
        agreement.fleiss_kappa([["pass", "fail"], ["pass"]])
    with pytest.raises(ValueError, match="missing"):
        agreement.fleiss_kappa([["pass", None], ["pass", "fail"]])


complete_units = st.integers(min_value=2, max_value=6).flatmap(
    lambda raters: st.lists(
        st.lists(st.sampled_from("abcd"), min_size=raters, max_size=raters),
        min_size=1,
        max_size=20,
    )
)


@settings(max_examples=100, deadline=None)
@given(complete_units)
def test_fleiss_kappa_equals_statsmodels_on_random_data(units):
    table, _ = inter_rater.aggregate_raters(np.array(units))
    ours = agreement.fleiss_kappa(units)
    if table.shape[1] < 2:
        assert ours is None
    else:
        assert ours == pytest.approx(inter_rater.fleiss_kappa(table), abs=1e-12)


def test_percent_agreement_matches_the_published_p_bar():
    assert agreement.percent_agreement(FLEISS_RATINGS) == pytest.approx(0.378, abs=5e-4)


def test_percent_agreement_averages_units_and_skips_missing_ratings():
    # unit 1: 3 of 3 pairs agree; unit 2: 1 of 3 pairs (a-a); unit 3: one rating, left out
    assert agreement.percent_agreement(
        [["a", "a", "a"], ["a", "b", "a"], ["a", None, None]]
    ) == pytest.approx((1 + 1 / 3) / 2)
    assert agreement.percent_agreement([["a", None], [None, "b"]]) is None
    assert agreement.percent_agreement([]) is None


@settings(max_examples=100, deadline=None)
@given(complete_units)
def test_percent_agreement_is_fleiss_observed_agreement_from_statsmodels(units):
    # statsmodels' uniform kappa is (P-bar - 1/k) / (1 - 1/k): solve it for P-bar
    table, _ = inter_rater.aggregate_raters(np.array(units))
    categories = table.shape[1]
    if categories < 2:
        assert agreement.percent_agreement(units) == 1.0
        return
    uniform = inter_rater.fleiss_kappa(table, method="uniform")
    p_bar = uniform * (1 - 1 / categories) + 1 / categories
    assert agreement.percent_agreement(units) == pytest.approx(p_bar, abs=1e-12)


WEIGHTS = {"greeting": 1.0, "accuracy": 3.0, "tone": 1.0}
RANGES = {"greeting": 1.0, "accuracy": 4.0, "tone": 4.0}


def test_alignment_weighs_each_criterion_by_its_distance_over_its_range():
    # given greeting agrees (1), accuracy is 1 point off a range of 4 (0.75), tone is N/A
    analyst = {"greeting": 1, "accuracy": 4, "tone": None}
    reference = {"greeting": 1, "accuracy": 5, "tone": 3}
    # then (1 x 1 + 3 x 0.75) / (1 + 3)
    found = agreement.alignment(analyst, reference, weights=WEIGHTS, ranges=RANGES)
    assert found == pytest.approx(0.8125)


def test_alignment_is_none_when_nothing_was_scored_by_both():
    found = agreement.alignment(
        {"greeting": None, "tone": 2}, {"greeting": 1}, weights=WEIGHTS, ranges=RANGES
    )
    assert found is None


def test_alignment_ignores_keys_that_are_not_weighted_criteria():
    analyst = {"greeting": 1, "comment_count": 7}
    reference = {"greeting": 0, "comment_count": 1}
    assert agreement.alignment(analyst, reference, weights=WEIGHTS, ranges=RANGES) == 0.0


def test_alignment_refuses_criteria_without_a_usable_range():
    with pytest.raises(ValueError, match="'tone' needs a range"):
        agreement.alignment({"tone": 1}, {"tone": 2}, weights=WEIGHTS, ranges={})
    with pytest.raises(ValueError, match="range above 0"):
        agreement.alignment({"tone": 1}, {"tone": 2}, weights=WEIGHTS, ranges={"tone": 0})


criterion_scores = st.dictionaries(
    st.sampled_from(sorted(WEIGHTS)),
    st.one_of(st.none(), st.floats(min_value=0, max_value=5)),
)


@settings(max_examples=200, deadline=None)
@given(criterion_scores, criterion_scores)
def test_alignment_is_bounded_symmetric_and_one_when_identical(first, second):
    options = {"weights": WEIGHTS, "ranges": RANGES}
    there = agreement.alignment(first, second, **options)
    back = agreement.alignment(second, first, **options)
    assert there == back
    if there is not None:
        assert 0.0 <= there <= 1.0
    same = agreement.alignment(first, dict(first), **options)
    scored = any(value is not None for value in first.values())
    assert same == (1.0 if scored else None)
