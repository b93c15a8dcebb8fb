"""DKIM keys of a client's mail domains, made and switched on the mailbox set-up page.

A key is made waiting for its DNS record (nothing is signed with it yet); once the client
has published the record, *start signing* makes it the domain's signing key and retires
the one before (whose record should stay published for a week, while mail signed with it
is still being delivered and checked). Every change is audited; the private key never
leaves its sealed form except to sign."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput
from tercero.services.care import signing
from tercero.services.care.models import Mailbox, SigningKey


def _selector(value: str) -> str:
    selector = (value or "").strip().lower()
    if not signing.SELECTOR.match(selector):
        raise InvalidInput(
            "The selector is letters, digits and hyphens, up to 63 characters "
            "(dots may separate parts), for example tercero2026.",
            fields={"selector": "a DNS label such as tercero2026"},
        )
    return selector


def make_signing_key(*, actor, mailbox: Mailbox, selector: str) -> SigningKey:
    """A new key for the domain the mailbox sends from, waiting for its DNS record."""
    selector = _selector(selector)
    domain = mailbox.sending_domain
    if not signing.DOMAIN.match(domain):
        raise InvalidInput(
            "The sender address's domain cannot carry a DKIM record.",
            fields={"sender_address": "an address at a DNS domain"},
        )
    made = signing.make_key(client_id=mailbox.client_id, domain=domain, selector=selector)
    try:
        with transaction.atomic():
            key = SigningKey.objects.create(
                client_id=mailbox.client_id,
                domain=domain,
                selector=selector,
                private_key=made.private_sealed,
                public_key=made.public_key,
            )
            _audit("care.signing_key.created", actor, key)
    except IntegrityError:
        raise Conflict(
            f"The domain {domain} already has a key with the selector {selector}; "
            "choose another selector.",
            fields={"selector": "taken"},
        ) from None
    return key


def start_signing(*, actor, key: SigningKey) -> SigningKey:
    """Sign the domain's mail with `key` from now on; the key signing before is retired."""
    if key.status == SigningKey.Status.RETIRED:
        raise Conflict("A retired key does not sign again; make a new one.", code="retired")
    if key.status == SigningKey.Status.ACTIVE:
        return key
    now = timezone.now()
    with transaction.atomic():
        before = list(
            SigningKey.objects.select_for_update().filter(
                client_id=key.client_id, domain=key.domain, status=SigningKey.Status.ACTIVE
            )
        )
        for old in before:
            SigningKey.objects.filter(pk=old.pk).update(
                status=SigningKey.Status.RETIRED, retired_at=now
            )
            _audit("care.signing_key.retired", actor, old)
        updated = SigningKey.objects.filter(pk=key.pk, status=SigningKey.Status.PENDING).update(
            status=SigningKey.Status.ACTIVE, activated_at=now
        )
        if not updated:
            raise Conflict("The key changed meanwhile; reload the page.", code="stale")
        _audit("care.signing_key.activated", actor, key)
    key.refresh_from_db()
    return key


def retire_signing_key(*, actor, key: SigningKey) -> SigningKey:
    """Stop signing with `key` (the domain's mail then goes out unsigned)."""
    if key.status == SigningKey.Status.RETIRED:
        return key
    with transaction.atomic():
        SigningKey.objects.filter(pk=key.pk).update(
            status=SigningKey.Status.RETIRED, retired_at=timezone.now()
        )
        _audit("care.signing_key.retired", actor, key)
    key.refresh_from_db()
    return key


def _audit(action: str, actor, key: SigningKey) -> None:
    record(
        action=action,
        actor=actor,
        client=key.client_id,
        object_type="signingkey",
        object_id=key.pk,
        payload={"domain": key.domain, "selector": key.selector},
    )
