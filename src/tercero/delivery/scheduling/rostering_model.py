"""The CP-SAT model behind `rostering.solve`: possible shifts, labour rules, breaks, cover.

Sizes that keep 300 agents over 4 weeks solvable on two cores:

- Cover is counted on a 15-minute grid in UTC (every real time zone's offset is a whole
  number of quarter hours, so needs given per 15, 30 or 60 local minutes fall on it).
- Agents are decided one yes/no per (agent, day, template); everything about cover is
  counted per *cell*: the agents who serve the same demand keys, at the same site time
  zone, on the same template and day. Such agents are interchangeable for cover, so breaks
  and the split of agents between demand keys are whole-number counts per cell and slot,
  not per agent. The result is then handed out to named agents (rostering.py).
- Breaks start on a 30-minute step. A shift's break window (its length less the rules'
  margin at each end) is cut into one equal part per break, shortest-threshold rule first,
  so an agent's breaks can never overlap whichever positions the solver picks.
- Needs are fractional agents, scaled by 100 and rounded: under- and over-staffing are
  penalised per hundredth of an agent per 15 minutes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ortools.sat.python import cp_model

from tercero.delivery.scheduling.rostering_pools import pool_limits

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from tercero.delivery.scheduling.labour import BreakRule, LabourRules
    from tercero.delivery.scheduling.rostering import AgentSupply, Need, ShiftTemplate

SLOT = timedelta(minutes=15)
BREAK_STEP_MINUTES = 30
SCALE = 100
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Candidate:
    """A shift one agent could work: a template on a local day, placed in UTC."""

    agent_index: int
    day: int
    template: ShiftTemplate
    start: datetime
    end: datetime


@dataclass(frozen=True)
class CellKey:
    """Interchangeable agents: same demand keys, site time zone, template and day."""

    group: frozenset[str]
    time_zone: str
    template: str
    day: int


@dataclass
class Cell:
    key: CellKey
    start: datetime
    end: datetime
    candidates: list[int] = field(default_factory=list)
    staffed: list[int] = field(default_factory=list)
    count: cp_model.IntVar | None = None
    most: int = 0
    # per break rule: (rule, [(minutes from shift start, how many agents break there)])
    breaks: list[tuple[BreakRule, list[tuple[int, cp_model.LinearExprT]]]] = field(
        default_factory=list
    )

    @property
    def working(self) -> cp_model.IntVar:
        """How many agents work the cell (set once the model is built)."""
        assert self.count is not None
        return self.count


@dataclass
class RosterModel:
    """The model and the handles `rostering.solve` reads the answer back from."""

    model: cp_model.CpModel
    candidates: list[Candidate]
    cells: list[Cell]
    origin: datetime
    need: dict[tuple[str, int], int]  # (key, slot) -> hundredths of an agent
    allocation: dict[tuple[frozenset[str], str, int], cp_model.LinearExprT]
    under: cp_model.LinearExpr
    over: cp_model.LinearExpr
    penalties: dict[tuple[str, int], tuple[cp_model.IntVar, cp_model.IntVar]] = field(
        default_factory=dict
    )


def slot_of(moment: datetime, origin: datetime) -> int:
    return (moment - origin) // SLOT


def on_grid(moment: datetime) -> bool:
    return (moment - _EPOCH) % SLOT == timedelta(0)


def local_start(day: date, template: ShiftTemplate, zone: ZoneInfo) -> datetime | None:
    """The template's UTC start on `day` at the site, or None when the clocks skip it."""
    local = datetime.combine(day, template.start, tzinfo=zone)
    start = local.astimezone(UTC)
    if start.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return start


def candidates_for(
    agents: Sequence[AgentSupply],
    templates: Sequence[ShiftTemplate],
    first_day: date,
    days: int,
) -> list[Candidate]:
    """Every (agent, day, template) the agent may work: allowed template, weekday, no leave."""
    found = []
    for agent_index, agent in enumerate(agents):
        zone = ZoneInfo(agent.time_zone)
        for day in range(days):
            local_day = first_day + timedelta(days=day)
            for template in templates:
                if agent.templates is not None and template.key not in agent.templates:
                    continue
                if local_day.weekday() not in template.weekdays:
                    continue
                start = local_start(local_day, template, zone)
                if start is None:
                    continue
                end = start + timedelta(minutes=template.minutes)
                if any(
                    start < off_end and off_start < end for off_start, off_end in agent.unavailable
                ):
                    continue
                found.append(Candidate(agent_index, day, template, start, end))
    return found


def build_cover(
    *,
    needs: Sequence[Need],
    candidates: list[Candidate],
    agents: Sequence[AgentSupply],
    rules: LabourRules,
    days: int,
    under_weight: int,
    over_weight: int,
    staffed: Mapping[CellKey, list[int]] | None = None,
) -> RosterModel:
    """Cover per cell: how many agents work each cell (free within the pools' limits, or
    fixed to the `staffed` candidates), where their breaks fall, which key each covers."""
    model = cp_model.CpModel()
    origin = _origin(candidates, needs)
    cells = _cells(model, candidates, agents, rules, staffed)
    if staffed is None:
        pool_limits(model, cells, candidates, rules, days)
    need = _need_by_slot(needs, origin)
    allocation = _allocation(model, cells, origin, need)
    penalties: dict[tuple[str, int], tuple[cp_model.IntVar, cp_model.IntVar]] = {}
    under, over = _penalties(model, allocation, need, len(agents), penalties)
    model.minimize(under_weight * under + over_weight * over)
    return RosterModel(model, candidates, cells, origin, need, allocation, under, over, penalties)


def _origin(candidates: list[Candidate], needs: Sequence[Need]) -> datetime:
    starts = [candidate.start for candidate in candidates] + [need.start for need in needs]
    earliest = min(starts, default=_EPOCH)
    return earliest - (earliest - _EPOCH) % SLOT


def _cells(
    model: cp_model.CpModel,
    candidates: list[Candidate],
    agents: Sequence[AgentSupply],
    rules: LabourRules,
    staffed: Mapping[CellKey, list[int]] | None,
) -> list[Cell]:
    cells: dict[CellKey, Cell] = {}
    for index, candidate in enumerate(candidates):
        agent = agents[candidate.agent_index]
        key = CellKey(agent.serves, agent.time_zone, candidate.template.key, candidate.day)
        cell = cells.setdefault(key, Cell(key, candidate.start, candidate.end))
        cell.candidates.append(index)
    for cell in cells.values():
        if staffed is None:
            size = len(cell.candidates)
            cell.count = model.new_int_var(0, size, "n")
        else:
            cell.staffed = sorted(staffed.get(cell.key, []))
            size = len(cell.staffed)
            cell.count = model.new_constant(size)
        cell.most = size
        _place_breaks(model, cell, rules, size)
    return list(cells.values())


def break_windows(rules: LabourRules, minutes: int) -> list[tuple[BreakRule, list[int]]]:
    """Each applying break rule with the offsets (minutes from shift start) it may start at."""
    applying = rules.breaks_for(minutes)
    if not applying:
        return []
    margin = rules.break_margin_minutes
    part = (minutes - 2 * margin) // len(applying)
    windows = []
    for number, rule in enumerate(applying):
        first = margin + number * part
        last = first + part - rule.break_minutes
        on_grid = range(-(-first // 15) * 15, last + 1, 15)
        offsets = [offset for offset in on_grid if offset % BREAK_STEP_MINUTES == 0]
        offsets = offsets or list(on_grid)[:1]
        if not offsets:
            raise ValueError(
                f"A {minutes}-minute shift has no room for its {rule.break_minutes}-minute "
                f"break away from its first and last {margin} minutes."
            )
        windows.append((rule, offsets))
    return windows


def _place_breaks(model: cp_model.CpModel, cell: Cell, rules: LabourRules, size: int) -> None:
    assert cell.count is not None
    minutes = int((cell.end - cell.start).total_seconds() // 60)
    for rule, offsets in break_windows(rules, minutes):
        if len(offsets) == 1:
            cell.breaks.append((rule, [(offsets[0], cell.count)]))
            continue
        if size == 0:
            cell.breaks.append((rule, [(offset, 0) for offset in offsets]))
            continue
        counts = [model.new_int_var(0, size, "b") for _ in offsets]
        model.add(sum(counts) == cell.count)
        cell.breaks.append((rule, list(zip(offsets, counts, strict=True))))


def _need_by_slot(needs: Sequence[Need], origin: datetime) -> dict[tuple[str, int], int]:
    need: dict[tuple[str, int], int] = {}
    for item in needs:
        first = slot_of(item.start, origin)
        for slot in range(first, first + item.minutes // 15):
            if (item.key, slot) in need:
                raise ValueError(
                    f"Two needs for {item.key} overlap at {item.start:%d %b %H:%M} UTC."
                )
            need[(item.key, slot)] = round(item.agents * SCALE)
    return need


Capacity = dict[tuple[frozenset[str], int], list[cp_model.LinearExprT]]


def _capacity(
    cells: list[Cell], origin: datetime
) -> tuple[Capacity, dict[tuple[frozenset[str], int], int]]:
    """Per (demand-key group, slot): agents on shift, less those on a break in that slot;
    and the most agents that could be there."""
    terms: Capacity = defaultdict(list)
    most: dict[tuple[frozenset[str], int], int] = defaultdict(int)
    for cell in cells:
        assert cell.count is not None
        group = cell.key.group
        first = slot_of(cell.start, origin)
        for slot in range(first, slot_of(cell.end, origin)):
            terms[(group, slot)].append(cell.count)
            most[(group, slot)] += cell.most
        for rule, placed in cell.breaks:
            for offset, count in placed:
                start = slot_of(cell.start + timedelta(minutes=offset), origin)
                span = -(-rule.break_minutes // 15)
                for slot in range(start, start + span):
                    terms[(group, slot)].append(-count)
    return terms, most


def _allocation(
    model: cp_model.CpModel,
    cells: list[Cell],
    origin: datetime,
    need: dict[tuple[str, int], int],
) -> dict[tuple[frozenset[str], str, int], cp_model.LinearExprT]:
    """Every agent present works exactly one of its demand keys in each slot."""
    keys = {key for key, _ in need}
    allocation: dict[tuple[frozenset[str], str, int], cp_model.LinearExprT] = {}
    terms_by_slot, most = _capacity(cells, origin)
    for (group, slot), terms in terms_by_slot.items():
        present = sum(terms)
        served = sorted(group & keys)
        if not served:
            model.add(present == 0)
        elif len(served) == 1:
            allocation[(group, served[0], slot)] = present
        else:
            parts = [model.new_int_var(0, most[(group, slot)], "y") for _ in served]
            model.add(sum(parts) == present)
            for key, part in zip(served, parts, strict=True):
                allocation[(group, key, slot)] = part
    return allocation


def _penalties(
    model: cp_model.CpModel,
    allocation: dict[tuple[frozenset[str], str, int], cp_model.LinearExprT],
    need: dict[tuple[str, int], int],
    agent_count: int,
    penalties: dict[tuple[str, int], tuple[cp_model.IntVar, cp_model.IntVar]],
) -> tuple[cp_model.LinearExpr, cp_model.LinearExpr]:
    cover: dict[tuple[str, int], list[cp_model.LinearExprT]] = defaultdict(list)
    for (_, key, slot), part in allocation.items():
        cover[(key, slot)].append(part)
    under_terms: list[cp_model.LinearExprT] = []
    over_terms: list[cp_model.LinearExprT] = []
    constant_under = 0
    for key_slot in sorted(set(cover) | set(need)):
        wanted = need.get(key_slot, 0)
        if key_slot not in cover:
            constant_under += wanted
            continue
        planned = cp_model.LinearExpr.sum(cover[key_slot]) * SCALE
        short = model.new_int_var(0, wanted, "u")
        extra = model.new_int_var(0, SCALE * agent_count, "o")
        model.add(planned - wanted + short - extra == 0)
        under_terms.append(short)
        over_terms.append(extra)
        penalties[key_slot] = (short, extra)
    under = cp_model.LinearExpr.sum(under_terms) + constant_under
    return under, cp_model.LinearExpr.sum(over_terms)


def hint_from(free: RosterModel, fixed: RosterModel, solved: cp_model.CpSolver) -> None:
    """Start the free model from the solved fixed one, variable by matching variable
    (both are built from the same candidates, so their cells come in the same order)."""
    hints: dict[int, tuple[cp_model.IntVar, int]] = {}

    def hint(variable: cp_model.LinearExprT, value: int) -> None:
        if isinstance(variable, cp_model.IntVar):
            hints[variable.index] = (variable, value)

    for cell, solved_cell in zip(free.cells, fixed.cells, strict=True):
        hint(cell.working, len(solved_cell.staffed))
        for (_, placed), (_, solved_placed) in zip(cell.breaks, solved_cell.breaks, strict=True):
            for (_, count), (_, solved_count) in zip(placed, solved_placed, strict=True):
                hint(count, solved.value(solved_count))
    for key, part in free.allocation.items():
        hint(part, solved.value(fixed.allocation[key]))
    for key_slot, (short, extra) in free.penalties.items():
        solved_short, solved_extra = fixed.penalties[key_slot]
        hint(short, solved.value(solved_short))
        hint(extra, solved.value(solved_extra))
    for variable, value in hints.values():
        free.model.add_hint(variable, value)
