"""Template helpers every page shares: masking, durations, money in its currency, and
stored values in plain words."""

from datetime import datetime

from django import template
from django.utils import timezone

from tercero.web.money import format_money

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


@register.filter
def money(minor, currency: str = "") -> str:
    """Integer minor units in their currency: `{{ run.net_minor|money:run.currency }}`."""
    return format_money(minor, currency)


@register.filter
def plain(value) -> str:
    """A stored value as a person reads it: lists joined, mappings as "Label: value",
    yes/no for booleans, a dash for nothing; never a Python repr."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(plain(item) for item in value) if value else "none"
    if isinstance(value, dict):
        if not value:
            return "none"
        return "; ".join(f"{words(key)}: {plain(item)}" for key, item in value.items())
    return str(value)
