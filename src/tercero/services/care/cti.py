"""Telephony (CTI) events from any PBX or contact-centre platform.

    POST /api/v1/care/cti/<endpoint id>/events
    Tercero-Signature: t=<unix time>,v1=<hex HMAC-SHA-256 of "<t>.<body>" with the secret>
    {"event_id": "evt-1", "call_id": "c-42", "kind": "ringing" | "answered" | "ended" |
     "recording", "at": "2026-11-25T09:00:00Z", "from": "+44...", "direction": "inbound",
     "agent_extension": "204", "duration_seconds": 95, "recording_url": "https://..."}

A call is one `care.call` work item (reference `call:<call id>`), created by whichever
event arrives first: events may come out of order (ended before answered), and each
moves the call only forward. Unsigned, badly signed or stale (over 5 minutes) requests
are refused; an event id seen before is refused as a replay.
"""

import math
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from tercero.delivery.work import locks, webhooks
from tercero.delivery.work import services as work
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, DomainError, InvalidInput
from tercero.platform.security.crypto import CannotOpen, open_secret, seal_secret
from tercero.services.care.models import CallEvent, CtiEndpoint

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkItem

SECRET_CONTEXT = "cti"
KINDS = ("ringing", "answered", "ended", "recording")
ORDER = {"ringing": 0, "answered": 1, "ended": 2}
MAX_DURATION_SECONDS = 7 * 86400  # the call payload's own maximum (worktypes.CallPayload)


class BadSignature(DomainError):
    status = 401
    code = "bad_signature"


def check_signature(*, endpoint: CtiEndpoint | None, header: str, body: bytes) -> None:
    """Refuse unless the body is signed with this endpoint's secret, recently."""
    if not endpoint or not endpoint.is_active or not header:
        raise BadSignature("Unsigned request or unknown endpoint.")
    try:
        secret = open_secret(endpoint.secret, context=SECRET_CONTEXT)
    except CannotOpen:  # no secret set yet, or a master key withdrawn
        raise BadSignature("This endpoint has no usable secret.") from None
    if not webhooks.verify_signature(secret, header, body):
        raise BadSignature("The signature does not match, or it is older than 5 minutes.")


def create_endpoint(*, actor, engagement, queue, description: str = "") -> tuple[CtiEndpoint, str]:
    """A new endpoint and its secret, shown once (stored sealed)."""
    if queue.engagement_id != engagement.pk or "care.call" not in queue.work_types:
        raise InvalidInput(
            "The queue must be the engagement's and take care.call items.",
            fields={"queue_id": "wrong queue"},
        )
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        endpoint = CtiEndpoint.objects.create(
            client_id=engagement.client_id,
            engagement=engagement,
            queue=queue,
            description=description[:200],
            secret=seal_secret(secret, context=SECRET_CONTEXT),
        )
        record(
            action="cti_endpoint.created",
            actor=actor,
            client=engagement.client_id,
            object_type="cti_endpoint",
            object_id=endpoint.pk,
        )
    return endpoint, secret


def record_event(*, endpoint: CtiEndpoint, event: dict) -> "WorkItem":
    """Apply one call event; the call's item is created by the first event to arrive."""
    kind, call_id, event_id = event.get("kind"), event.get("call_id"), event.get("event_id")
    if kind not in KINDS or not call_id or not event_id:
        raise InvalidInput(
            "An event needs event_id, call_id and a kind.",
            fields={"kind": f"one of {', '.join(KINDS)}"},
        )
    at = _time(event.get("at"))
    duration = _duration(event.get("duration_seconds")) if kind == "ended" else None
    ref = f"call:{str(call_id)[:90]}"
    try:
        with transaction.atomic():
            item = locks.lock_item_by_ref(client_id=endpoint.client_id, external_ref=ref)
            if item is None:
                item = work.create_item(
                    actor=None,
                    queue=endpoint.queue,
                    work_type="care.call",
                    channel="phone",
                    external_ref=ref,
                    payload={
                        "call_id": str(call_id)[:100],
                        "direction": "outbound"
                        if event.get("direction") == "outbound"
                        else "inbound",
                        "caller_number": str(event.get("from") or "")[:40],
                    },
                )
                item = locks.lock_item(item_id=item.pk)
            CallEvent.objects.create(
                client_id=endpoint.client_id,
                endpoint=endpoint,
                event_id=str(event_id)[:100],
                call_id=str(call_id)[:100],
                kind=kind,
                occurred_at=at,
                item=item,
            )
            work.update_payload(
                actor=None,
                item=item,
                changes=_apply(item.payload, kind, at, event, duration),
                reason=f"call event {kind}",
            )
    except IntegrityError as error:
        raise Conflict("This event was received before (a replay).", code="replayed") from error
    item.refresh_from_db()
    return item


def _apply(stored: dict, kind: str, at: datetime, event: dict, duration: int | None) -> dict:
    """The payload fields this event changes."""
    payload = dict(stored)
    stamp = at.isoformat()
    if kind == "ringing":
        payload["started_at"] = payload.get("started_at") or stamp
    elif kind == "answered":
        payload["answered_at"] = stamp
    elif kind == "ended":
        payload["ended_at"] = stamp
        payload["duration_seconds"] = duration or 0
    if kind == "recording" or event.get("recording_url"):
        url = str(event.get("recording_url") or "")[:500]
        if url.startswith("https://"):
            payload["recording_url"] = url
    if kind in ORDER and ORDER[kind] > ORDER.get(payload.get("state", "ringing"), 0):
        payload["state"] = kind  # only forward: a late "answered" never reopens a call
    if not payload.get("caller_number") and event.get("from"):
        payload["caller_number"] = str(event["from"])[:40]
    return {name: value for name, value in payload.items() if stored.get(name) != value}


def _duration(value) -> int:
    """Whole seconds from a JSON number (or a string of digits); anything else, a
    number that is not finite, or one above a week is refused with a 422."""
    if value is None or value == "":
        return 0
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(
            "`duration_seconds` is a number of seconds.",
            fields={"duration_seconds": "not a number"},
        )
    if value > MAX_DURATION_SECONDS:
        raise InvalidInput(
            f"`duration_seconds` is at most {MAX_DURATION_SECONDS} (a week).",
            fields={"duration_seconds": f"above {MAX_DURATION_SECONDS}"},
        )
    return max(0, int(value))


def _time(value) -> datetime:
    """The event's time, aware. Not ISO 8601, or outside what a date holds once its
    offset is applied (year 1 to 9999 in UTC): a 422."""
    if not value:
        return timezone.now()
    if not isinstance(value, str):
        raise InvalidInput("`at` is an ISO 8601 time.", fields={"at": "not a time"})
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if not parsed.tzinfo:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidInput(
            "`at` is an ISO 8601 time between the years 1 and 9999 (UTC).",
            fields={"at": "not a time"},
        ) from None
