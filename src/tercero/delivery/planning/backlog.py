"""Back-office staffing from a backlog with due times, new arrivals and handle time.

Work is a fluid: an item that has arrived may be worked in any open slot up to its due
time, by any number of agents. The staffing returned is the least that meets every due
time, computed exactly by the critical-window method of Yao, Demers and Shenker ("A
scheduling model for reduced CPU energy", FOCS 1995): find the window of open slots whose
work due inside it, over its open time, is largest; staff that window at exactly that
rate; take the window out and repeat. The peak is as low as it can be, every slot with
staff is binding (less in any of them makes some item late), and earliest-due-first
order meets every due time with it.
"""

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

Matrix = NDArray[np.float64]


@dataclass(frozen=True)
class Slot:
    """One planning interval; `arrivals` items arrive in it, due `due_after_slots` later."""

    start: datetime
    end: datetime
    open: bool
    arrivals: float


@dataclass(frozen=True)
class Due:
    """`items` of the current backlog, due at `due`."""

    due: datetime
    items: float


def backlog_staffing(
    *,
    slots: Sequence[Slot],
    backlog: Sequence[Due],
    aht_seconds: float,
    due_after_slots: int,
    shrinkage: float = 0.0,
) -> list[float]:
    """Fractional agents per slot (0 for closed slots) so every item is done by its due time.

    Business time is the sequence of open slots: items arriving in a slot are due at the end
    of the open slot `due_after_slots` open slots after the first open slot at or after it
    (0: by the end of that slot). Backlog due before the first slot ends, or overdue, is due
    at the end of the first open slot. Work due after the last slot belongs to a later plan.
    """
    _check(slots, aht_seconds, due_after_slots, shrinkage)
    open_seconds = np.array(
        [(s.end - s.start).total_seconds() if s.open else 0.0 for s in slots], dtype=np.float64
    )
    work = _work_by_window(slots, backlog, aht_seconds, due_after_slots)
    rate = _critical_windows(work, open_seconds)
    return [
        float(r) / (1.0 - shrinkage) if s.open else 0.0 for r, s in zip(rate, slots, strict=True)
    ]


def _check(
    slots: Sequence[Slot], aht_seconds: float, due_after_slots: int, shrinkage: float
) -> None:
    if not (math.isfinite(aht_seconds) and aht_seconds > 0):
        raise ValueError("The handle time must be a positive number of seconds.")
    if due_after_slots < 0:
        raise ValueError(
            "Items cannot be due before they arrive: due_after_slots must be 0 or more."
        )
    if not 0 <= shrinkage < 1:
        raise ValueError("Shrinkage must be a share from 0 up to (not including) 1.")
    for before, after in itertools.pairwise(slots):
        if after.start < before.end:
            raise ValueError("Slots must follow one another without overlapping.")
    for slot in slots:
        if slot.end <= slot.start or slot.arrivals < 0:
            raise ValueError("Each slot must end after it starts and have zero or more arrivals.")


def due_slot_of_arrivals(slots: Sequence[Slot], due_after_slots: int) -> list[int | None]:
    """For each slot, the index of the slot its arrivals are due at the end of (or None)."""
    open_indexes = [i for i, s in enumerate(slots) if s.open]
    due: list[int | None] = []
    position = 0
    for index in range(len(slots)):
        while position < len(open_indexes) and open_indexes[position] < index:
            position += 1
        target = position + due_after_slots
        due.append(open_indexes[target] if target < len(open_indexes) else None)
    return due


def due_slot_of_backlog(slots: Sequence[Slot], due: datetime) -> int | None:
    """The last open slot ending by `due`; the first open slot when it is already late.

    None when there is no open slot, or when it is due after the last slot ends.
    """
    open_indexes = [i for i, s in enumerate(slots) if s.open]
    if not open_indexes or due > slots[-1].end:
        return None
    ending = [i for i in open_indexes if slots[i].end <= due]
    return ending[-1] if ending else open_indexes[0]


def _work_by_window(
    slots: Sequence[Slot], backlog: Sequence[Due], aht_seconds: float, due_after_slots: int
) -> Matrix:
    """work[r, d]: agent-seconds released at slot r that must be done by the end of slot d."""
    count = len(slots)
    work = np.zeros((count, count), dtype=np.float64)
    for index, due in enumerate(due_slot_of_arrivals(slots, due_after_slots)):
        if due is not None and slots[index].arrivals > 0:
            work[index, due] += slots[index].arrivals * aht_seconds
    for item in backlog:
        if item.items < 0:
            raise ValueError("Backlog items cannot be negative.")
        due = due_slot_of_backlog(slots, item.due) if slots else None
        if due is not None and item.items > 0:
            work[0, due] += item.items * aht_seconds
    return work


def _critical_windows(work: Matrix, open_seconds: Matrix) -> Matrix:
    """Agents per slot by repeatedly staffing the densest window (Yao, Demers, Shenker)."""
    count = len(open_seconds)
    rate = np.zeros(count, dtype=np.float64)
    remaining = work.copy()
    capacity = open_seconds.copy()
    while remaining.sum() > 0:
        # inside[i, j]: work released at or after i and due at or before j.
        inside = np.flip(np.cumsum(np.flip(np.cumsum(remaining, axis=1), axis=0), axis=0), axis=0)
        before = np.concatenate(([0.0], np.cumsum(capacity)))
        length = before[None, 1:] - before[:-1, None]
        valid = np.triu(np.ones((count, count), dtype=bool)) & (length > 0)
        density = np.where(valid, inside / np.where(valid, length, 1.0), -1.0)
        first, last = np.unravel_index(int(np.argmax(density)), density.shape)
        if density[first, last] <= 0:
            break
        window = slice(int(first), int(last) + 1)
        rate[window] = np.where(capacity[window] > 0, density[first, last], rate[window])
        capacity[window] = 0.0
        remaining[window, window] = 0.0
    if remaining.sum() > 0:
        raise ValueError("Some work is due in a window with no open time to do it in.")
    return rate
