"""When a UK statutory payment may be taken, without the database: the windows and
whole-week rules of parental bereavement and neonatal care pay, the earliest start of
maternity and adoption pay and the 52-week window of paternity pay. Each rule answers a
sentence saying why an absence is refused, or "" when it may be recorded. Sources are in
statutory_rules.py's docstring and the packs' "statutory_payments" entries.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from tercero.services.payroll import statutory
from tercero.services.payroll.statutory import day_text
from tercero.services.payroll.statutory_rules import week_of

NEONATAL_FROM = date(2025, 4, 6)  # births on or after it (Neonatal Care (Leave and Pay) Act 2023)
PATERNITY_WINDOW_FROM = date(2024, 4, 6)  # births and placements on or after it: 52 weeks
PATERNITY_WINDOW_WEEKS = 52
MATERNITY_EARLIEST_WEEKS = 11  # before the expected week of childbirth
ADOPTION_EARLIEST_DAYS = 14  # before the expected placement


@dataclass(frozen=True)
class Leave:
    """An absence as recorded: its dates and the dates it depends on."""

    kind: str
    start: date
    end: date | None
    expected_on: date | None  # due date, matching date, date of death or of birth
    child_arrived_on: date | None = None  # the actual birth, or the placement
    care_started_on: date | None = None  # neonatal care pay: the day the care began
    weeks_of_care: int | None = None  # neonatal care pay: weeks of care of 7 days or more


def refusal(leave: Leave, *, weeks_recorded: int = 0) -> str:
    """Why `leave` may not be taken when it is, in a sentence; "" when it may.
    `weeks_recorded`: weeks of the same payment already recorded for the same child."""
    if leave.expected_on is None:
        return ""  # statutory_rules.family_refusal asks for the date first
    if leave.kind == statutory.BEREAVEMENT:
        return _bereavement(leave, weeks_recorded)
    if leave.kind == statutory.NEONATAL:
        return _neonatal(leave, weeks_recorded)
    if leave.kind == statutory.MATERNITY:
        return _maternity_start(leave)
    if leave.kind == statutory.ADOPTION:
        return _adoption_start(leave)
    if leave.kind == statutory.PATERNITY:
        return _paternity_window(leave)
    return ""


def weeks_of(leave: Leave) -> int:
    """Whole weeks an absence of whole weeks covers (0 when open-ended)."""
    if leave.end is None:
        return 0
    return ((leave.end - leave.start).days + 1) // 7


def _whole_weeks(leave: Leave, name: str, how: str) -> str:
    if leave.end is None:
        return f"{name} needs the last day: it is paid in whole weeks ({how})."
    days = (leave.end - leave.start).days + 1
    if days % 7:
        return (
            f"{name} is paid in whole weeks ({how}): {day_text(leave.start)} to "
            f"{day_text(leave.end)} is {days} days."
        )
    return ""


def _bereavement(leave: Leave, weeks_recorded: int) -> str:
    name = statutory.KINDS[statutory.BEREAVEMENT][1]
    death = leave.expected_on
    assert death is not None
    rates = statutory.rates_on(death)
    problem = _whole_weeks(leave, name, "one block of two weeks or two separate weeks")
    if problem:
        return problem
    if leave.start < death:
        return f"{name} cannot start before the child's death on {day_text(death)}."
    last = death + timedelta(weeks=rates.bereavement_window_weeks, days=-1)
    assert leave.end is not None
    if leave.end > last:
        return (
            f"{name} must be taken within {rates.bereavement_window_weeks} weeks of the death "
            f"on {day_text(death)}: by {day_text(last)}."
        )
    weeks = weeks_of(leave)
    if weeks + weeks_recorded > rates.bereavement_weeks:
        return (
            f"{name} is {rates.bereavement_weeks} weeks at most for each child, as one block "
            f"or two separate weeks: {weeks_recorded} already recorded for the death on "
            f"{day_text(death)}, {weeks} more asked."
        )
    return ""


def _neonatal(leave: Leave, weeks_recorded: int) -> str:
    name = statutory.KINDS[statutory.NEONATAL][1]
    birth = leave.expected_on
    assert birth is not None
    if birth < NEONATAL_FROM:
        return f"{name} is for babies born on or after {day_text(NEONATAL_FROM)}."
    rates = statutory.rates_on(birth)
    care = leave.care_started_on
    if care is None:
        return f"{name} needs the day the neonatal care began."
    latest_care = birth + timedelta(days=rates.neonatal_care_start_days)
    if not birth <= care <= latest_care:
        return (
            f"No {name}: neonatal care must start within {rates.neonatal_care_start_days} days "
            f"of the birth on {day_text(birth)} (by {day_text(latest_care)})."
        )
    if not leave.weeks_of_care or not 1 <= leave.weeks_of_care <= rates.neonatal_max_weeks:
        return (
            f"{name} needs the weeks of neonatal care of 7 or more continuous days, "
            f"1 to {rates.neonatal_max_weeks}."
        )
    problem = _whole_weeks(leave, name, "one week for each week of neonatal care")
    if problem:
        return problem
    if leave.start < care:
        return f"{name} cannot start before the neonatal care began on {day_text(care)}."
    last = birth + timedelta(weeks=rates.neonatal_window_weeks, days=-1)
    assert leave.end is not None
    if leave.end > last:
        return (
            f"{name} must be taken within {rates.neonatal_window_weeks} weeks of the birth on "
            f"{day_text(birth)}: by {day_text(last)}."
        )
    weeks = weeks_of(leave)
    if weeks + weeks_recorded > leave.weeks_of_care:
        return (
            f"{name} is one week for each week of neonatal care: {leave.weeks_of_care} "
            f"week{'s' if leave.weeks_of_care != 1 else ''} of care, {weeks_recorded} already "
            f"recorded, {weeks} more asked."
        )
    return ""


def maternity_earliest(*, expected: date, born_on: date | None) -> date:
    """The first day maternity pay may start: the Sunday 11 weeks before the expected week
    of childbirth, or the day after an earlier birth."""
    earliest = week_of(expected) - timedelta(weeks=MATERNITY_EARLIEST_WEEKS)
    if born_on is not None and born_on < earliest:
        return born_on + timedelta(days=1)
    return earliest


def _maternity_start(leave: Leave) -> str:
    assert leave.expected_on is not None
    earliest = maternity_earliest(expected=leave.expected_on, born_on=leave.child_arrived_on)
    if leave.start >= earliest:
        return ""
    return (
        f"Statutory Maternity Pay cannot start before {day_text(earliest)}: the 11th week "
        f"before the expected week of childbirth (due {day_text(leave.expected_on)}), "
        "unless the baby is born earlier (give the date of birth)."
    )


def _adoption_start(leave: Leave) -> str:
    assert leave.expected_on is not None
    name = statutory.KINDS[statutory.ADOPTION][1]
    placed = leave.child_arrived_on
    if placed is not None:
        earliest = placed - timedelta(days=ADOPTION_EARLIEST_DAYS)
        if leave.start < earliest:
            return (
                f"{name} cannot start before {day_text(earliest)}: "
                f"{ADOPTION_EARLIEST_DAYS} days before the placement on {day_text(placed)}."
            )
        return ""
    if leave.start < leave.expected_on:
        return f"{name} cannot start before the matching date, {day_text(leave.expected_on)}."
    return ""


def _paternity_window(leave: Leave) -> str:
    """Paternity pay is taken within 52 weeks of the birth or placement (from 6 April
    2024); a baby born early counts from the expected week of childbirth."""
    assert leave.expected_on is not None
    arrived = leave.child_arrived_on or leave.expected_on
    if arrived < PATERNITY_WINDOW_FROM:
        return ""
    counted_from = max(arrived, week_of(leave.expected_on))
    last = counted_from + timedelta(weeks=PATERNITY_WINDOW_WEEKS, days=-1)
    weeks = statutory.rates_on(arrived).paternity_weeks
    end = leave.end or leave.start + timedelta(weeks=weeks, days=-1)
    if end <= last:
        return ""
    return (
        f"Statutory Paternity Pay must be taken within {PATERNITY_WINDOW_WEEKS} weeks of the "
        f"birth or placement ({day_text(counted_from)}): by {day_text(last)}; this leave ends "
        f"{day_text(end)}."
    )
