"""Forecast arrivals (or handle times) per interval, choosing the model by back-test.

Pure functions, no database. A series is consecutive intervals in real time, labelled
on the client's wall clock (`forecasting_calendar`), so days across DST keep their 23
or 25 hours and "the same interval" means the same local time on another day.

Rules, as a planner would state them:

- Every model in `MODELS` is back-tested with a rolling origin: for each of the last
  `holdout_weeks` weeks, it is trained on everything before that week and forecasts the
  week. The model with the lowest WAPE over those weeks (ties: the simpler, in the order
  of `MODELS`) is refitted on the whole history and forecasts the horizon.
- Special days (public holidays from the engagement's calendar) are left out of every
  model's training: look-backs skip them, averages ignore them, and the smoothing sees
  each one's daily total replaced by its weekday's ordinary average. A special day in
  the horizon (or in a back-test week) is forecast, interval by interval, as the mean of
  the same time on the last `SPECIAL_DAYS_REMEMBERED` special days of the history; with
  none in the history it is forecast like any other day.
- Handle time is forecast by the same function on a series of mean handle seconds per
  interval; nothing is weighted by volume.
- Short history: with less than `holdout_weeks` + 1 weeks, fewer weeks are held out;
  under two weeks no weekly model can be tested, and the forecast is the average of the
  same time on recent days, tested on the last day (the forecast's `note` says so).
  Under two days nothing can be tested, and `forecast` refuses with `InvalidInput`.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from tercero.delivery.planning.forecasting_calendar import Slot, slots_from
from tercero.delivery.planning.forecasting_models import (
    MODEL_FUNCTIONS,
    ModelUnavailable,
    Training,
)
from tercero.platform.errors import InvalidInput

MODELS: dict[str, str] = {
    "seasonal_naive": "Same time last week",
    "weekday_average": "Average of the same weekday (last four weeks)",
    "ets": "Exponential smoothing of daily totals (statsmodels) with each weekday's shape of day",
}
RECENT_DAYS = "recent_days"
SHORT_HISTORY_LABELS = {RECENT_DAYS: "Average of the same time on recent days (short history)"}
SPECIAL_DAYS_REMEMBERED = 8
RECENT_DAYS_AVERAGED = 7


@dataclass(frozen=True)
class Series:
    start: datetime
    step_minutes: int
    values: tuple[float, ...]
    time_zone: str


@dataclass(frozen=True)
class Accuracy:
    """WAPE = sum|a - f| / sum a; bias = (sum f - sum a) / sum a (positive: over-forecast)."""

    wape: float
    bias: float


@dataclass(frozen=True)
class Forecast:
    model: str
    start: datetime
    step_minutes: int
    values: tuple[float, ...]
    accuracy: Accuracy
    candidates: dict[str, Accuracy]
    note: str = ""  # why a model was left out or the history was too short, in plain words


ProgressCallback = Callable[[int, int], None]


def accuracy(actual: Sequence[float], predicted: Sequence[float]) -> Accuracy:
    """WAPE and bias of a forecast against what happened.

    With no actual volume at all, a forecast of nothing is perfect (0, 0) and any
    forecast volume counts as wholly wrong (1, 1), so a quiet week never divides by zero.
    """
    if len(actual) != len(predicted):
        raise ValueError("actual and predicted must have the same length")
    total = float(sum(actual))
    error = float(sum(abs(a - p) for a, p in zip(actual, predicted, strict=True)))
    if total == 0:
        wrong = 1.0 if error > 0 else 0.0
        return Accuracy(wape=wrong, bias=wrong)
    return Accuracy(wape=error / total, bias=(float(sum(predicted)) - total) / total)


def forecast(
    history: Series,
    *,
    horizon: int,
    special_days: frozenset[date] = frozenset(),
    holdout_weeks: int = 1,
    models: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
) -> Forecast:
    """Forecast the `horizon` intervals after `history` with the model that back-tests best."""
    _check(history, horizon=horizon, holdout_weeks=holdout_weeks, models=models)
    slots = slots_from(
        history.start,
        count=len(history.values) + horizon,
        step_minutes=history.step_minutes,
        time_zone=history.time_zone,
    )
    past, future = slots[: len(history.values)], slots[len(history.values) :]
    training = _training(history, past, special_days)
    folds = _folds(past, holdout_weeks)
    start = _end_of(history)
    if not folds:
        return _short_history(training, future, start=start, step_minutes=history.step_minutes)
    keys = list(models or MODELS)
    candidates, notes = _back_test(training, folds, keys, progress)
    if not candidates:
        raise InvalidInput("No model could be back-tested on this history: " + " ".join(notes))
    chosen = min(candidates, key=lambda key: (candidates[key].wape, keys.index(key)))
    values = predict(chosen, training, future)
    if progress:
        progress(len(keys) * len(folds) + 1, len(keys) * len(folds) + 1)
    return Forecast(
        model=chosen,
        start=start,
        step_minutes=history.step_minutes,
        values=tuple(values),
        accuracy=candidates[chosen],
        candidates=candidates,
        note=" ".join(notes),
    )


def predict(model: str, training: Training, targets: Sequence[Slot]) -> list[float]:
    """A model's values for the targets, special days from past special days, never negative."""
    values = MODEL_FUNCTIONS[model](training, targets) if targets else []
    return _with_special_days(training, targets, values)


def back_test(
    history: Series,
    *,
    model: str,
    holdout_weeks: int,
    special_days: frozenset[date] = frozenset(),
) -> tuple[list[float], list[float]]:
    """Actual and predicted values of one model over the held-out weeks (rolling origin)."""
    slots = slots_from(
        history.start,
        count=len(history.values),
        step_minutes=history.step_minutes,
        time_zone=history.time_zone,
    )
    training = _training(history, slots, special_days)
    return _tested(model, training, _folds(slots, holdout_weeks))


def _check(
    history: Series, *, horizon: int, holdout_weeks: int, models: Sequence[str] | None
) -> None:
    if history.step_minutes not in (15, 30):
        raise InvalidInput("Intervals must be 15 or 30 minutes long.")
    if history.start.tzinfo is None:
        raise InvalidInput("The series must start at a time with its time zone.")
    if horizon < 0 or holdout_weeks < 1:
        raise InvalidInput("The horizon cannot be negative and at least one week is held out.")
    unknown = sorted(set(models or ()) - set(MODELS))
    if unknown:
        raise InvalidInput("Unknown forecasting model: " + ", ".join(unknown) + ".")


def _training(history: Series, slots: Sequence[Slot], special_days: frozenset[date]) -> Training:
    return Training(
        slots=tuple(slots),
        values=tuple(float(value) for value in history.values),
        special_days=special_days,
        step_minutes=history.step_minutes,
        time_zone=history.time_zone,
    )


def _truncated(training: Training, end: int) -> Training:
    return Training(
        slots=training.slots[:end],
        values=training.values[:end],
        special_days=training.special_days,
        step_minutes=training.step_minutes,
        time_zone=training.time_zone,
    )


def _end_of(history: Series) -> datetime:
    step = timedelta(minutes=history.step_minutes)
    end = history.start.astimezone(UTC) + len(history.values) * step
    return end.astimezone(history.start.tzinfo)


def _folds(slots: Sequence[Slot], holdout_weeks: int) -> list[tuple[int, int]]:
    """(origin, end) index pairs of the held-out weeks, oldest first; each origin keeps at
    least one week of training before it. Weeks are counted on the wall clock."""
    if not slots:
        return []
    days = sorted({slot.day for slot in slots})
    weeks_available = ((days[-1] - days[0]).days + 1) // 7
    weeks = min(holdout_weeks, weeks_available - 1)
    last = _wall_clock_key(slots[-1])
    folds = []
    for back in range(weeks, 0, -1):
        origin = _first_at_or_after(slots, _shift(last, days=-7 * back))
        end = _first_at_or_after(slots, _shift(last, days=-7 * (back - 1)))
        folds.append((origin, end if back > 1 else len(slots)))
    return [(origin, end) for origin, end in folds if 0 < origin < end]


def _wall_clock_key(slot: Slot) -> tuple[date, int, int]:
    return (slot.day, slot.minute, slot.fold)


def _shift(key: tuple[date, int, int], *, days: int) -> tuple[date, int, int]:
    day, minute, fold = key
    return (day + timedelta(days=days), minute, fold)


def _first_at_or_after(slots: Sequence[Slot], key: tuple[date, int, int]) -> int:
    """Index just after the interval at `key` (the fold hour keeps real-time order)."""
    for index, slot in enumerate(slots):
        if _wall_clock_key(slot) > key:
            return index
    return len(slots)


def _back_test(
    training: Training,
    folds: list[tuple[int, int]],
    keys: list[str],
    progress: ProgressCallback | None,
) -> tuple[dict[str, Accuracy], list[str]]:
    candidates: dict[str, Accuracy] = {}
    notes: list[str] = []
    total = len(keys) * len(folds) + 1
    for number, key in enumerate(keys):
        try:
            actual, predicted = _tested(key, training, folds)
        except ModelUnavailable as reason:
            notes.append(f"{MODELS[key]} was left out: {reason}")
        else:
            candidates[key] = accuracy(actual, predicted)
        if progress:
            progress((number + 1) * len(folds), total)
    return candidates, notes


def _tested(
    key: str, training: Training, folds: list[tuple[int, int]]
) -> tuple[list[float], list[float]]:
    actual: list[float] = []
    predicted: list[float] = []
    for origin, end in folds:
        actual += training.values[origin:end]
        predicted += predict(key, _truncated(training, origin), training.slots[origin:end])
    return actual, predicted


def _with_special_days(
    training: Training, targets: Sequence[Slot], values: Sequence[float]
) -> list[float]:
    profile = _special_day_profile(training)
    result = []
    for slot, value in zip(targets, values, strict=True):
        if profile and slot.day in training.special_days:
            value = profile.get(slot.clock, profile.get((slot.minute, 0), value))
        result.append(max(0.0, value))
    return result


def _special_day_profile(training: Training) -> dict[tuple[int, int], float]:
    """Mean of each time of day over the last special days in the history."""
    remembered = sorted({s.day for s in training.slots} & training.special_days)
    remembered_days = set(remembered[-SPECIAL_DAYS_REMEMBERED:])
    found: dict[tuple[int, int], list[float]] = {}
    for slot, value in zip(training.slots, training.values, strict=True):
        if slot.day in remembered_days:
            found.setdefault(slot.clock, []).append(value)
    return {clock: sum(values) / len(values) for clock, values in found.items()}


def _short_history(
    training: Training, future: Sequence[Slot], *, start: datetime, step_minutes: int
) -> Forecast:
    """Under two weeks: the mean of the same time over recent ordinary days, tested on the
    last day of the history."""
    days = sorted({slot.day for slot in training.slots})
    if len(days) < 2:
        raise InvalidInput(
            "At least two days of history are needed to forecast; this series covers one day."
        )
    origin = next(i for i, slot in enumerate(training.slots) if slot.day == days[-1])
    tested = _recent_days(_truncated(training, origin), training.slots[origin:])
    score = accuracy(
        training.values[origin:], _with_special_days(training, training.slots[origin:], tested)
    )
    values = _with_special_days(training, future, _recent_days(training, future))
    return Forecast(
        model=RECENT_DAYS,
        start=start,
        step_minutes=step_minutes,
        values=tuple(values),
        accuracy=score,
        candidates={RECENT_DAYS: score},
        note=(
            f"The history covers {len(days)} days, under the two weeks a weekly model needs "
            "to be tested: the forecast is the average of the same time on recent days, "
            "tested on the last day."
        ),
    )


def _recent_days(training: Training, targets: Sequence[Slot]) -> list[float]:
    days = sorted({slot.day for slot in training.known})[-RECENT_DAYS_AVERAGED:]
    chosen = set(days)
    found: dict[int, list[float]] = {}
    for slot, value in training.known.items():
        if slot.day in chosen:
            found.setdefault(slot.minute, []).append(value)
    return [sum(found.get(s.minute, [0.0])) / len(found.get(s.minute, [0.0])) for s in targets]
