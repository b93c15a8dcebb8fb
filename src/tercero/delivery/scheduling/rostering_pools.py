"""The labour rules summed over a pool of interchangeable agents, for the cover model.

A pool is the agents who serve the same demand keys at the same site time zone. The cover
model decides how many of a pool work each template on each day; these limits are what any
set of individual rosters keeping the labour rules must satisfy, so the cover model is a
relaxation of the full problem: when the agents can then be named for every count it
decided, the roster is as good as any.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

if TYPE_CHECKING:
    from tercero.delivery.scheduling.labour import LabourRules
    from tercero.delivery.scheduling.rostering_model import Candidate, Cell

PoolKey = tuple[frozenset[str], str]


def pool_limits(
    model: cp_model.CpModel,
    cells: list[Cell],
    candidates: list[Candidate],
    rules: LabourRules,
    days: int,
) -> None:
    pools: dict[PoolKey, dict[int, list[Cell]]] = defaultdict(lambda: defaultdict(list))
    for cell in cells:
        pools[(cell.key.group, cell.key.time_zone)][cell.key.day].append(cell)
    for by_day in pools.values():
        people = {day: _agents(day_cells, candidates) for day, day_cells in by_day.items()}
        _day_limits(model, by_day, people)
        _rest_limits(model, by_day, candidates, rules)
        _window_limits(model, by_day, people, rules, days)


def _agents(cells: list[Cell], candidates: list[Candidate]) -> set[int]:
    return {candidates[index].agent_index for cell in cells for index in cell.candidates}


def _count(cells: list[Cell]) -> cp_model.LinearExpr:
    return cp_model.LinearExpr.sum([cell.working for cell in cells])


def _day_limits(
    model: cp_model.CpModel, by_day: dict[int, list[Cell]], people: dict[int, set[int]]
) -> None:
    """One shift a day each: a day's shifts in the pool are at most its agents free that day."""
    for day, day_cells in by_day.items():
        model.add(_count(day_cells) <= len(people[day]))


def _rest_limits(
    model: cp_model.CpModel,
    by_day: dict[int, list[Cell]],
    candidates: list[Candidate],
    rules: LabourRules,
) -> None:
    """Shifts that cannot follow one another (too little rest) share the agents between them."""
    rest = timedelta(minutes=rules.min_rest_minutes)
    reach_days = (rules.max_shift_minutes + rules.min_rest_minutes) // (24 * 60) + 2
    for day, earlier in by_day.items():
        for later_day in range(day + 1, day + reach_days + 1):
            later = sorted(by_day.get(later_day, []), key=lambda cell: cell.start)
            for position, cell in enumerate(later):
                tired = [other for other in earlier if cell.start < other.end + rest]
                if tired:
                    clique = tired + later[: position + 1]
                    model.add(_count(clique) <= len(_agents(clique, candidates)))


def _window_limits(
    model: cp_model.CpModel,
    by_day: dict[int, list[Cell]],
    people: dict[int, set[int]],
    rules: LabourRules,
    days: int,
) -> None:
    """Working days in any 7 days and in any run, and weekly hours, summed over the pool."""
    for first in range(max(days - 6, 1)):
        window = range(first, min(first + 7, days))
        _days_within(model, by_day, people, window, rules.max_days_per_week)
        minutes = [cell.working * _minutes(cell) for day in window for cell in by_day.get(day, [])]
        everyone = set().union(*(people.get(day, set()) for day in window))
        model.add(cp_model.LinearExpr.sum(minutes) <= len(everyone) * rules.max_minutes_per_week)
    run = rules.max_consecutive_days + 1
    for first in range(days - run + 1):
        _days_within(model, by_day, people, range(first, first + run), rules.max_consecutive_days)


def _days_within(
    model: cp_model.CpModel,
    by_day: dict[int, list[Cell]],
    people: dict[int, set[int]],
    window: range,
    most_days: int,
) -> None:
    free_days: dict[int, int] = defaultdict(int)
    for day in window:
        for agent in people.get(day, set()):
            free_days[agent] += 1
    limit = sum(min(most_days, count) for count in free_days.values())
    model.add(_count([cell for day in window for cell in by_day.get(day, [])]) <= limit)


def _minutes(cell: Cell) -> int:
    return int((cell.end - cell.start).total_seconds() // 60)
