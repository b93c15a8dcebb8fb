"""Holiday pay in Great Britain, without the database: a week's holiday pay for a worker
whose pay varies, and holiday for irregular-hours and part-year workers.

Sources: Working Time Regulations 1998 reg. 16 (a week's pay for variable pay is the
average over the 52 weeks with pay before the holiday, looking back no more than 104
weeks, weeks without pay skipped: the Employment Rights (Amendment, Revocation and
Transitional Provision) Regulations 2023 keep the 52-week reference period from
6 April 2020); GOV.UK, Holiday entitlement and pay for irregular hours and part-year
workers (leave years starting on or after 1 April 2024): holiday accrues at 12.07 % of
the hours worked in each pay period, and rolled-up holiday pay may be paid at 12.07 % of
the pay for the period.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from tercero.platform.errors import InvalidInput
from tercero.services.payroll.statutory import day_text, pounds

REFERENCE_WEEKS = 52
LOOK_BACK_WEEKS = 104
ACCRUAL_PERCENT = Decimal("12.07")


@dataclass(frozen=True)
class WeekPay:
    """A week's average pay for holiday, with the weeks it was taken from."""

    weekly_minor: int
    weeks_counted: int
    first_week: date | None
    last_week: date | None
    text: str


def week_pay(*, weeks: Iterable[tuple[date, int]], holiday_starts: date) -> WeekPay:
    """A week's pay for a holiday starting on `holiday_starts`: the average pay of the
    last 52 weeks with pay before it (each week given by its last day and the pay earned
    in it, in pence), skipping weeks with no pay and looking back at most 104 weeks. Fewer
    weeks with pay: the average of those there are. Rounded half up to the penny."""
    given = list(weeks)
    if any(amount < 0 for _ended, amount in given):
        raise InvalidInput("A week's pay cannot be negative.", fields={"weeks": "negative"})
    earliest = holiday_starts - timedelta(weeks=LOOK_BACK_WEEKS)
    paid = sorted(
        ((ended, amount) for ended, amount in given
         if earliest <= ended < holiday_starts and amount > 0),
        reverse=True,
    )[:REFERENCE_WEEKS]  # fmt: skip
    if not paid:
        return WeekPay(0, 0, None, None, "No week with pay in the 104 weeks before the holiday.")
    total = sum(amount for _ended, amount in paid)
    weekly = int((Decimal(total) / len(paid)).to_integral_value(ROUND_HALF_UP))
    first, last = paid[-1][0], paid[0][0]
    text = (
        f"A week's holiday pay is {pounds(weekly)}: {pounds(total)} earned in "
        f"{len(paid)} week{'s' if len(paid) != 1 else ''} with pay, the weeks ending "
        f"{day_text(first)} to {day_text(last)}, divided by {len(paid)}."
    )
    return WeekPay(weekly, len(paid), first, last, text)


def accrued_hours(hours_worked: Decimal) -> Decimal:
    """Holiday hours an irregular-hours or part-year worker accrues for the hours they
    worked in a pay period: 12.07 %, to the nearest hundredth of an hour."""
    if hours_worked < 0:
        raise InvalidInput("Hours worked cannot be negative.", fields={"hours": "negative"})
    return (hours_worked * ACCRUAL_PERCENT / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)


def rolled_up_minor(pay_minor: int) -> tuple[int, str]:
    """Rolled-up holiday pay for a pay period's pay: 12.07 %, rounded half up to the
    penny, with the sentence a payslip shows."""
    if pay_minor < 0:
        raise InvalidInput("Pay cannot be negative.", fields={"pay": "negative"})
    amount = int((Decimal(pay_minor) * ACCRUAL_PERCENT / 100).to_integral_value(ROUND_HALF_UP))
    return amount, f"Rolled-up holiday pay: 12.07 % of {pounds(pay_minor)} = {pounds(amount)}."


def period_week_pay(*, periods: Iterable[tuple[date, date, int]], holiday_starts: date) -> WeekPay:
    """A week's pay for a holiday starting on `holiday_starts`, from pay periods (first
    day, last day, pay in pence) rather than weeks: the periods with pay that ended before
    the holiday, newest first, until they cover 52 weeks (looking back at most 104), their
    pay times 7 over the days they cover, rounded half up to the penny. For weekly pay
    this is `week_pay`; a month counts its own days (12 months: 365 days)."""
    earliest = holiday_starts - timedelta(weeks=LOOK_BACK_WEEKS)
    paid = sorted(
        ((start, end, amount) for start, end, amount in periods
         if earliest <= start and end < holiday_starts and amount > 0),
        key=lambda period: period[1],
        reverse=True,
    )  # fmt: skip
    counted, days = [], 0
    for start, end, amount in paid:
        if days >= 7 * REFERENCE_WEEKS:
            break
        counted.append((start, end, amount))
        days += (end - start).days + 1
    if not counted:
        return WeekPay(0, 0, None, None, "No pay on record in the 104 weeks before the holiday.")
    total = sum(amount for _start, _end, amount in counted)
    weekly = int((Decimal(total) * 7 / days).to_integral_value(ROUND_HALF_UP))
    first, last = counted[-1][0], counted[0][1]
    weeks = f"{days // 7} weeks" if days % 7 == 0 else f"{days} days"
    text = (
        f"A week's holiday pay is {pounds(weekly)}: {pounds(total)} paid for the "
        f"{len(counted)} pay period{'s' if len(counted) != 1 else ''} with pay from "
        f"{day_text(first)} to {day_text(last)} ({weeks}), times 7 over {days} days."
    )
    return WeekPay(weekly, -(-days // 7), first, last, text)
