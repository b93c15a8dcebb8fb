"""Where each interval of a series sits on the client's wall clock.

Intervals follow one another in real time, so a day that springs forward holds 23 hours
of intervals and a day that falls back holds 25. Forecasts compare "the same interval"
across days by its wall-clock place: the local date, the minutes since local midnight
and, for the hour a fall-back day repeats, which pass through that hour it is.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, order=True)
class Slot:
    """An interval's place on the wall clock; `fold` is 1 on a repeated hour's second pass."""

    day: date
    minute: int
    fold: int = 0

    def weeks_back(self, weeks: int) -> tuple["Slot", "Slot"]:
        """The same place `weeks` weeks earlier, then its first pass (a repeated hour's
        second pass exists only on fall-back days)."""
        earlier = self.day - timedelta(days=7 * weeks)
        return Slot(earlier, self.minute, self.fold), Slot(earlier, self.minute, 0)

    @property
    def clock(self) -> tuple[int, int]:
        """The place within any day: minutes since midnight and the pass."""
        return (self.minute, self.fold)


def slots_from(start: datetime, *, count: int, step_minutes: int, time_zone: str) -> list[Slot]:
    """The wall-clock places of `count` consecutive intervals from `start` onwards."""
    zone = ZoneInfo(time_zone)
    first = start.astimezone(UTC)
    step = timedelta(minutes=step_minutes)
    places = []
    for index in range(count):
        local = (first + index * step).astimezone(zone)
        places.append(Slot(local.date(), local.hour * 60 + local.minute, local.fold))
    return places


def intervals_in_day(day: date, *, step_minutes: int, time_zone: str) -> int:
    """How many intervals the local day holds: 92, 96 or 100 quarter-hours across DST."""
    zone = ZoneInfo(time_zone)
    midnight = datetime.combine(day, time(), tzinfo=zone)
    next_midnight = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
    seconds = (next_midnight.astimezone(UTC) - midnight.astimezone(UTC)).total_seconds()
    return int(seconds // (step_minutes * 60))


def complete_days(slots: Iterable[Slot], *, step_minutes: int, time_zone: str) -> list[date]:
    """Days the slots cover from midnight to midnight (a series' first and last days
    are often partial), in order."""
    counts: dict[date, int] = {}
    for slot in slots:
        counts[slot.day] = counts.get(slot.day, 0) + 1
    return [
        day
        for day, count in counts.items()
        if count == intervals_in_day(day, step_minutes=step_minutes, time_zone=time_zone)
    ]


def lookup(known: Mapping[Slot, float], slot: Slot, *, weeks: int) -> float | None:
    """The value at the same place `weeks` weeks before `slot`, if known."""
    same_pass, first_pass = slot.weeks_back(weeks)
    if same_pass in known:
        return known[same_pass]
    return known.get(first_pass)
