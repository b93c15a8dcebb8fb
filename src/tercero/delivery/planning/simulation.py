"""A discrete-event check of one pool of agents shared by several clients' queues.

Erlang's formulas assume one queue; when several clients' calls wait in one line for the
same agents, each with its own handle time and patience, the simulation (ciw) says what
each queue actually gets. Calls are answered first come, first served across queues.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean, stdev

WARM_UP_INTERVALS = 1
MEASURED_INTERVALS = 16


@dataclass(frozen=True)
class QueueLoad:
    """One queue's calls per interval, mean handle time and (optionally) mean patience."""

    calls: float
    aht_seconds: float
    patience_seconds: float | None = None


@dataclass(frozen=True)
class PoolResult:
    """What one queue got, averaged over replications; `spread` is their standard error."""

    calls: int
    service_level: float
    service_level_spread: float
    asa_seconds: float
    abandon_rate: float


@dataclass(frozen=True)
class _Outcome:
    arrived: int
    answered_in_time: int
    abandoned: int
    waited_seconds: float


def simulate_pool(
    queues: Sequence[QueueLoad],
    agents: int,
    *,
    interval_minutes: int,
    answer_seconds: float | Sequence[float],
    replications: int = 5,
    seed: int = 1,
    measured_intervals: int = MEASURED_INTERVALS,
) -> list[PoolResult]:
    """Per queue: share answered within `answer_seconds` (one figure, or one per queue;
    hang-ups count as missed), mean wait of all callers and share who hung up, from
    `replications` independent runs of `measured_intervals` steady intervals each (after
    one interval of warm-up)."""
    _check(queues, agents, interval_minutes, replications)
    answers = (
        [float(answer_seconds)] * len(queues)
        if isinstance(answer_seconds, int | float)
        else [float(each) for each in answer_seconds]
    )
    if len(answers) != len(queues):
        raise ValueError("Give one answer time, or one for each queue.")
    interval = interval_minutes * 60.0
    start = WARM_UP_INTERVALS * interval
    stop = start + measured_intervals * interval
    runs = [
        _replicate(queues, agents, interval, (start, stop), answers, seed + run)
        for run in range(replications)
    ]
    return [_summarise([run[index] for run in runs]) for index in range(len(queues))]


def _check(
    queues: Sequence[QueueLoad], agents: int, interval_minutes: int, replications: int
) -> None:
    if not queues:
        raise ValueError("Give at least one queue to simulate.")
    if agents < 1 or interval_minutes < 1 or replications < 1:
        raise ValueError("Agents, interval minutes and replications must be at least 1.")
    for queue in queues:
        if queue.calls <= 0 or queue.aht_seconds <= 0:
            raise ValueError("Each queue needs calls and a handle time above zero.")
        if queue.patience_seconds is not None and queue.patience_seconds <= 0:
            raise ValueError("Patience, when given, must be a positive number of seconds.")


def _network(queues: Sequence[QueueLoad], agents: int, interval: float) -> object:
    import ciw  # type: ignore[import-untyped]  # loaded by a check, not when the app starts

    names = [f"queue {index}" for index in range(len(queues))]
    arrivals = {
        n: [ciw.dists.Exponential(q.calls / interval)] for n, q in zip(names, queues, strict=True)
    }
    services = {
        n: [ciw.dists.Exponential(1.0 / q.aht_seconds)] for n, q in zip(names, queues, strict=True)
    }
    patience = {
        n: [ciw.dists.Exponential(1.0 / q.patience_seconds) if q.patience_seconds else None]
        for n, q in zip(names, queues, strict=True)
    }
    return ciw.create_network(
        arrival_distributions=arrivals,
        service_distributions=services,
        number_of_servers=[agents],
        reneging_time_distributions=patience,
    )


def _replicate(
    queues: Sequence[QueueLoad],
    agents: int,
    interval: float,
    window: tuple[float, float],
    answers: Sequence[float],
    seed: int,
) -> list[_Outcome]:
    """One run: callers arriving in the window, followed until they are answered or leave."""
    import ciw  # loaded by a check, not when the app starts

    start, stop = window
    ciw.seed(seed)
    simulation = ciw.Simulation(_network(queues, agents, interval))
    simulation.simulate_until_max_time(stop + 4 * interval)
    counts = {index: [0, 0, 0, 0.0] for index in range(len(queues))}
    for record in simulation.get_all_records(only=["service", "renege"]):
        if not start <= record.arrival_date < stop:
            continue
        index = _queue_index(record.customer_class)
        tally = counts[index]
        tally[0] += 1
        if record.record_type == "renege":
            tally[2] += 1
            tally[3] += record.exit_date - record.arrival_date
        else:
            tally[1] += record.waiting_time <= answers[index]
            tally[3] += record.waiting_time
    return [_Outcome(int(a), int(b), int(c), float(w)) for a, b, c, w in counts.values()]


def _queue_index(customer_class: str) -> int:
    return int(customer_class.rsplit(" ", 1)[1])


def _summarise(outcomes: Sequence[_Outcome]) -> PoolResult:
    levels = [o.answered_in_time / o.arrived if o.arrived else 1.0 for o in outcomes]
    arrived = sum(o.arrived for o in outcomes)
    spread = stdev(levels) / math.sqrt(len(levels)) if len(levels) > 1 else 0.0
    return PoolResult(
        calls=arrived,
        service_level=fmean(levels),
        service_level_spread=spread,
        asa_seconds=sum(o.waited_seconds for o in outcomes) / arrived if arrived else 0.0,
        abandon_rate=sum(o.abandoned for o in outcomes) / arrived if arrived else 0.0,
    )
