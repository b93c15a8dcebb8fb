"""The next weeks of an engagement's calendar as a person reads it: open hours, public
holidays and the client's own closures, day by day, the way the SLA clock counts them
(`business_time.BusinessCalendar`)."""

import functools
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import holidays

from tercero.delivery.engagements.words import Spans, hours_by_weekday, spans_in_words

if TYPE_CHECKING:
    from tercero.delivery.engagements.models import Engagement

OPEN, CLOSED, HOLIDAY, CLOSURE = "open", "closed", "holiday", "closure"


@dataclass(frozen=True)
class PreviewDay:
    day: date
    kind: str  # open, closed, holiday, closure
    hours: str  # "08:00-12:00 and 13:00-17:00" (en dashes), "24/7", "Closed"
    note: str  # the holiday's or the closure's name
    is_today: bool


@functools.lru_cache(maxsize=256)
def _named_holidays(country: str, subdivision: str, year: int) -> dict[date, str]:
    found = holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    return dict(found.items())


def zone_of(engagement: "Engagement") -> ZoneInfo:
    return ZoneInfo(engagement.time_zone)


def public_holidays(engagement: "Engagement", *, start: date, days: int) -> list[tuple[date, str]]:
    """The public holidays of the engagement's country in [start, start + days), named."""
    if not engagement.holiday_country:
        return []
    end = start + timedelta(days=days)
    found: dict[date, str] = {}
    for year in range(start.year, end.year + 1):
        found |= _named_holidays(
            engagement.holiday_country, engagement.holiday_subdivision or "", year
        )
    return sorted((day, name) for day, name in found.items() if start <= day < end)


def closures_by_date(engagement: "Engagement") -> dict[date, str]:
    """The client's own closure dates with their reasons (stored as dicts or bare dates)."""
    found = {}
    for closure in engagement.closures:
        if isinstance(closure, dict):
            found[date.fromisoformat(closure["date"])] = str(closure.get("reason", ""))
        else:
            found[date.fromisoformat(str(closure))] = ""
    return dict(sorted(found.items()))


def calendar_preview(
    engagement: "Engagement", *, today: date, weeks: int = 4
) -> list[list[PreviewDay]]:
    """`weeks` weeks from the Monday of `today`'s week, a list of seven days each."""
    first = today - timedelta(days=today.weekday())
    named = dict(public_holidays(engagement, start=first, days=7 * weeks))
    closures = closures_by_date(engagement)
    by_day = hours_by_weekday(engagement.working_hours)
    days = [first + timedelta(days=n) for n in range(7 * weeks)]
    shown = [_day(engagement, day, named, closures, by_day, today) for day in days]
    return [shown[week * 7 : week * 7 + 7] for week in range(weeks)]


def _day(
    engagement: "Engagement",
    day: date,
    named: dict[date, str],
    closures: dict[date, str],
    by_day: dict[int, Spans],
    today: date,
) -> PreviewDay:
    is_today = day == today
    if engagement.is_24_7:
        # 24/7 cover runs through holidays and closures: the clock never stops
        note = named.get(day) or closures.get(day) or ""
        return PreviewDay(day, OPEN, "24/7", note, is_today)
    if day in closures:
        return PreviewDay(day, CLOSURE, "Closed", closures[day] or "Closure", is_today)
    if day in named:
        return PreviewDay(day, HOLIDAY, "Closed", named[day], is_today)
    spans = by_day[day.weekday()]
    if not spans:
        return PreviewDay(day, CLOSED, "Closed", "", is_today)
    return PreviewDay(day, OPEN, spans_in_words(spans), "", is_today)
