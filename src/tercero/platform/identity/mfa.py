"""Second factor: TOTP authenticator apps (RFC 6238) and single-use recovery codes.

Every code is accepted once: a TOTP code's time step must be later than the last one
used (claimed with a conditional UPDATE, so two requests racing with the same code
cannot both pass), and a recovery code is marked used in the same way.
"""

import hashlib
import secrets

import pyotp
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tercero.platform.audit.services import record
from tercero.platform.errors import InvalidInput
from tercero.platform.identity.models import RecoveryCode, TotpDevice, User
from tercero.platform.identity.roles import MFA_REQUIRED_ROLES
from tercero.platform.security.crypto import open_secret, seal_secret

ISSUER = "Tercero"
RECOVERY_CODES = 10
_CONTEXT = "totp"
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i look-alikes


def required_for(user: User) -> bool:
    """MFA is required for staff who can see personal data and for client admins;
    anyone else who enrolled uses it too."""
    if not getattr(settings, "MFA_ENFORCED", True):
        return has_device(user)
    return user.role in MFA_REQUIRED_ROLES or has_device(user)


def has_device(user: User) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def start_enrolment(*, user: User) -> tuple[str, str]:
    """A fresh seed waiting for confirmation; an authenticator already in use keeps
    working until the new one is confirmed. Returns (seed, otpauth:// URI)."""
    seed = pyotp.random_base32()
    with transaction.atomic():
        TotpDevice.objects.update_or_create(
            user=user,
            defaults={"pending_secret": seal_secret(seed, context=_CONTEXT)},
        )
    return seed, provisioning_uri(user=user, seed=seed)


def provisioning_uri(*, user: User, seed: str) -> str:
    return pyotp.TOTP(seed).provisioning_uri(name=user.email, issuer_name=ISSUER)


def pending_seed(*, user: User) -> str | None:
    sealed = TotpDevice.objects.filter(user=user).values_list("pending_secret", flat=True).first()
    return open_secret(sealed, context=_CONTEXT) if sealed else None


def confirm_enrolment(*, user: User, code: str) -> list[str]:
    """Confirm the new authenticator with a code from it (it replaces any earlier one);
    returns recovery codes, shown once."""
    device = TotpDevice.objects.filter(user=user).exclude(pending_secret="").first()
    step = _matching_step(device.pending_secret, code) if device else None
    with transaction.atomic():
        # conditional on the seed the code matched: a set-up restarted meanwhile wins
        confirmed = (
            device is not None
            and step is not None
            and TotpDevice.objects.filter(
                pk=device.pk, pending_secret=device.pending_secret
            ).update(
                secret=device.pending_secret,
                pending_secret="",
                confirmed_at=timezone.now(),
                last_step=step,
            )
        )
        if not confirmed or device is None:
            raise InvalidInput(
                "That code does not match; check the app's clock and try again.",
                fields={"code": "wrong code"},
            )
        codes = _new_recovery_codes(user)
        record(
            action="user.mfa_enrolled",
            actor=user,
            object_type="user",
            object_id=user.pk,
            payload={"replaced": device.confirmed_at is not None},
        )
    return codes


def verify(*, user: User, code: str) -> str | None:
    """'totp' or 'recovery' when the code is good (and now spent), else None. Recovery
    codes used and wrong codes are audited (a wrong code after a right password is worth
    a look); a good app code is audited by the sign-in or change it allows."""
    code = "".join((code or "").split()).lower()
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    with transaction.atomic():
        if device is not None and code.isdigit() and _claim_totp(device, code):
            return "totp"
        if len(code.replace("-", "")) == 24 and _claim_recovery(user, code):
            record(
                action="user.recovery_code_used",
                actor=user,
                object_type="user",
                object_id=user.pk,
                payload={"remaining": remaining_recovery_codes(user=user)},
            )
            return "recovery"
        record(action="user.mfa_failed", actor=None, object_type="user", object_id=user.pk)
    return None


def regenerate_recovery_codes(*, user: User, code: str) -> list[str]:
    """New recovery codes (the old ones stop working); needs a current code."""
    if verify(user=user, code=code) is None:
        raise InvalidInput("That code does not match.", fields={"code": "wrong code"})
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        record(
            action="user.recovery_codes_renewed", actor=user, object_type="user", object_id=user.pk
        )
    return codes


def remaining_recovery_codes(*, user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def _claim_totp(device: TotpDevice, code: str) -> bool:
    step = _matching_step(device.secret, code)
    # single use: only a step later than the last one used is accepted
    return step is not None and bool(
        TotpDevice.objects.filter(pk=device.pk, last_step__lt=step).update(last_step=step)
    )


def _matching_step(sealed_seed: str, code: str) -> int | None:
    """The time step whose code `code` is, allowing one step of clock drift either way
    (RFC 6238 section 5.2), or None."""
    code = "".join((code or "").split())
    if not (sealed_seed and len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(open_secret(sealed_seed, context=_CONTEXT))
    now = int(timezone.now().timestamp()) // totp.interval
    for step in (now, now - 1, now + 1):
        if secrets.compare_digest(totp.at(step * totp.interval), code):
            return step
    return None


def _hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").lower().encode()).hexdigest()


def _claim_recovery(user: User, code: str) -> bool:
    return bool(
        RecoveryCode.objects.filter(user=user, code_hash=_hash(code), used_at__isnull=True).update(
            used_at=timezone.now()
        )
    )


def _new_recovery_codes(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(24))  # about 118 bits
        codes.append("-".join(raw[i : i + 4] for i in range(0, 24, 4)))
    RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=_hash(c)) for c in codes)
    return codes
