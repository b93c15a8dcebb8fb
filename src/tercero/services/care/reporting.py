"""Care desk figures: volume, response and resolution times, SLA, first-contact
resolution, reopens, satisfaction and backlog, per client, engagement, agent, site or
channel. Pure reads.

Definitions (docs/care.md, "Reports"):

- the tickets are care and support tickets and calls created in [start, end) that the
  viewer may see (the engagement's data-residency rule applies, as on every other path);
- first response time = first_response_at - created_at, wall-clock seconds, over the
  tickets answered; resolution time = resolved_at - created_at over resolved tickets;
  medians by `statistics.median`, p90 by `statistics.quantiles(n=10, method="inclusive")`
  (a single value is its own p90);
- SLA attainment = met / (met + breached) among tickets whose SLA was judged;
- first-contact resolution = resolved tickets never reopened with at most one reply to
  the customer / resolved tickets; reopen rate = resolved tickets reopened at least once
  / resolved tickets;
- CSAT = answered surveys scoring 4 or 5 / answered surveys (also: answered, average);
- backlog = tickets open now (not resolved, closed or cancelled) that were created before
  `end`, by age now: under 1 day, 1-3 days, 3-7 days, over 7 days;
- the agent of a ticket is its current (last) assignee; the site is that agent's site.

Counting runs in the database (one query for the tickets' fields, one for reply counts,
one for surveys, whatever the number of tickets); grouping and percentiles in Python.
"""

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count
from django.utils import timezone

from tercero.delivery.work import access, selectors
from tercero.services.care.models import Message, Survey

TYPES = ("care.ticket", "support.ticket", "care.call")
DIMENSIONS = ("channel", "client", "engagement", "agent", "site")
OPEN = ("new", "queued", "assigned", "in_progress", "waiting_client", "waiting_customer")
AGE_BUCKETS = (
    ("under 1 day", timedelta(days=1)),
    ("1-3 days", timedelta(days=3)),
    ("3-7 days", timedelta(days=7)),
    ("over 7 days", None),
)
_KEYS = {
    "channel": ("channel", None),
    "client": ("client_id", "client__legal_name"),
    "engagement": ("engagement_id", "engagement__name"),
    "agent": ("assignee_id", "assignee__user__full_name"),
    "site": ("assignee__site_id", "assignee__site__name"),
}


@dataclass
class Figures:
    label: str
    volume: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    first_response_median: float | None = None
    first_response_p90: float | None = None
    resolution_median: float | None = None
    resolution_p90: float | None = None
    sla_met: int = 0
    sla_judged: int = 0
    resolved: int = 0
    first_contact: int = 0
    reopened: int = 0
    surveys_answered: int = 0
    satisfied: int = 0
    score_average: float | None = None
    backlog: dict[str, int] = field(default_factory=dict)

    @property
    def sla_attainment(self) -> float | None:
        return _ratio(self.sla_met, self.sla_judged)

    @property
    def first_contact_resolution(self) -> float | None:
        return _ratio(self.first_contact, self.resolved)

    @property
    def reopen_rate(self) -> float | None:
        return _ratio(self.reopened, self.resolved)

    @property
    def csat(self) -> float | None:
        return _ratio(self.satisfied, self.surveys_answered)

    @property
    def backlog_total(self) -> int:
        return sum(self.backlog.values())


def _ratio(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def p90(values: list[float]) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


@dataclass
class Report:
    start: datetime
    end: datetime
    group_by: str
    rows: list[Figures]
    total: Figures
    channels: list[str]


def tickets(*, viewer, client_ids, engagement_id=None, agent_id=None, site_id=None, channel=None):
    """The tickets `viewer` may count: the engine's access rule leaves out the personal
    data of engagements whose residency rule excludes the viewer's site (None: no
    person, the clients' whole desk)."""
    found = selectors.items(
        client_ids=client_ids,
        work_types=TYPES,
        engagement_id=engagement_id or None,
        assignee_id=agent_id or None,
        channel=channel or None,
    )
    if site_id:
        found = found.filter(assignee__site_id=site_id)
    return access.restrict(viewer, found, client_ids)


def care_report(
    *,
    viewer,
    client_ids: list[int],
    start: datetime,
    end: datetime,
    group_by: str = "channel",
    engagement_id: int | None = None,
    agent_id: int | None = None,
    site_id: int | None = None,
    channel: str | None = None,
    now: datetime | None = None,
) -> Report:
    now = now or timezone.now()
    key, label = _KEYS[group_by if group_by in _KEYS else "channel"]
    scope = tickets(
        viewer=viewer,
        client_ids=client_ids,
        engagement_id=engagement_id,
        agent_id=agent_id,
        site_id=site_id,
        channel=channel,
    )
    fields = ["pk", key, "channel", "created_at", "first_response_at", "resolved_at"]
    fields += ["reopen_count", "sla_met", "status"] + ([label] if label else [])
    rows = list(scope.filter(created_at__gte=start, created_at__lt=end).values(*fields))
    ids = [row["pk"] for row in rows]
    replies = dict(
        Message.objects.filter(item_id__in=ids, direction=Message.Direction.OUTBOUND)
        .values("item_id")
        .annotate(n=Count("id"))
        .values_list("item_id", "n")
    )
    scores = dict(
        Survey.objects.filter(item_id__in=ids, answered_at__isnull=False).values_list(
            "item_id", "score"
        )
    )
    backlog = list(
        scope.filter(status__in=OPEN, created_at__lt=end).values(
            key, "created_at", *([label] if label else [])
        )
    )
    groups: dict[object, list[dict]] = defaultdict(list)
    labels: dict[object, str] = {}
    for row in rows + backlog:
        labels[row[key]] = _label(group_by, row, key, label)
    for row in rows:
        groups[row[key]].append(row)
    backlog_groups: dict[object, list[dict]] = defaultdict(list)
    for row in backlog:
        backlog_groups[row[key]].append(row)
    out = [
        _figures(labels[k], groups.get(k, []), backlog_groups.get(k, []), replies, scores, now)
        for k in sorted(labels, key=lambda k: labels[k].lower())
    ]
    total = _figures("Total", rows, backlog, replies, scores, now)
    return Report(
        start=start,
        end=end,
        group_by=group_by,
        rows=out,
        total=total,
        channels=sorted({row["channel"] for row in rows}),
    )


def _label(group_by: str, row: dict, key: str, label: str | None) -> str:
    if row[key] is None:
        return {"agent": "Unassigned", "site": "No site"}.get(group_by, "—")
    if label is None:
        return str(row[key]).replace("_", " ").capitalize()
    return row[label] or "—"


def _figures(name, rows, backlog, replies, scores, now) -> Figures:
    figures = Figures(label=name, volume=len(rows))
    by_channel: dict[str, int] = defaultdict(int)
    first, resolution, answered = [], [], []
    for row in rows:
        by_channel[row["channel"]] += 1
        if row["first_response_at"]:
            first.append((row["first_response_at"] - row["created_at"]).total_seconds())
        if row["sla_met"] is not None:
            figures.sla_judged += 1
            figures.sla_met += bool(row["sla_met"])
        if row["resolved_at"]:
            figures.resolved += 1
            resolution.append((row["resolved_at"] - row["created_at"]).total_seconds())
            figures.reopened += row["reopen_count"] > 0
            figures.first_contact += row["reopen_count"] == 0 and replies.get(row["pk"], 0) <= 1
        if scores.get(row["pk"]) is not None:
            answered.append(scores[row["pk"]])
    figures.by_channel = dict(sorted(by_channel.items()))
    figures.first_response_median, figures.first_response_p90 = median(first), p90(first)
    figures.resolution_median, figures.resolution_p90 = median(resolution), p90(resolution)
    figures.surveys_answered = len(answered)
    figures.satisfied = sum(1 for score in answered if score >= 4)
    figures.score_average = round(statistics.mean(answered), 2) if answered else None
    figures.backlog = {name: 0 for name, _ in AGE_BUCKETS}
    for row in backlog:
        figures.backlog[_bucket(now - row["created_at"])] += 1
    return figures


def _bucket(age: timedelta) -> str:
    for name, limit in AGE_BUCKETS:
        if limit is None or age < limit:
            return name
    return AGE_BUCKETS[-1][0]
