"""Sign-in throttling that an attacker cannot turn against the account's owner.

- An account locks for LOCK_MINUTES after MAX_FAILURES failed attempts (wrong password
  or wrong second factor) — for unknown browsers only. A browser where the person has
  signed in before carries a signed known-device cookie and keeps its own count, so
  hammering the account from elsewhere does not lock its owner out of their usual
  browser (OWASP's "device cookies").
- One source address with more than IP_MAX_FAILURES failures in IP_WINDOW_MINUTES is
  refused (HTTP 429) for that long, whichever accounts it tries.
Counts live in the database, so every web process sees the same numbers.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core import signing
from django.db import transaction
from django.utils import timezone

from tercero.platform.audit.services import record
from tercero.platform.identity.models import SignInAttempt, User

MAX_FAILURES = 10
LOCK_MINUTES = 30
IP_MAX_FAILURES = 30
IP_WINDOW_MINUTES = 15
DEVICE_COOKIE = "tercero_device"
DEVICE_DAYS = 90
_SALT = "tercero.identity.device"


@dataclass(frozen=True)
class Refusal:
    until: datetime
    status: int  # 403 account locked here, 429 address throttled


def account_key(email: str) -> str:
    return (email or "").strip().lower()[:254]


def device_of(request, account: str) -> str:
    """The known-device id this browser holds for the account, or ''."""
    raw = request.COOKIES.get(DEVICE_COOKIE)
    if not raw:
        return ""
    try:
        value = signing.loads(raw, salt=_SALT, max_age=DEVICE_DAYS * 86400)
    except signing.BadSignature:
        return ""
    return value.get(account, "") if isinstance(value, dict) else ""


def remember_device(request, response, account: str) -> None:
    """After a full sign-in: mark this browser as known for the account."""
    raw = request.COOKIES.get(DEVICE_COOKIE)
    try:
        known = signing.loads(raw, salt=_SALT, max_age=DEVICE_DAYS * 86400) if raw else {}
    except signing.BadSignature:
        known = {}
    if not isinstance(known, dict):
        known = {}
    known.setdefault(account, secrets.token_hex(8))
    known = dict(list(known.items())[-5:])  # a shared browser: a few accounts at most
    response.set_cookie(
        DEVICE_COOKIE,
        signing.dumps(known, salt=_SALT),
        max_age=DEVICE_DAYS * 86400,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def refusal(request, account: str, now: datetime | None = None) -> Refusal | None:
    """Why this attempt must not even be checked, or None."""
    now = now or timezone.now()
    ip = client_ip(request)
    if ip:
        window = now - timedelta(minutes=IP_WINDOW_MINUTES)
        failures = SignInAttempt.objects.filter(ip=ip, succeeded=False, at__gte=window)
        if failures.count() > IP_MAX_FAILURES:
            last = failures.order_by("-at").values_list("at", flat=True).first()
            return Refusal(until=last + timedelta(minutes=IP_WINDOW_MINUTES), status=429)
    device = device_of(request, account)
    since = now - timedelta(minutes=LOCK_MINUTES)
    recent = SignInAttempt.objects.filter(account=account, at__gte=since, device=device)
    last_success = recent.filter(succeeded=True).order_by("-at").values_list("at", flat=True)
    failures = recent.filter(succeeded=False)
    if last_success.first():
        failures = failures.filter(at__gt=last_success.first())
    if failures.count() >= MAX_FAILURES:
        tenth = failures.order_by("-at").values_list("at", flat=True)[MAX_FAILURES - 1]
        return Refusal(until=tenth + timedelta(minutes=LOCK_MINUTES), status=403)
    return None


def note(request, account: str, *, succeeded: bool) -> None:
    """Count an attempt; the tenth failure in a row writes `user.locked_out`."""
    device = device_of(request, account)
    with transaction.atomic():
        SignInAttempt.objects.create(
            account=account, ip=client_ip(request), device=device, succeeded=succeeded
        )
        if succeeded or refusal(request, account) is None:
            return
        if (
            SignInAttempt.objects.filter(
                account=account,
                device=device,
                succeeded=False,
                at__gte=timezone.now() - timedelta(minutes=LOCK_MINUTES),
            ).count()
            != MAX_FAILURES
        ):
            return  # audited once, at the failure that locks
        user = User.objects.filter(email=account).first()
        record(
            action="user.locked_out",
            actor=None,
            object_type="user",
            object_id=user.pk if user else "",
            payload={"known_device": bool(device), "minutes": LOCK_MINUTES},
        )


def prune(*, before: datetime) -> int:
    return SignInAttempt.objects.filter(at__lt=before).delete()[0]
