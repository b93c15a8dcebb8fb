"""The forecasting models: each turns a training history into values for target slots.

Every model sees only ordinary days: special days (public holidays) are left out of
look-backs and averages, and the exponential smoothing sees each one's daily total
replaced by its weekday's ordinary average. Special days themselves are forecast by the
caller (`forecasting.py`) from the profile of past special days.
"""

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

import numpy as np

from tercero.delivery.planning.forecasting_calendar import Slot, complete_days, lookup

WEEKDAY_AVERAGE_WEEKS = 4  # same weekdays averaged by "weekday_average"
PROFILE_WEEKS = 6  # same weekdays whose shape of day "ets" spreads its daily totals over
SMOOTHING_MIN_DAYS = 14  # two weekly cycles: statsmodels needs them to start the season


class ModelUnavailable(Exception):
    """The model cannot run on this history; the message says why, in plain words."""


@dataclass(frozen=True)
class Training:
    """A history on the wall clock, with the special days the models must not learn from."""

    slots: Sequence[Slot]
    values: Sequence[float]
    special_days: frozenset[date]
    step_minutes: int
    time_zone: str

    @cached_property
    def known(self) -> dict[Slot, float]:
        """Values of ordinary days, by wall-clock place."""
        return {
            slot: value
            for slot, value in zip(self.slots, self.values, strict=True)
            if slot.day not in self.special_days
        }

    @cached_property
    def weeks_spanned(self) -> int:
        if not self.slots:
            return 0
        return (self.slots[-1].day - self.slots[0].day).days // 7 + 1

    @cached_property
    def clock_means(self) -> dict[tuple[int, int], float]:
        """Mean of each time of day over all ordinary days: the last resort of a look-back."""
        sums: dict[tuple[int, int], list[float]] = {}
        for slot, value in self.known.items():
            sums.setdefault((slot.minute, 0), []).append(value)
        return {clock: sum(found) / len(found) for clock, found in sums.items()}

    def fallback(self, slot: Slot) -> float:
        return self.clock_means.get((slot.minute, 0), 0.0)


@dataclass
class _Recursive:
    """Known values plus the forecast so far, so a horizon past one week looks back into it."""

    training: Training
    values: dict[Slot, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.values = dict(self.training.known)


def seasonal_naive(training: Training, targets: Sequence[Slot]) -> list[float]:
    """The same interval last week (or the latest earlier ordinary week)."""
    _require_weeks(training, 1, "Same time last week")
    state = _Recursive(training)
    forecast = []
    for slot in targets:
        value = _latest_week(state.values, slot, training.weeks_spanned + len(targets))
        value = training.fallback(slot) if value is None else value
        state.values[slot] = value
        forecast.append(value)
    return forecast


def weekday_average(training: Training, targets: Sequence[Slot]) -> list[float]:
    """Mean of the same weekday and interval over the last ordinary weeks in the history."""
    _require_weeks(training, 1, "Average of the same weekday")
    forecast = []
    for slot in targets:
        found = _same_weekdays(training, slot, WEEKDAY_AVERAGE_WEEKS)
        forecast.append(sum(found) / len(found) if found else training.fallback(slot))
    return forecast


def exponential_smoothing(training: Training, targets: Sequence[Slot]) -> list[float]:
    """Holt-Winters (statsmodels, additive weekly season) on the open days' totals, spread
    over the day by each weekday's recent shape of day."""
    days = complete_days(
        training.slots, step_minutes=training.step_minutes, time_zone=training.time_zone
    )
    if len(days) < SMOOTHING_MIN_DAYS:
        raise ModelUnavailable(
            f"Exponential smoothing needs {SMOOTHING_MIN_DAYS} whole days of history; "
            f"this history has {len(days)}."
        )
    totals = _daily_totals(training, days)
    last_day = days[-1]
    horizon_days = (targets[-1].day - last_day).days if targets else 0
    future = [last_day + timedelta(days=ahead + 1) for ahead in range(horizon_days)]
    predicted = _open_day_totals(days, totals, future)
    by_day = {day: max(0.0, total) for day, total in zip(future, predicted, strict=True)}
    shapes = _shapes_of_day(training, days)
    return [by_day.get(slot.day, 0.0) * _share(shapes, slot) for slot in targets]


MODEL_FUNCTIONS: dict[str, Callable[[Training, Sequence[Slot]], list[float]]] = {
    "seasonal_naive": seasonal_naive,
    "weekday_average": weekday_average,
    "ets": exponential_smoothing,
}


def _require_weeks(training: Training, weeks: int, label: str) -> None:
    if not training.slots or (training.slots[-1].day - training.slots[0].day).days + 1 < 7 * weeks:
        raise ModelUnavailable(f"{label} needs at least {weeks} week of history.")


def _latest_week(values: dict[Slot, float], slot: Slot, max_weeks: int) -> float | None:
    for weeks in range(1, max_weeks + 1):
        value = lookup(values, slot, weeks=weeks)
        if value is not None:
            return value
    return None


def _same_weekdays(training: Training, slot: Slot, wanted: int) -> list[float]:
    found: list[float] = []
    for weeks in range(
        1, training.weeks_spanned + 1 + (slot.day - training.slots[-1].day).days // 7
    ):
        value = lookup(training.known, slot, weeks=weeks)
        if value is not None:
            found.append(value)
            if len(found) == wanted:
                break
    return found


def _daily_totals(training: Training, days: list[date]) -> np.ndarray:
    """Totals of whole days; a special day's total is its weekday's ordinary mean, so the
    smoothing neither learns a holiday dip nor sees a gap in the days."""
    sums = dict.fromkeys(days, 0.0)
    for slot, value in zip(training.slots, training.values, strict=True):
        if slot.day in sums:
            sums[slot.day] += value
    ordinary: dict[int, list[float]] = {}
    for day in days:
        if day not in training.special_days:
            ordinary.setdefault(day.weekday(), []).append(sums[day])
    mean_all = float(np.mean([v for found in ordinary.values() for v in found] or [0.0]))
    for day in days:
        if day in training.special_days:
            found = ordinary.get(day.weekday())
            sums[day] = float(np.mean(found)) if found else mean_all
    return np.array([sums[day] for day in days], dtype=float)


def _open_day_totals(days: list[date], totals: np.ndarray, future: list[date]) -> list[float]:
    """Daily totals for the future days. Weekdays with no volume in the whole history are
    closed (a weekend, a Friday in Tel Aviv): they are forecast at nothing, and the
    smoothing runs over open days only, its season one open week long."""
    weekdays = np.array([day.weekday() for day in days])
    open_weekdays = sorted({int(w) for w in weekdays if totals[weekdays == w].sum() > 0})
    if not open_weekdays:
        return [0.0] * len(future)
    opened = totals[np.isin(weekdays, open_weekdays)]
    wanted = [day for day in future if day.weekday() in open_weekdays]
    smoothed = iter(_smoothed_totals(opened, len(wanted), season=len(open_weekdays)))
    return [next(smoothed) if day.weekday() in open_weekdays else 0.0 for day in future]


def _smoothed_totals(totals: np.ndarray, horizon_days: int, *, season: int) -> np.ndarray:
    """Forecast daily totals with statsmodels' Holt-Winters; its fitting warnings are
    silenced here only (short or flat series make the optimiser talk)."""
    if horizon_days <= 0:
        return np.array([])
    from statsmodels.tsa.holtwinters import ExponentialSmoothing  # type: ignore[import-untyped]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if float(np.ptp(totals)) == 0.0:
            return np.full(horizon_days, float(totals[0]))
        model = ExponentialSmoothing(
            totals,
            trend=None,
            seasonal="add" if season > 1 else None,
            seasonal_periods=season if season > 1 else None,
            initialization_method="estimated",
        )
        fitted = model.fit()
        return np.asarray(fitted.forecast(horizon_days), dtype=float)


def _shapes_of_day(training: Training, days: list[date]) -> dict[int, dict[tuple[int, int], float]]:
    """Each weekday's share of the day per interval, from its last ordinary whole days; a
    weekday with no volume in them borrows the shape of all ordinary days."""
    whole = set(days)
    sums: dict[int, dict[tuple[int, int], float]] = {}
    seen: dict[int, set[date]] = {}
    for slot in reversed(training.slots):
        if slot.day not in whole or slot.day in training.special_days:
            continue
        weekday_days = seen.setdefault(slot.day.weekday(), set())
        if slot.day not in weekday_days and len(weekday_days) == PROFILE_WEEKS:
            continue
        weekday_days.add(slot.day)
        clocks = sums.setdefault(slot.day.weekday(), {})
        clocks[slot.clock] = clocks.get(slot.clock, 0.0) + training.known[slot]
    overall: dict[tuple[int, int], float] = {}
    for clocks in sums.values():
        for clock, value in clocks.items():
            overall[clock] = overall.get(clock, 0.0) + value
    shapes = {weekday: _normalised(clocks) for weekday, clocks in sums.items()}
    fallback = _normalised(overall)
    return {weekday: shapes.get(weekday) or fallback for weekday in range(7)}


def _normalised(clocks: dict[tuple[int, int], float]) -> dict[tuple[int, int], float]:
    total = sum(clocks.values())
    return {clock: value / total for clock, value in clocks.items()} if total > 0 else {}


def _share(shapes: dict[int, dict[tuple[int, int], float]], slot: Slot) -> float:
    shape = shapes[slot.day.weekday()]
    return shape.get(slot.clock, shape.get((slot.minute, 0), 0.0))
