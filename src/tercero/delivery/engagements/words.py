"""An engagement's calendar and SLA targets said in words, and the units people set
targets in turned into the stored structure (`calendar.SlaTarget`) and back.

Pure functions over the stored fields: the set-up pages, the engagement page and the
portal say the same thing the same way."""

import functools
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from holidays import registry

DASH = "\u2013"  # en dash, between the two ends of a span of time
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

METRICS = {
    "first_response": "First response",
    "resolution": "Resolution",
    "turnaround": "Turnaround",
    "answer": "Answer (live chat and phone)",
    "service_level": "Service level",
    "accuracy": "Accuracy",
}
PERCENT_METRICS = frozenset({"service_level", "accuracy"})
# a customer waits on the line: the engine counts answer targets in plain seconds
PLAIN_TIME_METRICS = frozenset({"answer"})
PRIORITIES = ("P1", "P2", "P3", "P4")

UNITS = {
    "seconds": "Seconds",
    "minutes": "Minutes",
    "hours": "Hours",
    "business_days": "Business days",
    "percent": "Percent",
}
_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600}
MAX_TARGET_SECONDS = 366 * 86400
MAX_BUSINESS_DAYS = 365

_PHRASES = {
    "first_response": "first response within {}",
    "resolution": "resolved within {}",
    "turnaround": "turned around within {}",
    "answer": "answered within {}",
    "service_level": "service level of at least {}",
    "accuracy": "accuracy of at least {}",
}


class TargetNotValid(ValueError):
    """A target as a person entered it that cannot be stored; the message says why."""


@functools.cache
def country_names() -> dict[str, str]:
    """ISO alpha-2 code to English name, for every country the `holidays` package knows."""
    return {
        entry[1]: module.replace("_", " ").title().replace(" And ", " and ").replace(" Of ", " of ")
        for module, entry in registry.COUNTRIES.items()
    }


def country_name(code: str) -> str:
    return country_names().get(code.upper(), code.upper())


# --- working hours -----------------------------------------------------------------------


type Spans = list[list[str]]


def hours_by_weekday(working_hours: Mapping[Any, Sequence[Sequence[str]]]) -> dict[int, Spans]:
    """The stored hours (keys "0".."6" once read back from JSON, ints before) by weekday."""
    found: dict[int, Spans] = {day: [] for day in range(7)}
    for day, spans in working_hours.items():
        found[int(day)] = sorted([str(start), str(end)] for start, end in spans)
    return found


def spans_in_words(spans: Iterable[Sequence[str]]) -> str:
    """`08:00-12:00 and 13:00-17:00` (with en dashes); `closed` when there is none."""
    parts = [f"{start}{DASH}{end}" for start, end in spans]
    if not parts:
        return "closed"
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def working_hours_in_words(engagement: Any) -> list[str]:
    """One line per run of weekdays with the same hours: `Monday to Friday: 08:00-12:00
    and 13:00-17:00`; a 24/7 engagement is `24/7`."""
    if engagement.is_24_7:
        return ["24/7"]
    by_day = hours_by_weekday(engagement.working_hours)
    if not any(by_day.values()):
        return ["No working hours set"]
    runs: list[tuple[int, int, Spans]] = []
    for day in range(7):
        if runs and runs[-1][2] == by_day[day]:
            runs[-1] = (runs[-1][0], day, by_day[day])
        else:
            runs.append((day, day, by_day[day]))
    return [f"{_days(first, last)}: {spans_in_words(spans)}" for first, last, spans in runs]


def _days(first: int, last: int) -> str:
    if first == last:
        return WEEKDAYS[first]
    joint = " and " if last == first + 1 else " to "
    return WEEKDAYS[first] + joint + WEEKDAYS[last]


# --- SLA targets -------------------------------------------------------------------------


def target_from(*, metric: str, priority: str, amount: str | Decimal, unit: str) -> dict[str, Any]:
    """The stored target for what a person entered; TargetNotValid says what is wrong."""
    if metric not in METRICS:
        raise TargetNotValid("Choose what the target measures.")
    if priority and priority not in PRIORITIES:
        raise TargetNotValid("Choose a priority from P1 to P4, or every priority.")
    value = _amount(amount)
    stored: dict[str, Any] = {"metric": metric}
    if priority:
        stored["priority"] = priority
    return stored | _measure(metric, value, unit)


def _amount(amount: str | Decimal) -> Decimal:
    try:
        value = Decimal(str(amount).strip())
    except InvalidOperation as error:
        raise TargetNotValid("The target is a number, e.g. 4 or 99.5.") from error
    if not value.is_finite() or value <= 0:
        raise TargetNotValid("The target is a number above zero.")
    return value


def _measure(metric: str, value: Decimal, unit: str) -> dict[str, Any]:
    label = METRICS[metric].split(" (")[0]
    if metric in PERCENT_METRICS:
        if unit != "percent":
            raise TargetNotValid(f"{label} is a percentage: choose Percent.")
        if value > 100:
            raise TargetNotValid(f"{label} is at most 100 percent.")
        return {"target_percent": float(value)}
    if unit == "percent":
        raise TargetNotValid(f"{label} is a time: choose seconds, minutes, hours or days.")
    if metric in PLAIN_TIME_METRICS and unit not in ("seconds", "minutes"):
        raise TargetNotValid("An answer target is in seconds or minutes: the customer is waiting.")
    return _time(value, unit)


def _time(value: Decimal, unit: str) -> dict[str, Any]:
    if unit == "business_days":
        if value != value.to_integral_value() or value > MAX_BUSINESS_DAYS:
            raise TargetNotValid(f"Business days are a whole number up to {MAX_BUSINESS_DAYS}.")
        return {"target_business_days": int(value)}
    if unit not in _UNIT_SECONDS:
        raise TargetNotValid("Choose a unit.")
    seconds = value * _UNIT_SECONDS[unit]
    if seconds != seconds.to_integral_value():
        raise TargetNotValid("The target comes to a whole number of seconds, e.g. 1.5 hours.")
    if seconds > MAX_TARGET_SECONDS:
        raise TargetNotValid("A time target is at most 366 days.")
    return {"target_seconds": int(seconds)}


def amount_and_unit(target: Mapping[str, Any]) -> tuple[str, str]:
    """The stored target as the largest whole unit a person would enter: (amount, unit)."""
    if target.get("target_percent") is not None:
        return _number(target["target_percent"]), "percent"
    if target.get("target_business_days"):
        return str(target["target_business_days"]), "business_days"
    seconds = int(target.get("target_seconds") or 0)
    for unit in ("hours", "minutes"):
        if seconds % _UNIT_SECONDS[unit] == 0:
            return str(seconds // _UNIT_SECONDS[unit]), unit
    return str(seconds), "seconds"


def target_in_words(
    target: Mapping[str, Any], *, is_24_7: bool, others: Iterable[Mapping[str, Any]] = ()
) -> str:
    """`First response within 1 business hour for P1`. A target without a priority is
    for every priority, or for the others when some have their own (`others`)."""
    metric = str(target.get("metric", ""))
    phrase = _PHRASES.get(metric, metric.replace("_", " ") + " within {}")
    said = phrase.format(_target_amount(target, metric, is_24_7=is_24_7))
    priority = target.get("priority")
    if priority:
        said += f" for {priority}"
    elif any(o.get("metric") == metric and o.get("priority") for o in others):
        said += " for other priorities"
    elif metric not in PERCENT_METRICS:
        said += " for every priority"
    return said[0].upper() + said[1:]


def targets_in_words(targets: Sequence[Mapping[str, Any]], *, is_24_7: bool) -> list[str]:
    """Each target in words, ordered by metric then priority (general last)."""
    order = list(METRICS)
    ordered = sorted(
        targets,
        key=lambda t: (
            order.index(t["metric"]) if t.get("metric") in order else len(order),
            t.get("priority") or "P9",
        ),
    )
    return [target_in_words(t, is_24_7=is_24_7, others=targets) for t in ordered]


def _target_amount(target: Mapping[str, Any], metric: str, *, is_24_7: bool) -> str:
    amount, unit = amount_and_unit(target)
    if unit == "percent":
        return f"{amount}%"
    # business time is every hour of a 24/7 engagement, and answers run on the plain clock
    business = "" if is_24_7 or metric in PLAIN_TIME_METRICS else "business "
    singular = {"business_days": "day", "hours": "hour", "minutes": "minute", "seconds": "second"}
    word = singular[unit] + ("" if amount == "1" else "s")
    if unit == "business_days":
        return f"{amount} {'' if is_24_7 else 'business '}{word}"
    return f"{amount} {business}{word}"


def _number(value: float | int | str) -> str:
    return format(Decimal(str(value)).normalize(), "f")
