"""A quick first roster for CP-SAT to start from: day by day, each agent takes the shift
that covers most of what is still needed, if any, keeping every labour rule.

On hundreds of agents over weeks CP-SAT's own first solutions are poor and late; started
from this one, its neighbourhood search spends the time limit improving instead.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tercero.delivery.scheduling.labour import LabourRules
    from tercero.delivery.scheduling.rostering import AgentSupply
    from tercero.delivery.scheduling.rostering_model import Candidate

from tercero.delivery.scheduling.rostering_model import SCALE, slot_of


@dataclass
class _Worked:
    """What an agent has been given so far, for the labour rules."""

    last_end: datetime | None = None
    minutes_by_day: dict[int, int] = field(default_factory=dict)


def first_roster(
    *,
    candidates: list[Candidate],
    agents: Sequence[AgentSupply],
    need: dict[tuple[str, int], int],
    origin: datetime,
    rules: LabourRules,
    under_weight: int,
    over_weight: int,
) -> list[int]:
    """The indexes of the candidates taken."""
    residual: dict[tuple[str, int], float] = defaultdict(float)
    for key_slot, hundredths in need.items():
        residual[key_slot] = hundredths / SCALE
    by_day: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for index, candidate in enumerate(candidates):
        by_day[candidate.day][candidate.agent_index].append(index)
    worked: dict[int, _Worked] = defaultdict(_Worked)
    taken = []
    for day in sorted(by_day):
        for agent_index, indexes in sorted(by_day[day].items()):
            keys = sorted(agents[agent_index].serves)
            state = worked[agent_index]
            allowed = [i for i in indexes if _keeps_rules(candidates[i], state, rules)]
            scored = [
                (_gain(candidates[i], keys, residual, origin, under_weight, over_weight), i)
                for i in allowed
            ]
            if not scored:
                continue
            gain, best = max(scored)
            if gain <= 0:
                continue
            _take(candidates[best], keys, residual, origin)
            state.last_end = candidates[best].end
            state.minutes_by_day[day] = candidates[best].template.minutes
            taken.append(best)
    return taken


def _keeps_rules(candidate: Candidate, state: _Worked, rules: LabourRules) -> bool:
    rest = timedelta(minutes=rules.min_rest_minutes)
    if state.last_end is not None and candidate.start < state.last_end + rest:
        return False
    day = candidate.day
    for first in range(day - 6, day + 1):
        window = [d for d in state.minutes_by_day if first <= d < first + 7]
        if len(window) + 1 > rules.max_days_per_week:
            return False
        minutes = sum(state.minutes_by_day[d] for d in window) + candidate.template.minutes
        if minutes > rules.max_minutes_per_week:
            return False
    run = 0
    while day - run - 1 in state.minutes_by_day:
        run += 1
    return run + 1 <= rules.max_consecutive_days


def _slots(candidate: Candidate, origin: datetime) -> range:
    return range(slot_of(candidate.start, origin), slot_of(candidate.end, origin))


def _gain(
    candidate: Candidate,
    keys: list[str],
    residual: dict[tuple[str, int], float],
    origin: datetime,
    under_weight: int,
    over_weight: int,
) -> float:
    """Need met (weighted) less cover beyond need (weighted), one agent for the shift."""
    gain = 0.0
    for slot in _slots(candidate, origin):
        useful = min(1.0, max((residual.get((key, slot), 0.0) for key in keys), default=0.0))
        useful = max(useful, 0.0)
        gain += under_weight * useful - over_weight * (1.0 - useful)
    return gain


def _take(
    candidate: Candidate,
    keys: list[str],
    residual: dict[tuple[str, int], float],
    origin: datetime,
) -> None:
    for slot in _slots(candidate, origin):
        key = max(keys, key=lambda key: residual.get((key, slot), 0.0))
        residual[(key, slot)] = residual.get((key, slot), 0.0) - 1.0
