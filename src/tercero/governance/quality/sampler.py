"""Which resolved items are evaluated: the outbox consumer that samples as work is done,
and the periodic top-up that brings every agent to the rule's minimum and precision.

- A resolved item of an engagement's work type with an active rule is sampled for the
  first reason that holds, in this order: low CSAT, escalated,
  reopened, new agent (their agent record is less than 30 days old when the item is
  resolved), long handle (handle time above the rule's fixed threshold when it gives one,
  else above the 90th percentile of the engagement's items of that type resolved in the
  last 30 days, once at least 20 are known), random (a draw from a hash of the rule and
  the item: reproducible, the same on every run and worker).
- A satisfaction score of 2 or less arriving later, and a reopened item, sample it then.
- An item is sampled once: one Sample and one `quality.evaluation` item, created in the
  consumer's transaction (with its receipt), under the item's row lock and the unique
  (client, item, reason) constraint.
- The top-up (hourly), per rule and agent: the week's minimum (reason "minimum") and the
  month's precision target (reason "target": `sampling.Target.needed(population)` with the
  population = the items the agent resolved this month) are met by sampling more of that
  agent's resolved items, in a reproducible random order. Gold items are added until
  `gold_share` of the month's samples are gold.
"""

import hashlib
import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from tercero.delivery.work import locks
from tercero.delivery.work import selectors as work_selectors
from tercero.delivery.work import services as work
from tercero.delivery.work.outbox import Consumer
from tercero.governance.quality import rules as quality_rules
from tercero.governance.quality.models import GoldItem, Sample, SamplingRule, ScorecardVersion
from tercero.governance.quality.worktypes import EVALUATION_TYPE
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

NEW_AGENT_DAYS = 30
LONG_HANDLE_PERCENTILE = 0.9
LONG_HANDLE_MIN_ITEMS = 20
LOW_CSAT = 2
DONE = ("resolved", "closed")
# the order reasons are tried in: the first that holds is the sample's reason
PRIORITY = ("low_csat", "escalated", "reopened", "new_agent", "long_handle", "random")
KINDS = frozenset(
    {
        "item.resolved",
        "item.reopened",
        "item.escalated",
        "care.ticket.reopened",
        "care.csat.received",
    }
)


def draw(*parts: object) -> float:
    """A reproducible uniform number in [0, 1) from `parts` (same answer on every run)."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    return day.replace(day=1)


def worker_of(item: Any) -> int | None:
    """The agent whose work the item is: its assignee at resolution (a reopened item has
    none now: the agent of its last assignment)."""
    if item.assignee_id is not None:
        return int(item.assignee_id)
    last = work_selectors.events_of(item=item).filter(kind="item.assigned").last()
    agent_id = (last.data or {}).get("agent_id") if last is not None else None
    return int(agent_id) if agent_id is not None else None


# --- the consumer ----------------------------------------------------------------------


def on_event(event: Any) -> None:
    """Sample the item an event is about, when its engagement's rule says so."""
    item_id = event.data.get("item_id") if event.kind.startswith("care.") else event.item_id
    if item_id is None:
        return
    with client_scope(clients=[event.client_id]):
        item = work_selectors.items(client_ids=[event.client_id]).filter(pk=item_id).first()
        if item is None or item.work_type == EVALUATION_TYPE:
            return
        rule = active_rule(engagement_id=item.engagement_id, work_type=item.work_type)
        if rule is None:
            return
        reason = _reason_for(rule, item, event)
        if reason is not None:
            take_sample(rule=rule, item=item, reason=reason)


CONSUMER = Consumer(name="quality.sampler", handle=on_event, kinds=KINDS)


def active_rule(*, engagement_id: int, work_type: str) -> SamplingRule | None:
    return (
        SamplingRule.objects.filter(
            engagement_id=engagement_id, work_type=work_type, is_active=True
        )
        .select_related("scorecard")
        .first()
    )


def _reason_for(rule: SamplingRule, item: Any, event: Any) -> str | None:
    """The sample's reason for this event, or None (not sampled)."""
    if event.kind == "care.csat.received":
        low = int(event.data.get("score", 5)) <= LOW_CSAT
        return "low_csat" if low and "low_csat" in rule.strata else None
    if event.kind in ("item.reopened", "care.ticket.reopened"):
        return "reopened" if "reopened" in rule.strata else None
    if item.status not in DONE:
        return None  # an escalation is judged when the item is resolved
    return first_reason(rule, item)


def first_reason(rule: SamplingRule, item: Any) -> str | None:
    """The first reason (PRIORITY) that holds for a resolved item."""
    checks = {
        "escalated": lambda: _has_event(item, "item.escalated"),
        "reopened": lambda: item.reopen_count > 0,
        "new_agent": lambda: _is_new_agent(item),
        "long_handle": lambda: _is_long(rule, item),
        "random": lambda: draw(rule.pk, item.pk) < float(rule.random_share),
    }
    for reason in PRIORITY:
        applies = reason == "random" or reason in rule.strata
        if applies and reason in checks and checks[reason]():
            return reason
    return None


def _has_event(item: Any, kind: str) -> bool:
    return work_selectors.events_of(item=item).filter(kind=kind).exists()


def _is_new_agent(item: Any) -> bool:
    agent_id = worker_of(item)
    if agent_id is None:
        return False
    agent = work_selectors.agents(client_ids=[item.client_id]).filter(pk=agent_id).first()
    resolved = item.resolved_at or timezone.now()
    return agent is not None and resolved - agent.created_at < timedelta(days=NEW_AGENT_DAYS)


def _is_long(rule: SamplingRule, item: Any) -> bool:
    threshold = rule.long_handle_seconds or handle_percentile(rule, now=item.resolved_at)
    return threshold is not None and item.handle_seconds > threshold


def handle_percentile(rule: SamplingRule, *, now: datetime | None) -> int | None:
    """The 90th percentile (nearest rank) of handle seconds of the engagement's items of
    the rule's type resolved in the 30 days before `now`; None below 20 items."""
    now = now or timezone.now()
    seconds = sorted(
        work_selectors.items(
            client_ids=[rule.client_id], engagement_id=rule.engagement_id, work_type=rule.work_type
        )
        .filter(resolved_at__gte=now - timedelta(days=30), resolved_at__lte=now)
        .values_list("handle_seconds", flat=True)[:5000]
    )
    if len(seconds) < LONG_HANDLE_MIN_ITEMS:
        return None
    return int(seconds[math.ceil(LONG_HANDLE_PERCENTILE * len(seconds)) - 1])


# --- taking a sample -------------------------------------------------------------------


def take_sample(*, rule: SamplingRule, item: Any, reason: str) -> Sample | None:
    """The item's Sample and its evaluation item, once; None when it was sampled before.
    Runs in the caller's transaction (the consumer's, with its receipt) or its own. A gold
    sample grades the analyst, not the agent: it names no agent."""
    with transaction.atomic():
        locked = locks.lock_item(item_id=item.pk)
        if reason != "gold" and Sample.objects.filter(source_item_id=locked.pk).exists():
            return None
        worker = None if reason == "gold" else worker_of(locked)
        resolved = locked.resolved_at or timezone.now()
        try:
            with transaction.atomic():
                sample = Sample.objects.create(
                    client_id=rule.client_id,
                    engagement_id=rule.engagement_id,
                    rule=rule,
                    source_item_id=locked.pk,
                    agent_id=worker,
                    reason=reason,
                    period_start=week_start(resolved.astimezone(UTC).date()),
                )
        except IntegrityError:
            return None
        sample.evaluation_item_id = _evaluation_item(rule, locked, sample).pk
        sample.save(update_fields=["evaluation_item_id"])
    return sample


def _evaluation_item(rule: SamplingRule, item: Any, sample: Sample) -> Any:
    queue_id = rule.queue_id or quality_rules.qa_queue_for(
        actor=None, engagement=rule.engagement, queue_id=None
    )
    queue = work_selectors.access_queue(client_ids=[rule.client_id], queue_id=queue_id)
    version = ScorecardVersion.objects.get(
        scorecard_id=rule.scorecard_id, number=rule.scorecard.current_version
    )
    return work.create_item(
        actor=None,
        queue=queue,
        work_type=EVALUATION_TYPE,
        payload={
            "source_item_id": item.pk,
            "sample_id": sample.pk,
            "reason": sample.reason,
            "scorecard_version_id": version.pk,
            "source_work_type": item.work_type,
        },
        personal_data=item.personal_data,
        not_for_agent_id=sample.agent_id,
    )


# --- the periodic top-up ---------------------------------------------------------------


def top_up_all(*, now: datetime | None = None) -> int:
    """Top up every active rule; the number of samples taken."""
    now = now or timezone.now()
    with all_clients_scope():
        found = list(SamplingRule.objects.filter(is_active=True).select_related("scorecard"))
    taken = 0
    for rule in found:
        with client_scope(clients=[rule.client_id]):
            taken += top_up(rule=rule, now=now)
    return taken


def top_up(*, rule: SamplingRule, now: datetime) -> int:
    """Bring each agent of the rule's work to the week's minimum and the month's target,
    then add gold items up to the rule's share. Call inside the rule's client scope."""
    today = now.astimezone(UTC).date()
    resolved = _resolved_since(rule, month_start(today), now)
    by_agent: dict[int, list[Any]] = {}
    for item in resolved:
        if item.assignee_id is not None:
            by_agent.setdefault(item.assignee_id, []).append(item)
    taken = sum(
        _top_up_agent(rule, agent_id, items, week_start(today))
        for agent_id, items in by_agent.items()
    )
    return taken + _top_up_gold(rule, month_start(today), now)


def _resolved_since(rule: SamplingRule, first: date, now: datetime) -> list[Any]:
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    return list(
        work_selectors.items(
            client_ids=[rule.client_id],
            engagement_id=rule.engagement_id,
            work_type=rule.work_type,
            status=list(DONE),
        ).filter(resolved_at__gte=start, resolved_at__lte=now)
    )


def needed_for(
    rule: SamplingRule, *, population: int, week_population: int, week_have: int
) -> tuple[int, int]:
    """(samples the month's precision target needs out of the agent's `population`, more
    samples the week's minimum still needs), never more than there are items."""
    target = quality_rules.target_of_values(rule).needed(population) if population else 0
    return min(population, target), min(week_population, rule.minimum_per_agent_week) - week_have


def _top_up_agent(rule: SamplingRule, agent_id: int, items: list[Any], week: date) -> int:
    sampled = set(
        Sample.objects.filter(
            rule=rule, agent_id=agent_id, source_item_id__in=[i.pk for i in items]
        )
        .exclude(reason="gold")
        .values_list("source_item_id", flat=True)
    )
    this_week = [i for i in items if week_start(i.resolved_at.astimezone(UTC).date()) == week]
    target, week_short = needed_for(
        rule,
        population=len(items),
        week_population=len(this_week),
        week_have=sum(1 for i in this_week if i.pk in sampled),
    )
    taken = 0
    for item in _in_draw_order(rule, this_week, sampled)[: max(week_short, 0)]:
        taken += _take(rule, item, "minimum", sampled)
    short = target - len(sampled)
    for item in _in_draw_order(rule, items, sampled)[: max(short, 0)]:
        taken += _take(rule, item, "target", sampled)
    return taken


def _in_draw_order(rule: SamplingRule, items: list[Any], sampled: set[int]) -> list[Any]:
    return sorted(
        (i for i in items if i.pk not in sampled), key=lambda i: draw("top-up", rule.pk, i.pk)
    )


def _take(rule: SamplingRule, item: Any, reason: str, sampled: set[int]) -> int:
    sample = take_sample(rule=rule, item=item, reason=reason)
    sampled.add(item.pk)
    return 0 if sample is None else 1


def _top_up_gold(rule: SamplingRule, first: date, now: datetime) -> int:
    """Gold samples until they are `gold_share` of the month's samples of the rule."""
    share = Decimal(rule.gold_share)
    if share <= 0:
        return 0
    month = Sample.objects.filter(rule=rule, period_start__gte=week_start(first))
    others, gold = month.exclude(reason="gold").count(), month.filter(reason="gold").count()
    wanted = math.ceil(float(share) * others / (1 - float(share))) if share < 1 else others
    unused = GoldItem.objects.filter(
        engagement_id=rule.engagement_id, work_type=rule.work_type
    ).exclude(source_item_id__in=Sample.objects.filter(reason="gold").values("source_item_id"))
    taken = 0
    for gold_item in list(unused.order_by("id")[: max(wanted - gold, 0)]):
        item = (
            work_selectors.items(client_ids=[rule.client_id])
            .filter(pk=gold_item.source_item_id)
            .first()
        )
        if item is not None and take_sample(rule=rule, item=item, reason="gold"):
            taken += 1
    return taken
