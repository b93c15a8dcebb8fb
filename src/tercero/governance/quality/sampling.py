"""How many items to evaluate, and how sure a measured share is: the Wilson score interval.

A quality target reads "each agent's accuracy known within +/-5 % at 95 %". The interval
around an observed share is Wilson's score interval (E. B. Wilson, "Probable inference, the
law of succession, and statistical inference", JASA 22, 1927), which stays inside [0, 1] and
keeps its coverage for shares near 0 or 1, where QA scores live; the plain normal-
approximation (Wald) interval does neither. The same interval sets the sample size, so the
size we ask for is exactly the size whose interval meets the target.
"""

import math
import operator
from dataclasses import dataclass
from statistics import NormalDist


def z_for(confidence: float) -> float:
    """The two-sided standard normal quantile for `confidence` (1.959964 for 0.95)."""
    _check_confidence(confidence)
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson's score interval for `successes` out of `trials`; (0.0, 1.0) when nothing was tried.

    centre = (p + z^2/2n) / (1 + z^2/n), half-width = z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n)
    with p = successes / n (Wilson 1927; Agresti & Coull, The American Statistician 52, 1998).
    """
    successes, trials = _whole_counts(successes, trials)
    _check_confidence(confidence)
    if trials == 0:
        return (0.0, 1.0)
    z = z_for(confidence)
    share = successes / trials
    centre = (share + z * z / (2 * trials)) / (1 + z * z / trials)
    half = _wilson_half_width(share, trials, z)
    lower = 0.0 if successes == 0 else max(0.0, centre - half)
    upper = 1.0 if successes == trials else min(1.0, centre + half)
    return (lower, upper)


def margin_of(successes: int, trials: int, confidence: float = 0.95) -> float:
    """Half the width of the Wilson interval: the "+/-" of a measured share (0.5 for no trials)."""
    lower, upper = wilson_interval(successes, trials, confidence)
    return (upper - lower) / 2


def sample_size(
    *, confidence: float, margin: float, expected: float, population: int | None = None
) -> int:
    """The smallest n whose Wilson interval around `expected` is at most +/-`margin` wide.

    Found by search over n (the half-width falls as n grows). The textbook normal formula
    n0 = z^2 p(1-p) / e^2 (Cochran, Sampling Techniques, 3rd ed. 1977, eq. 4.2) asks for a
    few more items at p = 0.5 and a few fewer near 0 or 1, where the Wald interval it rests
    on is too narrow. At 95 %, +/-5 %, p = 0.5: the normal formula gives 385 (384.15 rounded
    up); this Wilson search gives 381, since there the half-width is z / (2 sqrt(n + z^2)).

    With a `population` of N items the finite-population correction
    n = n0 / (1 + (n0 - 1) / N) (Cochran eq. 4.3) is applied to the Wilson n, rounded up and
    never above N. With N = 1,000 the normal formula's published figure is 278 (from the
    unrounded 384.15); the Wilson n of 381 corrects to 277.
    """
    _check_confidence(confidence)
    _check_target(margin, expected)
    needed = _wilson_size(expected, margin, z_for(confidence))
    if population is None:
        return needed
    return finite_population_size(needed, population)


def normal_approximation_size(
    *, confidence: float, margin: float, expected: float, population: int | None = None
) -> int:
    """Cochran's normal formula n0 = z^2 p(1-p) / e^2, rounded up (with the same correction).

    Shown beside `sample_size` so a reader can compare with textbook tables; never used to
    plan. Near p = 0 or 1 it asks for almost nothing (0 at p = 0), which is why we don't.
    """
    _check_confidence(confidence)
    _check_target(margin, expected)
    z = z_for(confidence)
    unrounded = z * z * expected * (1 - expected) / (margin * margin)
    if population is None:
        return math.ceil(unrounded)
    return finite_population_size(unrounded, population)


def finite_population_size(size: float, population: int) -> int:
    """Cochran's correction n0 / (1 + (n0 - 1) / N), rounded up, at least 1, at most N."""
    if isinstance(population, bool) or not isinstance(population, int) or population < 1:
        raise ValueError("The population must be a whole number of items, 1 or more.")
    if size <= 0:
        return 0
    corrected = size / (1 + (size - 1) / population)
    return min(population, max(1, math.ceil(corrected - 1e-9)))


@dataclass(frozen=True)
class Target:
    """A precision target: a share known within +/-`margin` at `confidence`, if near `expected`."""

    confidence: float
    margin: float
    expected: float

    def __post_init__(self) -> None:
        _check_confidence(self.confidence)
        _check_target(self.margin, self.expected)

    def needed(self, population: int | None = None) -> int:
        """Items to evaluate to meet this target (out of `population`, when it is known)."""
        return sample_size(
            confidence=self.confidence,
            margin=self.margin,
            expected=self.expected,
            population=population,
        )


def _wilson_half_width(share: float, trials: float, z: float) -> float:
    spread = share * (1 - share) / trials + z * z / (4 * trials * trials)
    return z * math.sqrt(spread) / (1 + z * z / trials)


def _wilson_size(expected: float, margin: float, z: float) -> int:
    """Smallest n with half-width <= margin: double until it holds, then bisect."""
    high = 1
    while _wilson_half_width(expected, high, z) > margin:
        high *= 2
    low = high // 2  # fails the target (or is 0)
    while high - low > 1:
        middle = (low + high) // 2
        if _wilson_half_width(expected, middle, z) <= margin:
            high = middle
        else:
            low = middle
    return high


def _check_confidence(confidence: float) -> None:
    if not (isinstance(confidence, int | float) and 0 < confidence < 1):
        raise ValueError(f"The confidence must be a share between 0 and 1 (0.95): {confidence}.")


def _check_target(margin: float, expected: float) -> None:
    if not (isinstance(margin, int | float) and 0 < margin < 1):
        raise ValueError(f"The margin must be a share between 0 and 1 (0.05), not {margin}.")
    if not (isinstance(expected, int | float) and 0 <= expected <= 1):
        raise ValueError(f"The expected share must be between 0 and 1 (0.9), not {expected}.")


def _whole_counts(successes: int, trials: int) -> tuple[int, int]:
    """The counts as plain ints (NumPy integers welcome); 2.5 or True is refused."""
    whole: list[int] = []
    for count in (successes, trials):
        if isinstance(count, bool) or not hasattr(count, "__index__"):
            raise ValueError(f"Successes and trials must be whole numbers, not {count!r}.")
        whole.append(operator.index(count))
    if whole[0] < 0 or whole[1] < 0:
        raise ValueError("Successes and trials cannot be negative.")
    if whole[0] > whole[1]:
        raise ValueError(f"Successes ({successes}) cannot exceed trials ({trials}).")
    return whole[0], whole[1]
