"""Delivery options: for an engagement's scope, the provider's sites side by side, with
the agents each would need, what they would cost a month, which of the engagement's
languages the site speaks, how much of the client's business day it covers, and whether
the engagement's data residency allows it.

The rules, as a client would read them:

- Work arrives evenly over the hours of cover and is
  staffed by Erlang C to the service target; the agents include the site's shrinkage
  (time paid but not on the work: breaks, training, leave) as the site states it.
- Seat hours a month are the fractional agents per half hour times the hours of cover in
  an average month (52 weeks / 12); cost a month is seat hours times the site's hourly
  cost. An FTE is FTE_HOURS_PER_MONTH paid hours.
- Overlap: the hours of the client's business week (the engagement's working hours, in
  its time zone; 24/7 counts every hour) that fall within the site's working day,
  08:00 to 20:00 local time, any day of the week, measured on the reference week of
  6 January 2025 (so the answer does not change with the season).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tercero.delivery.engagements.models import Engagement
from tercero.delivery.engagements.residency import site_satisfies_residency
from tercero.delivery.planning import staffing
from tercero.delivery.workforce import selectors as workforce
from tercero.delivery.workforce.models import Site
from tercero.delivery.workforce.shore import shore_of
from tercero.web.money import format_money

DEFAULT_AHT_SECONDS = 300.0
DEFAULT_TARGET = 0.8
DEFAULT_ANSWER_SECONDS = 20
WEEKS_PER_MONTH = 52 / 12
FTE_HOURS_PER_MONTH = 40 * WEEKS_PER_MONTH
SITE_DAY = (time(8), time(20))
REFERENCE_MONDAY = date(2025, 1, 6)
HALF_HOUR = 30


@dataclass(frozen=True)
class Scope:
    """What the client wants done: volume a month, handle time and service target."""

    monthly_volume: int
    aht_seconds: float = DEFAULT_AHT_SECONDS
    target: float = DEFAULT_TARGET
    answer_seconds: int = DEFAULT_ANSWER_SECONDS


@dataclass(frozen=True)
class SiteOption:
    site: Site
    shore: str
    agents: int
    agents_raw: float
    shrinkage: float  # the site's own figure
    seat_hours: float
    fte: float
    cost_minor: int
    currency: str
    languages_covered: tuple[str, ...]
    languages_missing: tuple[str, ...]
    overlap_hours: float
    residency_allowed: bool


@dataclass(frozen=True)
class Comparison:
    engagement: Engagement
    scope: Scope
    cover_hours_per_week: float
    calls_per_half_hour: float
    options: tuple[SiteOption, ...]


def compare(*, engagement: Engagement, sites: Sequence[Site], scope: Scope) -> Comparison:
    """Every site's option for the engagement's scope, in the order given."""
    cover = cover_spans(engagement)
    hours = sum((end - start).total_seconds() for start, end in cover) / 3600
    half_hours = hours * 2 * WEEKS_PER_MONTH
    calls = scope.monthly_volume / half_hours if half_hours else 0.0
    options = tuple(
        _option(engagement, site, scope, cover=cover, calls=calls, cover_hours=hours)
        for site in sites
    )
    return Comparison(engagement, scope, round(hours, 2), round(calls, 2), options)


def compare_engagement(
    *,
    engagement: Engagement,
    monthly_volume: int | None = None,
    aht_seconds: float = DEFAULT_AHT_SECONDS,
    target: float = DEFAULT_TARGET,
    answer_seconds: int = DEFAULT_ANSWER_SECONDS,
) -> Comparison:
    """The provider's active sites for the engagement; the volume is the engagement's
    monthly volume unless another is given."""
    scope = Scope(
        monthly_volume=engagement.monthly_volume if monthly_volume is None else monthly_volume,
        aht_seconds=aht_seconds,
        target=target,
        answer_seconds=answer_seconds,
    )
    sites = list(workforce.sites(is_active=True))
    return compare(engagement=engagement, sites=sites, scope=scope)


def _option(
    engagement: Engagement,
    site: Site,
    scope: Scope,
    *,
    cover: list[tuple[datetime, datetime]],
    calls: float,
    cover_hours: float,
) -> SiteOption:
    shrinkage = site.shrinkage
    raw = _agents_raw(scope, calls=calls, shrinkage=shrinkage)
    seat_hours = raw * cover_hours * WEEKS_PER_MONTH
    wanted = tuple(engagement.languages)
    return SiteOption(
        site=site,
        shore=shore_of(site, engagement.client).label,
        agents=max(0, math.ceil(raw - 1e-9)),
        agents_raw=round(raw, 2),
        shrinkage=shrinkage,
        seat_hours=round(seat_hours, 1),
        fte=round(seat_hours / FTE_HOURS_PER_MONTH, 1),
        cost_minor=round(seat_hours * site.hourly_cost_minor),
        currency=site.currency,
        languages_covered=tuple(code for code in wanted if code in site.languages),
        languages_missing=tuple(code for code in wanted if code not in site.languages),
        overlap_hours=round(overlap_hours(cover, site.time_zone), 2),
        residency_allowed=site_satisfies_residency(engagement, site),
    )


def _agents_raw(scope: Scope, *, calls: float, shrinkage: float) -> float:
    """Fractional agents on an average half hour of cover (the volume spread evenly)."""
    if calls <= 0:
        return 0.0
    return staffing.staff(
        "erlang_c",
        calls=calls,
        aht_seconds=scope.aht_seconds,
        interval_minutes=HALF_HOUR,
        target=scope.target,
        answer_seconds=scope.answer_seconds,
        shrinkage=shrinkage,
    ).agents_raw


def cover_spans(engagement: Engagement) -> list[tuple[datetime, datetime]]:
    """The client's business week (reference week) as UTC spans."""
    zone = ZoneInfo(engagement.time_zone)
    monday = datetime.combine(REFERENCE_MONDAY, time(0), tzinfo=zone)
    if engagement.is_24_7:
        return [(monday.astimezone(UTC), (monday + timedelta(days=7)).astimezone(UTC))]
    spans = []
    for weekday, pairs in sorted(engagement.working_hours.items(), key=lambda kv: int(kv[0])):
        day = REFERENCE_MONDAY + timedelta(days=int(weekday))
        for start, end in pairs:
            begin = datetime.combine(day, time.fromisoformat(start), tzinfo=zone)
            finish = (
                datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
                if end == "24:00"
                else datetime.combine(day, time.fromisoformat(end), tzinfo=zone)
            )
            if finish > begin:
                spans.append((begin.astimezone(UTC), finish.astimezone(UTC)))
    return spans


def overlap_hours(cover: Sequence[tuple[datetime, datetime]], site_time_zone: str) -> float:
    """Hours of `cover` inside the site's 08:00-20:00 local day, on any day."""
    zone = ZoneInfo(site_time_zone)
    seconds = 0.0
    for offset in range(-1, 9):  # site days around the reference week, either side
        day = REFERENCE_MONDAY + timedelta(days=offset)
        open_at = datetime.combine(day, SITE_DAY[0], tzinfo=zone).astimezone(UTC)
        close_at = datetime.combine(day, SITE_DAY[1], tzinfo=zone).astimezone(UTC)
        for start, end in cover:
            seconds += max(0.0, (min(end, close_at) - max(start, open_at)).total_seconds())
    return seconds / 3600


def as_dict(found: Comparison) -> dict[str, Any]:
    """The comparison as the API answers it (money in minor units and in words)."""
    return {
        "engagement_id": found.engagement.pk,
        "monthly_volume": found.scope.monthly_volume,
        "aht_seconds": found.scope.aht_seconds,
        "cover_hours_per_week": found.cover_hours_per_week,
        "calls_per_half_hour": found.calls_per_half_hour,
        "sites": [_site_dict(option) for option in found.options],
    }


def _site_dict(option: SiteOption) -> dict[str, Any]:
    return {
        "site_id": option.site.pk,
        "site": option.site.name,
        "city": option.site.city,
        "country": option.site.country,
        "shore": option.shore,
        "agents": option.agents,
        "agents_raw": option.agents_raw,
        "shrinkage": option.shrinkage,
        "fte": option.fte,
        "seat_hours_per_month": option.seat_hours,
        "cost_per_month_minor": option.cost_minor,
        "cost_per_month": format_money(option.cost_minor, option.currency),
        "currency": option.currency,
        "languages_covered": list(option.languages_covered),
        "languages_missing": list(option.languages_missing),
        "overlap_hours_per_week": option.overlap_hours,
        "residency_allowed": option.residency_allowed,
    }
