"""The quality report: score and accuracy per agent, team, site, shore, client, engagement
and criterion, each with its sample size and 95 % interval; the trend by week; the
engagements' quality SLA for the clients' monthly reports and billing's quality credits.

Every figure is aggregated in the database (one grouped query per dimension, one per
scorecard version for the criteria); Python only turns sums into intervals. Calibration
evaluations never count.

Intervals: the accuracy (a proportion) has the Wilson score interval
(`sampling.wilson_interval`); the mean score has Student's t interval,
mean +/- t(0.975, n-1) * s / sqrt(n), clipped to 0-100 (s the sample standard deviation,
from the sum and the sum of squares so groups can be merged exactly, as shores are).
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncWeek

from tercero.delivery.engagements.models import Engagement
from tercero.delivery.work import registry
from tercero.delivery.workforce import selectors as workforce
from tercero.delivery.workforce.shore import shore_of
from tercero.governance.quality.models import Evaluation, SamplingRule, ScorecardVersion
from tercero.governance.quality.sampling import wilson_interval
from tercero.platform.catalogue import SlaFigure
from tercero.platform.identity.models import User
from tercero.platform.tenancy.models import Client

CONFIDENCE = 0.95
Dimension = Literal["agent", "team", "site", "shore", "client", "engagement"]
DIMENSIONS: tuple[Dimension, ...] = ("agent", "team", "site", "shore", "client", "engagement")
DIMENSION_TITLES = {
    "agent": "Agent",
    "team": "Team (team lead)",
    "site": "Site",
    "shore": "Shore",
    "client": "Client",
    "engagement": "Engagement",
}
_GROUP_COLUMNS: dict[str, tuple[str, ...]] = {
    "agent": ("agent_id",),
    "team": ("team_lead_id",),
    "site": ("site_id",),
    "shore": ("site_id", "client_id"),
    "client": ("client_id",),
    "engagement": ("engagement_id",),
}
# a criterion fails on its scale's lowest mark: "no", 1 of 5, or 0 points (as a critical
# criterion does when it fails the whole evaluation)
LOWEST = {"yes_no": 0, "one_to_five": 1, "points": 0}
FIELDS_KIND = Q(scorecard_version__scorecard__kind="fields")


@dataclass(frozen=True)
class Filters:
    """Which evaluations a report reads: submitted between `first` and `last` (inclusive)
    for the caller's clients, optionally one engagement or one site."""

    client_ids: Sequence[int]
    first: date
    last: date
    engagement_id: int | None = None
    site_id: int | None = None


@dataclass(frozen=True)
class Sums:
    """What the database sums for a group: merged by adding."""

    evaluations: int = 0
    score_sum: float = 0.0
    score_squares: float = 0.0
    accurate: int = 0
    checked: int = 0

    def __add__(self, other: "Sums") -> "Sums":
        return Sums(
            self.evaluations + other.evaluations,
            self.score_sum + other.score_sum,
            self.score_squares + other.score_squares,
            self.accurate + other.accurate,
            self.checked + other.checked,
        )


@dataclass(frozen=True)
class Figure:
    """A group's quality score (mean, 0-100) and accuracy (percent), each with its
    95 % interval, and the evaluations they rest on."""

    key: Any
    label: str
    evaluations: int
    score: float | None
    score_low: float | None
    score_high: float | None
    accurate: int
    checked: int
    accuracy: float | None
    accuracy_low: float | None
    accuracy_high: float | None


@dataclass(frozen=True)
class CriterionFigure:
    """How often one criterion passed where it was scored (N/A left out)."""

    key: str
    label: str
    scored: int
    failed: int
    pass_rate: float | None
    low: float | None
    high: float | None


def evaluations(filters: Filters) -> QuerySet[Evaluation]:
    """The evaluations a report counts: never calibration."""
    start = datetime.combine(filters.first, time.min, tzinfo=UTC)
    end = datetime.combine(filters.last + timedelta(days=1), time.min, tzinfo=UTC)
    found = Evaluation.objects.filter(
        client_id__in=list(filters.client_ids),
        is_calibration=False,
        submitted_at__gte=start,
        submitted_at__lt=end,
    )
    if filters.engagement_id is not None:
        found = found.filter(engagement_id=filters.engagement_id)
    if filters.site_id is not None:
        found = found.filter(site_id=filters.site_id)
    return found


def _sum_expressions() -> dict[str, Any]:
    # accuracy: fields right of fields checked on "fields" scorecards, else one check per
    # evaluation, right when no critical criterion failed
    return {
        "evaluations": Count("id"),
        "score_sum": Coalesce(Sum("score", output_field=FloatField()), Value(0.0)),
        "score_squares": Coalesce(
            Sum(ExpressionWrapper(F("score") * F("score"), output_field=FloatField())),
            Value(0.0),
        ),
        "accurate": Coalesce(
            Sum(
                Case(
                    When(FIELDS_KIND, then=F("fields_right")),
                    When(critical_failed=False, then=Value(1)),
                    default=Value(0),
                )
            ),
            Value(0),
        ),
        "checked": Coalesce(
            Sum(Case(When(FIELDS_KIND, then=F("fields_total")), default=Value(1))), Value(0)
        ),
    }


def _sums(row: dict[str, Any]) -> Sums:
    return Sums(
        int(row["evaluations"]),
        float(row["score_sum"]),
        float(row["score_squares"]),
        int(row["accurate"]),
        int(row["checked"]),
    )


def grouped_sums(found: QuerySet[Evaluation], columns: Sequence[str]) -> list[tuple[tuple, Sums]]:
    """One grouped query: the sums per distinct value of `columns`."""
    rows = found.order_by().values(*columns).annotate(**_sum_expressions())
    return [(tuple(row[c] for c in columns), _sums(row)) for row in rows]


def total_sums(found: QuerySet[Evaluation]) -> Sums:
    return _sums(found.order_by().aggregate(**_sum_expressions()))


def mean_interval(sums: Sums) -> tuple[float | None, float | None, float | None]:
    """The mean score and its Student's t interval at 95 % (None without evaluations; the
    interval spans 0-100 for a single evaluation)."""
    n = sums.evaluations
    if n == 0:
        return None, None, None
    mean = sums.score_sum / n
    if n == 1:
        return mean, 0.0, 100.0
    variance = max(0.0, (sums.score_squares - sums.score_sum**2 / n) / (n - 1))
    # loaded when a report is computed, not at start-up
    from scipy.stats import t  # type: ignore[import-untyped]

    half = float(t.ppf(0.5 + CONFIDENCE / 2, n - 1)) * math.sqrt(variance / n)
    return mean, max(0.0, mean - half), min(100.0, mean + half)


def figure(key: Any, label: str, sums: Sums) -> Figure:
    mean, low, high = mean_interval(sums)
    accuracy = accuracy_low = accuracy_high = None
    if sums.checked:
        share_low, share_high = wilson_interval(sums.accurate, sums.checked, CONFIDENCE)
        accuracy = 100 * sums.accurate / sums.checked
        accuracy_low, accuracy_high = 100 * share_low, 100 * share_high
    return Figure(
        key,
        label,
        sums.evaluations,
        mean,
        low,
        high,
        sums.accurate,
        sums.checked,
        accuracy,
        accuracy_low,
        accuracy_high,
    )


def by_dimension(filters: Filters, dimension: Dimension) -> list[Figure]:
    """The figures per agent, team, site, shore, client or engagement, best score first."""
    groups = grouped_sums(evaluations(filters), _GROUP_COLUMNS[dimension])
    if dimension == "shore":
        merged = _by_shore(groups)
        figures = [figure(key, key.capitalize(), sums) for key, sums in merged.items()]
    else:
        names = _names(dimension, [key[0] for key, _ in groups])
        figures = [figure(key[0], _label(dimension, key[0], names), s) for key, s in groups]
    return sorted(figures, key=lambda f: (-(f.score or 0), f.label))


def _label(dimension: str, key: Any, names: dict[Any, str]) -> str:
    if key in names:
        return names[key]
    if key is None:
        return {"agent": "No agent on record", "team": "No team lead", "site": "No site"}.get(
            dimension, "Unknown"
        )
    return f"{DIMENSION_TITLES[dimension]} {key}"


def _names(dimension: str, keys: Iterable[Any]) -> dict[Any, str]:
    ids = [key for key in keys if key is not None]
    if dimension == "agent":
        found = workforce.agents_for_teams().filter(pk__in=ids)
        return dict(found.values_list("pk", "user__full_name"))
    if dimension == "team":
        return dict(User.objects.filter(pk__in=ids).values_list("pk", "full_name"))
    if dimension == "site":
        return dict(workforce.sites().filter(pk__in=ids).values_list("pk", "name"))
    if dimension == "client":
        return dict(Client.objects.filter(pk__in=ids).values_list("pk", "legal_name"))
    return dict(Engagement.objects.filter(pk__in=ids).values_list("pk", "name"))


def _by_shore(groups: list[tuple[tuple, Sums]]) -> dict[str, Sums]:
    """Shore is the site's place relative to the client's (onshore, nearshore,
    offshore): the (site, client) groups merged by it."""
    sites = {s.pk: s for s in workforce.sites().filter(pk__in={k[0] for k, _ in groups})}
    clients = {c.pk: c for c in Client.objects.filter(pk__in={k[1] for k, _ in groups})}
    merged: dict[str, Sums] = {}
    for (site_id, client_id), sums in groups:
        site, client = sites.get(site_id), clients.get(client_id)
        shore = "unknown" if site is None or client is None else str(shore_of(site, client))
        merged[shore] = merged.get(shore, Sums()) + sums
    return merged


def trend(filters: Filters) -> list[Figure]:
    """The figures per week (Monday first), oldest first."""
    rows = (
        evaluations(filters)
        .annotate(week=TruncWeek("submitted_at"))
        .order_by()
        .values("week")
        .annotate(**_sum_expressions())
        .order_by("week")
    )
    return [
        figure(_as_date(row["week"]), f"Week of {_as_date(row['week']):%d %b}", _sums(dict(row)))
        for row in rows
    ]


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def criteria(filters: Filters) -> list[CriterionFigure]:
    """Pass rate per criterion (merged by key across the scorecard versions used), most
    failed first."""
    found = evaluations(filters)
    version_ids = list(found.order_by().values_list("scorecard_version_id", flat=True).distinct())
    counts: dict[str, list[Any]] = {}
    for version in ScorecardVersion.objects.filter(
        client_id__in=list(filters.client_ids), pk__in=version_ids
    ):
        for key, (label, scored, failed) in _criterion_counts(found, version).items():
            entry = counts.setdefault(key, [label, 0, 0])
            entry[1] += scored
            entry[2] += failed
    figures = [_criterion_figure(key, *entry) for key, entry in counts.items()]
    return sorted(figures, key=lambda f: (-(f.failed / f.scored if f.scored else 0), f.label))


def _criteria_of(definition: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for section in definition.get("sections", []) for c in section.get("criteria", [])]


def _criterion_counts(
    found: QuerySet[Evaluation], version: ScorecardVersion
) -> dict[str, tuple[str, int, int]]:
    """One query per scorecard version: per criterion, the evaluations that scored it
    (not N/A) and those that failed it."""
    listed = [c for c in _criteria_of(version.definition) if not c.get("bonus")]
    if not listed:
        return {}
    sums: dict[str, Any] = {}
    for i, criterion in enumerate(listed):
        # a key lookup per criterion: keys are identifiers (the scorecard editor says so)
        path = f"scores__{criterion['key']}"
        lowest = LOWEST.get(criterion.get("scale", "yes_no"), 0)
        sums[f"present{i}"] = Count("id", filter=Q(scores__has_key=criterion["key"]))
        sums[f"na{i}"] = Count("id", filter=Q(**{path: None}))
        sums[f"failed{i}"] = Count("id", filter=Q(**{path: lowest}))
    row = found.filter(scorecard_version=version).order_by().aggregate(**sums)
    return {
        c["key"]: (
            c.get("label") or c["key"],
            row[f"present{i}"] - row[f"na{i}"],
            row[f"failed{i}"],
        )
        for i, c in enumerate(listed)
    }


def _criterion_figure(key: str, label: str, scored: int, failed: int) -> CriterionFigure:
    if not scored:
        return CriterionFigure(key, label, 0, 0, None, None, None)
    low, high = wilson_interval(scored - failed, scored, CONFIDENCE)
    return CriterionFigure(
        key, label, scored, failed, 100 * (scored - failed) / scored, 100 * low, 100 * high
    )


def top_failed(
    criteria_figures: Sequence[CriterionFigure], count: int = 5
) -> list[CriterionFigure]:
    return [c for c in criteria_figures if c.failed][:count]


@dataclass(frozen=True)
class Report:
    filters: Filters
    overall: Figure
    dimensions: dict[str, list[Figure]]
    criteria: list[CriterionFigure]
    trend: list[Figure]

    @property
    def top_failed(self) -> list[CriterionFigure]:
        return top_failed(self.criteria)


def report(filters: Filters) -> Report:
    """The whole report for a period: overall, every dimension, criteria, weekly trend."""
    overall = figure("all", "All evaluations", total_sums(evaluations(filters)))
    return Report(
        filters=filters,
        overall=overall,
        dimensions={d: by_dimension(filters, d) for d in DIMENSIONS},
        criteria=criteria(filters),
        trend=trend(filters),
    )


# --- the quality SLA: the clients' monthly reports and billing's quality credits ----------


def sla_figures(client_ids: Sequence[int], first: date, last: date) -> list[SlaFigure]:
    """Per engagement and work type with an active sampling rule or evaluations in the
    period: the quality score and accuracy against the rule's targets."""
    filters = Filters(client_ids=client_ids, first=first, last=last)
    groups = dict(
        grouped_sums(
            evaluations(filters), ("engagement_id", "scorecard_version__scorecard__work_type")
        )
    )
    rules = {
        (rule.engagement_id, rule.work_type): rule
        for rule in SamplingRule.objects.filter(client_id__in=list(client_ids), is_active=True)
    }
    keys = sorted(set(groups) | set(rules))
    names = dict(Engagement.objects.filter(pk__in={k[0] for k in keys}).values_list("pk", "name"))
    shared = {k[0] for k in keys if sum(1 for other in keys if other[0] == k[0]) > 1}
    figures: list[SlaFigure] = []
    for key in keys:
        name = names.get(key[0], "Engagement")
        if key[0] in shared:
            name = f"{name} ({_work_type_title(key[1])})"
        figures += _sla_pair(name, groups.get(key, Sums()), rules.get(key))
    return figures


def _work_type_title(key: str | None) -> str:
    found = registry.find(key) if key else None
    return found.title if found is not None else "other work"


def _sla_pair(name: str, sums: Sums, rule: SamplingRule | None) -> list[SlaFigure]:
    measured = figure(name, name, sums)
    quality_target = None if rule is None else float(rule.quality_target)
    accuracy_target = None if rule is None else float(rule.accuracy_target)
    return [
        SlaFigure(
            engagement=name,
            label="Quality score",
            value=_rounded(measured.score),
            target=quality_target,
            unit="%",
            sample=measured.evaluations,
            low=_rounded(measured.score_low),
            high=_rounded(measured.score_high),
        ),
        SlaFigure(
            engagement=name,
            label="Accuracy",
            value=_rounded(measured.accuracy),
            target=accuracy_target,
            unit="%",
            sample=measured.checked,
            low=_rounded(measured.accuracy_low),
            high=_rounded(measured.accuracy_high),
        ),
    ]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


BILLING_COLUMNS = (
    "engagement",
    "month",
    "measure",
    "target_percent",
    "result_percent",
    "met",
    "sample",
    "interval_low_percent",
    "interval_high_percent",
)


def billing_rows(client_ids: Sequence[int], month: date) -> list[dict[str, Any]]:
    """The month's quality SLA per engagement, for billing's quality credits."""
    first, last = month_bounds(month)
    rows = []
    for f in sla_figures(client_ids, first, last):
        met = f.is_met
        rows.append(
            {
                "engagement": f.engagement,
                "month": f"{first:%Y-%m}",
                "measure": f.label,
                "target_percent": "" if f.target is None else f"{f.target:.2f}",
                "result_percent": "" if f.value is None else f"{f.value:.2f}",
                "met": "" if met is None else ("yes" if met else "no"),
                "sample": f.sample,
                "interval_low_percent": "" if f.low is None else f"{f.low:.2f}",
                "interval_high_percent": "" if f.high is None else f"{f.high:.2f}",
            }
        )
    return rows
