"""Erlang C staffing for many intervals: ours (`staff_many`) beside pyworkforce's ErlangC.

    .venv/bin/python bench/staffing.py --intervals 100000 --seed 1

Draws random half-hour intervals (calls log-uniform from 1 to 5,000, handle time uniform
from 60 to 900 seconds: 0.03 to 2,500 Erlangs), each with a service goal drawn from
`--goals` (share answered / seconds; ours staffs each goal's intervals in one call), staffs
every one with both, in the same run, and times each. Where the agent counts differ, the
service level at both counts is computed again in 50-digit decimal arithmetic (the Erlang
B recursion and the exponential in `decimal`, nothing shared with either side) to say
which count is the fewest that meets the target. Then shows pyworkforce's rounding of each
interval before adding queues (pyworkforce#41) on a day of two queues, and ends with a
RESULT line. `--pyworkforce-sample N` times pyworkforce on the first N intervals only and
scales its time to all of them (it says so when it does).
"""

import argparse
import math
import sys
import time
from decimal import Decimal, localcontext
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from tercero.delivery.planning.staffing import staff_many, total_agents

INTERVAL_MINUTES = 30
TARGET = 0.8
ANSWER_SECONDS = 20.0
GOALS = "0.8/20,0.9/30,0.8/60,0.8/120,0.5/30"
SHOWN = 8


class Intervals:
    """Calls, handle times and each interval's goal (target share, answer seconds)."""

    def __init__(self, count: int, seed: int, goals: list[tuple[float, float]]) -> None:
        rng = np.random.default_rng(seed)
        self.calls = np.exp(rng.uniform(math.log(1.0), math.log(5_000.0), count))
        self.aht = rng.uniform(60.0, 900.0, count)
        self.goals = goals
        self.goal = rng.integers(0, len(goals), count)

    def case(self, index: int) -> tuple[float, float, float, float]:
        target, answer = self.goals[int(self.goal[index])]
        return float(self.calls[index]), float(self.aht[index]), target, answer


def _ours(intervals: Intervals) -> tuple[list[int], float]:
    best = math.inf
    agents = np.zeros(len(intervals.calls), dtype=int)
    for _ in range(3):
        started = time.perf_counter()
        for number, (target, answer) in enumerate(intervals.goals):
            chosen = np.flatnonzero(intervals.goal == number)
            result = staff_many(
                "erlang_c",
                calls=intervals.calls[chosen],
                aht_seconds=intervals.aht[chosen],
                interval_minutes=INTERVAL_MINUTES,
                target=target,
                answer_seconds=answer,
            )
            agents[chosen] = [r.agents for r in result]
        best = min(best, time.perf_counter() - started)
    return agents.tolist(), best * 1000


def _pyworkforce(intervals: Intervals, count: int) -> tuple[list[int], float]:
    from pyworkforce.queuing import ErlangC

    cases = [intervals.case(index) for index in range(count)]
    started = time.perf_counter()
    agents = [
        ErlangC(transactions=c, aht=h / 60, asa=answer / 60, interval=30).required_positions(
            service_level=target
        )["raw_positions"]
        for c, h, target, answer in cases
    ]
    return agents, (time.perf_counter() - started) * 1000


def exact_service_level(
    servers: int, calls: float, aht: float, answer: float = ANSWER_SECONDS
) -> Decimal:
    """Erlang C service level in 50-digit decimals, from the exact binary inputs."""
    with localcontext() as context:
        context.prec = 50
        load = Decimal(calls) / Decimal(INTERVAL_MINUTES * 60) * Decimal(aht)
        if servers <= load:
            return Decimal(0)
        blocking = Decimal(1)
        for n in range(1, servers + 1):
            blocking = load * blocking / (n + load * blocking)
        wait = servers * blocking / (servers - load * (1 - blocking))
        return 1 - wait * (-(servers - load) * Decimal(answer) / Decimal(aht)).exp()


def is_fewest(servers: int, calls: float, aht: float, target: float, answer: float) -> bool:
    """True when `servers` meets the target and one fewer does not."""
    goal = Decimal(target)
    meets = exact_service_level(servers, calls, aht, answer) >= goal
    return meets and exact_service_level(servers - 1, calls, aht, answer) < goal


def _judge(ours: list[int], theirs: list[int], intervals: Intervals) -> list[tuple]:
    """Per disagreement: (index, ours, theirs, our count right, theirs right)."""
    found = []
    for index, (mine, other) in enumerate(zip(ours, theirs, strict=False)):
        if mine != other:
            case = intervals.case(index)
            found.append((index, mine, other, is_fewest(mine, *case), is_fewest(other, *case)))
    return found


def _show(found: list[tuple], intervals: Intervals) -> None:
    wrong = [f for f in found if f[4] is False and f[3] is True]
    print(f"first intervals where pyworkforce is wrong ({len(wrong)} in all):")
    for index, mine, other, _, _ in wrong[:SHOWN]:
        c, h, target, answer = intervals.case(index)
        load = c / (INTERVAL_MINUTES * 60) * h
        ours_level = exact_service_level(mine, c, h, answer)
        their_level = exact_service_level(other, c, h, answer)
        print(
            f"  #{index}: {c:.2f} calls, {h:.1f} s ({load:.3f} Erlangs), goal {target:.0%} in "
            f"{answer:.0f} s: ours {mine} (service level {float(ours_level):.4f}), "
            f"pyworkforce {other} ({float(their_level):.4f})"
        )
    by_goal: dict[str, int] = {}
    for index, *_ in wrong:
        _, _, target, answer = intervals.case(index)
        by_goal[f"{target}/{answer:.0f}"] = by_goal.get(f"{target}/{answer:.0f}", 0) + 1
    if by_goal:
        print("  by goal: " + ", ".join(f"{goal}: {count}" for goal, count in by_goal.items()))
    if wrong:
        print(
            "  pyworkforce starts its search at round(load + 1), so with a load's fraction of"
            " .5 or more it never tries floor(load) + 1 agents, even when they meet the target."
        )


def _rounding_day(seed: int) -> None:
    """Two queues over a day of half-hours at 30 % shrinkage: round each, or round once."""
    from pyworkforce.queuing import ErlangC

    rng = np.random.default_rng(seed + 1)
    calls = rng.uniform(20, 400, 96)
    aht = rng.uniform(150, 400, 96)
    result = staff_many(
        "erlang_c",
        calls=calls,
        aht_seconds=aht,
        interval_minutes=INTERVAL_MINUTES,
        target=TARGET,
        answer_seconds=ANSWER_SECONDS,
        shrinkage=0.3,
    )
    theirs = sum(
        ErlangC(
            transactions=float(c),
            aht=float(h) / 60,
            asa=ANSWER_SECONDS / 60,
            interval=30,
            shrinkage=0.3,
        ).required_positions(service_level=TARGET)["positions"]
        for c, h in zip(calls, aht, strict=True)
    )
    once = total_agents(r.agents_raw for r in result)
    print(
        "rounding (pyworkforce#41), two queues x 48 half-hours at 30 % shrinkage: "
        f"agent-intervals rounded each then added (pyworkforce) {theirs}, "
        f"fractional requirements added then rounded once (ours) {once}"
    )


def _erlang_a_at_scale() -> None:
    """pyworkforce's Erlang A at 10,000 Erlangs beside ours (about a minute on its side)."""
    from pyworkforce.queuing import ErlangA as TheirErlangA

    from tercero.delivery.planning.erlang import erlang_a, service_level

    started = time.perf_counter()
    theirs = TheirErlangA(
        transactions=100_000, aht=3, asa=20 / 60, interval=30, patience=5
    ).service_level(10_050)
    their_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    ours = erlang_a(10_050, 100_000 / 1800, 180, 300, 20).service_level
    our_ms = (time.perf_counter() - started) * 1000
    print(
        "Erlang A, 10,000 Erlangs on 10,050 agents, 5 minutes' patience, 20 s: service level "
        f"pyworkforce {theirs:.4f} ({their_ms:,.0f} ms), ours {ours:.4f} ({our_ms:,.1f} ms); "
        f"Erlang C without hang-ups gives {service_level(10_050, 10_000, 180, 20):.4f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intervals", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pyworkforce-sample", type=int, help="time pyworkforce on N only")
    parser.add_argument("--goals", default=GOALS, help="share/seconds, comma-separated")
    parser.add_argument(
        "--erlang-a", action="store_true", help="also compare Erlang A at 10,000 Erlangs"
    )
    args = parser.parse_args()
    goals = [
        (float(share), float(seconds))
        for share, seconds in (goal.split("/") for goal in args.goals.split(","))
    ]
    intervals = Intervals(args.intervals, args.seed, goals)
    print(f"goals drawn per interval: {args.goals.replace(',', ', ')} (share / seconds)")
    ours, ms = _ours(intervals)
    print(f"ours: staff_many on {args.intervals:,} intervals in {ms:,.0f} ms (best of 3)")
    sample = min(args.intervals, args.pyworkforce_sample or args.intervals)
    theirs, measured_ms = _pyworkforce(intervals, sample)
    pyworkforce_ms = measured_ms * args.intervals / sample
    if sample < args.intervals:
        print(
            f"pyworkforce: timed on the first {sample:,} intervals ({measured_ms:,.0f} ms) "
            f"and scaled to {args.intervals:,}: {pyworkforce_ms:,.0f} ms; counts compared "
            f"on those {sample:,}"
        )
    else:
        print(
            f"pyworkforce: ErlangC.required_positions on {sample:,} intervals "
            f"in {measured_ms:,.0f} ms"
        )
    found = _judge(ours, theirs, intervals)
    ours_wrong = sum(1 for f in found if not f[3])
    pyworkforce_wrong = sum(1 for f in found if not f[4])
    print(
        f"counts differ on {len(found)} of {sample:,} intervals: pyworkforce wrong on "
        f"{pyworkforce_wrong}, ours wrong on {ours_wrong} (checked in 50-digit decimals)"
    )
    _show(found, intervals)
    _rounding_day(args.seed)
    if args.erlang_a:
        _erlang_a_at_scale()
    print(
        f"RESULT intervals={args.intervals} ms={ms:.0f} pyworkforce_ms={pyworkforce_ms:.0f} "
        f"speedup={pyworkforce_ms / ms:.1f} disagreements={len(found)} "
        f"pyworkforce_wrong={pyworkforce_wrong}"
    )


if __name__ == "__main__":
    main()
