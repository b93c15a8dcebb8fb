"""Schedule adherence: did the agent do what the schedule said, when it said it.

    adherence % = time in adherence / (scheduled time - neutral time) x 100

Pure Python, no database. Rules:

- Only scheduled time counts. Time with no activity scheduled is neither in nor out
  (working outside one's shift is a question of conformance, not adherence).
- Activities may be layered (a meeting placed over a work block): where two overlap, the
  one that starts later holds; on equal starts, the one listed later.
- Neutral activities (NEUTRAL_KINDS: meetings, training, coaching and approved exceptions)
  are scheduled time that is neither in nor out of adherence, whatever the presence.
- Any other activity adheres while the presence state is one EXPECTED_PRESENCE lists for
  its kind; with no presence known the agent counts as offline.
- `until` cuts everything at a moment (now, for the real-time board): time not yet
  reached is not scheduled time yet.
"""

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

NEUTRAL_KINDS: frozenset[str] = frozenset({"meeting", "training", "coaching", "exception"})

EXPECTED_PRESENCE: Mapping[str, frozenset[str]] = {
    "work": frozenset({"available", "busy"}),
    "break": frozenset({"break"}),
    "lunch": frozenset({"break", "offline"}),
}

OFFLINE = "offline"


@dataclass(frozen=True)
class Activity:
    start: datetime
    end: datetime
    kind: str


@dataclass(frozen=True)
class PresenceSpan:
    start: datetime
    end: datetime
    state: str


@dataclass(frozen=True)
class Adherence:
    scheduled_seconds: float
    neutral_seconds: float
    in_seconds: float
    out_seconds: float
    percent: float | None
    out_spans: tuple[tuple[datetime, datetime, str, str], ...]


def adherence(
    schedule: Sequence[Activity],
    presence: Sequence[PresenceSpan],
    *,
    until: datetime | None = None,
) -> Adherence:
    """Seconds scheduled, neutral, in and out of adherence, the percentage, and the spans out."""
    for activity in schedule:
        if activity.kind not in NEUTRAL_KINDS and activity.kind not in EXPECTED_PRESENCE:
            raise ValueError(f"Unknown scheduled activity: {activity.kind}.")
    totals = {"scheduled": 0.0, "neutral": 0.0, "in": 0.0, "out": 0.0}
    out: list[tuple[datetime, datetime, str, str]] = []
    for start, end, kind, state in _pieces(schedule, presence, until):
        seconds = (end - start).total_seconds()
        totals["scheduled"] += seconds
        if kind in NEUTRAL_KINDS:
            totals["neutral"] += seconds
        elif state in EXPECTED_PRESENCE[kind]:
            totals["in"] += seconds
        else:
            totals["out"] += seconds
            _extend(out, (start, end, kind, state))
    counted = totals["scheduled"] - totals["neutral"]
    percent = totals["in"] / counted * 100 if counted > 0 else None
    return Adherence(
        scheduled_seconds=totals["scheduled"],
        neutral_seconds=totals["neutral"],
        in_seconds=totals["in"],
        out_seconds=totals["out"],
        percent=percent,
        out_spans=tuple(out),
    )


def _extend(
    spans: list[tuple[datetime, datetime, str, str]], piece: tuple[datetime, datetime, str, str]
) -> None:
    """Join a piece to the last span when it continues it with the same kind and state."""
    if spans and spans[-1][1] == piece[0] and spans[-1][2:] == piece[2:]:
        spans[-1] = (spans[-1][0], piece[1], piece[2], piece[3])
    else:
        spans.append(piece)


def _pieces(
    schedule: Sequence[Activity], presence: Sequence[PresenceSpan], until: datetime | None
) -> list[tuple[datetime, datetime, str, str]]:
    """The scheduled timeline cut wherever the activity or the presence changes."""
    edges = {moment for item in schedule for moment in (item.start, item.end)}
    edges |= {moment for span in presence for moment in (span.start, span.end)}
    if until is not None:
        edges = {moment for moment in edges if moment < until} | {until}
    moments = sorted(edges)
    activities = _Layers([(item.start, item.end, item.kind) for item in schedule])
    states = _Layers([(span.start, span.end, span.state) for span in presence])
    pieces = []
    for start, end in pairwise(moments):
        kind = activities.at(start)
        if kind is not None:
            pieces.append((start, end, kind, states.at(start) or OFFLINE))
    return pieces


class _Layers:
    """What holds at each moment, asked in increasing order: the latest-starting item."""

    def __init__(self, items: list[tuple[datetime, datetime, str]]) -> None:
        order = sorted(range(len(items)), key=lambda index: (items[index][0], index))
        self._items = [items[index] for index in order if items[index][0] < items[index][1]]
        self._next = 0
        self._open: list[tuple[float, int, datetime, str]] = []

    def at(self, moment: datetime) -> str | None:
        while self._next < len(self._items) and self._items[self._next][0] <= moment:
            start, end, label = self._items[self._next]
            heapq.heappush(self._open, (-start.timestamp(), -self._next, end, label))
            self._next += 1
        while self._open and self._open[0][2] <= moment:
            heapq.heappop(self._open)
        return self._open[0][3] if self._open else None


def presence_spans(
    changes: Sequence[tuple[datetime, str]],
    *,
    start: datetime,
    end: datetime,
    initial: str = "offline",
) -> list[PresenceSpan]:
    """Presence from `start` to `end` out of its history of (time, new state) changes.

    The state at `start` is the last change at or before it, else `initial`; changes at the
    same moment apply in the order given.
    """
    ordered = sorted(enumerate(changes), key=lambda item: (item[1][0], item[0]))
    state = initial
    spans: list[PresenceSpan] = []
    cursor = start
    for _, (moment, new_state) in ordered:
        if moment >= end:
            break
        if moment > cursor:
            _append(spans, PresenceSpan(cursor, moment, state))
            cursor = moment
        state = new_state
    if cursor < end:
        _append(spans, PresenceSpan(cursor, end, state))
    return spans


def _append(spans: list[PresenceSpan], span: PresenceSpan) -> None:
    if spans and spans[-1].state == span.state and spans[-1].end == span.start:
        spans[-1] = PresenceSpan(spans[-1].start, span.end, span.state)
    else:
        spans.append(span)
