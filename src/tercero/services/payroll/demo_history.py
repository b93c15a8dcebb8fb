"""The demo's pay calendar up to today: every period from the demo's first one is paid, its
run finalised on time and its work item resolved when it was finalised, and the first
period paid at least a week from today waits for the client's approval, due in the
future (`demo.worked_on_time` sets each paid run's past). Periods the rates packs do not
reach yet are left out, so a demo loaded long after its packs ends with every run paid
rather than one born late."""

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from tercero.platform.errors import InvalidInput
from tercero.services.payroll import calc, gb, paydates, us
from tercero.services.payroll.models import PayGroup

# The open run is the first whose pay date is this far off: its bank deadline (three
# business days before the pay date) is still ahead.
OPEN_RUN_NOTICE = timedelta(days=7)
# How long before its finalising a past run was queued (the payroll team's fortnight).
QUEUED_BEFORE = timedelta(days=9)
QUEUED_AT = time(9, 0)
CALCULATED_AT = time(10, 30)
FINALISED_AT = time(15, 30)
PACKS = {"GB": gb.pack, "US": us.pack}


def calendar_to_today(
    group: PayGroup, *, first: date, today: date
) -> tuple[list[paydates.Period], paydates.Period | None]:
    """The periods to pay (from the one containing `first`) and the one left open."""
    paid: list[paydates.Period] = []
    period = paydates.period_of(group, first)
    while period is not None and _has_rates(group, period):
        if period.pay_date - today >= OPEN_RUN_NOTICE:
            return paid, period
        paid.append(period)
        period = paydates.period_of(group, period.end + timedelta(days=1))
    return paid, None


def _has_rates(group: PayGroup, period: paydates.Period) -> bool:
    year, _ = calc.tax_period(
        jurisdiction=group.jurisdiction, frequency=group.frequency, pay_date=period.pay_date
    )
    try:
        PACKS[group.jurisdiction](year)
    except InvalidInput:
        return False
    return True


def local_today(group: PayGroup) -> date:
    return timezone.now().astimezone(ZoneInfo(group.engagement.time_zone)).date()
