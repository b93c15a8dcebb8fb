"""How far QA analysts agree when they score the same items blind (calibration sessions).

Chance-corrected agreement comes from maintained libraries, checked in the tests against the
authors' own worked examples: Krippendorff's alpha from the `krippendorff` package
(K. Krippendorff, "Computing Krippendorff's Alpha-Reliability", 2011), Fleiss' kappa from
statsmodels (J. L. Fleiss, "Measuring nominal scale agreement among many raters",
Psychological Bulletin 76, 1971). Plain agreement and an analyst's alignment with the
reference scorer are simple enough to compute here.
"""

import math
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from typing import Literal

import krippendorff
import numpy as np

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval", "ratio")


def krippendorff_alpha(
    ratings: Sequence[Sequence[float | None]], level: Level = "nominal"
) -> float | None:
    """Krippendorff's alpha: rows are raters, columns are units, None is a missing rating.

    1 is perfect agreement, 0 agreement no better than chance. None when no unit has two
    ratings to pair, or when every paired rating is the same value (then alpha is 0/0:
    Krippendorff 2011, section A, "no variation").
    """
    if level not in LEVELS:
        raise ValueError(
            f"The level of measurement must be one of {', '.join(LEVELS)}, not {level}."
        )
    data = _raters_by_units(ratings)
    present = ~np.isnan(data)
    pairable = present.sum(axis=0) >= 2
    if not pairable.any() or len(np.unique(data[:, pairable][present[:, pairable]])) < 2:
        return None
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement=level))


def fleiss_kappa(ratings: Sequence[Sequence[Hashable]]) -> float | None:
    """Fleiss' kappa: rows are units, columns are the categories each rater gave that unit.

    Every unit must be rated by the same number of raters (two or more). None when there is
    nothing to compare or every rating falls in one category (kappa is then 0/0).
    """
    codes = _category_codes(ratings)
    if codes is None:
        return None
    # Loaded here, not at start-up: statsmodels and SciPy cost every process ~0.5 s.
    from statsmodels.stats import inter_rater  # type: ignore[import-untyped]

    table, _ = inter_rater.aggregate_raters(codes, n_cat=int(codes.max()) + 1)
    if np.count_nonzero(table.sum(axis=0)) < 2:
        return None
    return float(inter_rater.fleiss_kappa(table, method="fleiss"))


def percent_agreement(ratings: Sequence[Sequence[Hashable | None]]) -> float | None:
    """The share of rater pairs that gave the same rating, per unit, averaged over units.

    Rows are units and columns are raters, as for `fleiss_kappa`; None is a missing rating
    and units with fewer than two ratings are left out. None when no unit has a pair.
    """
    shares = [_agreeing_share(unit) for unit in ratings]
    counted = [share for share in shares if share is not None]
    if not counted:
        return None
    return math.fsum(counted) / len(counted)


def alignment(
    scores: Mapping[str, float | None],
    reference: Mapping[str, float | None],
    *,
    weights: Mapping[str, float],
    ranges: Mapping[str, float],
) -> float | None:
    """An analyst's points agreement with the reference scorer, between 0 and 1.

    For each criterion (each key of `weights`) both scored: 1 - |analyst - reference| / the
    criterion's range (at least 0), weighted by the criterion's weight. Other keys (not
    criteria) are ignored. None when no weighted criterion was scored by both.
    """
    total = 0.0
    weight_sum = 0.0
    for criterion in sorted(weights):  # sorted: the same sum whichever side is the reference
        value, other = scores.get(criterion), reference.get(criterion)
        if value is None or other is None:
            continue
        weight, span = _weight_and_range(criterion, weights, ranges)
        total += weight * max(0.0, 1.0 - abs(value - other) / span)
        weight_sum += weight
    if weight_sum == 0:
        return None
    return min(1.0, total / weight_sum)


def _raters_by_units(ratings: Sequence[Sequence[float | None]]) -> np.ndarray:
    rows = [list(row) for row in ratings]
    if len({len(row) for row in rows}) > 1:
        raise ValueError("Every rater's row must cover the same units (None where not rated).")
    data = np.array(
        [[math.nan if value is None else float(value) for value in row] for row in rows],
        dtype=float,
    ).reshape(len(rows), len(rows[0]) if rows else 0)
    if np.isinf(data).any():
        raise ValueError("Ratings must be finite numbers (None where not rated).")
    return data


def _category_codes(ratings: Sequence[Sequence[Hashable]]) -> np.ndarray | None:
    """Each distinct category as 0, 1, 2, ... in order of first appearance."""
    units = [list(unit) for unit in ratings]
    if not units:
        return None
    if len({len(unit) for unit in units}) > 1:
        raise ValueError("Fleiss' kappa needs every unit rated by the same number of raters.")
    if any(rating is None for unit in units for rating in unit):
        raise ValueError("Fleiss' kappa cannot take missing ratings (None).")
    if len(units[0]) < 2:
        return None
    index: dict[Hashable, int] = {}
    codes = [[index.setdefault(rating, len(index)) for rating in unit] for unit in units]
    return np.array(codes, dtype=int)


def _agreeing_share(unit: Sequence[Hashable | None]) -> float | None:
    """Pairs that agree over all pairs: sum of c(c - 1) over categories, over n(n - 1)."""
    counts = Counter(rating for rating in unit if rating is not None)
    given = sum(counts.values())
    if given < 2:
        return None
    return sum(count * (count - 1) for count in counts.values()) / (given * (given - 1))


def _weight_and_range(
    criterion: str, weights: Mapping[str, float], ranges: Mapping[str, float]
) -> tuple[float, float]:
    if criterion not in ranges:
        raise ValueError(f"Criterion {criterion!r} needs a range (its highest minus lowest score).")
    weight, span = weights[criterion], ranges[criterion]
    if not weight >= 0:
        raise ValueError(f"Criterion {criterion!r} has a negative weight.")
    if not span > 0:
        raise ValueError(
            f"Criterion {criterion!r} needs a range above 0 (the most minus the least)."
        )
    return float(weight), float(span)
