"""What people do to a pay run and to an HR change, as the API and the pages both offer
it: the actions on offer, the permission each needs, and the service each one calls.
Who may, beyond the permission (the client's admin approves, the holder applies), is
each service's own rule."""

from collections.abc import Set
from typing import TYPE_CHECKING

from tercero.platform.errors import InvalidInput
from tercero.services.payroll import hr_events, lifecycle, runs
from tercero.services.payroll.models import PayRun

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkItem
    from tercero.platform.identity.models import User

RUN_ACTIONS = tuple(name for name, move in lifecycle.RUN.items() if move.offered)
HR_ACTIONS = tuple(name for name, move in lifecycle.HR_CHANGE.items() if move.offered)
REVIEW_ACTIONS = frozenset({"approve", "send_back"})


def run_permission(action: str) -> str:
    """The client's approvers review a run; the provider's payroll team does the rest."""
    return "payroll:approve" if action in REVIEW_ACTIONS else "payroll:write"


def require_run_action(action: str) -> None:
    """Refuse (422) an action a pay run never offers."""
    if action not in RUN_ACTIONS:
        raise InvalidInput("Unknown action.", fields={"action": ", ".join(RUN_ACTIONS)})


def act_on_run(
    *, actor: "User", run: PayRun, action: str, version: int | None, note: str = ""
) -> PayRun:
    """Move the run on by `action`; `note` is the reason sent back or cancelled with. A
    calculation runs here for a small run and on a worker for a large one."""
    require_run_action(action)
    if action == "calculate":
        run = runs.start_calculation(actor=actor, run=run, version=version)
        runs.enqueue_calculation(run)
        return run
    if action == "submit":
        return runs.submit(actor=actor, run=run, version=version)
    if action == "approve":
        return runs.approve(actor=actor, run=run, version=version)
    if action == "send_back":
        return runs.send_back(actor=actor, run=run, version=version, note=note)
    if action == "finalise":
        return runs.finalise(actor=actor, run=run, version=version)
    return runs.cancel(actor=actor, run=run, version=version, reason=note)


def require_hr_action(action: str) -> None:
    """Refuse (422) an action an HR change never offers."""
    if action not in HR_ACTIONS:
        raise InvalidInput("Unknown action.", fields={"action": ", ".join(HR_ACTIONS)})


def act_on_hr_change(
    *,
    actor: "User",
    permissions: Set[str],
    item: "WorkItem",
    action: str,
    version: int | None,
    reason: str = "",
) -> None:
    """apply (by whoever holds the item, or a team lead), verify (not by whoever applied
    it) or undo (before verification, with `reason`) the HR change `item` asks for."""
    require_hr_action(action)
    if action == "apply":
        hr_events.require_holder(user=actor, permissions=permissions, item=item)
        hr_events.apply(actor=actor, item=item)
    elif action == "verify":
        hr_events.verify(actor=actor, item=item, version=version)
    else:
        hr_events.undo(actor=actor, item=item, reason=reason, version=version)
