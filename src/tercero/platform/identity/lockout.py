"""Sign-in throttling that an attacker cannot turn against the account's owner.

- An account locks for LOCK_MINUTES from its MAX_FAILURES-th failed attempt (wrong
  password or wrong second factor) within LOCK_MINUTES — for unknown browsers only. A
  browser where the person has signed in before carries a signed known-device cookie
  and keeps its own count, so hammering the account from elsewhere does not lock its
  owner out of their usual browser (OWASP's "device cookies"). Attempts refused during
  a lock do not stretch it: the time shown is the time it ends.
- One source address with more than IP_MAX_FAILURES failures in IP_WINDOW_MINUTES is
  refused (HTTP 429) for IP_WINDOW_MINUTES, whichever accounts it tries.
Counts live in the database, so every web process sees the same numbers.
"""

import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils import timezone

from tercero.platform.audit.services import record
from tercero.platform.identity.models import SignInAttempt, User
from tercero.platform.tenancy.scoping import all_clients_scope

MAX_FAILURES = 10
LOCK_MINUTES = 30
IP_MAX_FAILURES = 30
IP_WINDOW_MINUTES = 15
DEVICE_COOKIE = "tercero_device"
DEVICE_DAYS = 90
_SALT = "tercero.identity.device"
_SCAN_LIMIT = 500  # newest attempts read per check; a block stops the count growing


@dataclass(frozen=True)
class Refusal:
    until: datetime
    status: int  # 403 account locked here, 429 address throttled


def account_key(email: str) -> str:
    return (email or "").strip().lower()[:254]


def device_of(request: HttpRequest, account: str) -> str:
    """The known-device id this browser holds for the account, or ''."""
    raw = request.COOKIES.get(DEVICE_COOKIE)
    if not raw:
        return ""
    try:
        value = signing.loads(raw, salt=_SALT, max_age=DEVICE_DAYS * 86400)
    except signing.BadSignature:
        return ""
    return value.get(account, "") if isinstance(value, dict) else ""


def remember_device(request: HttpRequest, response: HttpResponseBase, account: str) -> None:
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


def client_ip(request: HttpRequest) -> str | None:
    """The address that sent the request. When it came through one of TRUSTED_PROXIES,
    the nearest address in X-Forwarded-For that is not a trusted proxy: entries further
    left were written by the client and prove nothing."""
    peer: str | None = request.META.get("REMOTE_ADDR") or None
    if peer is None or not _is_trusted_proxy(peer):
        return peer
    hops = str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
    for hop in reversed([hop.strip() for hop in hops if hop.strip()]):
        if not _is_trusted_proxy(hop):
            return hop if _is_address(hop) else peer
    return peer


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_trusted_proxy(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    networks = (ipaddress.ip_network(net, strict=False) for net in settings.TRUSTED_PROXIES)
    return any(ip in network for network in networks)


def refusal(request: HttpRequest, account: str, now: datetime | None = None) -> Refusal | None:
    """Why this attempt must not even be checked, or None."""
    now = now or timezone.now()
    ip = client_ip(request)
    blocked = _address_blocked_until(ip, now) if ip else None
    if blocked is not None:
        return Refusal(until=blocked, status=429)
    locked = _locked_until(account, device_of(request, account), now)
    if locked is not None:
        return Refusal(until=locked, status=403)
    return None


def note(request: HttpRequest, account: str, *, succeeded: bool, refused: bool = False) -> None:
    """Count an attempt; the failure that locks the account writes `user.locked_out`.
    An attempt `refused` unchecked (account locked) counts for its address only."""
    device = device_of(request, account)
    with transaction.atomic():
        attempt = SignInAttempt.objects.create(
            account=account,
            ip=client_ip(request),
            device=device,
            succeeded=succeeded,
            was_refused=refused,
        )
        if succeeded or refused:
            return
        lock = timedelta(minutes=LOCK_MINUTES)
        if _locked_until(account, device, attempt.at) != attempt.at + lock:
            return  # audited once, by the failure that locks
        with all_clients_scope():  # nobody is signed in yet
            user = User.objects.filter(email=account).first()
        record(
            action="user.locked_out",
            actor=None,
            object_type="user",
            object_id=user.pk if user else "",
            payload={"known_device": bool(device), "minutes": LOCK_MINUTES},
        )


def _address_blocked_until(ip: str, now: datetime) -> datetime | None:
    """More than IP_MAX_FAILURES failures within IP_WINDOW_MINUTES block the address
    for IP_WINDOW_MINUTES from the one that crossed the line."""
    window = timedelta(minutes=IP_WINDOW_MINUTES)
    failures = SignInAttempt.objects.filter(
        ip=ip, succeeded=False, at__gt=now - 2 * window, at__lte=now
    )
    return _blocked_until(_newest(failures), limit=IP_MAX_FAILURES + 1, window=window, now=now)


def _locked_until(account: str, device: str, now: datetime) -> datetime | None:
    """MAX_FAILURES failures for the account from this browser (since it last signed in
    there) within LOCK_MINUTES lock it for LOCK_MINUTES from the last of them."""
    lock = timedelta(minutes=LOCK_MINUTES)
    attempts = SignInAttempt.objects.filter(
        account=account, device=device, at__gt=now - 2 * lock, at__lte=now
    )
    last_success = (
        attempts.filter(succeeded=True).order_by("-at").values_list("at", flat=True).first()
    )
    failures = attempts.filter(succeeded=False, was_refused=False)
    if last_success is not None:
        failures = failures.filter(at__gt=last_success)
    return _blocked_until(_newest(failures), limit=MAX_FAILURES, window=lock, now=now)


def _newest(attempts: QuerySet[SignInAttempt]) -> list[datetime]:
    """Times of the newest attempts, oldest first."""
    return sorted(attempts.order_by("-at").values_list("at", flat=True)[:_SCAN_LIMIT])


def _blocked_until(
    times: list[datetime], *, limit: int, window: timedelta, now: datetime
) -> datetime | None:
    """`limit` failures (oldest first) within `window` block for `window` from the last
    of them, and the count starts again. The block's end, if after now."""
    until = None
    run: list[datetime] = []
    for at in times:
        run = [earlier for earlier in run if earlier > at - window] + [at]
        if len(run) >= limit:
            until, run = at + window, []
    return until if until is not None and until > now else None


def prune(*, before: datetime) -> int:
    return SignInAttempt.objects.filter(at__lt=before).delete()[0]
