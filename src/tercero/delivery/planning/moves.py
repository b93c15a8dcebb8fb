"""Intraday moves between clients' queues: for the rest of today, each queue's gap and
what moving agents cleared for both engagements would do to each side's service level.

The rules, as a lead would read them:

- The queues compared are the page's queue and the queues of other clients that have a
  staffing plan by Erlang covering today with the same interval length, and share at
  least one signed-in agent with it (an agent cleared for both engagements).
- Each signed-in agent (available or busy) counts once, on the engagement they were
  cleared for first among those compared: that is where they work unless moved. A
  queue's agents are those counted on its engagement.
- Agents needed are those on the work (no shrinkage: breaks and leave are not signed
  in) to reach the plan's target for the arrivals expected now (the rest of the day
  forecast again from today's arrivals), by Erlang C; the gap is needed less present.
- In each interval still to come, agents move from a queue with spare agents to one
  short of them: as many as the one can spare, the other lacks and are cleared for both.
  The service levels before and after are Erlang C's with the interval's expected calls
  and handle time. Consecutive intervals moving the same agents are said once, with
  each side's service level weighted by its calls over the span.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tercero.delivery.planning import erlang, staffing

MAX_PARTNERS = 10


@dataclass(frozen=True)
class Slot:
    """One queue in one interval: the work expected and the agents on it."""

    calls: float
    aht_seconds: float
    minutes: int
    answer_seconds: int
    agents_on: int
    agents_needed: int

    @property
    def gap(self) -> int:
        """Agents short (positive) or spare (negative)."""
        return self.agents_needed - self.agents_on

    def service_level(self, agents: int) -> float:
        """Erlang C's share answered within the target time with `agents` on the work."""
        if self.calls <= 0:
            return 1.0
        load = self.calls * self.aht_seconds / (self.minutes * 60.0)
        return erlang.service_level(agents, load, self.aht_seconds, self.answer_seconds)


def agents_needed(
    *,
    calls: float,
    aht_seconds: float,
    minutes: int,
    target: float,
    answer_seconds: int,
    max_occupancy: float | None = None,
) -> int:
    """Whole agents on the work for the target (Erlang C, no shrinkage); none for no calls."""
    if calls <= 0:
        return 0
    return staffing.staff(
        "erlang_c",
        calls=calls,
        interval_minutes=minutes,
        aht_seconds=max(aht_seconds, 1.0),
        target=target,
        answer_seconds=answer_seconds,
        max_occupancy=max_occupancy,
    ).agents


@dataclass(frozen=True)
class Effect:
    """Moving `agents` from one queue to another in one interval."""

    agents: int
    source_before: float
    source_after: float
    target_before: float
    target_after: float


def move_effect(source: Slot, target: Slot, *, movable: int) -> Effect | None:
    """Move as many agents as `source` can spare, `target` lacks and are cleared for both;
    None when no agent should move."""
    agents = min(-source.gap, target.gap, movable)
    if agents < 1:
        return None
    return Effect(
        agents=agents,
        source_before=source.service_level(source.agents_on),
        source_after=source.service_level(source.agents_on - agents),
        target_before=target.service_level(target.agents_on),
        target_after=target.service_level(target.agents_on + agents),
    )


@dataclass(frozen=True)
class Lane:
    """One queue's rest of today: its name for people and its slots by UTC start."""

    key: int
    name: str
    client: str
    starts: tuple[datetime, ...]
    slots: tuple[Slot, ...]

    def slot_at(self, start: datetime) -> Slot | None:
        try:
            return self.slots[self.starts.index(start)]
        except ValueError:
            return None


@dataclass(frozen=True)
class Move:
    """A move said once over consecutive intervals (service levels weighted by calls)."""

    source: Lane
    target: Lane
    agents: int
    start: datetime
    end: datetime
    source_before: float
    source_after: float
    target_before: float
    target_after: float
    source_calls: float
    target_calls: float

    def words(self, zone: ZoneInfo) -> str:
        """'Move 2 agents from Orders (Northwind) to Support (Rheinwerk) 14:00-15:00: ...'"""
        span = f"{self.start.astimezone(zone):%H:%M}-{self.end.astimezone(zone):%H:%M}"
        noun = "agent" if self.agents == 1 else "agents"
        return (
            f"Move {self.agents} {noun} from {_named(self.source)} to {_named(self.target)} "
            f"{span}: service level {_pct(self.target_before)} -> {_pct(self.target_after)} "
            f"on {self.target.name}, {_pct(self.source_before)} -> {_pct(self.source_after)} "
            f"on {self.source.name}."
        )


def _named(lane: Lane) -> str:
    return f"{lane.name} ({lane.client})"


def _pct(share: float) -> str:
    return f"{100 * share:.0f} %"


def plan_moves(
    here: Lane,
    partners: Sequence[Lane],
    *,
    movable: dict[tuple[int, int], int],
) -> list[Move]:
    """Per interval of `here`, moves between it and each partner, greatest need first;
    `movable[(a, b)]` is how many agents counted on lane a are cleared for lane b."""
    moves: list[Move] = []
    for start in here.starts:
        for move in _interval_moves(here, partners, start, movable):
            moves = _merged(moves, move)
    return moves


def _interval_moves(
    here: Lane, partners: Sequence[Lane], start: datetime, movable: dict[tuple[int, int], int]
) -> list[Move]:
    mine = here.slot_at(start)
    if mine is None:
        return []
    pairs = [(partner, partner.slot_at(start)) for partner in partners]
    available = dict(movable)  # each interval moves from the agents signed in now
    found: list[Move] = []
    for partner, theirs in sorted(
        ((p, s) for p, s in pairs if s is not None), key=lambda pair: -abs(pair[1].gap)
    ):
        if mine.gap < 0 < theirs.gap:
            source, target, from_slot, to_slot = here, partner, mine, theirs
        elif theirs.gap < 0 < mine.gap:
            source, target, from_slot, to_slot = partner, here, theirs, mine
        else:
            continue
        key = (source.key, target.key)
        effect = move_effect(from_slot, to_slot, movable=available.get(key, 0))
        if effect is None:
            continue
        found.append(_move(source, target, start, from_slot, to_slot, effect))
        # what moved is no longer spare here or short there, nor free to move again
        moved = effect.agents
        available[key] -= moved
        if source is here:
            mine = replace(mine, agents_on=mine.agents_on - moved)
        else:
            mine = replace(mine, agents_on=mine.agents_on + moved)
    return found


def _move(
    source: Lane, target: Lane, start: datetime, from_slot: Slot, to_slot: Slot, effect: Effect
) -> Move:
    return Move(
        source=source,
        target=target,
        agents=effect.agents,
        start=start,
        end=start + timedelta(minutes=from_slot.minutes),
        source_before=effect.source_before,
        source_after=effect.source_after,
        target_before=effect.target_before,
        target_after=effect.target_after,
        source_calls=from_slot.calls,
        target_calls=to_slot.calls,
    )


def _merged(moves: list[Move], move: Move) -> list[Move]:
    """`move` joined to an earlier move of the same agents ending where it starts."""
    for index, earlier in enumerate(moves):
        same = (earlier.source.key, earlier.target.key, earlier.agents) == (
            move.source.key,
            move.target.key,
            move.agents,
        )
        if same and earlier.end == move.start:
            moves[index] = _join(earlier, move)
            return moves
    return [*moves, move]


def _join(first: Move, second: Move) -> Move:
    def weighted(a: float, wa: float, b: float, wb: float) -> float:
        return (a * wa + b * wb) / (wa + wb) if wa + wb > 0 else (a + b) / 2

    sc, tc = (first.source_calls, second.source_calls), (first.target_calls, second.target_calls)
    return replace(
        first,
        end=second.end,
        source_before=weighted(first.source_before, sc[0], second.source_before, sc[1]),
        source_after=weighted(first.source_after, sc[0], second.source_after, sc[1]),
        target_before=weighted(first.target_before, tc[0], second.target_before, tc[1]),
        target_after=weighted(first.target_after, tc[0], second.target_after, tc[1]),
        source_calls=sum(sc),
        target_calls=sum(tc),
    )
