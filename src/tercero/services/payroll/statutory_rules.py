"""Who qualifies for a UK statutory payment, and on what average weekly earnings: pure
rules, no database (statutory_leave.py reads the records and stores the answer).

Sources (GOV.UK unless said): Statutory Maternity Pay: manually calculate your
employee's payments (gov.uk/guidance/statutory-maternity-pay-manually-calculate-your-
employees-payments): the qualifying week is the 15th week (Sunday to Saturday) before the
expected week of childbirth; average weekly earnings are the earnings paid in the
relevant period, which ends with the last normal payday on or before the Saturday of the
qualifying week and starts after the last normal payday at least 8 weeks before it;
they must be at least the lower earnings limit, compared unrounded (HMRC Employer
Helpbook for Statutory Maternity Pay, E15, average weekly earnings checksheet: "Do not
round up or down to whole pence; use the unrounded amount") Continuous employment of 26 weeks into
the qualifying week (any day of a week counts the week: Working Families' worked example,
expected week 17 June 2018, qualifying week 4 to 10 March 2018, latest start 16 September
2017). Adoption: the qualifying week is the week the adopter is told of the match.
Statutory Sick Pay: the relevant period ends with the last normal payday before the
first day of sickness; before 6 April 2026 earnings must reach the lower earnings limit
(the Employment Rights Act 2025 removed that test from 6 April 2026).
Statutory Parental Bereavement Pay (GOV.UK, Statutory Parental Bereavement Pay and Leave:
employer guide; Parental Bereavement Pay Regulations 2020): the relevant week is the week
before the week of the death; two weeks, as one block or two separate weeks, from the
death and within 56 weeks of it. Statutory Neonatal Care Pay (GOV.UK, Statutory Neonatal
Care Pay and Leave: employer guide; SI 2025/376; Acas): for a baby born on or after
6 April 2025 whose neonatal care of 7 or more continuous days started within 28 days of
the birth; one week of pay per such week of care, 12 at most, in whole weeks within 68
weeks of the birth; the relevant week is the week before the week the care started.
Limits on when pay may start (Statutory Maternity Pay (General) Regulations 1986 reg. 2;
Statutory Paternity Pay and Statutory Adoption Pay (General) Regulations 2002; GOV.UK
employer guides): maternity pay starts no earlier than the 11th week before the expected
week of childbirth unless the baby is born earlier (then from the day after the birth);
adoption pay no earlier than 14 days before the expected placement; paternity pay, for
a child born or placed on or after 6 April 2024, is taken within 52 weeks of the birth
or placement.
"""

from collections.abc import Iterable
from datetime import date, timedelta
from fractions import Fraction

from tercero.platform.errors import InvalidInput
from tercero.services.payroll import statutory
from tercero.services.payroll.statutory import day_text, pounds

# pay frequencies whose relevant period is counted in months (the rest in weeks)
MONTHLY = frozenset({"monthly", "semimonthly", "annual"})


def week_of(day: date) -> date:
    """The Sunday that starts the (Sunday to Saturday) week `day` is in."""
    return day - timedelta(days=(day.weekday() + 1) % 7)


def qualifying_week(*, kind: str, expected: date, care_started: date | None = None) -> date:
    """The Sunday starting the qualifying (relevant) week: the 15th week before the
    expected week of childbirth, for adoption the week of the matching date, for
    bereavement pay the week before the week of the death (`expected`), for neonatal care
    pay the week before the week the neonatal care started."""
    if kind == statutory.ADOPTION:
        return week_of(expected)
    if kind == statutory.BEREAVEMENT:
        return week_of(expected) - timedelta(weeks=1)
    if kind == statutory.NEONATAL:
        return week_of(care_started or expected) - timedelta(weeks=1)
    return week_of(expected) - timedelta(weeks=15)


def latest_start(*, qualifying_sunday: date) -> date:
    """The last day employment may have started to have 26 weeks of continuous
    employment into the qualifying week (the qualifying week is the 26th)."""
    return qualifying_sunday + timedelta(days=6) - timedelta(weeks=25)


def average_weekly_earnings(
    *, payments: Iterable[tuple[date, int]], up_to: date, frequency: str
) -> tuple[Fraction, str]:
    """Average weekly earnings over the relevant period ending with the last payday on or
    before `up_to`, in pence, exact (HMRC's helpbook E15: not rounded), with a sentence
    saying how."""
    paid = sorted((day, gross) for day, gross in payments if day <= up_to)
    if not paid:
        raise InvalidInput(
            f"No pay is on record on or before {day_text(up_to)}; "
            "give the average weekly earnings instead."
        )
    last = paid[-1][0]
    before = [day for day, _gross in paid if day <= last - timedelta(weeks=8)]
    if not before:
        raise InvalidInput(
            f"Fewer than 8 weeks of pay are on record before {day_text(last)}; "
            "give the average weekly earnings instead."
        )
    after = before[-1]
    counted = [(day, gross) for day, gross in paid if after < day <= last]
    total = sum(gross for _day, gross in counted)
    if frequency in MONTHLY:
        months = len(counted)
        exact = Fraction(total * 12, 52 * months)
        how = f"{months} monthly payment{'s' if months != 1 else ''} times 12, divided by 52"
    else:
        weeks = (last - after).days // 7
        exact = Fraction(total, weeks)
        how = f"divided by {weeks} weeks"
    said = (
        f"Average weekly earnings {pounds(exact)}: {pounds(total)} paid from "
        f"{day_text(after + timedelta(days=1))} to {day_text(last)}, {how}."
    )
    return exact, said


EVENT_WORDS = {
    statutory.ADOPTION: "matching date",
    statutory.BEREAVEMENT: "date of the child's death",
    statutory.NEONATAL: "baby's date of birth",
}


def family_refusal(
    *, kind: str, expected: date | None, employed_from: date | None, awe_minor: statutory.Pence,
    care_started: date | None = None,
) -> str:  # fmt: skip
    """Why SMP, SAP, SPP, ShPP, SPBP or SNCP is not due, in a sentence; "" when it is."""
    name = statutory.KINDS[kind][1]
    if expected is None:
        return f"{name} needs the {EVENT_WORDS.get(kind, 'expected week of childbirth')}."
    if kind == statutory.NEONATAL and care_started is None:
        return f"{name} needs the day the neonatal care began."
    sunday = qualifying_week(kind=kind, expected=expected, care_started=care_started)
    limit = statutory.rates_on(sunday).lower_earnings_limit
    if employed_from is None or employed_from > latest_start(qualifying_sunday=sunday):
        return (
            f"No {name}: employment must have started by "
            f"{day_text(latest_start(qualifying_sunday=sunday))} to reach 26 weeks into the "
            f"qualifying week ({day_text(sunday)} to {day_text(sunday + timedelta(days=6))})."
        )
    if awe_minor < limit:
        return (
            f"No {name}: average weekly earnings of {pounds(awe_minor)} are below the lower "
            f"earnings limit of {pounds(limit)}."
        )
    return ""


def sick_refusal(*, first_day: date, awe_minor: statutory.Pence) -> str:
    """Why SSP is not due, in a sentence; "" when it is. From 6 April 2026 there is no
    earnings test (Employment Rights Act 2025)."""
    rules = statutory.rates_on(first_day)
    if rules.sick_earnings_limit_applies and awe_minor < rules.lower_earnings_limit:
        return (
            f"No Statutory Sick Pay: average weekly earnings of {pounds(awe_minor)} are below "
            f"the lower earnings limit of {pounds(rules.lower_earnings_limit)} "
            f"({rules.tax_year})."
        )
    return ""


def relevant_period_end(
    *, kind: str, start: date, expected: date | None, care_started: date | None = None
) -> date:
    """The day the relevant period's last payday may fall on: the Saturday of the
    qualifying week, or for sickness the day before the first day of sickness."""
    if kind == statutory.SICKNESS or expected is None:
        return start - timedelta(days=1)
    sunday = qualifying_week(kind=kind, expected=expected, care_started=care_started)
    return sunday + timedelta(days=6)
