"""Every change to schedules: templates and labour rules per site, starting a build,
publishing, editing a shift by hand and agents' time off. Keyword-only, one transaction
each, audited. The build itself runs in a worker (`building.run`)."""

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from tercero.delivery.scheduling import selectors
from tercero.delivery.scheduling.labour import LabourRules, PlannedShift, violations
from tercero.delivery.scheduling.models import (
    LabourRuleSet,
    Schedule,
    ScheduledShift,
    ShiftTemplate,
    Unavailability,
)
from tercero.platform.audit.services import record
from tercero.platform.errors import IllegalTransition, InvalidInput
from tercero.platform.versioning import update_versioned

if TYPE_CHECKING:
    from tercero.delivery.workforce.models import Agent, Site
    from tercero.platform.identity.models import User

MAX_DAYS = 42
MAX_TIME_LIMIT_SECONDS = 600


def _audit(
    action: str, actor: "User | None", object_type: str, object_id: int, **payload: Any
) -> None:
    record(
        action=action,
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        payload=payload,
    )


# --- templates and rules ----------------------------------------------------------------


def save_template(
    *,
    actor: "User",
    site: "Site",
    key: str,
    label: str,
    start: time,
    minutes: int,
    weekdays: list[int],
) -> ShiftTemplate:
    """Create the site's template `key`, or change it when it exists."""
    _check_template(minutes=minutes, weekdays=weekdays, label=label, key=key)
    with transaction.atomic():
        template, created = ShiftTemplate.objects.update_or_create(
            site=site,
            key=key,
            defaults={
                "label": label,
                "start": start,
                "minutes": minutes,
                "weekdays": sorted(set(weekdays)),
            },
        )
        _audit(
            "shift_template.created" if created else "shift_template.updated",
            actor,
            "shift_template",
            template.pk,
            site_id=site.pk,
            key=key,
        )
    return template


def _check_template(*, minutes: int, weekdays: list[int], label: str, key: str) -> None:
    problems = {}
    if not 30 <= minutes <= 24 * 60:
        problems["minutes"] = "a shift lasts from 30 minutes to 24 hours"
    if not weekdays or any(day not in range(7) for day in weekdays):
        problems["weekdays"] = "choose at least one day of the week"
    if not label.strip():
        problems["label"] = "give the shift a name"
    if not key or not key.replace("-", "").replace("_", "").isalnum():
        problems["key"] = "letters, digits, hyphens and underscores only"
    if problems:
        raise InvalidInput("The shift template is not valid.", fields=problems)


def delete_template(*, actor: "User", template: ShiftTemplate) -> None:
    with transaction.atomic():
        ShiftTemplate.objects.filter(pk=template.pk).delete()
        _audit("shift_template.deleted", actor, "shift_template", template.pk, key=template.key)


def save_labour_rules(*, actor: "User", site: "Site", values: dict[str, Any]) -> LabourRules:
    """Store the site's labour rules; rules that cannot hold are refused in words."""
    try:
        rules = LabourRules.from_dict(values)
    except ValueError as error:
        raise InvalidInput(str(error), code="invalid_rules") from error
    with transaction.atomic():
        stored, created = LabourRuleSet.objects.get_or_create(
            site=site, defaults={"rules": rules.to_dict()}
        )
        if not created:
            stored.rules = rules.to_dict()
            stored.version += 1
            stored.save(update_fields=["rules", "version", "updated_at"])
        _audit("labour_rules.updated", actor, "site", site.pk, fields=sorted(values))
    return rules


# --- building and publishing --------------------------------------------------------------


def start_build(
    *,
    actor: "User | None",
    name: str,
    sites: list["Site"],
    first_day: date,
    days: int,
    time_limit_seconds: int = 30,
) -> Schedule:
    """Create a schedule waiting for a worker to build it (the caller enqueues
    `tasks.build_schedule` once this commits)."""
    _check_build(sites=sites, days=days, time_limit_seconds=time_limit_seconds)
    with transaction.atomic():
        schedule = Schedule.objects.create(
            name=name.strip()[:100]
            or f"Schedule from {first_day:%A} {first_day.day} {first_day:%B %Y}",
            first_day=first_day,
            days=days,
            status=Schedule.Status.SOLVING,
            progress="Waiting for a worker to start.",
            time_limit_seconds=time_limit_seconds,
            created_by=actor,
            created_at=timezone.now(),
        )
        schedule.sites.set(sites)
        _audit(
            "schedule.requested",
            actor,
            "schedule",
            schedule.pk,
            site_ids=[site.pk for site in sites],
            first_day=first_day.isoformat(),
            days=days,
        )
    return schedule


def _check_build(*, sites: list["Site"], days: int, time_limit_seconds: int) -> None:
    if not sites:
        raise InvalidInput("Choose at least one site.", fields={"sites": "required"})
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(
            f"A schedule covers 1 to {MAX_DAYS} days.", fields={"days": "out of range"}
        )
    if not 5 <= time_limit_seconds <= MAX_TIME_LIMIT_SECONDS:
        raise InvalidInput(
            f"The time limit is 5 to {MAX_TIME_LIMIT_SECONDS} seconds.",
            fields={"time_limit_seconds": "out of range"},
        )
    bare = [site.name for site in sites if not selectors.templates_of(site=site).exists()]
    if bare:
        raise InvalidInput(
            "Add shift templates to these sites first: " + ", ".join(bare) + ".",
            code="no_templates",
        )
    if len({repr(selectors.rules_of(site=site)) for site in sites}) > 1:
        raise InvalidInput(
            "The sites' labour rules differ; schedule them separately or give them the same rules.",
            code="rules_differ",
        )


def publish(*, actor: "User", schedule: Schedule, version: int | None = None) -> Schedule:
    """Publish the schedule to its agents. A published schedule of the same sites whose
    days overlap is replaced: agents see only the latest."""
    allowed = (Schedule.Status.READY, Schedule.Status.REPLACED)
    if schedule.status not in allowed:
        raise IllegalTransition(
            "Only a built schedule can be published.", allowed=[str(s.label) for s in allowed]
        )
    now = timezone.now()
    with transaction.atomic():
        replaced = _overlapping_published(schedule)
        Schedule.objects.filter(pk__in=replaced).update(status=Schedule.Status.REPLACED)
        update_versioned(
            Schedule,
            pk=schedule.pk,
            version=schedule.version if version is None else version,
            changes={
                "status": Schedule.Status.PUBLISHED,
                "published_by": actor,
                "published_at": now,
            },
            what="schedule",
        )
        _audit("schedule.published", actor, "schedule", schedule.pk, replaced=replaced)
    schedule.refresh_from_db()
    return schedule


def _overlapping_published(schedule: Schedule) -> list[int]:
    end = schedule.first_day + timedelta(days=schedule.days)
    site_ids = list(schedule.sites.values_list("pk", flat=True))
    return [
        other.pk
        for other in Schedule.objects.filter(
            status=Schedule.Status.PUBLISHED, sites__in=site_ids, first_day__lt=end
        )
        .exclude(pk=schedule.pk)
        .distinct()
        if other.first_day + timedelta(days=other.days) > schedule.first_day
    ]


# --- editing a shift by hand ---------------------------------------------------------------


def edit_shift(
    *, actor: "User", shift: ScheduledShift, start_at: datetime, end_at: datetime, version: int
) -> ScheduledShift:
    """Move or resize a shift; refused, with the rule's own words, when the agent's
    shifts in the schedule would then break a labour rule."""
    if shift.schedule.status not in (Schedule.Status.READY, Schedule.Status.PUBLISHED):
        raise InvalidInput("Only the shifts of a built or published schedule can be edited.")
    if end_at <= start_at:
        raise InvalidInput("A shift ends after it starts.", fields={"end_at": "before start"})
    rules = selectors.rules_of(site=shift.agent.site)
    breaks = place_breaks(start_at, end_at, rules)
    planned = _planned_with(shift, start_at, end_at, breaks)
    found = violations(planned, rules, time_zones={shift.agent_id: shift.agent.site.time_zone})
    if found:
        raise InvalidInput(
            found[0].message,
            code="labour_rule",
            fields={"reasons": [v.message for v in found]},
        )
    changes = {
        "start_at": start_at,
        "end_at": end_at,
        "breaks": [[a.isoformat(), b.isoformat()] for a, b in breaks],
        "activities": activities_within(shift.activities, start_at, end_at),
        "edited_by": actor,
    }
    with transaction.atomic():
        update_versioned(
            ScheduledShift, pk=shift.pk, version=version, changes=changes, what="shift"
        )
        _audit(
            "shift.edited",
            actor,
            "scheduled_shift",
            shift.pk,
            schedule_id=shift.schedule_id,
            agent_id=shift.agent_id,
            start_at=start_at.isoformat(),
            end_at=end_at.isoformat(),
        )
    shift.refresh_from_db()
    return shift


def planned(shift: ScheduledShift) -> PlannedShift:
    """A stored shift as the labour rules read it."""
    return PlannedShift(
        agent_id=shift.agent_id,
        template=shift.template,
        start=shift.start_at,
        end=shift.end_at,
        breaks=tuple(
            (datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in shift.breaks
        ),
        serves=tuple(shift.serves),
    )


def _planned_with(
    shift: ScheduledShift,
    start_at: datetime,
    end_at: datetime,
    breaks: list[tuple[datetime, datetime]],
) -> list[PlannedShift]:
    others = ScheduledShift.objects.filter(schedule=shift.schedule, agent=shift.agent).exclude(
        pk=shift.pk
    )
    edited = PlannedShift(
        agent_id=shift.agent_id,
        template=shift.template,
        start=start_at,
        end=end_at,
        breaks=tuple(breaks),
        serves=tuple(shift.serves),
    )
    return sorted([planned(other) for other in others] + [edited], key=lambda s: s.start)


def place_breaks(
    start_at: datetime, end_at: datetime, rules: LabourRules
) -> list[tuple[datetime, datetime]]:
    """The breaks a shift of this length is owed, spread evenly through it."""
    length = end_at - start_at
    owed = rules.breaks_for(int(length.total_seconds() // 60))
    placed = []
    for index, rule in enumerate(owed, start=1):
        middle = start_at + length * index / (len(owed) + 1)
        begins = middle - timedelta(minutes=rule.break_minutes / 2)
        begins = begins.replace(second=0, microsecond=0)
        placed.append((begins, begins + timedelta(minutes=rule.break_minutes)))
    return placed


# --- neutral activities ------------------------------------------------------------------

ACTIVITY_KINDS = {
    "meeting": "Meeting",
    "training": "Training",
    "coaching": "Coaching",
    "exception": "Approved exception",
}


def add_activity(
    *,
    actor: "User",
    shift: ScheduledShift,
    start_at: datetime,
    end_at: datetime,
    kind: str,
    version: int,
) -> ScheduledShift:
    """Place a meeting, training, coaching or an approved exception over part of a
    shift: adherence counts that time as neutral, whatever the agent's presence."""
    _check_activity(shift=shift, start_at=start_at, end_at=end_at, kind=kind)
    activities = [*shift.activities, [start_at.isoformat(), end_at.isoformat(), kind]]
    with transaction.atomic():
        update_versioned(
            ScheduledShift,
            pk=shift.pk,
            version=version,
            changes={"activities": activities, "edited_by": actor},
            what="shift",
        )
        _audit(
            "shift.activity_added",
            actor,
            "scheduled_shift",
            shift.pk,
            schedule_id=shift.schedule_id,
            kind=kind,
            start_at=start_at.isoformat(),
            end_at=end_at.isoformat(),
        )
    shift.refresh_from_db()
    return shift


def _check_activity(
    *, shift: ScheduledShift, start_at: datetime, end_at: datetime, kind: str
) -> None:
    if kind not in ACTIVITY_KINDS:
        raise InvalidInput(
            "Choose a meeting, training, coaching or an approved exception.",
            fields={"kind": "unknown"},
        )
    if end_at <= start_at:
        raise InvalidInput("An activity ends after it starts.", fields={"end_at": "before start"})
    if start_at < shift.start_at or end_at > shift.end_at:
        raise InvalidInput(
            "An activity lies within its shift.", fields={"start_at": "outside the shift"}
        )
    if shift.schedule.status not in (Schedule.Status.READY, Schedule.Status.PUBLISHED):
        raise InvalidInput("Only the shifts of a built or published schedule can be changed.")


def activities_within(
    activities: list[list[str]], start_at: datetime, end_at: datetime
) -> list[list[str]]:
    """The activities that still lie within a shift moved to [start_at, end_at)."""
    return [
        item
        for item in activities
        if start_at <= datetime.fromisoformat(item[0]) and datetime.fromisoformat(item[1]) <= end_at
    ]


# --- time off ------------------------------------------------------------------------------


def add_unavailability(
    *, actor: "User", agent: "Agent", start_at: datetime, end_at: datetime, reason: str = ""
) -> Unavailability:
    """Keep the agent out of schedules built from now on for [start_at, end_at)."""
    if end_at <= start_at:
        raise InvalidInput("Time off ends after it starts.", fields={"end_at": "before start"})
    with transaction.atomic():
        away = Unavailability.objects.create(
            agent=agent, start_at=start_at, end_at=end_at, reason=reason[:200], created_by=actor
        )
        _audit("unavailability.added", actor, "agent", agent.pk, unavailability_id=away.pk)
    return away
