"""Changes to sites. Each writes its audit event."""

from django.core.exceptions import ValidationError
from django.db import transaction

from tercero.delivery.workforce.models import Site
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.tenancy.models import Provider

SITE_FIELDS = (
    "name",
    "country",
    "city",
    "time_zone",
    "languages",
    "hourly_cost_minor",
    "currency",
    "is_active",
)


def create_site(*, actor, provider: Provider, **fields) -> Site:
    site = Site(provider=provider, **fields)
    _validate(site)
    with transaction.atomic():
        site.save()
        record(
            action="site.created",
            actor=actor,
            object_type="site",
            object_id=site.pk,
            payload={"fields": sorted(fields)},
        )
    return site


def update_site(*, actor, site: Site, changes: dict) -> Site:
    unknown = set(changes) - set(SITE_FIELDS)
    if unknown:
        raise InvalidInput("Unknown site fields.", fields=dict.fromkeys(unknown, "unknown field"))
    for name, value in changes.items():
        setattr(site, name, value)
    _validate(site)
    with transaction.atomic():
        site.save()
        record(
            action="site.updated",
            actor=actor,
            object_type="site",
            object_id=site.pk,
            payload={"fields": sorted(changes)},
        )
    return site


def _validate(site: Site) -> None:
    try:
        site.full_clean(exclude=["provider"], validate_constraints=False)
    except ValidationError as error:
        raise InvalidInput("The site is not valid.", fields=_messages(error)) from error
    clash = Site.objects.filter(provider=site.provider, name=site.name).exclude(pk=site.pk)
    if clash.exists():
        raise Conflict("A site with this name exists.", fields={"name": "already used"})


def _messages(error: ValidationError) -> dict[str, str]:
    return {name: " ".join(messages) for name, messages in error.message_dict.items()}
