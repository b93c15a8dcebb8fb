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
    """A fresh, unconfirmed seed for the user. Returns (seed, otpauth:// URI)."""
    seed = pyotp.random_base32()
    with transaction.atomic():
        TotpDevice.objects.update_or_create(
            user=user,
            defaults={
                "secret": seal_secret(seed, context=_CONTEXT),
                "confirmed_at": None,
                "last_step": 0,
            },
        )
    return seed, pyotp.TOTP(seed).provisioning_uri(name=user.email, issuer_name=ISSUER)


def pending_seed(*, user: User) -> str | None:
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=True).first()
    return open_secret(device.secret, context=_CONTEXT) if device else None


def confirm_enrolment(*, user: User, code: str) -> list[str]:
    """Confirm the new authenticator with a code from it; returns recovery codes, shown
    once."""
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=True).first()
    if device is None or not _claim_totp(device, code):
        raise InvalidInput(
            "That code does not match; check the app's clock and try again.",
            fields={"code": "wrong code"},
        )
    with transaction.atomic():
        TotpDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
        codes = _new_recovery_codes(user)
        record(action="user.mfa_enrolled", actor=user, object_type="user", object_id=user.pk)
    return codes


def verify(*, user: User, code: str) -> str | None:
    """'totp' or 'recovery' when the code is good (and now spent), else None."""
    code = "".join((code or "").split()).lower()
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    if device is not None and code.isdigit() and _claim_totp(device, code):
        return "totp"
    if len(code.replace("-", "")) == 24 and _claim_recovery(user, code):
        record(action="user.recovery_code_used", actor=user, object_type="user", object_id=user.pk)
        return "recovery"
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
    code = "".join((code or "").split())
    if not (len(code) == 6 and code.isdigit()):
        return False
    totp = pyotp.TOTP(open_secret(device.secret, context=_CONTEXT))
    now = int(timezone.now().timestamp())
    for offset in (0, -1, 1):  # one step of clock drift either way
        step = now // totp.interval + offset
        if secrets.compare_digest(totp.at(step * totp.interval), code):
            # single use: only a step later than the last one used is accepted
            return bool(
                TotpDevice.objects.filter(pk=device.pk, last_step__lt=step).update(last_step=step)
            )
    return False


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
