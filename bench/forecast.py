"""Forecast accuracy on real call-centre arrivals, held-out weeks, beside seasonal naive.

    .venv/bin/python bench/forecast.py --step-minutes 30 --holdout-weeks 4

Reads a CSV of arrivals (default: the `bank_calls` data set kept outside the
repository, five-minute call counts of a North American bank's call centre, 2003; see
BENCHMARKS.md for its source) with a time column (`DateTime` or `interval_start`,
local wall-clock time), a count column (`Calls` or `arrivals`) and, optionally, a
`series` column (queue or work type). Counts are added up into intervals of
`--step-minutes` on the wall clock of `--time-zone`, with zeros where nothing arrived
(nights, weekends). Weekdays with no record at all (public holidays the centre was
closed, and days missing from the record) are passed as special days.

Each of the last `--holdout-weeks` weeks is forecast from the weeks before it only
(rolling origin): once by `forecast` choosing its model by back-test on the
`--selection-weeks` weeks before the origin, and once by each model alone. The chosen
model's WAPE is therefore measured on weeks it never saw while being chosen. Prints the
per-series and overall WAPE of each model, then one RESULT line.
"""

import argparse
import csv
import sys
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tercero.delivery.planning.forecasting import MODELS, Series, accuracy, forecast  # noqa: E402
from tercero.delivery.planning.forecasting_calendar import Slot, slots_from  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "bank_calls" / "bank_calls.csv"
TIME_COLUMNS = ("interval_start", "DateTime")
COUNT_COLUMNS = ("arrivals", "Calls")


def read_counts(path: Path, *, step_minutes: int) -> dict[str, dict[tuple[date, int], float]]:
    """Arrivals per series and wall-clock interval (local date, minute of the day)."""
    counts: dict[str, dict[tuple[date, int], float]] = defaultdict(lambda: defaultdict(float))
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = reader.fieldnames or []
        time_column = next(name for name in TIME_COLUMNS if name in fields)
        count_column = next(name for name in COUNT_COLUMNS if name in fields)
        for row in reader:
            # the export marks local wall-clock times with "Z"; they are not UTC
            moment = datetime.fromisoformat(row[time_column].rstrip("Z")).replace(tzinfo=None)
            minute = moment.hour * 60 + moment.minute
            key = (moment.date(), minute - minute % step_minutes)
            counts[row.get("series") or "all"][key] += float(row[count_column])
    return counts


def to_series(
    counts: dict[tuple[date, int], float], *, step_minutes: int, time_zone: str
) -> tuple[Series, list[Slot]]:
    """Consecutive intervals from the first day's midnight to the last day's end."""
    first = min(day for day, _ in counts)
    last = max(day for day, _ in counts)
    zone = ZoneInfo(time_zone)
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    end = datetime(last.year, last.month, last.day, tzinfo=zone) + timedelta(days=1)
    # aware datetimes in one zone subtract on the wall clock; count real time in UTC
    elapsed = end.astimezone(UTC) - start.astimezone(UTC)
    count = int(elapsed.total_seconds() // (step_minutes * 60))
    slots = slots_from(start, count=count, step_minutes=step_minutes, time_zone=time_zone)
    seen: set[tuple[date, int]] = set()
    values = []
    for slot in slots:
        key = (slot.day, slot.minute)
        values.append(0.0 if key in seen else counts.get(key, 0.0))
        seen.add(key)
    return Series(start, step_minutes, tuple(values), time_zone), slots


def closed_weekdays(counts: dict[tuple[date, int], float]) -> frozenset[date]:
    recorded = {day for day, _ in counts}
    first, last = min(recorded), max(recorded)
    every = (first + timedelta(days=offset) for offset in range((last - first).days + 1))
    return frozenset(day for day in every if day.weekday() < 5 and day not in recorded)


def evaluate(
    series: Series, slots: list[Slot], *, special: frozenset[date], weeks: int, selection: int
) -> dict[str, tuple[list[float], list[float]]]:
    """Actual and forecast values of the chosen model and of each model alone, over the
    last `weeks` weeks, each week forecast from the weeks before it."""
    results: dict[str, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    last_day = slots[-1].day
    for back in range(weeks, 0, -1):
        origin_day = last_day - timedelta(days=7 * back - 1)
        origin = next(i for i, slot in enumerate(slots) if slot.day == origin_day)
        end = next(
            (i for i, s in enumerate(slots) if s.day > origin_day + timedelta(days=6)), len(slots)
        )
        past = Series(series.start, series.step_minutes, series.values[:origin], series.time_zone)
        actual = list(series.values[origin:end])
        for key in ["chosen", *MODELS]:
            chosen = forecast(
                past,
                horizon=end - origin,
                special_days=special,
                holdout_weeks=selection,
                models=None if key == "chosen" else [key],
            )
            results[key][0].extend(actual)
            results[key][1].extend(chosen.values)
            if key == "chosen":
                results["chosen:" + chosen.model][0].extend(actual)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--step-minutes", type=int, choices=(15, 30), default=30)
    parser.add_argument("--holdout-weeks", type=int, default=4)
    parser.add_argument("--selection-weeks", type=int, default=4)
    parser.add_argument("--series", type=int, default=10, help="the largest N series")
    parser.add_argument("--time-zone", default="America/New_York")
    options = parser.parse_args()

    counts = read_counts(options.data, step_minutes=options.step_minutes)
    largest = sorted(counts, key=lambda name: -sum(counts[name].values()))[: options.series]
    totals: dict[str, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    started = time.perf_counter()
    for name in largest:
        series, slots = to_series(
            counts[name], step_minutes=options.step_minutes, time_zone=options.time_zone
        )
        special = closed_weekdays(counts[name])
        results = evaluate(
            series,
            slots,
            special=special,
            weeks=options.holdout_weeks,
            selection=options.selection_weeks,
        )
        _print_series(name, series, special, results)
        for key in ["chosen", *MODELS]:
            totals[key][0].extend(results[key][0])
            totals[key][1].extend(results[key][1])
    seconds = time.perf_counter() - started
    overall = {key: accuracy(*totals[key]) for key in ["chosen", *MODELS]}
    for key, score in overall.items():
        print(f"overall {key:16} wape={score.wape:.4f} bias={score.bias:+.4f}")
    print(f"seconds={seconds:.1f}")
    print(
        f"RESULT series={len(largest)} wape={overall['chosen'].wape:.4f} "
        f"naive_wape={overall['seasonal_naive'].wape:.4f}"
    )


def _print_series(
    name: str,
    series: Series,
    special: frozenset[date],
    results: dict[str, tuple[list[float], list[float]]],
) -> None:
    print(
        f"series {name}: {len(series.values)} intervals of {series.step_minutes} min, "
        f"{int(sum(series.values))} arrivals, special days "
        + ", ".join(day.isoformat() for day in sorted(special))
    )
    for key in ["chosen", *MODELS]:
        score = accuracy(*results[key])
        print(f"  {key:16} wape={score.wape:.4f} bias={score.bias:+.4f}")
    picks = {
        key.split(":", 1)[1]: len(v[0]) for key, v in results.items() if key.startswith("chosen:")
    }
    print("  chosen intervals by model: " + ", ".join(f"{k}={v}" for k, v in sorted(picks.items())))


if __name__ == "__main__":
    main()
