"""Batch acceptance: a back-office batch is inspected by ISO 2859-1 single sampling (normal
inspection) before it is released to the client.

A lot is the resolved items of an engagement's work type that the client's batch
reference names (items whose reference starts with it) or an explicit list. The plan comes
from `iso2859.plan` (Table 1 code letter, Table 2-A sample size and Ac/Re); the sample is
drawn with a generator seeded by the lot's id, so anyone can draw it again. Inspectors
mark each sampled item defective or not. The decision falls as soon as it is certain:
held (rejected) when the defects reach the rejection number, accepted when every sampled
item is inspected with at most the acceptance number. A held lot's defective items go back
for rework (reopened through the engine, once, in the decision's transaction); once they
are resolved again the lot is inspected anew as a new lot of the same items, and the old
one is marked reworked.
"""

import random
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from tercero.delivery.work import registry
from tercero.delivery.work import selectors as work
from tercero.delivery.work import services as work_services
from tercero.governance.quality import iso2859
from tercero.governance.quality.events import LOT_DECIDED
from tercero.governance.quality.models import Lot, LotInspection
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput, NotFound
from tercero.platform.identity.models import User
from tercero.platform.versioning import update_versioned

FINISHED = ("resolved", "closed")
MAX_LOT = 500_000
LEVEL_WORDS = {
    "I": "general inspection level I",
    "II": "general inspection level II",
    "III": "general inspection level III",
    "S-1": "special inspection level S-1",
    "S-2": "special inspection level S-2",
    "S-3": "special inspection level S-3",
    "S-4": "special inspection level S-4",
}


def create_lot(
    *,
    actor: User | None,
    engagement: Any,
    work_type: str,
    aql: str,
    level: str = "II",
    reference: str = "",
    item_ids: Sequence[int] | None = None,
) -> Lot:
    """A lot of the engagement's finished items of `work_type`, its plan and its sample."""
    reference = (reference or "").strip()[:120]
    found = _back_office(work_type)
    items = _lot_items(engagement, found.key, reference, item_ids)
    plan = _plan(len(items), aql, level)
    with transaction.atomic():
        if reference and _open_lot(engagement.client_id, engagement.pk, reference):
            raise Conflict(f"Lot {reference} is already being inspected.")
        lot = Lot.objects.create(
            client_id=engagement.client_id,
            engagement=engagement,
            work_type=found.key,
            reference=reference or f"{len(items)} chosen items",
            item_ids=items,
            size=len(items),
            aql=plan.aql,
            level=plan.level,
            code=plan.code,
            sample_size=plan.n,
            accept_number=plan.accept,
            reject_number=plan.reject,
        )
        lot.sampled_item_ids = draw_sample(lot.pk, items, plan.n)
        lot.save(update_fields=["sampled_item_ids"])
        _audit("quality.lot.created", actor, lot, {"size": lot.size, "sample": lot.sample_size})
    return lot


def draw_sample(lot_id: int, item_ids: Sequence[int], n: int) -> list[int]:
    """The lot's sample: `n` of its items, drawn by a generator seeded with the lot's id."""
    ordered = sorted(item_ids)
    return sorted(random.Random(lot_id).sample(ordered, min(n, len(ordered))))


def _back_office(work_type: str) -> registry.WorkType:
    found = registry.find(work_type)
    if found is None:
        raise InvalidInput("Unknown work type.", fields={"work_type": "not a registered type"})
    if found.office != "back":
        raise InvalidInput(
            "Batch acceptance is for back-office work.",
            fields={"work_type": "not back-office work"},
        )
    return found


def _lot_items(
    engagement: Any, work_type: str, reference: str, item_ids: Sequence[int] | None
) -> list[int]:
    found = work.items(
        client_ids=[engagement.client_id],
        engagement_id=engagement.pk,
        work_type=work_type,
        status=list(FINISHED),
    )
    if item_ids:
        wanted = {int(i) for i in item_ids}
        items = sorted(found.filter(pk__in=wanted).values_list("pk", flat=True))
        missing = sorted(wanted - set(items))
        if missing:
            raise InvalidInput(
                "Some items are not finished items of this engagement and work type.",
                fields={"item_ids": f"not found or not finished: {_list(missing)}"},
            )
    elif reference:
        items = sorted(
            found.filter(external_ref__startswith=reference).values_list("pk", flat=True)
        )
    else:
        raise InvalidInput(
            "Give the batch reference or the items of the lot.",
            fields={"reference": "required without item ids"},
        )
    if len(items) < 2:
        raise InvalidInput(
            "A lot needs at least two finished items.",
            fields={"reference" if not item_ids else "item_ids": f"{len(items)} found"},
        )
    if len(items) > MAX_LOT:
        raise InvalidInput("A lot holds at most 500,000 items.", fields={"item_ids": "too many"})
    return items


def _plan(size: int, aql: str, level: str) -> iso2859.Plan:
    if level not in iso2859.LEVELS:
        raise InvalidInput(
            "Unknown inspection level.", fields={"level": f"one of {', '.join(iso2859.LEVELS)}"}
        )
    try:
        return iso2859.plan(size, aql, level)
    except ValueError as error:
        raise InvalidInput(
            str(error), fields={"aql": f"one of {', '.join(iso2859.AQLS)}"}
        ) from error


def _open_lot(client_id: int, engagement_id: int, reference: str) -> bool:
    return Lot.objects.filter(
        client_id=client_id,
        engagement_id=engagement_id,
        reference=reference,
        status__in=(Lot.Status.INSPECTING, Lot.Status.HELD),
    ).exists()


def inspect_item(
    *, actor: User, lot: Lot, source_item_id: int, defective: bool, note: str = ""
) -> Lot:
    """Record one sampled item's inspection; decide the lot when the result is certain."""
    with transaction.atomic():
        current = Lot.objects.select_for_update().get(pk=lot.pk)
        if current.status != Lot.Status.INSPECTING:
            raise Conflict(f"The lot was already decided: {current.get_status_display().lower()}.")
        if source_item_id not in current.sampled_item_ids:
            raise InvalidInput(
                "That item is not in the lot's sample.",
                fields={"source_item_id": "not sampled"},
            )
        if LotInspection.objects.filter(lot=current, source_item_id=source_item_id).exists():
            raise Conflict(f"Item {source_item_id} was already inspected in this lot.")
        LotInspection.objects.create(
            client_id=current.client_id,
            lot=current,
            source_item_id=source_item_id,
            defective=defective,
            note=(note or "").strip()[:2000],
            inspector=actor,
        )
        current.defects += 1 if defective else 0
        current.version += 1
        current.save(update_fields=["defects", "version"])
        _audit(
            "quality.lot.inspected",
            actor,
            current,
            {"source_item_id": source_item_id, "defective": defective},
        )
        inspected = LotInspection.objects.filter(lot=current).count()
        if current.defects >= current.reject_number:
            _decide(actor, current, accepted=False, inspected=inspected)
        elif inspected >= current.sample_size:
            _decide(actor, current, accepted=True, inspected=inspected)
    current.refresh_from_db()
    return current


def _decide(actor: User, lot: Lot, *, accepted: bool, inspected: int) -> None:
    """The decision, in the inspection's transaction: a held lot's defective items are
    reopened for rework here, once (the status moves from inspecting only once)."""
    now = timezone.now()
    lot.status = Lot.Status.ACCEPTED if accepted else Lot.Status.HELD
    lot.decided_at, lot.decided_by = now, actor
    lot.decision_note = decision_words(lot, inspected=inspected)
    lot.version += 1
    lot.save(update_fields=["status", "decided_at", "decided_by", "decision_note", "version"])
    reworked = [] if accepted else _send_back(actor, lot)
    data = {
        "lot_id": lot.pk,
        "size": lot.size,
        "aql": lot.aql,
        "level": lot.level,
        "code": lot.code,
        "sample_size": lot.sample_size,
        "accept_number": lot.accept_number,
        "reject_number": lot.reject_number,
        "inspected": inspected,
        "defects": lot.defects,
        "decision": lot.status,
        "reworked_item_ids": reworked,
    }
    _audit("quality.lot.decided", actor, lot, data)
    work_services.publish(
        kind=LOT_DECIDED,
        client_id=lot.client_id,
        data=data,
        engagement_id=lot.engagement_id,
        actor=actor,
    )


def _send_back(actor: User, lot: Lot) -> list[int]:
    defective = sorted(
        LotInspection.objects.filter(lot=lot, defective=True).values_list(
            "source_item_id", flat=True
        )
    )
    reason = f"Lot {lot.reference} was held at inspection (ISO 2859-1): rework this item."
    for item_id in defective:
        item = work.access_item(client_ids=[lot.client_id], item_id=item_id)
        if item.status in FINISHED:
            work_services.transition(actor=actor, item=item, action="reopen", reason=reason)
    return defective


def decision_words(lot: Lot, *, inspected: int) -> str:
    """The table row in words: "Lot of 2,000 at AQL 1.0, general inspection level II: code
    letter K, sample 125, accept with up to 3 defects, reject at 4; 2 defects found:
    accepted"."""
    every = " (every item)" if lot.sample_size >= lot.size else ""
    found = f"{lot.defects} defect{'' if lot.defects == 1 else 's'} found"
    if inspected < lot.sample_size:
        found += f" in {inspected} of {lot.sample_size} inspected"
    outcome = {"accepted": "accepted", "held": "held for rework"}.get(lot.status, lot.status)
    return (
        f"Lot of {lot.size:,} at AQL {lot.aql}, {LEVEL_WORDS.get(lot.level, lot.level)}: "
        f"code letter {lot.code}, sample {lot.sample_size:,}{every}, accept with up to "
        f"{lot.accept_number} defect{'' if lot.accept_number == 1 else 's'}, reject at "
        f"{lot.reject_number}; {found}: {outcome}"
    )


def reinspect(*, actor: User, lot: Lot, version: int) -> Lot:
    """After rework, inspect the held lot again: a new lot of the same items (a new
    sample), the old one marked reworked."""
    if lot.status != Lot.Status.HELD:
        raise Conflict("Only a held lot is inspected again after its rework.")
    sent_back = list(
        LotInspection.objects.filter(lot=lot, defective=True).values_list(
            "source_item_id", flat=True
        )
    )
    unfinished = (
        work.items(client_ids=[lot.client_id], engagement_id=lot.engagement_id)
        .filter(pk__in=sent_back)
        .exclude(status__in=FINISHED)
        .count()
    )
    if unfinished:
        raise Conflict(
            f"{unfinished} item{'' if unfinished == 1 else 's'} sent back for rework "
            f"{'is' if unfinished == 1 else 'are'} not resolved yet."
        )
    with transaction.atomic():
        update_versioned(
            Lot, pk=lot.pk, version=version, changes={"status": Lot.Status.REWORKED}, what="lot"
        )
        again = Lot.objects.create(
            client_id=lot.client_id,
            engagement_id=lot.engagement_id,
            work_type=lot.work_type,
            reference=lot.reference,
            item_ids=lot.item_ids,
            size=lot.size,
            aql=lot.aql,
            level=lot.level,
            code=lot.code,
            sample_size=lot.sample_size,
            accept_number=lot.accept_number,
            reject_number=lot.reject_number,
        )
        again.sampled_item_ids = draw_sample(again.pk, lot.item_ids, lot.sample_size)
        again.save(update_fields=["sampled_item_ids"])
        _audit("quality.lot.reworked", actor, lot, {"new_lot_id": again.pk})
        _audit("quality.lot.created", actor, again, {"size": again.size, "after_lot_id": lot.pk})
    return again


# --- reads -------------------------------------------------------------------------------


def lots(
    *, client_ids: Sequence[int], engagement_id: int | None = None, status: str = ""
) -> QuerySet[Lot]:
    found = Lot.objects.filter(client_id__in=list(client_ids)).select_related(
        "engagement", "decided_by"
    )
    if engagement_id is not None:
        found = found.filter(engagement_id=engagement_id)
    return found.filter(status=status) if status else found


def access_lot(*, client_ids: Sequence[int], lot_id: int) -> Lot:
    found = lots(client_ids=client_ids).filter(pk=lot_id).first()
    if found is None:
        raise NotFound("Lot not found.")
    return found


def inspections_of(*, lot: Lot) -> dict[int, LotInspection]:
    return {
        i.source_item_id: i
        for i in LotInspection.objects.filter(lot=lot).select_related("inspector")
    }


def _list(ids: Sequence[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:10])
    return shown + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")


def _audit(action: str, actor: User | None, lot: Lot, payload: dict[str, Any]) -> None:
    record(
        action=action,
        actor=actor if actor is not None and actor.pk else None,
        client=lot.client_id,
        object_type="quality_lot",
        object_id=lot.pk,
        payload={"engagement_id": lot.engagement_id, "reference": lot.reference, **payload},
    )
