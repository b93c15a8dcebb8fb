"""A queue's arrival history per interval, in the client's time zone: the engine's own
items counted by the time they were created, with the mean time agents spent on them,
merged with history the client imported from CSV before the queue came to the engine.

Where an interval has both, the imported figure stands: it is the client's record of a
period the engine saw only in part (the weeks around go-live). Intervals are whole steps
of 15 or 30 minutes from a start aligned to the step in the client's wall-clock time;
daylight-saving shifts move clocks by whole hours, so that alignment holds all year.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMinute

from tercero.delivery.planning.models import HistoryPoint
from tercero.delivery.work.models import Queue, WorkItem

# How far back a forecast looks: enough weeks for weekly seasonality and a held-out week.
LOOKBACK_WEEKS = 12


@dataclass(frozen=True)
class History:
    """Arrivals and mean handle seconds (None where nothing was handled) per interval."""

    start: datetime
    step_minutes: int
    arrivals: tuple[float, ...]
    handle_seconds: tuple[float | None, ...]
    time_zone: str
    imported_intervals: int

    @property
    def end(self) -> datetime:
        """Where the history stops (real time: a day across DST has 23 or 25 hours)."""
        length = timedelta(minutes=self.step_minutes * len(self.arrivals))
        return (self.start.astimezone(UTC) + length).astimezone(self.start.tzinfo)


@dataclass
class _Bucket:
    arrivals: float = 0.0
    handled: int = 0
    handle_total: float = 0.0
    imported_handle: float | None = None
    is_imported: bool = False

    @property
    def handle_seconds(self) -> float | None:
        if self.is_imported:
            return self.imported_handle
        return self.handle_total / self.handled if self.handled else None


def floor_to_step(moment: datetime, *, step_minutes: int, time_zone: str) -> datetime:
    """The start of the interval holding `moment`, in the client's wall-clock time."""
    local = moment.astimezone(ZoneInfo(time_zone))
    minute = local.minute - local.minute % step_minutes
    return local.replace(minute=minute, second=0, microsecond=0)


def arrival_history(
    *,
    queue: Queue,
    step_minutes: int,
    until: datetime,
    weeks: int = LOOKBACK_WEEKS,
    since: datetime | None = None,
) -> History:
    """The queue's history in whole intervals before `until` (at most `weeks` back),
    from its first recorded arrival, or from `since` (every interval, even empty)."""
    time_zone = queue.client.time_zone
    end = floor_to_step(until, step_minutes=step_minutes, time_zone=time_zone)
    earliest = since or end - timedelta(weeks=weeks)
    buckets: dict[datetime, _Bucket] = {}
    _add_engine(buckets, queue=queue, since=earliest, end=end)
    _add_imported(buckets, queue=queue, step_minutes=step_minutes, since=earliest, end=end)
    if not buckets and since is None:
        return History(end, step_minutes, (), (), time_zone, 0)
    first = since or min(buckets)
    start = floor_to_step(first, step_minutes=step_minutes, time_zone=time_zone)
    return _series(buckets, start=start, end=end, step_minutes=step_minutes, time_zone=time_zone)


def _series(
    buckets: dict[datetime, _Bucket],
    *,
    start: datetime,
    end: datetime,
    step_minutes: int,
    time_zone: str,
) -> History:
    # arithmetic in UTC: Python subtracts two times of one zone on the wall clock
    step, origin = timedelta(minutes=step_minutes), start.astimezone(UTC)
    count = int((end.astimezone(UTC) - origin) / step)
    merged = [_Bucket() for _ in range(count)]
    for moment, bucket in buckets.items():
        index = int((moment.astimezone(UTC) - origin) // step)
        if 0 <= index < count:
            _merge(merged[index], bucket)
    return History(
        start=start,
        step_minutes=step_minutes,
        arrivals=tuple(b.arrivals for b in merged),
        handle_seconds=tuple(b.handle_seconds for b in merged),
        time_zone=time_zone,
        imported_intervals=sum(1 for b in merged if b.is_imported),
    )


def _merge(into: _Bucket, bucket: _Bucket) -> None:
    """Add a minute's engine counts, unless the interval has imported history, which
    replaces them."""
    if bucket.is_imported:
        into.arrivals, into.imported_handle = bucket.arrivals, bucket.imported_handle
        into.is_imported = True
    elif not into.is_imported:
        into.arrivals += bucket.arrivals
        into.handled += bucket.handled
        into.handle_total += bucket.handle_total


def _add_engine(
    buckets: dict[datetime, _Bucket], *, queue: Queue, since: datetime, end: datetime
) -> None:
    """Items that arrived in the queue, per minute (the database groups and counts)."""
    rows = (
        WorkItem.objects.filter(
            client_id=queue.client_id, queue=queue, created_at__gte=since, created_at__lt=end
        )
        .annotate(minute=TruncMinute("created_at", tzinfo=UTC))
        .values("minute")
        .annotate(
            arrivals=Count("id"),
            handled=Count("id", filter=Q(handle_seconds__gt=0)),
            handle_total=Sum("handle_seconds", filter=Q(handle_seconds__gt=0)),
        )
        .order_by()
    )
    for row in rows:
        bucket = buckets.setdefault(row["minute"], _Bucket())
        bucket.arrivals += row["arrivals"]
        bucket.handled += row["handled"]
        bucket.handle_total += float(row["handle_total"] or 0)


def _add_imported(
    buckets: dict[datetime, _Bucket],
    *,
    queue: Queue,
    step_minutes: int,
    since: datetime,
    end: datetime,
) -> None:
    points = HistoryPoint.objects.filter(
        client_id=queue.client_id,
        queue=queue,
        step_minutes=step_minutes,
        start_at__gte=since,
        start_at__lt=end,
    ).values_list("start_at", "arrivals", "handle_seconds")
    for start_at, arrivals, handle_seconds in points:
        bucket = buckets.setdefault(start_at, _Bucket())
        bucket.arrivals, bucket.imported_handle = float(arrivals), handle_seconds
        bucket.is_imported = True


def special_days(*, queue: Queue, years: Iterable[int]) -> frozenset[date]:
    """The engagement calendar's public holidays and the client's closure days."""
    engagement = queue.engagement
    found: set[date] = set()
    if engagement.holiday_country:
        found |= set(
            holidays.country_holidays(
                engagement.holiday_country,
                subdiv=engagement.holiday_subdivision or None,
                years=list(years),
            ).keys()
        )
    for closure in engagement.closures:
        found.add(date.fromisoformat(closure["date"] if isinstance(closure, dict) else closure))
    return frozenset(found)
