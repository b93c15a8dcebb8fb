"""Support tiers (which queue takes an engagement's L1, L2 and L3 tickets) and the
engagement's SLA policy (its targets per metric and priority, with units), set up
without Django admin. The SLA policy is the engagement's own `sla_targets`, changed
through the engagements service, so the clocks read what the desk set."""

from typing import Any

from django.db import IntegrityError, transaction

from tercero.delivery.engagements import services as engagement_services
from tercero.delivery.work import selectors as work_selectors
from tercero.platform.errors import Conflict, InvalidInput
from tercero.services.care.models import TierQueue
from tercero.services.care.services.setup_base import audit

TIERS = ("L1", "L2", "L3")
METRICS = {
    "first_response": "First response",
    "resolution": "Resolution",
    "answer": "Answer a chat or call",
    "turnaround": "Turnaround",
    "service_level": "Service level",
    "accuracy": "Accuracy",
}
PERCENT_METRICS = frozenset({"service_level", "accuracy"})
PRIORITIES = ("P1", "P2", "P3", "P4")
# unit -> (words for one, words for many, seconds per unit or the stored key)
UNITS = {
    "seconds": ("second", "seconds", 1),
    "minutes": ("minute", "minutes", 60),
    "hours": ("hour", "hours", 3600),
    "business_days": ("business day", "business days", None),
    "percent": ("percent", "percent", None),
}
MAX_SECONDS = 366 * 86400
MAX_TARGETS = 40


def _tier_queue_problem(engagement, queue_id: Any) -> str | None:
    queue = (
        work_selectors.queues(client_ids=[engagement.client_id], engagement_id=engagement.pk)
        .filter(pk=queue_id if isinstance(queue_id, int) else 0)
        .first()
    )
    if queue is None:
        return "a queue of this engagement"
    if "support.ticket" not in queue.work_types:
        return "a queue that takes technical support tickets (support.ticket)"
    return None


def _tier_cleaned(engagement, tier: Any, queue_id: Any) -> dict[str, Any]:
    problems: dict[str, str] = {}
    if tier not in TIERS:
        problems["tier"] = "L1, L2 or L3"
    queue_problem = _tier_queue_problem(engagement, queue_id)
    if queue_problem:
        problems["queue_id"] = queue_problem
    if problems:
        raise InvalidInput("Please check the tier.", fields=problems)
    return {"tier": tier, "queue_id": queue_id}


def create_tier(*, actor, engagement, tier: str, queue_id: int) -> TierQueue:
    """The queue the engagement's support tickets move to at `tier`."""
    cleaned = _tier_cleaned(engagement, tier, queue_id)
    try:
        with transaction.atomic():
            made = TierQueue.objects.create(
                client_id=engagement.client_id, engagement=engagement, **cleaned
            )
            audit("care.tier.created", actor, made, tier=tier, queue_id=queue_id)
    except IntegrityError:
        raise _tier_taken(tier) from None
    return made


def update_tier(*, actor, route: TierQueue, tier: str, queue_id: int) -> TierQueue:
    cleaned = _tier_cleaned(route.engagement, tier, queue_id)
    try:
        with transaction.atomic():
            TierQueue.objects.filter(pk=route.pk).update(**cleaned)
            audit("care.tier.changed", actor, route, tier=tier, queue_id=queue_id)
    except IntegrityError:
        raise _tier_taken(tier) from None
    route.refresh_from_db()
    return route


def remove_tier(*, actor, route: TierQueue) -> None:
    """Escalating to this tier then keeps the ticket in its queue (the note is kept)."""
    with transaction.atomic():
        audit("care.tier.removed", actor, route, tier=route.tier, queue_id=route.queue_id)
        TierQueue.objects.filter(pk=route.pk).delete()


def _tier_taken(tier: str) -> Conflict:
    return Conflict(f"This engagement already sends {tier} somewhere.", fields={"tier": "taken"})


# --- the SLA policy -----------------------------------------------------------------


def target_of(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored target as a person writes it: metric, priority (None: every priority),
    amount and unit."""
    if stored.get("target_business_days"):
        amount, unit = int(stored["target_business_days"]), "business_days"
    elif stored.get("target_percent") is not None:
        percent = float(stored["target_percent"])
        amount, unit = int(percent) if percent.is_integer() else percent, "percent"
    else:
        seconds = int(stored.get("target_seconds") or 0)
        unit = "hours" if seconds % 3600 == 0 else "minutes" if seconds % 60 == 0 else "seconds"
        amount = seconds // UNITS[unit][2]
    return {
        "metric": stored.get("metric", ""),
        "priority": stored.get("priority"),
        "amount": amount,
        "unit": unit,
    }


def in_words(target: dict[str, Any]) -> str:
    """ "First response, P1: within 2 hours of business time" """
    metric = METRICS.get(target["metric"], target["metric"].replace("_", " ").capitalize())
    which = target["priority"] or "every priority"
    one, many, _ = UNITS[target["unit"]]
    amount = target["amount"]
    if target["unit"] == "percent":
        return f"{metric}, {which}: at least {amount:g} percent"
    time = "" if target["unit"] == "business_days" else " of business time"
    return f"{metric}, {which}: within {amount} {one if amount == 1 else many}{time}"


def policy_of(engagement) -> list[dict[str, Any]]:
    """The engagement's targets as written, each with its words."""
    written = [target_of(stored) for stored in engagement.sla_targets]
    return [{**target, "words": in_words(target)} for target in written]


def _stored(i: int, raw: Any, problems: dict[str, str]) -> dict[str, Any]:
    where = f"targets.{i}"
    raw = raw if isinstance(raw, dict) else {}
    metric, priority, unit = raw.get("metric"), raw.get("priority") or None, raw.get("unit")
    if metric not in METRICS:
        problems[f"{where}.metric"] = "one of " + ", ".join(METRICS)
    if priority is not None and priority not in PRIORITIES:
        problems[f"{where}.priority"] = "P1, P2, P3, P4 or every priority"
    percent = metric in PERCENT_METRICS
    if unit not in UNITS or (unit == "percent") != percent:
        problems[f"{where}.unit"] = "percent" if percent else "seconds, minutes, hours or days"
        return {}
    amount = raw.get("amount")
    number = (int, float) if unit == "percent" else (int,)
    if not isinstance(amount, number) or isinstance(amount, bool) or not amount >= 1:
        problems[f"{where}.amount"] = (
            "a number of at least 1" if unit == "percent" else ("a whole number of at least 1")
        )
        return {}
    stored: dict[str, Any] = {"metric": metric, "priority": priority}
    if unit == "percent":
        stored["target_percent"] = amount
        if amount > 100:
            problems[f"{where}.amount"] = "at most 100 percent"
    elif unit == "business_days":
        stored["target_business_days"] = amount
        if amount > 365:
            problems[f"{where}.amount"] = "at most 365 business days"
    else:
        stored["target_seconds"] = amount * UNITS[unit][2]
        if stored["target_seconds"] > MAX_SECONDS:
            problems[f"{where}.amount"] = "at most 366 days"
    return {name: value for name, value in stored.items() if value is not None}


def clean_policy(targets: Any) -> list[dict[str, Any]]:
    """The targets as stored, or InvalidInput naming each problem by its place."""
    if not isinstance(targets, list) or len(targets) > MAX_TARGETS:
        raise InvalidInput(
            "Please check the targets.", fields={"targets": f"a list of at most {MAX_TARGETS}"}
        )
    problems: dict[str, str] = {}
    stored = [_stored(i, raw, problems) for i, raw in enumerate(targets)]
    seen: set[tuple[Any, Any]] = set()
    for i, target in enumerate(stored):
        which = (target.get("metric"), target.get("priority"))
        if target and which in seen:
            problems[f"targets.{i}.priority"] = "one target per metric and priority"
        seen.add(which)
    if problems:
        raise InvalidInput("Please check the targets.", fields=problems)
    return stored


def set_policy(*, actor, engagement, version: int, targets: list[Any]):
    """Replace the engagement's SLA targets (a stale `version` is 409); audited as an
    engagement change and as `care.sla_policy.changed` with the targets in words."""
    stored = clean_policy(targets)
    with transaction.atomic():
        changed = engagement_services.update_engagement(
            actor=actor, engagement=engagement, version=version, changes={"sla_targets": stored}
        )
        audit(
            "care.sla_policy.changed",
            actor,
            changed,
            targets=[target["words"] for target in policy_of(changed)],
        )
    return changed
