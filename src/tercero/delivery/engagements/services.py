"""Changes to engagements. Each writes its audit event; edits check `version`."""

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from pydantic import TypeAdapter, ValidationError

from tercero.delivery.engagements import calendar, complexity, lifecycle
from tercero.delivery.engagements.models import Engagement
from tercero.platform import catalogue
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, IllegalTransition, InvalidInput
from tercero.platform.identity.models import User
from tercero.platform.tenancy.models import Client

_SLA_TARGETS = TypeAdapter(list[calendar.SlaTarget])
_RATES = TypeAdapter(list[calendar.Rate])
_WORKING_HOURS = TypeAdapter(calendar.WorkingHours)
_REQUIRED_TERMS = (
    "name",
    "service_line",
    "category",
    "office",
    "orientation",
    "time_zone",
    "pricing_model",
)


def create_engagement(
    *,
    actor: User | None,
    client: Client,
    name: str,
    service_line: str,
    category: str,
    office: str,
    orientation: str,
    time_zone: str,
    pricing_model: str,
    scope: str | None = None,
    monthly_volume: int | None = None,
    process_steps: int | None = None,
    exception_rate_percent: float | None = None,
    systems_count: int | None = None,
    regulation: str | None = None,
    languages: list[str] | None = None,
    hours_of_cover: str | None = None,
    working_hours: dict[int, list[list[str]]] | None = None,
    holiday_country: str | None = None,
    holiday_subdivision: str | None = None,
    closures: list[dict[str, str]] | None = None,
    sla_targets: list[dict[str, Any]] | None = None,
    rates: list[dict[str, Any]] | None = None,
    channels: list[str] | None = None,
    residency_allowed_shores: list[str] | None = None,
    residency_allowed_countries: list[str] | None = None,
    status: str | None = None,
) -> Engagement:
    """A new engagement of `client`; a term left out (None) takes the model's default."""
    terms: dict[str, object] = {
        "scope": scope,
        "monthly_volume": monthly_volume,
        "process_steps": process_steps,
        "exception_rate_percent": exception_rate_percent,
        "systems_count": systems_count,
        "regulation": regulation,
        "languages": languages,
        "hours_of_cover": hours_of_cover,
        "working_hours": working_hours,
        "holiday_country": holiday_country,
        "holiday_subdivision": holiday_subdivision,
        "closures": closures,
        "sla_targets": sla_targets,
        "rates": rates,
        "channels": channels,
        "residency_allowed_shores": residency_allowed_shores,
        "residency_allowed_countries": residency_allowed_countries,
        "status": status,
    }
    given = {term: value for term, value in terms.items() if value is not None}
    engagement = Engagement(
        client=client,
        name=name,
        service_line=service_line,
        category=category,
        office=office,
        orientation=orientation,
        time_zone=time_zone,
        pricing_model=pricing_model,
        **given,
    )
    fields = [*_REQUIRED_TERMS, *given]
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


def update_engagement(
    *, actor: User, engagement: Engagement, version: int, changes: dict[str, Any]
) -> Engagement:
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
    *, actor: User, engagement: Engagement, status: str, reason: str = ""
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


def _saved_fields(changes: dict[str, Any]) -> set[str]:
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
