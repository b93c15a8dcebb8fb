"""Changes to clients. Each writes its audit event."""

from django.core.exceptions import ValidationError
from django.db import transaction

from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, IllegalTransition, InvalidInput
from tercero.platform.identity.models import Grant, User
from tercero.platform.tenancy.models import (
    SESSION_HOURS_MAX,
    SESSION_HOURS_MIN,
    Client,
    Provider,
)
from tercero.platform.tenancy.scoping import client_scope

STATUS_MOVES = {
    Client.Status.PROSPECT: (Client.Status.ACTIVE, Client.Status.OFFBOARDED),
    Client.Status.ACTIVE: (Client.Status.SUSPENDED, Client.Status.OFFBOARDED),
    Client.Status.SUSPENDED: (Client.Status.ACTIVE, Client.Status.OFFBOARDED),
    Client.Status.OFFBOARDED: (),
}


def create_client(
    *,
    actor: User | None,
    provider: Provider,
    legal_name: str,
    country: str,
    time_zone: str,
    industry_vertical: str,
    status: str = Client.Status.PROSPECT,
) -> Client:
    """Onboard a client; its creator is granted access so they can reach it."""
    client = Client(
        provider=provider,
        legal_name=legal_name,
        country=country,
        time_zone=time_zone,
        industry_vertical=industry_vertical,
        status=status,
    )
    _validate(client)
    with transaction.atomic():
        client.save()
        if actor is not None and actor.is_provider_staff:
            with client_scope(clients=[client]):  # the new client is in no scope yet
                Grant.objects.create(
                    user=actor, client=client, granted_by=actor, reason="created the client"
                )
        record(
            action="client.created",
            actor=actor,
            client=client,
            object_type="client",
            object_id=client.pk,
            payload={"fields": ["country", "industry_vertical", "legal_name", "time_zone"]},
        )
    return client


def update_client(*, actor: User, client: Client, changes: dict[str, object]) -> Client:
    for name, value in changes.items():
        setattr(client, name, value)
    _validate(client)
    with transaction.atomic():
        client.save()
        record(
            action="client.updated",
            actor=actor,
            client=client,
            object_type="client",
            object_id=client.pk,
            payload={"fields": sorted(changes)},
        )
    return client


def change_client_status(*, actor: User, client: Client, status: str, reason: str = "") -> Client:
    allowed = STATUS_MOVES[Client.Status(client.status)]
    if status not in allowed:
        raise IllegalTransition(
            f"A client cannot move from {client.status} to {status}.",
            allowed=[str(move) for move in allowed],
        )
    previous, client.status = client.status, status
    with transaction.atomic():
        client.save(update_fields=["status", "updated_at"])
        record(
            action="client.status_changed",
            actor=actor,
            client=client,
            object_type="client",
            object_id=client.pk,
            reason=reason,
            payload={"from": previous, "to": status},
        )
    return client


def _validate(client: Client) -> None:
    try:
        client.full_clean(exclude=["provider"], validate_constraints=False)
    except ValidationError as error:
        fields = {name: " ".join(messages) for name, messages in error.message_dict.items()}
        raise InvalidInput("The client is not valid.", fields=fields) from error
    clash = Client.objects.filter(provider=client.provider, legal_name=client.legal_name)
    if clash.exclude(pk=client.pk).exists():
        raise Conflict(
            "A client with this legal name exists.", fields={"legal_name": "already used"}
        )


def set_session_hours(*, actor: User, provider: Provider, hours: int) -> Provider:
    """How long a session of the provider's people lives after sign-in, however busy:
    SESSION_HOURS_MIN to SESSION_HOURS_MAX hours (idle sessions still end sooner)."""
    if not SESSION_HOURS_MIN <= hours <= SESSION_HOURS_MAX:
        raise InvalidInput(
            f"A session lasts {SESSION_HOURS_MIN} to {SESSION_HOURS_MAX} hours; "
            f"{hours} is outside that.",
            fields={"session_hours": f"{SESSION_HOURS_MIN} to {SESSION_HOURS_MAX} hours"},
        )
    with transaction.atomic():
        before = provider.session_hours
        Provider.objects.filter(pk=provider.pk).update(session_hours=hours)
        provider.session_hours = hours
        record(
            action="provider.session_hours_changed",
            actor=actor,
            object_type="provider",
            object_id=provider.pk,
            payload={"from": before, "to": hours},
        )
    return provider
