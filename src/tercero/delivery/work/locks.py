"""Row locks on work items, for a transaction the caller holds. The engine's services and
the services that plug into it take an item's lock here, never through the model."""

from tercero.delivery.work.models import WorkItem


def lock_item(*, item_id: int) -> WorkItem:
    """The item, its row locked until the caller's transaction ends: a second caller
    waits here, then reads what the first one wrote. Call it inside `transaction.atomic`
    (PostgreSQL refuses a lock outside one)."""
    return WorkItem.objects.select_for_update().get(pk=item_id)


def lock_item_by_ref(*, client_id: int, external_ref: str) -> WorkItem | None:
    """The client's item with this external reference, its row locked as `lock_item`
    does, or None when there is none yet."""
    return (
        WorkItem.objects.select_for_update()
        .filter(client_id=client_id, external_ref=external_ref)
        .first()
    )
