"""Obligations of both sides: what the client (or the provider) must supply for an
engagement and by when, each due moment an occurrence that is met (when, by whom) or
recorded late by the periodic job once the moment passes unmet.

A late client obligation excuses SLA measurements, shown wherever they are left out:
for each measure it names (an SLA clock: "first_response", "resolution", "turnaround"),
an item of the engagement (of its work type, when one is named) whose deadline for that
clock falls in the excuse window is not measured. The window runs from the due moment
to the moment the obligation was met (now, while still unmet) plus `excuse_days` days:
the delay itself, and the days the work needs to catch up after it."""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from tercero.governance.billing.models import Obligation, ObligationOccurrence
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput, PermissionDenied
from tercero.platform.tenancy.models import Client

EXCUSABLE = ("first_response", "resolution", "turnaround")
FIELDS = (
    "title",
    "side",
    "due_date",
    "monthly_day",
    "due_time",
    "measures",
    "work_type",
    "excuse_days",
)


@dataclass(frozen=True)
class Excuse:
    """A late client obligation's window, and the measures it excuses in it."""

    occurrence_id: int
    title: str
    measures: tuple[str, ...]
    work_type: str
    start: datetime
    end: datetime

    def covers(self, *, measure: str, work_type: str, deadline: datetime | None) -> bool:
        return (
            deadline is not None
            and measure in self.measures
            and (not self.work_type or self.work_type == work_type)
            and self.start <= deadline <= self.end
        )


def _audit(actor, action: str, obj, payload: dict[str, Any] | None = None) -> None:
    record(
        action=f"billing.{action}",
        actor=actor,
        client=obj.client_id,
        object_type=type(obj).__name__.lower(),
        object_id=obj.pk,
        payload=payload or {},
    )


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    """The obligation's fields checked, or InvalidInput naming each problem."""
    problems: dict[str, str] = {}
    title = str(fields.get("title") or "").strip()
    if not title:
        problems["title"] = "required"
    if fields.get("side") not in Obligation.Side.values:
        problems["side"] = "client or provider"
    due_date, monthly_day = fields.get("due_date"), fields.get("monthly_day")
    if (due_date is None) == (monthly_day is None):
        problems["due_date"] = "give a due date or a day of the month, not both"
    elif monthly_day is not None and not 1 <= int(monthly_day) <= 28:
        problems["monthly_day"] = "a day from 1 to 28"
    measures = list(fields.get("measures") or [])
    if any(measure not in EXCUSABLE for measure in measures):
        problems["measures"] = "each one of " + ", ".join(EXCUSABLE)
    excuse_days = int(fields.get("excuse_days") or 0)
    if not 0 <= excuse_days <= 60:
        problems["excuse_days"] = "from 0 to 60"
    if problems:
        raise InvalidInput("The obligation is not complete.", fields=problems)
    return {
        "title": title[:200],
        "side": fields["side"],
        "due_date": due_date,
        "monthly_day": int(monthly_day) if monthly_day is not None else None,
        "due_time": fields.get("due_time") or time(17),
        "measures": sorted(set(measures)),
        "work_type": str(fields.get("work_type") or "")[:40],
        "excuse_days": excuse_days,
    }


def create_obligation(*, actor, engagement, fields: dict[str, Any]) -> Obligation:
    """A new obligation of one side for the engagement, with its next due moments."""
    clean = _clean(fields)
    with transaction.atomic():
        obligation = Obligation.objects.create(
            client_id=engagement.client_id, engagement=engagement, **clean
        )
        _audit(actor, "obligation.created", obligation, {"side": obligation.side})
        schedule(obligation=obligation, through=timezone.now() + timedelta(days=62))
    return obligation


def retire_obligation(*, actor, obligation: Obligation, version: int) -> Obligation:
    """Stop an obligation: no further due moments (past ones stay as they were)."""
    with transaction.atomic():
        locked = Obligation.objects.select_for_update().get(pk=obligation.pk)
        if locked.version != version:
            raise Conflict(
                "The obligation changed since you loaded it; reload and retry.",
                code="stale_version",
            )
        locked.is_active = False
        locked.version += 1
        locked.save(update_fields=["is_active", "version"])
        ObligationOccurrence.objects.filter(
            obligation=locked, status=ObligationOccurrence.Status.OPEN, due_at__gt=timezone.now()
        ).delete()
        _audit(actor, "obligation.retired", locked)
    return locked


def due_moment(obligation: Obligation, day: date, zone: str) -> datetime:
    """`day` at the obligation's due time in the client's time zone."""
    return datetime.combine(day, obligation.due_time, tzinfo=ZoneInfo(zone))


def _due_days(obligation: Obligation, start: date, end: date) -> list[date]:
    if obligation.due_date is not None:
        return [obligation.due_date] if start <= obligation.due_date <= end else []
    days, month = [], start.replace(day=1)
    while month <= end:
        day = month.replace(day=obligation.monthly_day or 1)
        if start <= day <= end:
            days.append(day)
        month = month + timedelta(days=calendar.monthrange(month.year, month.month)[1])
    return days


def schedule(*, obligation: Obligation, through: datetime) -> int:
    """Write the obligation's occurrences due up to `through` (from the month it was
    created, or its one due date); existing ones stay. Returns how many were new."""
    zone = Client.objects.get(pk=obligation.client_id).time_zone
    start = min(obligation.created_at.date().replace(day=1), obligation.due_date or date.max)
    made = 0
    end = max(through.date(), obligation.due_date or through.date())
    for day in _due_days(obligation, start, end):
        _, created = ObligationOccurrence.objects.get_or_create(
            client_id=obligation.client_id,
            obligation=obligation,
            due_at=due_moment(obligation, day, zone),
        )
        made += int(created)
    return made


def mark_met(
    *,
    actor,
    occurrence: ObligationOccurrence,
    version: int,
    met_at: datetime | None = None,
    note: str = "",
) -> ObligationOccurrence:
    """Record that the occurrence was met, when (now unless given) and by whom; one met
    after its due moment stays marked late."""
    with transaction.atomic():
        locked = ObligationOccurrence.objects.select_for_update().get(pk=occurrence.pk)
        if locked.version != version:
            raise Conflict(
                "The obligation changed since you loaded it; reload and retry.",
                code="stale_version",
            )
        if locked.status == ObligationOccurrence.Status.MET:
            raise Conflict("This obligation is already met.", code="already_met")
        moment = met_at or timezone.now()
        if moment > timezone.now():
            raise InvalidInput("It cannot be met in the future.", fields={"met_at": "in the past"})
        locked.status = ObligationOccurrence.Status.MET
        locked.met_at, locked.met_by, locked.note = moment, actor, note[:300]
        if moment > locked.due_at and locked.late_recorded_at is None:
            locked.late_recorded_at = locked.due_at
        locked.version += 1
        locked.save()
        _audit(
            actor,
            "obligation.met",
            locked,
            {"late": locked.was_late, "met_at": moment.isoformat()},
        )
    return locked


def record_late(*, now: datetime) -> int:
    """Mark every open occurrence whose due moment has passed as late (the periodic job,
    in the system scope), and schedule the coming two months. Returns how many turned late."""
    late = 0
    with transaction.atomic():
        for obligation in Obligation.objects.filter(is_active=True):
            schedule(obligation=obligation, through=now + timedelta(days=62))
        overdue = ObligationOccurrence.objects.select_for_update().filter(
            status=ObligationOccurrence.Status.OPEN, due_at__lt=now
        )
        for occurrence in overdue:
            occurrence.status = ObligationOccurrence.Status.LATE
            occurrence.late_recorded_at = now
            occurrence.version += 1
            occurrence.save(update_fields=["status", "late_recorded_at", "version"])
            _audit(
                None,
                "obligation.late_recorded",
                occurrence,
                {"due_at": occurrence.due_at.isoformat()},
            )
            late += 1
    return late


def excuses(*, client_id: int, engagement_id: int, first: datetime, last: datetime) -> list[Excuse]:
    """The windows of the engagement's late client obligations that touch [first, last]."""
    found = ObligationOccurrence.objects.filter(
        client_id=client_id,
        obligation__engagement_id=engagement_id,
        obligation__side=Obligation.Side.CLIENT,
        late_recorded_at__isnull=False,
        due_at__lte=last,
    ).select_related("obligation")
    windows = []
    for occurrence in found:
        obligation = occurrence.obligation
        end = (occurrence.met_at or timezone.now()) + timedelta(days=obligation.excuse_days)
        if end < first or not obligation.measures:
            continue
        windows.append(
            Excuse(
                occurrence_id=occurrence.pk,
                title=obligation.title,
                measures=tuple(obligation.measures),
                work_type=obligation.work_type,
                start=occurrence.due_at,
                end=end,
            )
        )
    return windows


def may_mark_met(caller, occurrence: ObligationOccurrence) -> None:
    """Provider managers mark either side's obligations; the client's people with billing
    read mark their own side's. PermissionDenied otherwise."""
    if "billing:manage" in caller.permissions:
        return
    own_side = occurrence.obligation.side == Obligation.Side.CLIENT
    if own_side and not caller.user.is_provider_staff and "billing:read" in caller.permissions:
        return
    raise PermissionDenied("You may not mark this obligation met.")
