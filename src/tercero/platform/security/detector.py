"""Insider-misuse detection over the audit trail.

Every run looks at the last hour of the audit trail and counts, per member of staff,
client and engagement: distinct customer records opened, personal-data reveals,
exports, accesses while off shift, and break-glass openings of unassigned items. A
count over the engagement's limit (MisuseRule; the client's row or the defaults
otherwise) raises an alert; so does a count far above the person's own usual hours
(three times their 95th-percentile hour over the last 14 days, and at least
BASELINE_FLOOR), once they have a history. One alert per person, client, kind and
clock hour. Runs every DETECT_EVERY_SECONDS from the scheduler.
"""

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count
from django.db.models.functions import TruncHour

from tercero.platform.audit.models import AuditEvent
from tercero.platform.security import services
from tercero.platform.security.models import MisuseRule, SecurityAlert
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

DETECT_EVERY_SECONDS = 20
WINDOW = timedelta(hours=1)
HISTORY = timedelta(days=14)
BASELINE_FLOOR = 40
BASELINE_FACTOR = 3
MIN_HISTORY_HOURS = 8

VIEWED = "work_item.viewed"
REVEALED = "work_item.revealed"
EXPORTED = "work_items.exported"
BREAK_GLASS = "work_item.break_glass"
WATCHED = (VIEWED, REVEALED, EXPORTED, BREAK_GLASS)
KIND_FIELD = {
    SecurityAlert.Kind.RECORDS: "records_per_hour",
    SecurityAlert.Kind.REVEALS: "reveals_per_hour",
    SecurityAlert.Kind.EXPORTS: "exports_per_hour",
    SecurityAlert.Kind.OFF_SHIFT: "off_shift_per_hour",
    SecurityAlert.Kind.UNASSIGNED: "unassigned_per_hour",
}
BASELINE_KINDS = {SecurityAlert.Kind.RECORDS: VIEWED, SecurityAlert.Kind.REVEALS: REVEALED}


@dataclass
class Usage:
    records: set[str] = field(default_factory=set)
    counts: Counter[str] = field(default_factory=Counter)


def _usage(since: datetime, until: datetime) -> dict[tuple[int, int, int | None], Usage]:
    rows = (
        AuditEvent.objects.filter(
            occurred_at__gte=since,
            occurred_at__lte=until,
            action__in=WATCHED,
            actor__isnull=False,
            client__isnull=False,
        )
        .values_list("actor_id", "client_id", "action", "object_id", "payload")
        .iterator(chunk_size=5000)
    )
    usage: dict[tuple[int, int, int | None], Usage] = defaultdict(Usage)
    for actor_id, client_id, action, object_id, payload in rows:
        found = usage[(actor_id, client_id, (payload or {}).get("engagement_id"))]
        if action in (VIEWED, REVEALED):
            found.records.add(object_id)
        if action == REVEALED:
            found.counts[SecurityAlert.Kind.REVEALS] += 1
        if action == EXPORTED:
            found.counts[SecurityAlert.Kind.EXPORTS] += 1
        if action == BREAK_GLASS:
            found.counts[SecurityAlert.Kind.UNASSIGNED] += 1
        if (payload or {}).get("on_shift") is False:
            found.counts[SecurityAlert.Kind.OFF_SHIFT] += 1
    for found in usage.values():
        found.counts[SecurityAlert.Kind.RECORDS] = len(found.records)
    return usage


def _rule(
    rules: dict[tuple[int, int | None], MisuseRule], client_id: int, engagement_id: int | None
) -> MisuseRule:
    return (
        rules.get((client_id, engagement_id))
        or rules.get((client_id, None))
        or MisuseRule(client_id=client_id)
    )


def baseline_limit(*, user_id: int, client_id: int, action: str, now: datetime) -> int | None:
    """BASELINE_FACTOR x the person's 95th-percentile hour for this action over the
    last HISTORY (hours they were active, this hour excluded); None without history."""
    hours = list(
        AuditEvent.objects.filter(
            actor_id=user_id,
            client_id=client_id,
            action=action,
            occurred_at__gte=now - HISTORY,
            occurred_at__lt=now - WINDOW,
        )
        .annotate(hour=TruncHour("occurred_at"))
        .values("hour")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    if len(hours) < MIN_HISTORY_HOURS:
        return None
    p95 = statistics.quantiles(hours, n=20, method="inclusive")[-1]
    return max(BASELINE_FLOOR, int(BASELINE_FACTOR * p95))


def detect(*, now: datetime) -> list[SecurityAlert]:
    with all_clients_scope():  # the last hour of the whole trail
        usage = _usage(now - WINDOW, now)
    if not usage:
        return []
    client_ids = sorted({client_id for _, client_id, _ in usage})
    raised = []
    hour = now.replace(minute=0, second=0, microsecond=0)
    with client_scope(clients=client_ids):
        rules = {(r.client_id, r.engagement_id): r for r in MisuseRule.objects.all()}
        for (user_id, client_id, engagement_id), found in sorted(usage.items(), key=str):
            rule = _rule(rules, client_id, engagement_id)
            for kind, limit_field in KIND_FIELD.items():
                count = found.counts.get(kind, 0)
                if not count:
                    continue
                limit = getattr(rule, limit_field)
                reason = f"{count} in the last hour; the engagement's limit is {limit}"
                if count <= limit and kind in BASELINE_KINDS and count > BASELINE_FLOOR:
                    usual = baseline_limit(
                        user_id=user_id, client_id=client_id, action=BASELINE_KINDS[kind], now=now
                    )
                    if usual is not None and count > usual:
                        limit = usual
                        reason = f"{count} in the last hour; 3x their usual busiest hour is {usual}"
                if count <= limit:
                    continue
                alert = services.raise_alert(
                    client_id=client_id,
                    user_id=user_id,
                    kind=kind,
                    window_start=hour,
                    count=count,
                    limit=limit,
                    detail=reason,
                    engagement_id=engagement_id,
                    step_up=rule.step_up,
                )
                if alert is not None:
                    raised.append(alert)
    return raised
