"""Template helpers every page shares: masking, durations, money-free numbers."""

from datetime import datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def mask(value) -> str:
    """Personal data as shown by default: all but the last 2 characters hidden."""
    if value in (None, ""):
        return ""
    text = str(value)
    if len(text) <= 4:
        return "•" * len(text)
    return "•" * (len(text) - 2) + text[-2:]


@register.filter
def duration(seconds) -> str:
    """Whole seconds as '3 d 4 h', '2 h 05 min', '4 min' or 'under a minute'."""
    if seconds in (None, ""):
        return ""
    seconds = int(seconds)
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{sign}{days} d {hours} h"
    if hours:
        return f"{sign}{hours} h {minutes:02d} min"
    if minutes:
        return f"{sign}{minutes} min"
    return "under a minute"


@register.filter
def age(moment: datetime | None) -> str:
    """How long ago, as a duration."""
    if moment is None:
        return ""
    return duration((timezone.now() - moment).total_seconds())


@register.filter
def percent(value) -> str:
    if value is None:
        return "—"
    return f"{value:.1f} %"


@register.filter
def magnitude(value):
    """The absolute value (an overdue time shown as a length)."""
    try:
        return abs(value)
    except TypeError:
        return value


@register.filter
def words(value) -> str:
    """A stored code as words: 'in_progress' -> 'In progress'."""
    return str(value or "").replace("_", " ").capitalize()
