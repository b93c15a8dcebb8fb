"""United Kingdom workplace pension automatic enrolment (Pensions Act 2008): contributions
on qualifying earnings and the opt-out window, driven by the year's pack
(`packs/gb-<year>.json`, "auto_enrolment"; The Pensions Regulator's earnings thresholds).

- Qualifying earnings for a pay period: earnings above the period's lower limit up to
  its upper limit (2026-27 monthly 520 to 4,189, weekly 120 to 967); a scheme's rates
  (employee and employer, each a line of the pay group's rules) apply to them.
- Net pay arrangement: the employee's contribution is taken from pay before income tax
  (its line is `before_tax`), so tax relief is given through PAYE; NICs and student
  loans still see the whole pay.
- Relief at source: the employee's contribution is taken after tax at 80 % of its gross
  amount; the scheme claims the 20 % basic rate relief from HMRC.
- Opt-out (Pensions Act 2008 s.8; the Automatic Enrolment Regulations 2010, reg. 9 and
  10): a jobholder who opts out within one month beginning with the enrolment date is
  treated as never having been a member: what was deducted is refunded to them, and the
  employer's contributions stop too. Opting out later ends membership with no refund.
"""

import calendar
from datetime import date, timedelta
from decimal import Decimal

from tercero.platform.errors import InvalidInput

# pay frequency -> the pack's pay period table
PERIOD_TABLES = {
    "weekly": "weekly",
    "biweekly": "fortnightly",
    "four_weekly": "four_weekly",
    "monthly": "monthly",
}


def qualifying_earnings(*, earnings: Decimal, frequency: str, rates: dict) -> Decimal:
    """The part of one pay period's earnings inside the qualifying earnings band."""
    try:
        band = rates["auto_enrolment"]["periods"][PERIOD_TABLES[frequency]]
    except KeyError:
        raise InvalidInput(
            "Pension contributions are worked weekly, fortnightly, four-weekly or monthly.",
            fields={"frequency": frequency},
        ) from None
    upper, lower = Decimal(band["upper"]), Decimal(band["lower"])
    return max(min(earnings, upper) - lower, Decimal(0))


def opt_out_last_day(enrolled_on: date) -> date:
    """The last day of the month beginning with the enrolment date: the day before the
    same day of the next month, or that month's last day when it has no such day."""
    year, month = (
        (enrolled_on.year + 1, 1)
        if enrolled_on.month == 12
        else (
            enrolled_on.year,
            enrolled_on.month + 1,
        )
    )
    last = calendar.monthrange(year, month)[1]
    if enrolled_on.day > last:
        return date(year, month, last)
    return date(year, month, enrolled_on.day) - timedelta(days=1)


def membership(*, enrolled_on: date | None, opted_out_on: date | None, period_end: date) -> str:
    """How a pay period stands with the scheme: "active" (contributions are due),
    "not_enrolled" (enrolment starts after the period), "refunded" (opted out within the
    window: what was deducted comes back) or "left" (opted out later: nothing more)."""
    if enrolled_on is not None and enrolled_on > period_end:
        return "not_enrolled"
    if opted_out_on is None or opted_out_on > period_end:
        return "active"
    if enrolled_on is not None and enrolled_on <= opted_out_on <= opt_out_last_day(enrolled_on):
        return "refunded"
    return "left"
