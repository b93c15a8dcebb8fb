"""Whether an agent is scheduled to work now, asked of whichever app keeps schedules.

Workforce is the lowest delivery layer, so it cannot read schedules itself: the app that
keeps them registers a check here from its `AppConfig.ready()`, and the misuse detector's
"off shift" signal (`work.access.on_shift`) asks `scheduled_now`. A check answers None
when no published schedule covers the agent now; the caller then falls back to presence.
"""

from collections.abc import Callable
from datetime import datetime

from django.utils import timezone

from tercero.delivery.workforce.models import Agent

ShiftCheck = Callable[[Agent, datetime], bool | None]

_checks: list[ShiftCheck] = []


def register_shift_check(check: ShiftCheck) -> None:
    """Ask `check` from now on (registering the same check twice keeps one)."""
    if check not in _checks:
        _checks.append(check)


def unregister_shift_check(check: ShiftCheck) -> None:
    if check in _checks:
        _checks.remove(check)


def scheduled_now(agent: Agent, *, now: datetime | None = None) -> bool | None:
    """True when a schedule has the agent on shift at `now`, False when a schedule
    covers them and they are off, None when no schedule says either."""
    at = now or timezone.now()
    for check in _checks:
        answer = check(agent, at)
        if answer is not None:
            return answer
    return None
