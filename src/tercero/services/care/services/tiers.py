"""Technical support tiers (escalation with a note, hand-back) and the checklists a
tier's agents tick."""

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from tercero.delivery.work import lifecycle
from tercero.delivery.work import services as work
from tercero.platform.errors import Conflict, InvalidInput, NotFound
from tercero.services.care.models import (
    Checklist,
    ChecklistProgress,
    TierQueue,
)

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkItem
from tercero.services.care.services.conversation import add_note
from tercero.services.care.services.fields import change_payload

TIERS = ("L1", "L2", "L3")


MIN_ESCALATION_NOTE = 20


def escalate_tier(*, actor, ticket: "WorkItem", note: str, version: int) -> "WorkItem":
    """L1 -> L2 -> L3 with a note saying what was tried (checklist progress is added);
    the ticket goes to the engagement's queue for the new tier, if it has one."""
    tier = ticket.payload.get("tier", "L1")
    if ticket.work_type != "support.ticket":
        raise InvalidInput("Only technical support tickets have tiers.", code="no_tiers")
    if tier == TIERS[-1]:
        raise Conflict("The ticket is already at the last tier (L3).", code="last_tier")
    return _change_tier(
        actor=actor, ticket=ticket, tier=TIERS[TIERS.index(tier) + 1], note=note, version=version
    )


def hand_back(*, actor, ticket: "WorkItem", note: str, version: int) -> "WorkItem":
    """Return a ticket escalated to L2/L3 to L1 with a note on what to do next."""
    if ticket.work_type != "support.ticket" or ticket.payload.get("tier", "L1") == "L1":
        raise Conflict("Only a ticket at L2 or L3 can be handed back.", code="at_first_tier")
    return _change_tier(actor=actor, ticket=ticket, tier="L1", note=note, version=version)


def _change_tier(*, actor, ticket: "WorkItem", tier: str, note: str, version: int) -> "WorkItem":
    note = (note or "").strip()
    if len(note) < MIN_ESCALATION_NOTE:
        raise InvalidInput(
            f"Write an escalation note of at least {MIN_ESCALATION_NOTE} characters: "
            "what the customer reported and what was tried.",
            fields={"note": f"at least {MIN_ESCALATION_NOTE} characters"},
        )
    if ticket.status not in lifecycle.OPEN:
        raise Conflict(f"The ticket is {ticket.status}.", code="not_open")
    before = ticket.payload.get("tier", "L1")
    with transaction.atomic():
        current = change_payload(actor=actor, ticket=ticket, version=version, tier=tier)
        verb = "Handed back" if tier == "L1" else "Escalated"
        add_note(
            actor=actor,
            ticket=current,
            body=f"{verb} {before} -> {tier}: {note}{checklist_summary(current)}",
        )
        route = TierQueue.objects.filter(engagement_id=current.engagement_id, tier=tier).first()
        if route is not None and route.queue_id != current.queue_id:
            current = work.transfer(
                actor=actor, item=current, queue=route.queue, reason=f"{verb} to {tier}"
            )
    return current


def checklists_for(ticket: "WorkItem") -> list[Checklist]:
    product = (ticket.payload.get("product") or "").strip()
    if not product:
        return []
    return list(
        Checklist.objects.filter(
            client_id=ticket.client_id, product__iexact=product, is_active=True
        )
    )


def tick(*, actor, ticket: "WorkItem", checklist: Checklist, step: int, done: bool) -> list[int]:
    """Tick or untick one step of a product checklist on the ticket."""
    if checklist.client_id != ticket.client_id or checklist not in checklists_for(ticket):
        raise NotFound("Checklist not found.")
    if not 0 <= step < len(checklist.steps):
        raise InvalidInput("No such step.", fields={"step": f"0-{len(checklist.steps) - 1}"})
    with transaction.atomic():
        progress, _ = ChecklistProgress.objects.select_for_update().get_or_create(
            client_id=ticket.client_id, item=ticket, checklist=checklist
        )
        ticked = set(progress.done)
        (ticked.add if done else ticked.discard)(step)
        progress.done = sorted(ticked)
        progress.updated_at = timezone.now()
        progress.save(update_fields=["done", "updated_at"])
    return progress.done


def checklist_summary(ticket: "WorkItem") -> str:
    lines = []
    progress = {p.checklist_id: set(p.done) for p in ChecklistProgress.objects.filter(item=ticket)}
    for checklist in checklists_for(ticket):
        done = progress.get(checklist.pk, set())
        lines.append(
            f"\n{checklist.title}: {len(done)}/{len(checklist.steps)} steps done"
            + "".join(
                f"\n  [{'x' if i in done else ' '}] {step}"
                for i, step in enumerate(checklist.steps)
            )
        )
    return "".join(lines)
