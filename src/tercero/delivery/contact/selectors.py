"""Reads of verification pages and contact verifications, within the caller's clients."""

from datetime import datetime

from django.db.models import Q, QuerySet

from tercero.delivery.contact import details
from tercero.delivery.contact.models import ContactVerification, VerificationPage
from tercero.platform.errors import DomainError, NotFound
from tercero.platform.security.crypto import lookup_hash
from tercero.platform.tenancy.scoping import all_clients_scope

Direction = ContactVerification.Direction
Status = ContactVerification.Status
STATES = ("active", "expired", "confirmed", "failed", "ended")


def public_page(*, slug: str) -> VerificationPage:
    """The active page at /verify/<slug>/. Anonymous requests have no client scope, so
    this one exact lookup runs across clients; everything the page does afterwards runs
    in the scope of the page's own client only."""
    with all_clients_scope():
        found = VerificationPage.objects.filter(slug=slug, is_active=True).first()
    if found is None:
        raise NotFound("No such verification page.")
    return found


def pages(*, client_ids: list[int]) -> QuerySet[VerificationPage]:
    return VerificationPage.objects.filter(client_id__in=client_ids)


def access_page(*, client_ids: list[int], page_id: int) -> VerificationPage:
    found = VerificationPage.objects.filter(client_id__in=client_ids, pk=page_id).first()
    if found is None:
        raise NotFound("Verification page not found.")
    return found


def page_of(*, client_id: int) -> VerificationPage | None:
    return VerificationPage.objects.filter(client_id=client_id, is_active=True).first()


def state_filter(state: str, *, now: datetime) -> Q:
    """Verifications in `state` now: an active code past its time counts as expired."""
    if state == "active":
        return Q(status=Status.ACTIVE, expires_at__gt=now)
    if state == "expired":
        return Q(status=Status.ACTIVE, expires_at__lte=now)
    return Q(status=state)


def verifications(
    *,
    client_ids: list[int],
    now: datetime,
    direction: str | None = None,
    state: str | None = None,
    channel: str | None = None,
    agent_id: int | None = None,
    contact_hashes: list[str] | None = None,
) -> QuerySet[ContactVerification]:
    found = ContactVerification.objects.filter(client_id__in=client_ids).select_related(
        "agent", "client"
    )
    if direction:
        found = found.filter(direction=direction)
    if state:
        found = found.filter(state_filter(state, now=now))
    if channel:
        found = found.filter(channel=channel)
    if agent_id is not None:
        found = found.filter(agent_id=agent_id)
    if contact_hashes is not None:
        found = found.filter(contact_hash__in=contact_hashes)
    return found


def contact_hashes(*, client_ids: list[int], contact: str) -> list[str]:
    """The keyed hashes of a typed phone number or address in each of `client_ids` that
    has any verification (so its lookup key exists); [] when it is neither."""
    try:
        detail = details.parse_any(contact)
    except DomainError:
        return []
    with_any = set(
        ContactVerification.objects.filter(client_id__in=client_ids).values_list(
            "client_id", flat=True
        )
    )
    return [lookup_hash(client_id, detail.key) for client_id in sorted(with_any)]


def access_verification(*, client_ids: list[int], verification_id: int) -> ContactVerification:
    found = (
        ContactVerification.objects.filter(client_id__in=client_ids, pk=verification_id)
        .select_related("agent", "client")
        .first()
    )
    if found is None:
        raise NotFound("Verification not found.")
    return found


def recently_used(
    *, client_id: int, contact_hash: str, since: datetime
) -> QuerySet[ContactVerification]:
    """Outbound codes for this contact confirmed since `since` (a code works once)."""
    return ContactVerification.objects.filter(
        client_id=client_id,
        direction=Direction.OUTBOUND,
        contact_hash=contact_hash,
        status=Status.CONFIRMED,
        used_at__gte=since,
    ).select_related("agent")
