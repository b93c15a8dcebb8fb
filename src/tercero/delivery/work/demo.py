"""Demo history. A demo loads its work through the engine's services, then sets items
back to the days they were worked so that reports and SLA figures have a past to show.
Only a demo may do this (a structural test keeps it so): it writes no event and no
audit row, as nothing happened now, and the item's events and the audit trail keep the
moment the demo was loaded."""

from tercero.delivery.work.models import WorkItem

HISTORY_FIELDS = frozenset(
    {
        "status",
        "created_at",
        "queued_at",
        "first_response_at",
        "resolved_at",
        "closed_at",
        "updated_at",
        "at_risk_at",
        "resolution_at_risk_at",
        "handle_seconds",
        "reopen_count",
        "sla_met",
        "resolution",
    }
)


def set_history(*, item_id: int, **fields: object) -> None:
    """Set an item's past: its status, when it arrived, was answered, turned at risk,
    was resolved and closed, how long it was worked, whether it met its SLA."""
    unknown = sorted(set(fields) - HISTORY_FIELDS)
    if unknown:
        raise ValueError(f"not part of an item's history: {', '.join(unknown)}")
    WorkItem.objects.filter(pk=item_id).update(**fields)
