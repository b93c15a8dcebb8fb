"""Re-forecast the rest of today from what has arrived so far."""

from collections.abc import Sequence


def reforecast(
    *, planned: Sequence[float], actual_so_far: Sequence[float], damping: float = 0.5
) -> list[float]:
    """The rest of today's intervals: the plan scaled by how far today runs above or below it.

    ratio = sum(actual) / sum(planned) over the intervals so far that had something
    planned (an interval planned at zero says nothing about the plan's scale). The
    scale is damped toward 1 so an early burst does not double the afternoon:
    scale = 1 + (1 - damping) * (ratio - 1); damping 0 follows the ratio fully, damping
    1 keeps the plan. With nothing planned so far the plan stands. Never negative.
    """
    if not 0 <= damping <= 1:
        raise ValueError("damping must be between 0 and 1")
    if len(actual_so_far) > len(planned):
        raise ValueError("more actual intervals than planned ones")
    pairs = [(p, a) for p, a in zip(planned, actual_so_far, strict=False) if p > 0]
    planned_total = sum(p for p, _ in pairs)
    ratio = sum(a for _, a in pairs) / planned_total if planned_total > 0 else 1.0
    scale = max(0.0, 1 + (1 - damping) * (ratio - 1))
    return [max(0.0, value * scale) for value in planned[len(actual_so_far) :]]
