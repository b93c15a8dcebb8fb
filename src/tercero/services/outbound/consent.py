"""Consent records: a person's permission to be called (or called by an automated dialler,
or texted), with where it came from and the evidence. Kept as the number's keyed hash;
recording or withdrawing one scrubs the client's unfinished leads with that number."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from tercero.platform.audit.services import record
from tercero.platform.errors import InvalidInput
from tercero.services.outbound import numbers, scrub
from tercero.services.outbound.models import Consent


def record_consent(
    *,
    actor,
    client_id: int,
    number: str,
    source: str,
    obtained_at: datetime,
    scope: str = "calls",
    evidence: str = "",
    region: str = "US",
) -> Consent:
    if scope not in Consent.Scope.values:
        raise InvalidInput("Unknown scope.", fields={"scope": "calls, automated or sms"})
    if not source.strip():
        raise InvalidInput("Say where the consent came from.", fields={"source": "required"})
    if timezone.is_naive(obtained_at):
        raise InvalidInput("Give the moment with its offset.", fields={"obtained_at": "e.g. Z"})
    if obtained_at > timezone.now():
        raise InvalidInput(
            "Consent cannot be obtained in the future.", fields={"obtained_at": "future"}
        )
    try:
        plain = numbers.e164(number, region)
    except numbers.BadNumber as error:
        raise InvalidInput("That is not a phone number.", fields={"number": str(error)}) from None
    phone_hash = numbers.phone_hash(client_id, plain)
    with transaction.atomic():
        consent = Consent.objects.create(
            client_id=client_id,
            phone_hash=phone_hash,
            source=source.strip()[:120],
            obtained_at=obtained_at,
            scope=scope,
            evidence=evidence[:500],
        )
        scrub.rescrub(client_id=client_id, hashes=[phone_hash])
        record(
            action="outbound.consent.recorded",
            actor=actor,
            client=client_id,
            object_type="consent",
            object_id=consent.pk,
            payload={"scope": scope, "source": consent.source},
        )
    return consent


def withdraw(*, actor, consent: Consent) -> Consent:
    if consent.withdrawn_at is not None:
        return consent
    with transaction.atomic():
        consent.withdrawn_at = timezone.now()
        consent.save(update_fields=["withdrawn_at"])
        scrub.rescrub(client_id=consent.client_id, hashes=[consent.phone_hash])
        record(
            action="outbound.consent.withdrawn",
            actor=actor,
            client=consent.client_id,
            object_type="consent",
            object_id=consent.pk,
            payload={"scope": consent.scope},
        )
    return consent
