"""Labour rules as data, and the check that a set of planned shifts keeps every one of them.

Pure Python, no database. The solver (rostering.py) treats each rule as a hard constraint;
`violations()` is the independent property check run on its output and on any hand-edited
roster.

How the rules are measured (the solver measures them the same way):

- A shift belongs to the local calendar day at the agent's site on which it starts.
- A shift's length is real elapsed time from start to end (so a shift across a clock change
  lasts what the template says, not what the wall clock suggests). Weekly hours count the
  whole shift, breaks included: stricter than the Working Time Regulations 1998 (reg. 4),
  which leave unpaid breaks out.
- "A week" is any 7 consecutive local days, not only the calendar weeks from the roster's
  first day: every rolling window must keep the weekly hours and working-days limits.
- Rest is measured from the end of one shift to the start of the agent's next shift
  (reg. 10 of the same Regulations gives 11 hours a day).
- Breaks: every break rule whose threshold the shift's length reaches applies, so an 8-hour
  shift under the defaults takes a paid 15-minute break and an unpaid 30-minute one. No
  break may start within `break_margin_minutes` of the shift's start or end, and breaks
  never overlap.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class BreakRule:
    """A shift at least `min_shift_minutes` long takes a break of `break_minutes`."""

    min_shift_minutes: int
    break_minutes: int
    paid: bool


_INTEGER_RULES = (
    "max_minutes_per_week",
    "min_rest_minutes",
    "max_days_per_week",
    "max_consecutive_days",
    "min_shift_minutes",
    "max_shift_minutes",
    "break_margin_minutes",
)


@dataclass(frozen=True)
class LabourRules:
    """The limits every roster must keep; defaults follow the UK Working Time Regulations."""

    max_minutes_per_week: int = 48 * 60
    min_rest_minutes: int = 11 * 60
    max_days_per_week: int = 6
    max_consecutive_days: int = 6
    min_shift_minutes: int = 4 * 60
    max_shift_minutes: int = 10 * 60
    breaks: tuple[BreakRule, ...] = (BreakRule(6 * 60, 30, False), BreakRule(4 * 60, 15, True))
    break_margin_minutes: int = 60

    def breaks_for(self, shift_minutes: int) -> list[BreakRule]:
        """Every break rule whose threshold a shift of this length reaches, shortest first."""
        applying = [rule for rule in self.breaks if shift_minutes >= rule.min_shift_minutes]
        return sorted(applying, key=lambda rule: (rule.min_shift_minutes, rule.break_minutes))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "LabourRules":
        """Rules from stored data; missing keys take the defaults, bad values raise ValueError."""
        if not isinstance(data, Mapping):
            raise ValueError("Labour rules must be a set of named values.")
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"Unknown labour rule: {', '.join(unknown)}.")
        values: dict[str, Any] = {
            name: _whole_minutes(name, data[name]) for name in _INTEGER_RULES if name in data
        }
        if "breaks" in data:
            values["breaks"] = _break_rules(data["breaks"])
        rules = cls(**values)
        rules.check()
        return rules

    def to_dict(self) -> dict[str, Any]:
        """Plain data for storage; `from_dict(to_dict())` gives the same rules back."""
        data = asdict(self)
        data["breaks"] = [asdict(rule) for rule in self.breaks]
        return data

    def check(self) -> None:
        """Refuse rules no roster could keep, in words a planner understands."""
        if self.min_shift_minutes > self.max_shift_minutes:
            raise ValueError("The shortest shift allowed is longer than the longest.")
        if self.max_days_per_week > 7 or self.max_days_per_week < 1:
            raise ValueError("Working days a week must be between 1 and 7.")
        if self.max_consecutive_days < 1:
            raise ValueError("Consecutive working days must be at least 1.")
        for rule in self.breaks:
            if rule.break_minutes < 1:
                raise ValueError("A break must last at least a minute.")


def _whole_minutes(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        label = name.replace("_", " ")
        raise ValueError(f"The rule '{label}' must be a whole number of at least 0.")
    return value


def _break_rules(value: object) -> tuple[BreakRule, ...]:
    if not isinstance(value, list | tuple):
        raise ValueError("Break rules must be a list.")
    rules = []
    for item in value:
        if not isinstance(item, Mapping) or set(item) != {
            "min_shift_minutes",
            "break_minutes",
            "paid",
        }:
            raise ValueError("Each break rule needs a shift length, a break length and paid.")
        if not isinstance(item["paid"], bool):
            raise ValueError("A break rule's 'paid' must be yes or no.")
        rules.append(
            BreakRule(
                min_shift_minutes=_whole_minutes("min_shift_minutes", item["min_shift_minutes"]),
                break_minutes=_whole_minutes("break_minutes", item["break_minutes"]),
                paid=item["paid"],
            )
        )
    return tuple(rules)


@dataclass(frozen=True)
class PlannedShift:
    """One agent's shift: aware UTC times, its breaks, and the demand keys it covers."""

    agent_id: int
    template: str
    start: datetime
    end: datetime
    breaks: tuple[tuple[datetime, datetime], ...]
    serves: tuple[str, ...]

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60


@dataclass(frozen=True)
class Violation:
    agent_id: int
    rule: str
    message: str


def violations(
    shifts: Sequence[PlannedShift], rules: LabourRules, *, time_zones: Mapping[int, str]
) -> list[Violation]:
    """Every broken labour rule in `shifts`, per agent, worded with the site's local times.

    An agent missing from `time_zones` is judged in UTC.
    """
    by_agent: dict[int, list[PlannedShift]] = defaultdict(list)
    for shift in shifts:
        by_agent[shift.agent_id].append(shift)
    found: list[Violation] = []
    for agent_id in sorted(by_agent):
        zone = _zone(time_zones.get(agent_id, "UTC"))
        agent_shifts = sorted(by_agent[agent_id], key=lambda shift: shift.start)
        found += _shift_violations(agent_shifts, rules, zone)
        found += _rest_violations(agent_shifts, rules, zone)
        found += _week_violations(agent_shifts, rules, zone)
        found += _consecutive_violations(agent_shifts, rules, zone)
    return found


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"Unknown time zone: {name}.") from error


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %d %b %Y %H:%M")


def _hours(minutes: float) -> str:
    hours = minutes / 60
    return f"{hours:g} hour" + ("" if hours == 1 else "s")


def _shift_violations(
    shifts: list[PlannedShift], rules: LabourRules, zone: ZoneInfo
) -> list[Violation]:
    found = []
    for shift in shifts:
        where = f"The shift starting {_local(shift.start, zone)} ({zone.key})"
        if not rules.min_shift_minutes <= shift.minutes <= rules.max_shift_minutes:
            found.append(
                Violation(
                    shift.agent_id,
                    "shift_length",
                    f"{where} lasts {_hours(shift.minutes)}; shifts must last between "
                    f"{_hours(rules.min_shift_minutes)} and {_hours(rules.max_shift_minutes)}.",
                )
            )
        found += [
            Violation(shift.agent_id, "breaks", f"{where} {problem}")
            for problem in _break_problems(shift, rules, zone)
        ]
    return found


def _break_problems(shift: PlannedShift, rules: LabourRules, zone: ZoneInfo) -> list[str]:
    expected = sorted(rule.break_minutes for rule in rules.breaks_for(round(shift.minutes)))
    taken = sorted((end - start).total_seconds() / 60 for start, end in shift.breaks)
    if taken != expected:
        wanted = ", ".join(f"{minutes} minutes" for minutes in expected) or "no break"
        given = ", ".join(f"{minutes:g} minutes" for minutes in taken) or "no break"
        return [f"has breaks of {given}; the rules give {wanted}."]
    problems = []
    margin = timedelta(minutes=rules.break_margin_minutes)
    ordered = sorted(shift.breaks)
    for start, end in ordered:
        if start < shift.start + margin or end > shift.end - margin:
            problems.append(
                f"has a break at {_local(start, zone)} within "
                f"{rules.break_margin_minutes} minutes of the shift's start or end."
            )
    for (_, earlier_end), (later_start, _) in pairwise(ordered):
        if later_start < earlier_end:
            problems.append(f"has two breaks overlapping at {_local(later_start, zone)}.")
    return problems


def _rest_violations(
    shifts: list[PlannedShift], rules: LabourRules, zone: ZoneInfo
) -> list[Violation]:
    found = []
    for earlier, later in pairwise(shifts):
        rest = (later.start - earlier.end).total_seconds() / 60
        if rest < rules.min_rest_minutes:
            found.append(
                Violation(
                    earlier.agent_id,
                    "rest",
                    f"Only {_hours(max(rest, 0))} of rest between the shift ending "
                    f"{_local(earlier.end, zone)} and the one starting "
                    f"{_local(later.start, zone)} ({zone.key}); the rule is at least "
                    f"{_hours(rules.min_rest_minutes)}.",
                )
            )
    return found


def _days_worked(shifts: list[PlannedShift], zone: ZoneInfo) -> dict[date, float]:
    minutes: dict[date, float] = defaultdict(float)
    for shift in shifts:
        minutes[shift.start.astimezone(zone).date()] += shift.minutes
    return minutes


def _week_violations(
    shifts: list[PlannedShift], rules: LabourRules, zone: ZoneInfo
) -> list[Violation]:
    """Any 7 consecutive days; a window over a limit contains one starting on a worked day."""
    worked = _days_worked(shifts, zone)
    agent_id = shifts[0].agent_id if shifts else 0
    found = []
    for first in sorted(worked):
        window = [day for day in worked if first <= day < first + timedelta(days=7)]
        total = sum(worked[day] for day in window)
        when = f"the 7 days from {first:%a %d %b %Y} ({zone.key})"
        if total > rules.max_minutes_per_week:
            found.append(
                Violation(
                    agent_id,
                    "weekly_hours",
                    f"Works {_hours(total)} in {when}; the limit is "
                    f"{_hours(rules.max_minutes_per_week)}.",
                )
            )
        if len(window) > rules.max_days_per_week:
            found.append(
                Violation(
                    agent_id,
                    "days_per_week",
                    f"Works {len(window)} days in {when}; the limit is {rules.max_days_per_week}.",
                )
            )
    return found


def _consecutive_violations(
    shifts: list[PlannedShift], rules: LabourRules, zone: ZoneInfo
) -> list[Violation]:
    days = sorted(_days_worked(shifts, zone))
    found = []
    run_start = 0
    for index in range(1, len(days) + 1):
        if index < len(days) and days[index] - days[index - 1] == timedelta(days=1):
            continue
        run = index - run_start
        if run > rules.max_consecutive_days:
            found.append(
                Violation(
                    shifts[0].agent_id,
                    "consecutive_days",
                    f"Works {run} days in a row from {days[run_start]:%a %d %b %Y} "
                    f"({zone.key}); the limit is {rules.max_consecutive_days}.",
                )
            )
        run_start = index
    return found
