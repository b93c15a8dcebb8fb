"""Naming the agents: given how many of a pool work each template on each day, choose
which agents, keeping every labour rule for each of them (hard constraints).

One small CP-SAT model per pool (agents who serve the same demand keys at the same site);
it fills as many of the wanted places as the rules and the agents' time off allow, longest
shifts first. Places it cannot fill show as gaps in the roster.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

if TYPE_CHECKING:
    from tercero.delivery.scheduling.labour import LabourRules
    from tercero.delivery.scheduling.rostering_model import Candidate, Cell, CellKey


def name_agents(
    *,
    cells: list[Cell],
    wanted: dict[CellKey, int],
    candidates: list[Candidate],
    rules: LabourRules,
    days: int,
    time_limit_seconds: float,
    workers: int,
    seed: int,
) -> tuple[dict[CellKey, list[int]], bool]:
    """The candidates chosen per cell, and whether every wanted place was filled."""
    pools: dict[tuple[frozenset[str], str], list[Cell]] = defaultdict(list)
    for cell in cells:
        if wanted.get(cell.key, 0) > 0:
            pools[(cell.key.group, cell.key.time_zone)].append(cell)
    staffed: dict[CellKey, list[int]] = {}
    filled_all = True
    share = time_limit_seconds / max(len(pools), 1)
    for pool_cells in pools.values():
        chosen, filled = _name_pool(
            pool_cells, wanted, candidates, rules, days, share, workers, seed
        )
        staffed.update(chosen)
        filled_all = filled_all and filled
    return staffed, filled_all


def _name_pool(
    cells: list[Cell],
    wanted: dict[CellKey, int],
    candidates: list[Candidate],
    rules: LabourRules,
    days: int,
    time_limit_seconds: float,
    workers: int,
    seed: int,
) -> tuple[dict[CellKey, list[int]], bool]:
    model = cp_model.CpModel()
    indexes = [index for cell in cells for index in cell.candidates]
    chosen = {index: model.new_bool_var("x") for index in indexes}
    labour_rules(model, candidates, chosen, rules, days)
    filled = []
    for cell in cells:
        places = cp_model.LinearExpr.sum([chosen[index] for index in cell.candidates])
        model.add(places <= wanted[cell.key])
        filled.append(places * int((cell.end - cell.start).total_seconds() // 60))
    model.maximize(cp_model.LinearExpr.sum(filled))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_seconds
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    solver.parameters.interleave_search = True
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return {}, False
    staffed = {
        cell.key: [index for index in cell.candidates if solver.value(chosen[index])]
        for cell in cells
    }
    every = all(len(staffed[cell.key]) == wanted[cell.key] for cell in cells)
    return staffed, every


def labour_rules(
    model: cp_model.CpModel,
    candidates: list[Candidate],
    chosen: dict[int, cp_model.IntVar],
    rules: LabourRules,
    days: int,
) -> None:
    by_agent: dict[int, list[int]] = defaultdict(list)
    for index in chosen:
        by_agent[candidates[index].agent_index].append(index)
    for indexes in by_agent.values():
        by_day: dict[int, list[int]] = defaultdict(list)
        for index in indexes:
            by_day[candidates[index].day].append(index)
        for same_day in by_day.values():
            model.add_at_most_one(chosen[index] for index in same_day)
        _rest(model, candidates, chosen, by_day, rules)
        _weeks(model, candidates, chosen, by_day, rules, days)


def _rest(
    model: cp_model.CpModel,
    candidates: list[Candidate],
    chosen: dict[int, cp_model.IntVar],
    by_day: dict[int, list[int]],
    rules: LabourRules,
) -> None:
    """Too little rest between two days' shifts, as cliques: for a later shift `j`, every
    earlier-day shift ending too close before it, and every later-day shift starting no
    later than `j`, clash pairwise (one shift a day does the rest)."""
    rest = timedelta(minutes=rules.min_rest_minutes)
    reach_days = (rules.max_shift_minutes + rules.min_rest_minutes) // (24 * 60) + 2
    for day, earlier in by_day.items():
        for later_day in range(day + 1, day + reach_days + 1):
            later = sorted(by_day.get(later_day, []), key=lambda index: candidates[index].start)
            for position, index in enumerate(later):
                start = candidates[index].start
                tired = [i for i in earlier if start < candidates[i].end + rest]
                if tired:
                    model.add_at_most_one([chosen[i] for i in tired + later[: position + 1]])


def _weeks(
    model: cp_model.CpModel,
    candidates: list[Candidate],
    chosen: dict[int, cp_model.IntVar],
    by_day: dict[int, list[int]],
    rules: LabourRules,
    days: int,
) -> None:
    """Every 7 consecutive days: hours and working days; every run: consecutive days.
    Weekly hours are left out when the working-days limit already keeps them."""
    worked = []
    for day in range(days):
        works = model.new_bool_var("w")
        model.add(works == sum(chosen[index] for index in by_day.get(day, [])))
        worked.append(works)
    longest = max(
        (candidates[i].template.minutes for ids in by_day.values() for i in ids), default=0
    )
    hours_bind = rules.max_days_per_week * longest > rules.max_minutes_per_week
    minutes = (
        [_day_minutes(model, candidates, chosen, by_day.get(day, [])) for day in range(days)]
        if hours_bind
        else []
    )
    for first in range(max(days - 6, 1)):
        window = range(first, min(first + 7, days))
        if hours_bind:
            model.add(sum(minutes[day] for day in window) <= rules.max_minutes_per_week)
        model.add(sum(worked[day] for day in window) <= rules.max_days_per_week)
    run = rules.max_consecutive_days + 1
    for first in range(days - run + 1):
        model.add(sum(worked[first : first + run]) <= rules.max_consecutive_days)


def _day_minutes(
    model: cp_model.CpModel,
    candidates: list[Candidate],
    chosen: dict[int, cp_model.IntVar],
    indexes: list[int],
) -> cp_model.IntVar:
    longest = max((candidates[index].template.minutes for index in indexes), default=0)
    minutes = model.new_int_var(0, longest, "m")
    model.add(
        minutes == sum(candidates[index].template.minutes * chosen[index] for index in indexes)
    )
    return minutes
