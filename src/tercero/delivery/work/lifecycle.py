"""The work item life cycle: which action moves an item from which status to which.

Pure data. Every status change goes through `services.transition` (or the claim path,
which is the `assign` action), so an illegal move is refused the same way everywhere.
"""

NEW = "new"
QUEUED = "queued"
ASSIGNED = "assigned"
IN_PROGRESS = "in_progress"
WAITING_CLIENT = "waiting_client"
WAITING_CUSTOMER = "waiting_customer"
RESOLVED = "resolved"
CLOSED = "closed"
CANCELLED = "cancelled"

STATUSES = (
    NEW,
    QUEUED,
    ASSIGNED,
    IN_PROGRESS,
    WAITING_CLIENT,
    WAITING_CUSTOMER,
    RESOLVED,
    CLOSED,
    CANCELLED,
)
WAITING = frozenset({WAITING_CLIENT, WAITING_CUSTOMER})
OPEN = frozenset({NEW, QUEUED, ASSIGNED, IN_PROGRESS, WAITING_CLIENT, WAITING_CUSTOMER})
WITH_AGENT = frozenset({ASSIGNED, IN_PROGRESS, WAITING_CLIENT, WAITING_CUSTOMER})

# action -> (statuses it may start from, status it leads to); None means "decided by the
# action's arguments" (waiting on client or on customer).
ACTIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "release": (frozenset({NEW}), QUEUED),
    "assign": (frozenset({QUEUED}), ASSIGNED),
    "start": (frozenset({ASSIGNED}), IN_PROGRESS),
    "wait": (frozenset({IN_PROGRESS}), None),
    "resume": (WAITING, IN_PROGRESS),
    "resolve": (frozenset({IN_PROGRESS}) | WAITING, RESOLVED),
    "close": (frozenset({RESOLVED}), CLOSED),
    "reopen": (frozenset({RESOLVED, CLOSED}), QUEUED),
    "cancel": (OPEN, CANCELLED),
    "unassign": (frozenset({ASSIGNED, IN_PROGRESS}), QUEUED),
    "transfer": (OPEN, QUEUED),
}


def allowed_actions(status: str) -> list[str]:
    return [name for name, (sources, _) in ACTIONS.items() if status in sources]


def target_of(action: str, status: str, *, waiting_on: str = "") -> str | None:
    """The status `action` leads to from `status`, or None when the move is illegal."""
    sources, target = ACTIONS[action]
    if status not in sources:
        return None
    if action == "wait":
        return {"client": WAITING_CLIENT, "customer": WAITING_CUSTOMER}.get(waiting_on)
    return target
