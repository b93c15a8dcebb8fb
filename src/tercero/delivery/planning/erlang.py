"""Erlang B, C and A: the queueing formulas behind contact-centre staffing.

Every formula here is written so that it stays finite from 0.01 to 20,000 Erlangs: Erlang B
by its forward recursion (no factorials, no powers), Erlang A's series in log space. The
load is the offered traffic in Erlangs: calls per second times the mean handle time.
"""

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

# Terms of a log-space series more than e^-50 below its largest change nothing in a double.
_NEGLIGIBLE = 50.0


def _check_load(servers: int, load: float) -> None:
    if servers < 0:
        raise ValueError("The number of servers cannot be negative.")
    if not math.isfinite(load) or load < 0:
        raise ValueError("The offered load must be a finite number of Erlangs, zero or more.")


def erlang_b_by_servers(load: float) -> Iterator[float]:
    """Blocking with 0, 1, 2, ... servers, one after the other (the stable recursion).

    B(0) = 1 and B(n) = A B(n-1) / (n + A B(n-1)): every step is a ratio between 0 and 1,
    so nothing overflows; for tiny loads and many servers it falls towards zero as the
    true value does (ITU-T Teletraffic Engineering Handbook, Iversen, section 4.3).
    """
    blocking = 1.0
    servers = 0
    while True:
        yield blocking
        servers += 1
        blocking = load * blocking / (servers + load * blocking)


def erlang_b(servers: int, load: float) -> float:
    """Probability that a call finds every one of `servers` lines busy and is lost."""
    _check_load(servers, load)
    for count, blocking in enumerate(erlang_b_by_servers(load)):
        if count == servers:
            return blocking
    raise AssertionError("unreachable")  # pragma: no cover


def erlang_c_from_b(servers: int, load: float, blocking: float) -> float:
    """Probability of waiting in M/M/n from Erlang B with the same servers and load."""
    if servers <= load:
        return 1.0
    return servers * blocking / (servers - load * (1.0 - blocking))


def erlang_c(servers: int, load: float) -> float:
    """Probability that a call waits (1.0 when the servers cannot keep up with the load)."""
    if servers <= load:
        _check_load(servers, load)
        return 1.0
    return erlang_c_from_b(servers, load, erlang_b(servers, load))


def service_level_from_c(
    servers: int, load: float, wait_probability: float, aht_seconds: float, answer_seconds: float
) -> float:
    """Share of calls answered within `answer_seconds`: 1 - C e^(-(n - A) t / AHT)."""
    if servers <= load:
        return 0.0
    return 1.0 - wait_probability * math.exp(-(servers - load) * answer_seconds / aht_seconds)


def service_level(servers: int, load: float, aht_seconds: float, answer_seconds: float) -> float:
    """Erlang C share of calls answered within `answer_seconds` (0 when the queue grows)."""
    _check_times(aht_seconds, answer_seconds)
    wait = erlang_c(servers, load)
    return service_level_from_c(servers, load, wait, aht_seconds, answer_seconds)


def asa_seconds(servers: int, load: float, aht_seconds: float) -> float:
    """Erlang C average speed of answer: C AHT / (n - A); infinite when the queue grows."""
    _check_times(aht_seconds, 0.0)
    wait = erlang_c(servers, load)
    if servers <= load:
        return math.inf
    return wait * aht_seconds / (servers - load)


def _check_times(aht_seconds: float, answer_seconds: float) -> None:
    if not (math.isfinite(aht_seconds) and aht_seconds > 0):
        raise ValueError("The handle time must be a positive number of seconds.")
    if not (math.isfinite(answer_seconds) and answer_seconds >= 0):
        raise ValueError("The answer time must be zero or more seconds.")


@dataclass(frozen=True)
class ErlangA:
    """M/M/n+M (Palm's Erlang A): callers hang up after an exponential patience.

    `service_level` is the share of all callers answered within the answer time (those
    who hang up count as missed); `asa_seconds` is the mean time callers spend waiting,
    answered or not, so that mean queue length = arrival rate x `asa_seconds`.
    """

    wait_probability: float
    service_level: float
    asa_seconds: float
    abandon_rate: float
    occupancy: float


def log_series(first: float, ratio_top: float) -> tuple[float, float]:
    """log M(a, z) and the mean k under its terms, M(a, z) = sum_k z^k / ((a+1)...(a+k)).

    The series behind Erlang A (Mandelbaum and Zeltyn, "The Palm/Erlang-A queue, with
    applications to call centers", 2007: their A(x, y) is M(x, y)); the mean k is the mean
    queue length of those who wait. Terms rise while k < z - a and then fall like a
    Gaussian; they are summed in log space as k log(z/a) - sum log1p(i/a), which keeps
    full precision when a is huge (long patience), until they are negligible.
    """
    a, z = first, ratio_top
    if z <= 0:
        return 0.0, 0.0
    stop = max(0.0, math.floor(z - a)) + math.ceil(20.0 * math.sqrt(z) + 50.0)
    if z < a + 1.0:  # falling from the first term at least as fast as (z / (a + 1))^k
        stop = min(stop, math.ceil((_NEGLIGIBLE + 5.0) / -math.log(z / (a + 1.0))) + 50.0)
    while True:
        k = np.arange(0.0, stop + 1.0)
        log_terms = k * (math.log(z) - math.log(a)) - np.cumsum(np.log1p(k / a))
        top = float(log_terms.max())
        if log_terms[-1] < top - _NEGLIGIBLE:
            weights = np.exp(log_terms - top)
            total = float(weights.sum())
            return top + math.log(total), float((k * weights).sum()) / total
        stop *= 2


def erlang_a(
    servers: int,
    calls_per_second: float,
    aht_seconds: float,
    patience_seconds: float,
    answer_seconds: float,
) -> ErlangA:
    """Erlang A measures for `servers` agents; infinite patience gives Erlang C."""
    _check_times(aht_seconds, answer_seconds)
    load = calls_per_second * aht_seconds
    _check_load(servers, load)
    if not patience_seconds > 0:
        raise ValueError("Patience must be a positive number of seconds.")
    if math.isinf(patience_seconds):
        return _erlang_c_as_a(servers, load, aht_seconds, answer_seconds)
    if load == 0:
        return ErlangA(0.0, 1.0, 0.0, 0.0, 0.0)
    if servers == 0:
        return ErlangA(1.0, 0.0, patience_seconds, 1.0, 0.0)
    return _palm(servers, load, calls_per_second, aht_seconds, patience_seconds, answer_seconds)


def _palm(
    servers: int,
    load: float,
    calls_per_second: float,
    aht_seconds: float,
    patience_seconds: float,
    answer_seconds: float,
) -> ErlangA:
    """The closed forms of Mandelbaum and Zeltyn (2007), with x = n mu / theta, y = lambda / theta.

    P(wait) = M B / (1 + (M - 1) B) with B Erlang B; P(abandon) = theta E[queue] / lambda;
    answered within t among those who wait = x/(x+1) [M(x+1, y) - e^(y - z - theta t (x+1))
    M(x+1, z)] / M(x, y) with z = y e^(-theta t), from integrating e^(-theta v) against the
    offered wait's density.
    """
    theta = 1.0 / patience_seconds
    x = servers / aht_seconds / theta
    y = calls_per_second / theta
    log_m, mean_queue_if_wait = log_series(x, y)
    wait = _wait_probability(erlang_b(servers, load), log_m)
    # P(abandon) = theta E[Q] / lambda (each waiting caller hangs up at rate theta).
    abandon = min(1.0, wait * mean_queue_if_wait / y)
    shift = -y * math.expm1(-theta * answer_seconds) - theta * answer_seconds * (x + 1.0)
    z = y * math.exp(-theta * answer_seconds)
    answered_ever = math.exp(log_series(x + 1.0, y)[0] - log_m)
    answered_later = math.exp(log_series(x + 1.0, z)[0] + shift - log_m)
    answered_if_wait = x / (x + 1.0) * (answered_ever - answered_later)
    within = (1.0 - wait) + wait * min(1.0, max(0.0, answered_if_wait))
    return ErlangA(
        wait_probability=wait,
        service_level=min(1.0, within),
        asa_seconds=abandon * patience_seconds,
        abandon_rate=abandon,
        occupancy=load * (1.0 - abandon) / servers,
    )


def _wait_probability(blocking: float, log_m: float) -> float:
    """M B / (1 + (M - 1) B) = 1 / (1 + (1/B - 1) / M), in log space for huge M."""
    if blocking <= 0.0:
        return 0.0
    if blocking >= 1.0:
        return 1.0
    log_ratio = math.log1p(-blocking) - math.log(blocking) - log_m
    if log_ratio > 700:
        return 0.0
    return 1.0 / (1.0 + math.exp(log_ratio))


def _erlang_c_as_a(servers: int, load: float, aht_seconds: float, answer_seconds: float) -> ErlangA:
    wait = erlang_c(servers, load)
    return ErlangA(
        wait_probability=wait,
        service_level=service_level_from_c(servers, load, wait, aht_seconds, answer_seconds),
        asa_seconds=asa_seconds(servers, load, aht_seconds),
        abandon_rate=0.0,
        occupancy=min(1.0, load / servers) if servers else 0.0,
    )
