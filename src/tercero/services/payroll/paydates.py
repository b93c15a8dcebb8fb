"""A pay group's pay calendar: its periods follow from one anchor (the first day of any
period) and its frequency, and each period's pay date from a rule, moved back to the
last business day before it when it falls on a weekend or a public holiday of the
engagement's country.

    weekly, biweekly,  every 7, 14 or 28 days from the anchor
    four_weekly
    semimonthly        the 1st to the 15th and the 16th to the month's end
    monthly            the anchor's day of one month to the day before it the next month
                       (6 April to 5 May: the UK tax month)
    annual             the anchor's day of one year to the day before it the next

Pay date rules: `offset` pays `pay_offset_days` after the period's last day (negative:
before it); `day_of_month` pays on day `pay_day` of the month the period starts in (31:
the month's last day), e.g. the 28th for a UK tax month.
"""

import calendar
import functools
from dataclasses import dataclass
from datetime import date, timedelta

import holidays

from tercero.platform.errors import InvalidInput

STEP_DAYS = {"weekly": 7, "biweekly": 14, "four_weekly": 28}
MONTHS = {"monthly": 1, "annual": 12}


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    pay_date: date


def check(*, frequency: str, anchor: date | None, rule: str, offset: int, day: int) -> None:
    """Refuse a calendar that cannot be followed."""
    if anchor is None:
        return
    if frequency in MONTHS and anchor.day > 28:
        raise InvalidInput(
            f"{'An annual' if frequency == 'annual' else 'A monthly'} calendar starts its "
            "periods on day 1 to 28.",
            fields={"period_anchor": "day 1-28"},
        )
    if frequency == "semimonthly" and anchor.day not in (1, 16):
        raise InvalidInput(
            "A twice-a-month calendar starts its periods on the 1st or the 16th.",
            fields={"period_anchor": "1st or 16th"},
        )
    if rule not in ("offset", "day_of_month"):
        raise InvalidInput("Unknown pay date rule.", fields={"pay_rule": "offset or day_of_month"})
    if rule == "offset" and not -31 <= offset <= 31:
        raise InvalidInput(
            "Pay at most 31 days either side.", fields={"pay_offset_days": "-31..31"}
        )
    if rule == "day_of_month" and not 1 <= day <= 31:
        raise InvalidInput("A day of the month is 1 to 31.", fields={"pay_day": "1-31"})


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _period_containing(frequency: str, anchor: date, day: date) -> tuple[date, date]:
    if frequency in STEP_DAYS:
        step = STEP_DAYS[frequency]
        start = anchor + timedelta(days=((day - anchor).days // step) * step)
        return start, start + timedelta(days=step - 1)
    if frequency == "semimonthly":
        last = calendar.monthrange(day.year, day.month)[1]
        if day.day <= 15:
            return day.replace(day=1), day.replace(day=15)
        return day.replace(day=16), day.replace(day=last)
    step = MONTHS[frequency]
    months = (day.year - anchor.year) * 12 + day.month - anchor.month
    if day.day < anchor.day:
        months -= 1
    months -= months % step  # a whole number of periods from the anchor
    start = _add_months(anchor, months)
    return start, _add_months(anchor, months + step) - timedelta(days=1)


@functools.lru_cache(maxsize=256)
def _holidays(country: str, subdivision: str, year: int) -> frozenset[date]:
    if not country:
        return frozenset()
    return frozenset(holidays.country_holidays(country, subdiv=subdivision or None, years=year))


def business_day_on_or_before(day: date, *, country: str = "", subdivision: str = "") -> date:
    while day.weekday() >= 5 or day in _holidays(country, subdivision, day.year):
        day -= timedelta(days=1)
    return day


def pay_date_of(group, start: date, end: date) -> date:
    if group.pay_rule == "day_of_month":
        last = calendar.monthrange(start.year, start.month)[1]
        wanted = start.replace(day=min(group.pay_day, last))
    else:
        wanted = end + timedelta(days=group.pay_offset_days)
    engagement = group.engagement
    return business_day_on_or_before(
        wanted,
        country=engagement.holiday_country,
        subdivision=engagement.holiday_subdivision,
    )


def period_of(group, day: date) -> Period | None:
    """The calendar's period containing `day`, or None for a group without a calendar."""
    if group.period_anchor is None:
        return None
    start, end = _period_containing(group.frequency, group.period_anchor, day)
    return Period(start, end, pay_date_of(group, start, end))


def periods(group, *, after: date, count: int = 12) -> list[Period]:
    """The calendar's next `count` periods, the first one containing `after`."""
    found = []
    current = period_of(group, after)
    while current is not None and len(found) < count:
        found.append(current)
        current = period_of(group, current.end + timedelta(days=1))
    return found


def require_period(group, *, start: date, end: date, pay_date: date) -> None:
    """A regular run must be one of the calendar's periods, paid on its pay date."""
    expected = period_of(group, start)
    if expected is None or (expected.start, expected.end, expected.pay_date) == (
        start,
        end,
        pay_date,
    ):
        return
    raise InvalidInput(
        f"The pay calendar has {expected.start:%d %b %Y} to {expected.end:%d %b %Y}, paid "
        f"{expected.pay_date:%d %b %Y}; use those dates, or make it an off-cycle run.",
        code="off_calendar",
        fields={
            "period_start": expected.start.isoformat(),
            "pay_date": expected.pay_date.isoformat(),
        },
    )
