"""Business time: how much of a span the engagement's calendar counts, and where a
duration of it ends. SLA clocks run on this.

A calendar is the client's time zone, working hours per weekday (local wall-clock
intervals), public holidays from the `holidays` package (country and subdivision), the
client's own closure dates, or simply 24/7. Everything in and out is an aware datetime;
results are UTC. Days are converted interval by interval through `zoneinfo`, so a DST
change shortens or lengthens only an interval that spans it.

The one property everything relies on: `between(start, add(start, d)) == d`.
"""

import functools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import holidays

if TYPE_CHECKING:
    from tercero.delivery.engagements.models import Engagement

HORIZON_DAYS = 3 * 366
_HHMM = re.compile(r"^(\d{2}):(\d{2})$")
ZERO = timedelta(0)


class NoWorkingTime(ValueError):
    """The calendar has no open time within the search horizon."""


@functools.lru_cache(maxsize=512)
def _public_holidays(country: str, subdivision: str, year: int) -> frozenset[date]:
    found = holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    return frozenset(found.keys())


def _clock(value: str) -> tuple[int, int]:
    match = _HHMM.match(value)
    if not match:
        raise ValueError(f"times are HH:MM, got {value!r}")
    return int(match[1]), int(match[2])


class BusinessCalendar:
    def __init__(
        self,
        *,
        time_zone: str,
        working_hours: Mapping[int, Sequence[Sequence[str]]]
        | Mapping[str, Sequence[Sequence[str]]],
        holiday_country: str = "",
        holiday_subdivision: str = "",
        closures: Iterable[date] = (),
        always_open: bool = False,
    ) -> None:
        self.time_zone = time_zone
        self.zone = ZoneInfo(time_zone)
        self.hours: dict[int, tuple[tuple[tuple[int, int], tuple[int, int]], ...]] = {}
        for weekday, spans in working_hours.items():
            parsed = tuple((_clock(start), _clock(end)) for start, end in spans)
            if parsed:
                self.hours[int(weekday)] = parsed
        self.holiday_country = holiday_country
        self.holiday_subdivision = holiday_subdivision
        self.closures = frozenset(closures)
        self.always_open = always_open

    @classmethod
    def of(cls, engagement: "Engagement") -> "BusinessCalendar":
        closures = tuple(
            sorted(
                date.fromisoformat(c["date"] if isinstance(c, dict) else c)
                for c in engagement.closures
            )
        )
        hours = tuple(
            sorted(
                (int(day), tuple(tuple(span) for span in spans))
                for day, spans in engagement.working_hours.items()
            )
        )
        return _cached(
            engagement.time_zone,
            hours,
            engagement.holiday_country or "",
            engagement.holiday_subdivision or "",
            closures,
            bool(engagement.is_24_7),
        )

    def signature(self) -> tuple[object, ...]:
        if self.always_open:
            return ("24/7",)
        return (
            self.time_zone,
            tuple(sorted(self.hours.items())),
            self.holiday_country,
            self.holiday_subdivision,
            tuple(sorted(self.closures)),
        )

    # --- days -----------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        if self.always_open:
            return True
        if day.weekday() not in self.hours or day in self.closures:
            return False
        if self.holiday_country:
            holidays_ = _public_holidays(self.holiday_country, self.holiday_subdivision, day.year)
            if day in holidays_:
                return False
        return True

    def intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's open intervals in UTC, in order."""
        if not self.is_working_day(day):
            return []
        found = []
        for (sh, sm), (eh, em) in self.hours[day.weekday()]:
            start = datetime.combine(day, time(sh, sm), tzinfo=self.zone)
            if (eh, em) == (24, 0):
                end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=self.zone)
            else:
                end = datetime.combine(day, time(eh, em), tzinfo=self.zone)
            start, end = start.astimezone(UTC), end.astimezone(UTC)
            if end > start:
                found.append((start, end))
        return found

    def _from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals that end after `moment`, in order, within the horizon."""
        first = moment.astimezone(self.zone).date() - timedelta(days=1)
        for offset in range(HORIZON_DAYS):
            for start, end in self.intervals(first + timedelta(days=offset)):
                if end > moment:
                    yield start, end

    # --- instants -------------------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        at = _utc(at)
        if self.always_open:
            return True
        return any(
            start <= at < end for start, end in self.intervals(at.astimezone(self.zone).date())
        )

    def next_open(self, at: datetime) -> datetime:
        at = _utc(at)
        if self.always_open:
            return at
        for start, _ in self._from(at):
            return max(start, at)
        raise NoWorkingTime("the calendar has no working time")

    def add(self, start: datetime, duration: timedelta) -> datetime:
        start = _utc(start)
        if duration < ZERO:
            raise ValueError("business durations are not negative")
        if self.always_open:
            return start + duration
        if duration == ZERO:
            return self.next_open(start)
        remaining = duration
        for begin, end in self._from(start):
            begin = max(begin, start)
            available = end - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise NoWorkingTime("the calendar has no working time within the horizon")

    def between(self, start: datetime, end: datetime) -> timedelta:
        start, end = _utc(start), _utc(end)
        if end < start:
            return -self.between(end, start)
        if self.always_open:
            return end - start
        total = ZERO
        first = start.astimezone(self.zone).date() - timedelta(days=1)
        last = end.astimezone(self.zone).date()
        day = first
        while day <= last:
            for begin, close in self.intervals(day):
                overlap = min(close, end) - max(begin, start)
                if overlap > ZERO:
                    total += overlap
            day += timedelta(days=1)
        return total

    # --- days of work ---------------------------------------------------------------

    def add_business_days(self, start: datetime, days: int) -> datetime:
        """`days` working days later, the same business time into that day."""
        if days < 0:
            raise ValueError("business days are not negative")
        opened = self.next_open(start)
        if self.always_open:
            return opened + timedelta(days=days)
        day = self._day_of(opened)
        offset = self.between(self.intervals(day)[0][0], opened)
        for _ in range(days):
            day = self._next_working_day(day)
        spans = self.intervals(day)
        total = sum((end - begin for begin, end in spans), ZERO)
        if offset >= total:
            return spans[-1][1]
        return self.add(spans[0][0], offset)

    def deadline(self, anchor: date, *, business_days_before: int, at: time) -> datetime:
        """Local time `at` on the working day `business_days_before` before `anchor`
        (`anchor` itself, or the working day before it, when zero)."""
        day = anchor
        if business_days_before == 0:
            while not self.is_working_day(day):
                day = self._step(day, -1, anchor)
        for _ in range(business_days_before):
            day = self._step(day, -1, anchor)
            while not self.is_working_day(day):
                day = self._step(day, -1, anchor)
        return datetime.combine(day, at, tzinfo=self.zone).astimezone(UTC)

    def _day_of(self, moment: datetime) -> date:
        local = moment.astimezone(self.zone).date()
        for day in (local - timedelta(days=1), local):
            if any(begin <= moment < end for begin, end in self.intervals(day)):
                return day
        return local

    def _next_working_day(self, day: date) -> date:
        start = day
        day += timedelta(days=1)
        while not self.intervals(day):
            day = self._step(day, 1, start)
        return day

    def _step(self, day: date, by: int, origin: date) -> date:
        day += timedelta(days=by)
        if abs((day - origin).days) > HORIZON_DAYS:
            raise NoWorkingTime("the calendar has no working day within the horizon")
        return day


@functools.lru_cache(maxsize=256)
def _cached(
    time_zone: str,
    hours: tuple[tuple[int, tuple[tuple[str, ...], ...]], ...],
    country: str,
    subdivision: str,
    closures: tuple[date, ...],
    always_open: bool,
) -> BusinessCalendar:
    return BusinessCalendar(
        time_zone=time_zone,
        working_hours=dict(hours),
        holiday_country=country,
        holiday_subdivision=subdivision,
        closures=closures,
        always_open=always_open,
    )


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("business time needs timezone-aware datetimes")
    return moment.astimezone(UTC)
