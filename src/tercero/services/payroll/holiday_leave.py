"""Paid annual leave (holiday) in a UK regular run: the days of a recorded holiday that
fall in the run's period are paid at a week's holiday pay (the 52-week average of the
pay periods with pay before the holiday: holiday_pay.period_week_pay) as the `HOLIDAY`
line, and a salaried employee's basic pay for the same days is not paid as salary, so
no day is paid twice. A day is 1 / the working days a week of the holiday record (its
qualifying days, Monday to Friday unless said). Hourly pay comes from the hours imported,
which are the hours worked: nothing is taken off it.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from tercero.services.payroll import holiday_pay
from tercero.services.payroll.models import PayResult, PayRun, StatutoryAbsence
from tercero.services.payroll.statutory import day_text, pounds
from tercero.services.payroll.statutory_leave import qualifying_weekdays

HOLIDAY = "holiday"  # StatutoryAbsence.Kind.HOLIDAY
CODE = "HOLIDAY"
NAME = "Holiday pay"
WEEKS_A_YEAR = 52


@dataclass(frozen=True)
class Taken:
    """The days of one holiday record inside a pay period."""

    start: date  # the holiday's first day (its 52 weeks end before it)
    first: date  # its first and last day inside the period
    last: date
    days: int  # working days taken in the period
    days_a_week: int


def _working_days(first: date, last: date, weekdays: frozenset[int]) -> int:
    return sum(
        1
        for offset in range((last - first).days + 1)
        if (first + timedelta(days=offset)).weekday() in weekdays
    )


def taken_in(run: PayRun, employee_ids: list[int]) -> dict[int, list[Taken]]:
    """Each employee's holiday days in the run's period (UK regular runs only)."""
    if run.pay_group.jurisdiction != "GB" or run.kind != PayRun.Kind.REGULAR:
        return {}
    found: dict[int, list[Taken]] = defaultdict(list)
    for absence in StatutoryAbsence.objects.filter(
        employee_id__in=employee_ids,
        kind=HOLIDAY,
        start__lte=run.period_end,
        end__gte=run.period_start,
    ).order_by("start"):
        weekdays = qualifying_weekdays(absence.qualifying_days)
        first, last = max(absence.start, run.period_start), min(absence.end, run.period_end)
        days = _working_days(first, last, weekdays)
        if days:
            found[absence.employee_id].append(
                Taken(absence.start, first, last, days, len(weekdays))
            )
    return found


def _periods(employee_id: int) -> list[tuple[date, date, int]]:
    """The employee's finalised pay by pay period (a regular and an off-cycle payment of
    one period added together); held payslips paid nothing."""
    by_period: dict[tuple[date, date], int] = defaultdict(int)
    for start, end, gross, flags in PayResult.objects.filter(
        employee_id=employee_id, run__status=PayRun.Status.FINALISED
    ).values_list("run__period_start", "run__period_end", "gross_minor", "flags"):
        if "held" not in flags:
            by_period[(start, end)] += gross
    return [(start, end, gross) for (start, end), gross in by_period.items()]


def snapshot_fields(
    employee_id: int, taken: list[Taken], *, annual_salary_minor: int | None
) -> dict:
    """What calc.Snapshot takes for the holiday days of one employee: the holiday pay,
    the basic pay not paid for those days and the sentences; or the reason it cannot be
    worked out (the employee is held)."""
    if not taken:
        return {}
    periods = _periods(employee_id)
    amount = salary = 0
    texts: list[str] = []
    for holiday in taken:
        week = holiday_pay.period_week_pay(periods=periods, holiday_starts=holiday.start)
        weekly, said = week.weekly_minor, week.text
        if not week.weeks_counted:
            if annual_salary_minor is None:
                return {
                    "statutory_problem": (
                        "Holiday pay: no pay is on record in the 104 weeks before the holiday "
                        f"from {day_text(holiday.start)} and there is no salary to take a "
                        "week's pay from."
                    )
                }
            weekly = _half_up(Decimal(annual_salary_minor) / WEEKS_A_YEAR)
            said = (
                "No pay is on record before the holiday: a week's holiday pay is the "
                f"salary's, {pounds(weekly)} (the annual salary / 52)."
            )
        paid = _half_up(Decimal(weekly) * holiday.days / holiday.days_a_week)
        amount += paid
        if annual_salary_minor is not None:
            salary += _half_up(
                Decimal(annual_salary_minor) * holiday.days / (WEEKS_A_YEAR * holiday.days_a_week)
            )
        plural = "s" if holiday.days != 1 else ""
        texts.append(
            f"Holiday {day_text(holiday.first)} to {day_text(holiday.last)}: {holiday.days} "
            f"day{plural} at {pounds(weekly)} a week ({holiday.days_a_week} working days a "
            f"week) = {pounds(paid)}. {said}"
        )
    if salary:
        texts.append(f"Basic pay for the same days not paid as salary: {pounds(salary)}.")
    return {"holiday_minor": amount, "holiday_salary_minor": salary, "holiday": tuple(texts)}


def _half_up(value: Decimal) -> int:
    return int(value.to_integral_value(ROUND_HALF_UP))
