"""How schedule times read on pages: in a site's local time, with the zone named."""

from datetime import date, datetime
from zoneinfo import ZoneInfo


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def clock(moment: datetime, zone: str) -> str:
    """ "08:00" in the zone's local time."""
    return local(moment, zone).strftime("%H:%M")


def day_and_clock(moment: datetime, zone: str) -> str:
    """ "Mon 7 Dec 08:00" in the zone's local time."""
    at = local(moment, zone)
    return f"{at:%a} {at.day} {at:%b %H:%M}"


def span(start: datetime, end: datetime, zone: str) -> str:
    """ "Mon 7 Dec 08:00 to 16:00 (GMT)", naming the zone's abbreviation at the start."""
    at = local(start, zone)
    return f"{day_and_clock(start, zone)} to {clock(end, zone)} ({at.tzname()})"


def day_label(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def hours(minutes: float | None) -> str:
    if minutes is None:
        return "not known"
    value = minutes / 60
    return f"{value:,.1f} hours"
