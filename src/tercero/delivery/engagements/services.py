"""Changes to engagements. Each writes its audit event; edits check `version`."""

from django.db import IntegrityError, transaction
from django.db.models import F
from pydantic import TypeAdapter, ValidationError

from tercero.delivery.engagements import calendar, complexity, lifecycle
from tercero.delivery.engagements.models import Engagement
from tercero.platform import catalogue
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, IllegalTransition, InvalidInput

_SLA_TARGETS = TypeAdapter(list[calendar.SlaTarget])
_RATES = TypeAdapter(list[calendar.Rate])
_WORKING_HOURS = TypeAdapter(calendar.WorkingHours)


def create_engagement(*, actor, client, **fields) -> Engagement:
    engagement = Engagement(client=client, **fields)
    _validate(engagement)
    _assess(engagement)
    try:
        with transaction.atomic():
            engagement.save()
            record(
                action="engagement.created",
                actor=actor,
                client=client,
                object_type="engagement",
                object_id=engagement.pk,
                payload={"fields": sorted(fields)},
            )
    except IntegrityError as error:
        raise Conflict(
            "This client already has an engagement with that name.", fields={"name": "already used"}
        ) from error
    return engagement


def update_engagement(*, actor, engagement: Engagement, version: int, changes: dict) -> Engagement:
    """Apply `changes` if nobody changed the engagement since `version`."""
    for name, value in changes.items():
        setattr(engagement, name, value)
    _validate(engagement)
    _assess(engagement)
    with transaction.atomic():
        updated = Engagement.objects.filter(pk=engagement.pk, version=version).update(
            **{name: getattr(engagement, name) for name in _saved_fields(changes)},
            version=F("version") + 1,
        )
        if not updated:
            raise Conflict(
                "The engagement changed since you loaded it; reload and retry.",
                code="stale_version",
            )
        record(
            action="engagement.updated",
            actor=actor,
            client=engagement.client_id,
            object_type="engagement",
            object_id=engagement.pk,
            payload={"fields": sorted(changes)},
        )
    engagement.refresh_from_db()
    return engagement


def change_engagement_status(
    *, actor, engagement: Engagement, status: str, reason: str = ""
) -> Engagement:
    allowed = lifecycle.allowed_moves(engagement.status)
    if status not in allowed:
        raise IllegalTransition(
            f"An engagement cannot move from {engagement.status} to {status}.",
            allowed=list(allowed),
        )
    with transaction.atomic():
        Engagement.objects.filter(pk=engagement.pk).update(status=status, version=F("version") + 1)
        record(
            action="engagement.status_changed",
            actor=actor,
            client=engagement.client_id,
            object_type="engagement",
            object_id=engagement.pk,
            reason=reason,
            payload={"from": engagement.status, "to": status},
        )
    engagement.refresh_from_db()
    return engagement


def _saved_fields(changes: dict) -> set[str]:
    return set(changes) | {"complexity_score", "complexity_band", "complexity_breakdown"}


def _assess(engagement: Engagement) -> None:
    result = complexity.assess(engagement.complexity_inputs())
    engagement.complexity_score = result["score"]
    engagement.complexity_band = result["band"]
    engagement.complexity_breakdown = result["breakdown"]


def _validate_service_line(key: str) -> None:
    offered = catalogue.offerings()
    if key not in offered:
        raise ValueError(f"not a service line the installed modules run ({', '.join(offered)})")


def _validate(engagement: Engagement) -> None:
    problems: dict[str, str] = {}
    checks = (
        ("time_zone", lambda: calendar.validate_time_zone(engagement.time_zone)),
        (
            "holiday_country",
            lambda: calendar.validate_holidays(
                engagement.holiday_country, engagement.holiday_subdivision
            ),
        ),
        (
            "working_hours",
            lambda: _WORKING_HOURS.validate_python({"days": engagement.working_hours}),
        ),
        ("sla_targets", lambda: _SLA_TARGETS.validate_python(engagement.sla_targets)),
        ("rates", lambda: _RATES.validate_python(engagement.rates)),
        ("service_line", lambda: _validate_service_line(engagement.service_line)),
    )
    for field, check in checks:
        try:
            check()
        except (ValueError, ValidationError) as error:
            problems[field] = _first_message(error)
    if problems:
        raise InvalidInput("The engagement is not valid.", fields=problems)


def _first_message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        return f"{where}: {first['msg']}" if where else first["msg"]
    return str(error)
