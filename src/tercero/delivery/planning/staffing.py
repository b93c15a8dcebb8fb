"""Agents needed per interval from calls, handle time and a service target (Erlang B, C or A).

The fractional requirement (`agents_raw`: where the target is just met, interpolated between
whole agents) is what is carried through aggregation, so a day or several queues are
rounded once (`total_agents`), never interval by interval.

Targets: for Erlang C and A, `target` is the share of calls answered within
`answer_seconds` (0.8 for "80 % in 20 seconds"); for Erlang B, the share of calls allowed to
be blocked (0.01 for "1 % blocking", the grade of service of the Erlang B tables).
"""

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tercero.delivery.planning import erlang

MODELS = ("erlang_c", "erlang_a", "erlang_b")
ROUNDING_TOLERANCE = 1e-9

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class Staffing:
    """What one interval needs.

    `agents` is whole productive agents grossed up for shrinkage and rounded up once;
    `agents_raw` the interpolated fractional requirement grossed up, to be summed before
    rounding. The measures are those of the whole productive agents (before the gross-up);
    for Erlang B `service_level` is the share of calls not blocked and nobody waits.
    """

    agents: int
    agents_raw: float
    service_level: float
    asa_seconds: float
    occupancy: float
    abandon_rate: float | None


@dataclass(frozen=True)
class _Request:
    model: str
    load: float
    calls_per_second: float
    aht_seconds: float
    target: float
    answer_seconds: float
    patience_seconds: float | None
    shrinkage: float
    max_occupancy: float | None

    @property
    def target_score(self) -> float:
        """The score to reach: the service level, or for Erlang B the share not blocked."""
        return 1.0 - self.target if self.model == "erlang_b" else self.target


def total_agents(raws: Iterable[float]) -> int:
    """Fractional requirements summed, then rounded up once (1e-9 absorbs float noise)."""
    return max(0, math.ceil(math.fsum(raws) - ROUNDING_TOLERANCE))


def staff(
    model: str,
    *,
    calls: float,
    interval_minutes: int,
    aht_seconds: float,
    target: float,
    answer_seconds: float,
    patience_seconds: float | None = None,
    shrinkage: float = 0.0,
    max_occupancy: float | None = None,
) -> Staffing:
    """Agents to roster for `calls` arriving in one interval of `interval_minutes`."""
    _check_common(model, interval_minutes, target, answer_seconds, shrinkage, max_occupancy)
    _check_interval(calls, aht_seconds)
    if model == "erlang_a":
        _check_patience(patience_seconds)
    calls_per_second = calls / (interval_minutes * 60.0)
    request = _Request(
        model=model,
        load=calls_per_second * aht_seconds,
        calls_per_second=calls_per_second,
        aht_seconds=aht_seconds,
        target=target,
        answer_seconds=answer_seconds,
        patience_seconds=patience_seconds,
        shrinkage=shrinkage,
        max_occupancy=max_occupancy,
    )
    return _staff_one(request)


def _staff_one(request: _Request) -> Staffing:
    if request.load == 0:
        return Staffing(0, 0.0, 1.0, 0.0, 0.0, 0.0 if request.model == "erlang_a" else None)
    measure = _measure_for(request)
    servers, below, at = _smallest_meeting(request, measure)
    return _finish(request, servers, interpolate(servers, below, at, request.target_score), measure)


def interpolate(servers: int, below: float, at: float, target: float) -> float:
    """Where the target is met between servers - 1 and servers, on the straight line.

    Kept a millionth above servers - 1 so that rounding it up gives back `servers`.
    """
    share = (target - below) / (at - below) if at > below else 1.0
    return servers - 1 + min(1.0, max(1e-6, share))


def _score(result: Staffing) -> float:
    """The service level (for Erlang B, the share not blocked): it rises with agents."""
    return result.service_level


def _measure_for(request: _Request) -> Callable[[int], Staffing]:
    """The model's measures for n productive agents (agents and agents_raw left at n)."""

    def measure(servers: int) -> Staffing:
        if request.model == "erlang_b":
            blocking = erlang.erlang_b(servers, request.load)
            occupancy = request.load * (1 - blocking) / servers if servers else 0.0
            return Staffing(servers, servers, 1 - blocking, 0.0, occupancy, None)
        if request.model == "erlang_a":
            assert request.patience_seconds is not None
            a = erlang.erlang_a(
                servers,
                request.calls_per_second,
                request.aht_seconds,
                request.patience_seconds,
                request.answer_seconds,
            )
            return Staffing(
                servers, servers, a.service_level, a.asa_seconds, a.occupancy, a.abandon_rate
            )
        sl = erlang.service_level(
            servers, request.load, request.aht_seconds, request.answer_seconds
        )
        asa = erlang.asa_seconds(servers, request.load, request.aht_seconds)
        occupancy = min(1.0, request.load / servers) if servers else 1.0
        return Staffing(servers, servers, sl, asa, occupancy, None)

    return measure


def _smallest_meeting(
    request: _Request, measure: Callable[[int], Staffing]
) -> tuple[int, float, float]:
    """Fewest agents meeting the target, with the score one agent below and at it."""
    if request.model != "erlang_a":
        return _scan(request)
    low, high = 0, max(1, math.floor(request.load) + 1)
    while _score(measure(high)) < request.target_score:
        low, high = high, high + 2 * (high - low)
    while high - low > 1:
        middle = (low + high) // 2
        if _score(measure(middle)) >= request.target_score:
            high = middle
        else:
            low = middle
    return high, _score(measure(high - 1)), _score(measure(high))


def _scan(request: _Request) -> tuple[int, float, float]:
    """Erlang B and C: one pass of the Erlang B recursion, one agent at a time (O(agents))."""
    below = 0.0
    for servers, blocking in enumerate(erlang.erlang_b_by_servers(request.load)):
        if request.model == "erlang_b":
            score = 1.0 - blocking
        else:
            wait = erlang.erlang_c_from_b(servers, request.load, blocking)
            score = erlang.service_level_from_c(
                servers, request.load, wait, request.aht_seconds, request.answer_seconds
            )
        if score >= request.target_score:
            return servers, below, score
        below = score
    raise AssertionError("unreachable")  # pragma: no cover


def _finish(
    request: _Request, servers: int, raw: float, measure: Callable[[int], Staffing]
) -> Staffing:
    """Apply the occupancy cap, then gross up for shrinkage.

    One interval rosters whole productive agents grossed up and rounded up once (the
    textbook: 14 on the phones at 30 % shrinkage is 14 / 0.7 = 20); `agents_raw` grosses up
    the interpolated requirement, which is what sums across intervals and queues.
    """
    if request.max_occupancy is not None:
        floor_raw = request.load / request.max_occupancy
        raw = max(raw, floor_raw)
        servers = max(servers, math.ceil(floor_raw - ROUNDING_TOLERANCE))
    result = measure(servers)
    return Staffing(
        agents=total_agents([servers / (1.0 - request.shrinkage)]),
        agents_raw=raw / (1.0 - request.shrinkage),
        service_level=result.service_level,
        asa_seconds=result.asa_seconds,
        occupancy=result.occupancy,
        abandon_rate=result.abandon_rate,
    )


def _check_common(
    model: str,
    interval_minutes: int,
    target: float,
    answer_seconds: float,
    shrinkage: float,
    max_occupancy: float | None,
) -> None:
    if model not in MODELS:
        raise ValueError("The model must be one of erlang_c, erlang_a or erlang_b.")
    if not (isinstance(interval_minutes, int) and interval_minutes > 0):
        raise ValueError("The interval must be a whole number of minutes, more than zero.")
    if not (math.isfinite(target) and 0 < target < 1):
        raise ValueError("The target must be a share between 0 and 1, such as 0.8.")
    if not (math.isfinite(answer_seconds) and answer_seconds >= 0):
        raise ValueError("The answer time must be zero or more seconds.")
    if not (math.isfinite(shrinkage) and 0 <= shrinkage < 1):
        raise ValueError("Shrinkage must be a share from 0 up to (not including) 1, such as 0.3.")
    if max_occupancy is not None and not (math.isfinite(max_occupancy) and 0 < max_occupancy <= 1):
        raise ValueError("The occupancy cap must be a share above 0 and at most 1, such as 0.85.")


def _check_interval(calls: float, aht_seconds: float) -> None:
    if not (math.isfinite(calls) and calls >= 0):
        raise ValueError("Calls must be a number, zero or more.")
    if not (math.isfinite(aht_seconds) and aht_seconds > 0):
        raise ValueError("The handle time must be a positive number of seconds.")


def _check_patience(patience_seconds: float | None) -> None:
    if patience_seconds is None or not patience_seconds > 0:
        raise ValueError("Erlang A needs the callers' patience: a positive number of seconds.")


def staff_many(
    model: str,
    *,
    calls: Sequence[float],
    aht_seconds: Sequence[float],
    interval_minutes: int,
    target: float,
    answer_seconds: float,
    patience_seconds: float | None = None,
    shrinkage: float = 0.0,
    max_occupancy: float | None = None,
) -> list[Staffing]:
    """`staff` for many intervals at once; Erlang C is vectorised (100,000 in well under 1 s)."""
    if len(calls) != len(aht_seconds):
        raise ValueError("Give one handle time for each interval's calls.")
    if model != "erlang_c":
        return [
            staff(
                model,
                calls=c,
                interval_minutes=interval_minutes,
                aht_seconds=h,
                target=target,
                answer_seconds=answer_seconds,
                patience_seconds=patience_seconds,
                shrinkage=shrinkage,
                max_occupancy=max_occupancy,
            )
            for c, h in zip(calls, aht_seconds, strict=True)
        ]
    _check_common(model, interval_minutes, target, answer_seconds, shrinkage, max_occupancy)
    volume = np.asarray(calls, dtype=np.float64)
    handle = np.asarray(aht_seconds, dtype=np.float64)
    if not (np.all(np.isfinite(volume)) and np.all(volume >= 0)):
        raise ValueError("Calls must be numbers, zero or more.")
    if not (np.all(np.isfinite(handle)) and np.all(handle > 0)):
        raise ValueError("Handle times must be positive numbers of seconds.")
    load = volume / (interval_minutes * 60.0) * handle
    return _erlang_c_many(load, handle, target, answer_seconds, shrinkage, max_occupancy)


def service_levels(servers: Floats, load: Floats, ratio: Floats) -> tuple[Floats, Floats]:
    """Erlang C service level and probability of waiting for arrays of servers and loads.

    Erlang B as the Poisson probability of n over the Poisson distribution up to n
    (B = p(n; A) / P(N <= n; A)), the probability in log space and the distribution from
    the regularised incomplete gamma function; `ratio` is answer time / handle time.
    SciPy is imported here, when a level is computed, so starting the app does not load it.
    """
    from scipy.special import gammaln, pdtr  # type: ignore[import-untyped]

    stable = servers > load
    n = np.where(stable, servers, 1.0)
    a = np.where(stable, load, 0.5)
    with np.errstate(divide="ignore"):  # no load: log 0 = -inf, so no blocking
        log_pmf = n * np.log(a) - a - gammaln(n + 1.0)
    blocking = np.exp(log_pmf) / pdtr(n, a)
    wait = n * blocking / (n - a * (1.0 - blocking))
    level = 1.0 - wait * np.exp(-(n - a) * ratio)
    return np.where(stable, level, 0.0), np.where(stable, wait, 1.0)


def _smallest_meeting_many(load: Floats, ratio: Floats, target: float) -> Floats:
    """Fewest servers meeting the target for every interval: doubling, then bisection."""
    low = np.floor(load)
    high = low + 1.0
    short = np.ones(load.shape, dtype=bool)
    while short.any():
        level, _ = service_levels(high[short], load[short], ratio[short])
        missed = level < target
        index = np.flatnonzero(short)
        step = high[index[missed]] - low[index[missed]]
        low[index[missed]] = high[index[missed]]
        high[index[missed]] += 2 * step
        short[index[~missed]] = False
    open_ = high - low > 1
    while open_.any():
        index = np.flatnonzero(open_)
        middle = np.floor((low[index] + high[index]) / 2)
        level, _ = service_levels(middle, load[index], ratio[index])
        met = level >= target
        high[index[met]] = middle[met]
        low[index[~met]] = middle[~met]
        open_[index] = high[index] - low[index] > 1
    return high


def _erlang_c_many(
    load: Floats,
    handle: Floats,
    target: float,
    answer_seconds: float,
    shrinkage: float,
    max_occupancy: float | None,
) -> list[Staffing]:
    ratio = answer_seconds / handle
    servers = _smallest_meeting_many(load, ratio, target)
    below, _ = service_levels(servers - 1.0, load, ratio)
    at, _ = service_levels(servers, load, ratio)
    share = np.where(at > below, (target - below) / np.where(at > below, at - below, 1.0), 1.0)
    raw = servers - 1.0 + np.clip(share, 1e-6, 1.0)
    if max_occupancy is not None:
        floor_raw = load / max_occupancy
        raw = np.maximum(raw, floor_raw)
        servers = np.maximum(servers, np.ceil(floor_raw - ROUNDING_TOLERANCE))
    level, wait = service_levels(servers, load, ratio)
    busy = servers > 0
    asa = np.where(busy, wait * handle / np.where(busy, servers - load, 1.0), 0.0)
    occupancy = np.where(busy, load / np.where(busy, servers, 1.0), 0.0)
    idle = load == 0
    gross = np.where(idle, 0.0, raw / (1.0 - shrinkage))
    whole = np.where(idle, 0.0, servers / (1.0 - shrinkage))
    agents = np.maximum(0.0, np.ceil(whole - ROUNDING_TOLERANCE))
    level = np.where(idle, 1.0, level)
    return [
        Staffing(int(n), float(g), float(s), float(w), float(o), None)
        for n, g, s, w, o in zip(
            agents.tolist(),
            gross.tolist(),
            level.tolist(),
            asa.tolist(),
            occupancy.tolist(),
            strict=True,
        )
    ]
