"""Outbound webhooks: each client's endpoints receive its work events, signed.

An outbox consumer turns each batch of events into one `WebhookDelivery` per event and
matching endpoint (no network inside the consumer's transaction). `send_due` then posts
due deliveries until none is left, a batch at a time: each batch is leased in one
transaction first (rows read under `SKIP LOCKED`, then a conditional update), so two
senders never post the same one at once, then posted by several threads; failures
back off exponentially (30 s doubling, capped at 6 h, with jitter) and give up after
`MAX_ATTEMPTS`. Each attempt resolves the host once and connects only to an address that
passed the check (`destinations`); a refused address fails the delivery at once.
Receivers verify `Tercero-Signature` and drop repeats by `Tercero-Event-Id` (delivery
is at least once).
"""

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import repeat
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Min
from django.utils import timezone

from tercero.delivery.work import destinations
from tercero.delivery.work.models import WebhookDelivery, WebhookEndpoint, WorkEvent
from tercero.delivery.work.outbox import Consumer, register_consumer
from tercero.platform.audit.services import record
from tercero.platform.errors import InvalidInput
from tercero.platform.ops.selectors import Backlog, register_backlog, waited
from tercero.platform.security.crypto import open_secret, seal_secret
from tercero.platform.tenancy.scoping import all_clients_scope

if TYPE_CHECKING:
    from tercero.platform.identity.models import User
    from tercero.platform.tenancy.models import Client

MAX_ATTEMPTS = 8
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=6)
LEASE = timedelta(seconds=60)
# Posts in flight at once per sender: a slow receiver holds up one thread, not a batch.
SENDERS = 8


# --- signing --------------------------------------------------------------------------


SECRET_CONTEXT = "webhook"


def signing_secret(endpoint: WebhookEndpoint) -> str:
    """The endpoint's secret in clear (stored sealed under the master key)."""
    if endpoint.secret.startswith("gen1:"):
        return open_secret(endpoint.secret, context=SECRET_CONTEXT)
    return endpoint.secret  # set before secrets were sealed; sealed on next rotation


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify_signature(
    secret: str, header: str, body: bytes, *, tolerance_seconds: int = 300, now: float | None = None
) -> bool:
    try:
        parts = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


# --- endpoints ------------------------------------------------------------------------


def private_networks_allowed() -> bool:
    """Whether the operator lets webhooks reach loopback and private networks (an
    on-premises client; tests). Off unless a settings module turns it on."""
    return getattr(settings, "TERCERO_WEBHOOKS_ALLOW_PRIVATE", False)


def check_url(url: str) -> str:
    """Refuse URLs that are not plain http(s) to a public address (unless the operator
    allows private addresses, e.g. for an on-premises client). Delivery checks again."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port out of range or not a number raises here
    except ValueError as error:
        raise InvalidInput("The URL is not valid.", fields={"url": str(error)}) from None
    if parts.scheme not in ("http", "https"):
        raise InvalidInput("Webhook URLs are http or https.", fields={"url": "http or https"})
    if parts.username or parts.password:
        raise InvalidInput("Put no credentials in the URL.", fields={"url": "credentials in URL"})
    if not parts.hostname:
        raise InvalidInput("The URL has no host.", fields={"url": "no host"})
    try:
        destinations.resolve(url, allow_private=private_networks_allowed())
    except destinations.DeliveryFailed:
        raise InvalidInput("The host does not resolve.", fields={"url": "unknown host"}) from None
    except destinations.DestinationRefused:
        raise InvalidInput(
            "Webhooks go to public addresses only.",
            fields={"url": f"{parts.hostname} is a private or reserved address"},
        ) from None
    return url


def create_endpoint(
    *,
    actor: "User",
    client: "Client | int",
    url: str,
    kinds: Iterable[str] = (),
    description: str = "",
) -> tuple[WebhookEndpoint, str]:
    check_url(url)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            client_id=getattr(client, "pk", client),
            url=url,
            secret=seal_secret(secret, context=SECRET_CONTEXT),
            kinds=sorted(set(kinds)),
            description=description,
            created_by=actor,
        )
        _audit("webhook.created", actor, endpoint, {"url": url, "kinds": endpoint.kinds})
    return endpoint, secret


def update_endpoint(
    *,
    actor: "User",
    endpoint: WebhookEndpoint,
    url: str | None = None,
    kinds: Iterable[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """Change what is given (None leaves a field as it is)."""
    asked: dict[str, object] = {
        "url": url,
        "kinds": kinds,
        "description": description,
        "is_active": is_active,
    }
    changes = {name: value for name, value in asked.items() if value is not None}
    if url is not None:
        check_url(url)
    if kinds is not None:
        changes["kinds"] = sorted(set(kinds))
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(**changes)
        _audit("webhook.updated", actor, endpoint, {"fields": sorted(changes)})
    endpoint.refresh_from_db()
    return endpoint


def rotate_secret(*, actor: "User", endpoint: WebhookEndpoint) -> str:
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            secret=seal_secret(secret, context=SECRET_CONTEXT)
        )
        _audit("webhook.secret_rotated", actor, endpoint, {})
    return secret


def redeliver(*, actor: "User", delivery: WebhookDelivery) -> WebhookDelivery:
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.PENDING, next_attempt_at=timezone.now(), attempts=0
        )
        _audit("webhook.redelivered", actor, delivery.endpoint, {"delivery_id": delivery.pk})
    delivery.refresh_from_db()
    return delivery


def _audit(
    action: str, actor: "User", endpoint: WebhookEndpoint, payload: dict[str, object]
) -> None:
    record(
        action=action,
        actor=actor,
        client=endpoint.client_id,
        object_type="webhook",
        object_id=endpoint.pk,
        payload=payload,
    )


# --- the consumer and the sender ------------------------------------------------------


def enqueue_deliveries(event: WorkEvent) -> None:
    enqueue_deliveries_for([event])


def enqueue_deliveries_for(events: list[WorkEvent]) -> None:
    """One delivery per event and active endpoint of its client that wants its kind:
    one read of the endpoints and one multi-row insert for the whole batch."""
    now = timezone.now()
    endpoints: dict[int, list[WebhookEndpoint]] = {}
    for endpoint in WebhookEndpoint.objects.filter(
        client_id__in={event.client_id for event in events}, is_active=True
    ).order_by("id"):
        endpoints.setdefault(endpoint.client_id, []).append(endpoint)
    wanted = [
        (event, endpoint)
        for event in events
        for endpoint in endpoints.get(event.client_id, ())
        if not endpoint.kinds or event.kind in endpoint.kinds
    ]
    if connection.vendor == "postgresql" and wanted:
        _insert_deliveries(wanted, now=now)
        return
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                client_id=event.client_id, endpoint=endpoint, event=event, next_attempt_at=now
            )
            for event, endpoint in wanted
        ],
        ignore_conflicts=True,
    )


def _insert_deliveries(wanted: list[tuple[WorkEvent, WebhookEndpoint]], *, now: datetime) -> None:
    """PostgreSQL: the batch's deliveries from three array parameters, in one statement
    (no model instance, no statement with a placeholder a field for psycopg to parse);
    one already there is left as it is, as `bulk_create(ignore_conflicts=True)` does."""
    table = connection.ops.quote_name(WebhookDelivery._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (status, attempts, next_attempt_at, last_error, client_id,"
            " endpoint_id, event_id) SELECT %s, 0, %s, '', client_id, endpoint_id, event_id"
            " FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[])"
            " AS wanted(client_id, endpoint_id, event_id) ON CONFLICT DO NOTHING",
            [
                WebhookDelivery.Status.PENDING.value,
                now,
                [event.client_id for event, _ in wanted],
                [endpoint.pk for _, endpoint in wanted],
                [event.pk for event, _ in wanted],
            ],
        )


def register() -> None:
    register_consumer(
        Consumer(name="webhooks", handle=enqueue_deliveries, handle_batch=enqueue_deliveries_for)
    )
    register_backlog("webhooks", backlog)


def backlog(now: datetime) -> list[Backlog]:
    """Deliveries due and not yet sent, and how long the longest-due has waited."""
    with all_clients_scope():
        summary = WebhookDelivery.objects.filter(
            status="pending", next_attempt_at__lte=now
        ).aggregate(oldest=Min("next_attempt_at"), waiting=Count("id"))
    return [
        Backlog(
            source="webhooks",
            consumer="sending",
            waiting=summary["waiting"],
            oldest_waiting_at=summary["oldest"],
            oldest_waiting_seconds=waited(summary["oldest"], now=now),
        )
    ]


def backoff(attempts: int, *, delivery_id: int) -> timedelta:
    """30 s, 60 s, 120 s ... capped at 6 h, spread by +-10% so retries do not bunch."""
    base = min(FIRST_BACKOFF * (1 << max(attempts - 1, 0)), MAX_BACKOFF)
    spread = ((delivery_id * 2654435761) % 2001 - 1000) / 10_000  # -0.1 .. +0.1
    return base * (1 + spread)


def body_of(event: WorkEvent) -> bytes:
    return json.dumps(
        {
            "id": event.pk,
            "kind": event.kind,
            "client_id": event.client_id,
            "engagement_id": event.engagement_id,
            "item_id": event.item_id,
            "at": event.at.isoformat(),
            "data": event.data,
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode()


def send_due(
    *,
    now: datetime | None = None,
    limit: int = 100,
    timeout: float = 5.0,
    max_seconds: float | None = None,
) -> dict[str, int]:
    """Post every due delivery, `limit` at a time, until none is left (or `max_seconds`
    have passed); each at most once per call. Returns counts by outcome.

    A batch is leased in one transaction, posted by `SENDERS` threads at once, and its
    outcomes written in one more: a transaction per delivery (two commits, each an fsync)
    cost several times the post itself."""
    now = now or timezone.now()
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    counts = {"delivered": 0, "retrying": 0, "failed": 0, "skipped": 0}
    # posts run concurrently, each may take `timeout` to connect and `timeout` to answer
    lease = max(LEASE, timedelta(seconds=2 * timeout * -(-limit // SENDERS)))
    after = 0
    kept = destinations.KeptConnections()
    with all_clients_scope(), ThreadPoolExecutor(SENDERS) as pool:
        try:
            while deadline is None or time.monotonic() < deadline:
                taken = _lease(now=now, after=after, limit=limit, until=now + lease)
                if taken is None:
                    break
                due, after, skipped = taken
                counts["skipped"] += skipped
                signing = {d.endpoint_id: signing_secret(d.endpoint) for d in due}
                attempts = pool.map(_attempt, due, repeat(signing), repeat(timeout), repeat(kept))
                for outcome in _record_all(list(zip(due, attempts, strict=True))):
                    counts[outcome] += 1
        finally:
            kept.close()
    return counts


def _lease(
    *, now: datetime, after: int, limit: int, until: datetime
) -> tuple[list[WebhookDelivery], int, int] | None:
    """Lease the next due deliveries above id `after` until `until`, so no other sender
    posts them meanwhile: read under `SKIP LOCKED` (PostgreSQL; SQLite's transactions
    are serial) and leased by a conditional update in the same transaction. Returns
    (leased, highest id read, how many another sender took first), or None when none
    is due."""
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.filter(status="pending", next_attempt_at__lte=now, id__gt=after)
            .select_related("endpoint", "event")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("id")[:limit]
        )
        if not due:
            return None
        ids = [delivery.pk for delivery in due]
        leased = WebhookDelivery.objects.filter(
            pk__in=ids, status="pending", next_attempt_at__lte=now
        ).update(next_attempt_at=until)
        if leased < len(due):
            mine = set(
                WebhookDelivery.objects.filter(pk__in=ids, next_attempt_at=until).values_list(
                    "pk", flat=True
                )
            )
            due = [delivery for delivery in due if delivery.pk in mine]
    return due, ids[-1], len(ids) - len(due)


@dataclass(frozen=True)
class _Attempt:
    status: int | None
    error: str = ""
    refused: bool = False


def _attempt(
    delivery: WebhookDelivery,
    signing: dict[int, str],
    timeout: float,
    kept: destinations.KeptConnections | None = None,
) -> _Attempt:
    """Post one delivery (no database: it runs in a sender thread)."""
    try:
        secret = signing[delivery.endpoint_id]
        return _Attempt(_post(delivery, secret=secret, timeout=timeout, kept=kept))
    except destinations.DestinationRefused as refusal:
        # one fixed reason, and no retry: the log must not tell what answers inside
        return _Attempt(None, str(refusal), refused=True)
    except destinations.DeliveryFailed as failure:
        return _Attempt(None, str(failure))


def _post(
    delivery: WebhookDelivery,
    *,
    secret: str,
    timeout: float,
    kept: destinations.KeptConnections | None = None,
) -> int:
    endpoint, event = delivery.endpoint, delivery.event
    body = body_of(event)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Tercero-Webhooks/1",
        "Tercero-Event-Id": str(event.pk),
        "Tercero-Signature": sign(secret, int(time.time()), body),
    }
    return destinations.post(
        endpoint.url,
        body=body,
        headers=headers,
        timeout=timeout,
        allow_private=private_networks_allowed(),
        kept=kept,
    )


def _record_all(attempts: list[tuple[WebhookDelivery, _Attempt]]) -> list[str]:
    """Write a batch's outcomes in one transaction: the delivered ones one statement per
    status code, each failure with its own back-off."""
    sent_at = timezone.now()
    delivered: dict[int, list[int]] = {}
    outcomes = []
    with transaction.atomic():
        for delivery, attempt in attempts:
            if attempt.status is not None and 200 <= attempt.status < 300:
                delivered.setdefault(attempt.status, []).append(delivery.pk)
                outcomes.append("delivered")
            else:
                outcomes.append(_record_failure(delivery, attempt, sent_at=sent_at))
        for status, ids in delivered.items():
            WebhookDelivery.objects.filter(pk__in=ids).update(
                status="delivered",
                attempts=F("attempts") + 1,
                last_attempt_at=sent_at,
                last_status_code=status,
                last_error="",
                delivered_at=sent_at,
            )
    return outcomes


def _record_failure(delivery: WebhookDelivery, attempt: _Attempt, *, sent_at: datetime) -> str:
    attempts = delivery.attempts + 1
    gave_up = attempt.refused or attempts >= MAX_ATTEMPTS
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status="failed" if gave_up else "pending",
        attempts=attempts,
        last_attempt_at=sent_at,
        last_status_code=attempt.status,
        last_error=attempt.error or f"HTTP {attempt.status}",
        next_attempt_at=sent_at + backoff(attempts, delivery_id=delivery.pk),
    )
    return "failed" if gave_up else "retrying"
