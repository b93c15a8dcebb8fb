"""Personal data in an item: reveal with a reason, break-glass, and what a live grant
shows."""

from typing import TYPE_CHECKING, Any

from tercero.delivery.work import access, personal, registry
from tercero.delivery.work.models import WorkItem
from tercero.platform.errors import NotFound
from tercero.platform.security import misuse
from tercero.platform.security import services as security
from tercero.platform.security.models import RevealGrant

if TYPE_CHECKING:
    from tercero.platform.identity.models import User


def reveal(*, actor: "User", item: WorkItem, reason: str) -> tuple[dict[str, Any], RevealGrant]:
    """The item's personal fields in clear for REVEAL_SECONDS, with the reason audited.
    While the actor has an open misuse alert the grant waits for a supervisor and
    nothing is shown ({}, pending grant)."""
    work_type = registry.find(item.work_type)
    names = list(work_type.personal_fields) if work_type else []
    grant = security.request_reveal(
        actor=actor,
        client_id=item.client_id,
        object_type="work_item",
        object_id=item.pk,
        reason=reason,
        step_up=misuse.step_up_required(user=actor),
    )
    if grant.status != RevealGrant.Status.GRANTED:
        return {}, grant
    return personal.opened(item.payload, names), grant


def break_glass(*, actor: "User", item: WorkItem, reason: str) -> RevealGrant:
    """Open an item routing did not give the actor (see `access`)."""
    if item.personal_data and item.engagement_id in access.residency_blocked(
        actor, [item.client_id]
    ):
        raise NotFound("Work item not found.")
    return security.break_glass(
        actor=actor,
        client_id=item.client_id,
        object_id=item.pk,
        engagement_id=item.engagement_id,
        reason=reason,
    )


def revealed(*, actor: "User", item: WorkItem) -> tuple[dict[str, Any], RevealGrant] | None:
    """The personal fields in clear while the actor holds a live grant, else None."""
    grant = security.live_grant(user=actor, object_type="work_item", object_id=item.pk)
    if grant is None:
        return None
    work_type = registry.find(item.work_type)
    return personal.opened(item.payload, work_type.personal_fields if work_type else ()), grant
