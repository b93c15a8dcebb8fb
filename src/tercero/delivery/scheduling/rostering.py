"""Rostering: which agent works which shift, so cover follows the needs of every client.

OR-Tools CP-SAT decides; every labour rule is a hard constraint, under- and over-staffing
are penalised separately (`under_weight`, `over_weight` per hundredth of an agent per 15
minutes). How the models are sized and counted is in rostering_model.py.

The search, in steps, each keeping every labour rule:

1. A first roster, shift by shift (rostering_greedy.py), its breaks and the split of
   shared agents between clients then placed by CP-SAT.
2. From it, CP-SAT searches how many agents of each pool (same demand keys, same site)
   work each template on each day, under the labour rules summed over the pool
   (rostering_pools.py: a relaxation of the whole problem).
3. If that finds better cover, the agents are named for those counts (rostering_agents.py,
   every rule per agent) and breaks and the split placed again. The better of the two
   rosters is returned.

"optimal" means proven: the counts were optimal for the relaxation and every count was
staffed (or the first roster already reached the relaxation's optimum). "feasible" is the
best found in the time limit. A roster with no shift at all is always allowed, so
"infeasible" does not arise; "unknown" means the time ran out before any roster.

Times: a template starts at its local wall time at the agent's site on each day of the
roster (zoneinfo). On a day when the clocks skip that time the template is not offered; on
a day when the time occurs twice its first occurrence is used. A shift lasts the template's
minutes of real elapsed time, so across a clock change it ends an hour earlier or later on
the wall clock.

An agent works at most one shift per local day. Present agents (on shift, not on a break)
each cover exactly one demand key they serve in each 15-minute slot: agents shared across
clients are split between them, never counted twice.

Repeatable: a roster whose models are small (up to INTERLEAVE_UP_TO variables; 40 agents
at two sites over a week make about 5,600) is searched with CP-SAT's interleaved workers
and a fixed seed, and comes out the same for the same inputs and `workers` whenever each
step proves its answer optimal. Larger ones are searched by the parallel portfolio, far
quicker to good answers, and stop on the time limit, where the best found so far depends
on the machine's speed.
"""

import time as clock
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ortools.sat.python import cp_model

from tercero.delivery.scheduling.labour import LabourRules, PlannedShift
from tercero.delivery.scheduling.rostering_agents import name_agents
from tercero.delivery.scheduling.rostering_greedy import first_roster
from tercero.delivery.scheduling.rostering_model import (
    SCALE,
    SLOT,
    Cell,
    CellKey,
    RosterModel,
    build_cover,
    candidates_for,
    hint_from,
    on_grid,
    slot_of,
)

SEED = 1
INTERLEAVE_UP_TO = 20_000  # variables


@dataclass(frozen=True)
class ShiftTemplate:
    """A shift shape: starts at `start`, local wall time at the agent's site."""

    key: str
    label: str
    start: time
    minutes: int
    weekdays: frozenset[int] = frozenset(range(7))


@dataclass(frozen=True)
class AgentSupply:
    """One agent as the roster sees them: site time zone, demand keys served, time off."""

    agent_id: int
    time_zone: str
    serves: frozenset[str]
    unavailable: tuple[tuple[datetime, datetime], ...] = ()
    templates: frozenset[str] | None = None


@dataclass(frozen=True)
class Need:
    """`agents` (fractional) needed on demand key `key` from aware `start` for `minutes`."""

    key: str
    start: datetime
    minutes: int
    agents: float


@dataclass(frozen=True)
class Gap:
    key: str
    start: datetime
    minutes: int
    needed: float
    planned: float


@dataclass
class Roster:
    shifts: list[PlannedShift]
    status: str
    under_agent_minutes: float
    over_agent_minutes: float
    gaps: list[Gap]
    solve_seconds: float


Best = tuple[float, RosterModel, cp_model.CpSolver, str]


def solve(
    *,
    needs: Sequence[Need],
    agents: Sequence[AgentSupply],
    templates: Sequence[ShiftTemplate],
    rules: LabourRules,
    first_day: date,
    days: int,
    time_limit_seconds: float = 30.0,
    under_weight: int = 10,
    over_weight: int = 1,
    workers: int = 2,
    progress: Callable[[str], None] | None = None,
) -> Roster:
    """The best roster found within the time limit, its cover figures and its gaps."""
    _check_inputs(needs, agents, templates, rules, days)
    report = progress or (lambda message: None)
    started = clock.perf_counter()
    deadline = started + time_limit_seconds
    candidates = candidates_for(agents, templates, first_day, days)
    report(f"Weighing {len(candidates)} possible shifts for {len(agents)} agents over {days} days.")

    def cover_model(staffed: dict[CellKey, list[int]] | None) -> RosterModel:
        return build_cover(
            needs=needs,
            candidates=candidates,
            agents=agents,
            rules=rules,
            days=days,
            under_weight=under_weight,
            over_weight=over_weight,
            staffed=staffed,
        )

    counts = cover_model(None)
    report("Building a first roster shift by shift.")
    greedy = _staffed_by_cell(
        counts,
        first_roster(
            candidates=candidates,
            agents=agents,
            need=counts.need,
            origin=counts.origin,
            rules=rules,
            under_weight=under_weight,
            over_weight=over_weight,
        ),
    )
    first = cover_model(greedy)
    first_status, first_solver = _search(first, 0.3 * time_limit_seconds, workers, report)
    best: Best = (float("inf"), first, first_solver, "unknown")
    if first_status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        best = (first_solver.objective_value, first, first_solver, "feasible")
        hint_from(counts, first, first_solver)
    report("Improving on it with CP-SAT.")
    status, solver = _search(counts, 0.7 * (deadline - clock.perf_counter()), workers, report)
    if status == cp_model.OPTIMAL and solver.objective_value >= best[0]:
        # the first roster already reaches the relaxation's optimum: nothing can beat it
        best = (
            best[0],
            first,
            first_solver,
            "optimal" if first_status == cp_model.OPTIMAL else "feasible",
        )
    elif status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and solver.objective_value < best[0]:
        improved = _named_roster(
            counts, solver, cover_model, rules, days, deadline, workers, report
        )
        if improved[0] < best[0]:
            best = improved
    seconds = clock.perf_counter() - started
    _, final, final_solver, outcome = best
    if outcome == "unknown":
        return _no_roster(needs, "unknown", seconds)
    return _read_roster(final_solver, final, agents, needs, outcome, seconds)


def _staffed_by_cell(built: RosterModel, taken: list[int]) -> dict[CellKey, list[int]]:
    cell_of = {index: cell.key for cell in built.cells for index in cell.candidates}
    staffed: dict[CellKey, list[int]] = defaultdict(list)
    for index in taken:
        staffed[cell_of[index]].append(index)
    return staffed


def _named_roster(
    counts: RosterModel,
    solver: cp_model.CpSolver,
    cover_model: Callable[[dict[CellKey, list[int]] | None], RosterModel],
    rules: LabourRules,
    days: int,
    deadline: float,
    workers: int,
    report: Callable[[str], None],
) -> Best:
    """Name agents for the counts CP-SAT chose, then place breaks and split shared agents."""
    report("Naming the agents for each shift.")
    staffed, filled_all = name_agents(
        cells=counts.cells,
        wanted={cell.key: solver.value(cell.working) for cell in counts.cells},
        candidates=counts.candidates,
        rules=rules,
        days=days,
        time_limit_seconds=max(0.6 * (deadline - clock.perf_counter()), 1.0),
        workers=workers,
        seed=SEED,
    )
    report("Placing breaks and sharing agents between clients.")
    final = cover_model(staffed)
    final_status, final_solver = _search(
        final, max(0.9 * (deadline - clock.perf_counter()), 0.5), workers, report
    )
    if final_status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return (float("inf"), final, final_solver, "unknown")
    counts_proven = solver.response_proto.status == cp_model.OPTIMAL
    proven = counts_proven and final_status == cp_model.OPTIMAL and filled_all
    return (final_solver.objective_value, final, final_solver, "optimal" if proven else "feasible")


def _search(
    built: RosterModel, seconds: float, workers: int, report: Callable[[str], None]
) -> tuple[cp_model.CpSolverStatus, cp_model.CpSolver]:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = SEED
    # Interleaved workers take turns in a fixed order, so a small roster comes out the same
    # on every run; on large ones they find good answers far too slowly, and those runs
    # end on the time limit anyway, where no search is repeatable.
    solver.parameters.interleave_search = len(built.model.proto.variables) <= INTERLEAVE_UP_TO
    return solver.solve(built.model, _Progress(built, report)), solver


class _Progress(cp_model.CpSolverSolutionCallback):
    """Tells the caller about better rosters as the search finds them, at most one a second
    (the caller may store each message)."""

    def __init__(self, built: RosterModel, report: Callable[[str], None]) -> None:
        super().__init__()
        self._built = built
        self._report = report
        self._last = -1.0

    def on_solution_callback(self) -> None:
        if self._last >= 0 and self.wall_time - self._last < 1.0:
            return
        self._last = self.wall_time
        short = _agent_hours(self.value(self._built.under))
        extra = _agent_hours(self.value(self._built.over))
        self._report(
            f"Found a roster after {self.wall_time:.1f} s: {short:,.1f} agent-hours short "
            f"of need, {extra:,.1f} over."
        )


def _agent_hours(scaled_slots: float) -> float:
    return scaled_slots / SCALE * SLOT.total_seconds() / 3600


def _check_inputs(
    needs: Sequence[Need],
    agents: Sequence[AgentSupply],
    templates: Sequence[ShiftTemplate],
    rules: LabourRules,
    days: int,
) -> None:
    """Refuse inputs the model cannot represent, in words a planner understands."""
    if days < 1:
        raise ValueError("A roster covers at least one day.")
    for template in templates:
        _check_template(template, rules)
    for agent in agents:
        try:
            ZoneInfo(agent.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"Unknown time zone: {agent.time_zone}.") from error
    for need in needs:
        if need.start.tzinfo is None:
            raise ValueError("Needs must be given with a time zone.")
        if not on_grid(need.start) or need.minutes % 15 or need.minutes <= 0:
            raise ValueError("Needs must start and end on a quarter hour.")
        if need.agents < 0:
            raise ValueError("A need cannot be negative.")


def _check_template(template: ShiftTemplate, rules: LabourRules) -> None:
    name = f"The shift '{template.label}'"
    if template.start.minute % 15 or template.start.second or template.minutes % 15:
        raise ValueError(f"{name} must start and end on a quarter hour.")
    if not rules.min_shift_minutes <= template.minutes <= rules.max_shift_minutes:
        raise ValueError(
            f"{name} lasts {template.minutes / 60:g} hours; shifts must last between "
            f"{rules.min_shift_minutes / 60:g} and {rules.max_shift_minutes / 60:g} hours."
        )


def _no_roster(needs: Sequence[Need], status: str, seconds: float) -> Roster:
    gaps = [
        Gap(need.key, need.start, need.minutes, need.agents, 0.0)
        for need in needs
        if need.agents > 0
    ]
    under = sum(need.agents * need.minutes for need in needs)
    return Roster([], status, under, 0.0, gaps, seconds)


def _read_roster(
    solver: cp_model.CpSolver,
    built: RosterModel,
    agents: Sequence[AgentSupply],
    needs: Sequence[Need],
    status: str,
    seconds: float,
) -> Roster:
    allocation = {
        group_key_slot: solver.value(part) for group_key_slot, part in built.allocation.items()
    }
    placed = [_place_cell(solver, built, cell) for cell in built.cells]
    serves = _serves(built.cells, placed, allocation, built.origin)
    shifts = [
        PlannedShift(
            agent_id=agents[index].agent_id,
            template=cell.key.template,
            start=cell.start,
            end=cell.end,
            breaks=breaks,
            serves=tuple(sorted(serves[(index, cell.start)])),
        )
        for cell, people in zip(built.cells, placed, strict=True)
        for index, breaks in people
    ]
    shifts.sort(key=lambda shift: (shift.start, shift.agent_id))
    cover = _cover(allocation)
    under, over = _differences(cover, built.need)
    return Roster(shifts, status, under, over, _gaps(needs, cover, built.origin), seconds)


Placed = list[tuple[int, tuple[tuple[datetime, datetime], ...]]]


def _place_cell(solver: cp_model.CpSolver, built: RosterModel, cell: Cell) -> Placed:
    """The cell's chosen agents, lowest id first, each with the break times dealt to them."""
    people = sorted(built.candidates[index].agent_index for index in cell.staffed)
    dealt: list[list[tuple[datetime, datetime]]] = [[] for _ in people]
    for rule, placed in cell.breaks:
        offsets = [offset for offset, count in placed for _ in range(solver.value(count))]
        for person, offset in enumerate(offsets):
            start = cell.start + timedelta(minutes=offset)
            dealt[person].append((start, start + timedelta(minutes=rule.break_minutes)))
    return [(agent, tuple(sorted(breaks))) for agent, breaks in zip(people, dealt, strict=True)]


def _serves(
    cells: list[Cell],
    placed: list[Placed],
    allocation: dict[tuple[frozenset[str], str, int], int],
    origin: datetime,
) -> dict[tuple[int, datetime], set[str]]:
    """Hand each slot's per-key counts to the group's present agents, lowest id first,
    so an agent keeps the same demand key while the counts stay the same."""
    present: dict[tuple[frozenset[str], int], list[tuple[int, datetime]]] = defaultdict(list)
    for cell, people in zip(cells, placed, strict=True):
        for agent_index, breaks in people:
            away = {
                slot
                for start, end in breaks
                for slot in range(slot_of(start, origin), slot_of(end, origin))
            }
            for slot in range(slot_of(cell.start, origin), slot_of(cell.end, origin)):
                if slot not in away:
                    present[(cell.key.group, slot)].append((agent_index, cell.start))
    counts: dict[tuple[frozenset[str], int], list[tuple[str, int]]] = defaultdict(list)
    for (group, key, slot), count in sorted(allocation.items(), key=lambda item: item[0][1]):
        counts[(group, slot)].append((key, count))
    serves: dict[tuple[int, datetime], set[str]] = defaultdict(set)
    for group_slot, on_duty in present.items():
        on_duty.sort()
        position = 0
        for key, count in counts[group_slot]:
            for person in on_duty[position : position + count]:
                serves[person].add(key)
            position += count
    return serves


def _cover(allocation: dict[tuple[frozenset[str], str, int], int]) -> dict[tuple[str, int], int]:
    cover: dict[tuple[str, int], int] = defaultdict(int)
    for (_, key, slot), count in allocation.items():
        cover[(key, slot)] += count
    return cover


def _differences(
    cover: dict[tuple[str, int], int], need: dict[tuple[str, int], int]
) -> tuple[float, float]:
    """Agent-minutes short of need and over it, summed over every key and slot."""
    slot_minutes = SLOT.total_seconds() / 60
    under = over = 0.0
    for key_slot in set(cover) | set(need):
        difference = cover.get(key_slot, 0) - need.get(key_slot, 0) / SCALE
        under += max(-difference, 0.0) * slot_minutes
        over += max(difference, 0.0) * slot_minutes
    return under, over


def _gaps(needs: Sequence[Need], cover: dict[tuple[str, int], int], origin: datetime) -> list[Gap]:
    """Each need whose interval's average planned cover falls short of it."""
    gaps = []
    for need in sorted(needs, key=lambda need: (need.start, need.key)):
        first = slot_of(need.start, origin)
        slots = range(first, first + need.minutes // 15)
        planned = sum(cover.get((need.key, slot), 0) for slot in slots) / len(slots)
        if planned < round(need.agents * SCALE) / SCALE:
            gaps.append(Gap(need.key, need.start, need.minutes, need.agents, planned))
    return gaps
