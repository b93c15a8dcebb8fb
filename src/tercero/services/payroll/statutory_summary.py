"""What an employee's statutory absences pay, in words for their page: each absence's
dates, its weekly rate or rates and the total over its entitlement (or so far, for an
open-ended sickness), or why its pay cannot be worked out. Reads; the rules are
statutory.py."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from tercero.platform.errors import InvalidInput
from tercero.services.payroll import statutory, statutory_leave
from tercero.services.payroll.models import StatutoryAbsence


@dataclass(frozen=True)
class AbsencePay:
    absence: StatutoryAbsence
    label: str  # "Maternity", "Sickness"
    dates: str  # "10 May 2026 to 5 June 2026"
    weekly_minor: tuple[int, ...]  # the weekly rates in the order they apply
    total_minor: int
    is_so_far: bool  # an open-ended sickness: paid up to today
    problem: str  # why the pay cannot be worked out, in a sentence; "" when it can
    note: str = ""  # a holiday: what the run pays it at, in words


def summaries(absences: Iterable[StatutoryAbsence], *, today: date) -> list[AbsencePay]:
    """One summary per absence, oldest first."""
    found = sorted(absences, key=lambda a: (a.start, a.pk))
    sick = [a for a in found if a.kind == statutory.SICKNESS]
    family = tuple(  # no SSP in a maternity or adoption pay period, as a run pays it
        statutory.Spell(a.start, a.end or a.start + timedelta(weeks=39, days=-1))
        for a in found
        if a.kind in (statutory.MATERNITY, statutory.ADOPTION)
    )
    return [_summary(absence, sick, family, today) for absence in found]


def _summary(
    absence: StatutoryAbsence,
    sick: list[StatutoryAbsence],
    family: tuple[statutory.Spell, ...],
    today: date,
) -> AbsencePay:
    if absence.kind == statutory_leave.HOLIDAY:
        return _holiday(absence)
    is_so_far = absence.kind == statutory.SICKNESS and absence.end is None
    try:
        days = list(_paid_days(absence, sick, family, today))
        problem = ""
    except InvalidInput as error:
        days, problem = [], f"Its pay cannot be worked out: {error.message}"
    rates: list[int] = []
    for paid in days:
        if not rates or rates[-1] != paid.weekly_minor:
            rates.append(paid.weekly_minor)
    return AbsencePay(
        absence=absence,
        label=absence.get_kind_display(),
        dates=_dates(absence),
        weekly_minor=tuple(rates),
        total_minor=sum(paid.amount_minor for paid in days),
        is_so_far=is_so_far,
        problem=problem,
    )


def _holiday(absence: StatutoryAbsence) -> AbsencePay:
    """Paid annual leave: its working days, paid by the runs of its periods at the
    52-week average (holiday_leave)."""
    weekdays = statutory_leave.qualifying_weekdays(absence.qualifying_days)
    end = absence.end or absence.start
    days = sum(
        1
        for offset in range((end - absence.start).days + 1)
        if (absence.start + timedelta(days=offset)).weekday() in weekdays
    )
    return AbsencePay(
        absence=absence,
        label=absence.get_kind_display(),
        dates=_dates(absence),
        weekly_minor=(),
        total_minor=0,
        is_so_far=False,
        problem="",
        note=(
            f"{days} working day{'s' if days != 1 else ''}, paid by the run of each period at "
            "the average of the 52 weeks with pay before the holiday"
        ),
    )


def _dates(absence: StatutoryAbsence) -> str:
    start = statutory.day_text(absence.start)
    if absence.end is not None:
        return f"{start} to {statutory.day_text(absence.end)}"
    if absence.kind == statutory.SICKNESS:
        return f"from {start}, no end date yet"
    return f"from {start} until the entitlement ends"


def _paid_days(
    absence: StatutoryAbsence,
    sick: list[StatutoryAbsence],
    family: tuple[statutory.Spell, ...],
    today: date,
) -> Iterable[statutory.PaidDay]:
    awe = Fraction(absence.average_weekly_earnings_exact)
    if absence.kind == statutory.SICKNESS:
        spells = [statutory.Spell(a.start, a.end or max(a.start, today)) for a in sick]
        last = absence.end or max(absence.start, today)
        return (
            paid
            for paid in statutory.sick_days(
                spells=spells,
                awe_minor=awe,
                qualifying_weekdays=statutory_leave.qualifying_weekdays(absence.qualifying_days),
                not_payable=family,
            )
            if absence.start <= paid.day <= last
        )
    if absence.kind == statutory.SHARED_PARENTAL:
        return statutory.shared_days(
            blocks=[(absence.start, absence.end or absence.start + timedelta(days=6))],
            awe_minor=awe,
            weeks_available=absence.weeks_available or 0,
        )
    return statutory.family_days(
        kind=absence.kind, start=absence.start, end=absence.end, awe_minor=awe
    )
