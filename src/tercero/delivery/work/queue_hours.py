"""A queue's own working hours: when it is open, its calendar, and its hours in words.

A queue either follows its engagement's calendar (the default) or keeps its own weekday
shifts, in the engagement's time zone and with the engagement's public holidays and
closures. A queue with its own hours offers nothing while it is closed, and the SLA
clocks of its items run on its hours. A queue that follows its engagement is never
closed by hours: its engagement's hours only time its SLA clocks, as before.
"""

import functools
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tercero.delivery.engagements import words
from tercero.delivery.engagements.business_time import BusinessCalendar, NoWorkingTime

if TYPE_CHECKING:
    from tercero.delivery.engagements.models import Engagement
    from tercero.delivery.work.models import Queue

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
# how far ahead a closed queue looks for its next opening
_LOOK_AHEAD = timedelta(days=400)


@dataclass(frozen=True)
class Opening:
    """Whether a queue is open at a moment, and until when that stays so: the end of the
    open shift, or the next opening (None when none comes within a year)."""

    is_open: bool
    until: datetime | None


def problems(working_hours: object) -> list[str]:
    """What is wrong with a queue's own hours, in sentences (empty when they are right)."""
    if not isinstance(working_hours, Mapping):
        return ["Working hours are weekdays (0 = Monday) with their shifts."]
    found: list[str] = []
    for day, spans in sorted(working_hours.items(), key=lambda pair: str(pair[0])):
        found += _day_problems(day, spans)
    if not found and not any(working_hours.values()):
        found.append("Give at least one shift, or let the queue follow the engagement's hours.")
    return found


def _day_problems(day: object, spans: object) -> list[str]:
    if str(day) not in {str(n) for n in range(7)}:
        return [f"{day!r} is not a weekday (0 = Monday to 6 = Sunday)."]
    name = words.WEEKDAYS[int(str(day))]
    if not isinstance(spans, list) or not all(
        isinstance(span, (list, tuple)) and len(span) == 2 for span in spans
    ):
        return [f'{name}: each shift is a start and an end, like ["08:00", "12:00"].']
    found = []
    for start, end in spans:
        if not (isinstance(start, str) and _HHMM.match(start)) or not (
            isinstance(end, str) and (_HHMM.match(end) or end == "24:00")
        ):
            found.append(f"{name}: times are like 08:00 or 17:30 (an end may be 24:00).")
        elif end <= start:
            found.append(f"{name}: the shift {start}-{end} ends before it starts.")
    if found:
        return found
    ordered = sorted((start, end) for start, end in spans)
    for before, after in itertools.pairwise(ordered):
        if after[0] < before[1]:
            found.append(
                f"{name}: the shift {words.spans_in_words([after])} overlaps "
                f"{words.spans_in_words([before])}."
            )
    return found


def cleaned(working_hours: Mapping[Any, Sequence[Sequence[str]]]) -> dict[str, list[list[str]]]:
    """The hours as stored: weekday keys "0".."6", shifts in order, empty days left out."""
    return {
        str(day): sorted([str(start), str(end)] for start, end in spans)
        for day, spans in sorted(working_hours.items(), key=lambda pair: int(pair[0]))
        if spans
    }


def own_calendar(
    base: BusinessCalendar, working_hours: Mapping[Any, Sequence[Sequence[str]]]
) -> BusinessCalendar:
    """The queue's calendar: its own shifts on the engagement's zone, holidays and
    closures (`base` is the engagement's calendar, whatever its cover)."""
    hours = tuple(
        sorted(
            (int(day), tuple((str(start), str(end)) for start, end in spans))
            for day, spans in working_hours.items()
        )
    )
    return _own(
        base.time_zone, hours, base.holiday_country, base.holiday_subdivision, base.closures
    )


@functools.lru_cache(maxsize=256)
def _own(
    time_zone: str,
    hours: tuple[tuple[int, tuple[tuple[str, str], ...]], ...],
    country: str,
    subdivision: str,
    closures: frozenset[date],
) -> BusinessCalendar:
    return BusinessCalendar(
        time_zone=time_zone,
        working_hours=dict(hours),
        holiday_country=country,
        holiday_subdivision=subdivision,
        closures=sorted(closures),
    )


def calendar_of(queue: "Queue", engagement: "Engagement | None" = None) -> BusinessCalendar:
    """The calendar the queue's SLA clocks run on: its own hours, or its engagement's."""
    base = BusinessCalendar.of(engagement or queue.engagement)
    return own_calendar(base, queue.working_hours) if queue.has_own_hours else base


def opening(calendar: BusinessCalendar, now: datetime) -> Opening:
    """Whether a queue on its own `calendar` is open at `now`, and until when."""
    local = now.astimezone(calendar.zone).date()
    for day in (local - timedelta(days=1), local):
        for start, end in calendar.intervals(day):
            if start <= now < end:
                return Opening(is_open=True, until=end)
    try:
        opens = calendar.next_open(now)
    except NoWorkingTime:
        return Opening(is_open=False, until=None)
    return Opening(is_open=False, until=opens if opens - now <= _LOOK_AHEAD else None)


def opening_of(queue: "Queue", now: datetime) -> Opening | None:
    """The queue's opening at `now`; None when it follows its engagement (never closed
    by hours)."""
    if not queue.has_own_hours:
        return None
    return opening(calendar_of(queue), now)


def in_words(queue: "Queue") -> list[str]:
    """The queue's hours in words: its own shifts by runs of weekdays ("Monday to
    Friday: 08:00-12:00 and 16:00-20:00"), or its engagement's hours."""
    if not queue.has_own_hours:
        return ["As the engagement"]
    return words.working_hours_in_words(_Hours(queue.working_hours))


@dataclass(frozen=True)
class _Hours:
    """What `words.working_hours_in_words` reads of an engagement."""

    working_hours: Mapping[str, Any]
    is_24_7: bool = False


def state_in_words(queue: "Queue", now: datetime) -> str:
    """ "Open until 12:00", "Closed; opens Monday 7 December at 08:00", or "" for a queue
    that follows its engagement."""
    found = opening_of(queue, now)
    if found is None:
        return ""
    zone = BusinessCalendar.of(queue.engagement).zone
    if found.is_open:
        assert found.until is not None  # an open shift always ends
        return f"Open until {_moment(found.until, now, zone)}"
    if found.until is None:
        return "Closed; no opening in the next year"
    return f"Closed; opens {_moment(found.until, now, zone)}"


def _moment(moment: datetime, now: datetime, zone: Any) -> str:
    local, today = moment.astimezone(zone), now.astimezone(zone).date()
    if local.date() == today:
        return local.strftime("%H:%M")
    if local.date() == today + timedelta(days=1):
        return local.strftime("tomorrow at %H:%M")
    return local.strftime("%A %-d %B at %H:%M")
