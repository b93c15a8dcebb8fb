"""Call events back from the phone system for the calls the dialler placed.

    POST /api/v1/outbound/cti/<line>/events        (<line>: "default" or an engagement id)
    Tercero-Signature: t=<unix time>,v1=<hex HMAC-SHA-256 of "<t>.<body>" with the secret>
    {"event_id": "evt-1", "call_id": "att-42", "kind": "ringing" | "answered" | "ended",
     "at": "2027-03-01T15:00:00Z", "answered_by": "person" | "machine",
     "outcome": "answered" | "busy" | "no_answer" | "machine" | "abandoned" | "failed",
     "talk_seconds": 95}

The same signature scheme as our call requests (cti_out.py) and the inbound CTI webhook:
unsigned, badly signed or stale (over 5 minutes) requests are 401. `call_id` is the
`call_ref` of our request; a call of an engagement that does not use this line is a 404.
An event id already applied to the call is a replay (409). Events move the call only
forward: a late "answered" after "ended" fills in the answer time and reopens nothing.
A call that ends unanswered (busy, no answer, machine, abandoned, failed) gets its
outcome as its disposition: the lead is recycled by the campaign's rules and the call's
`outbound.call` item is resolved. An answered call waits for the agent's disposition.
"""

import math
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from tercero.platform.audit.models import AuditEvent
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, DomainError, InvalidInput, NotFound
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.outbound import cti_out, dispositions
from tercero.services.outbound.models import CallAttempt, Lead

KINDS = ("ringing", "answered", "ended")
OUTCOMES = tuple(CallAttempt.Outcome.values)
MAX_TALK_SECONDS = 86400


class BadSignature(DomainError):
    status = 401
    code = "bad_signature"


def check(line_key: str, header: str, body: bytes) -> cti_out.Line:
    line = cti_out.line_named(line_key)
    if line is None or not header:
        raise BadSignature("Unsigned request or unknown line.")
    if not cti_out.verify(line.secret, header, body):
        raise BadSignature("The signature does not match, or it is older than 5 minutes.")
    return line


def receive(*, line: cti_out.Line, event: dict) -> CallAttempt:
    """Apply one signed event to its call attempt."""
    kind, call_id, event_id = event.get("kind"), event.get("call_id"), event.get("event_id")
    if kind not in KINDS or not call_id or not event_id:
        raise InvalidInput(
            "An event needs event_id, call_id and a kind.",
            fields={"kind": f"one of {', '.join(KINDS)}"},
        )
    with all_clients_scope():  # the signature, not a session, says who is calling
        found = (
            CallAttempt.objects.filter(call_ref=str(call_id)[:100])
            .select_related("campaign")
            .first()
        )
    if found is None or _line_key(found.campaign.engagement_id) != line.key:
        raise NotFound("No such call on this line.")
    with client_scope(clients=[found.client_id]), transaction.atomic():
        attempt = (
            CallAttempt.objects.select_for_update().select_related("campaign").get(pk=found.pk)
        )
        seen = f"{attempt.call_ref}:{str(event_id)[:100]}"
        if AuditEvent.objects.filter(action="outbound.cti.event", object_id=seen).exists():
            raise Conflict("This event was received before (a replay).", code="replayed")
        _apply(attempt, kind, _time(event.get("at")), event)
        record(
            action="outbound.cti.event",
            client=attempt.client_id,
            object_type="cti_event",
            object_id=seen,
            payload={"kind": kind, "outcome": attempt.outcome},
        )
    return attempt


def _line_key(engagement_id: int) -> str:
    line = cti_out.line_for(engagement_id)
    return line.key if line else ""


def _apply(attempt: CallAttempt, kind: str, at: datetime, event: dict) -> None:
    ended = attempt.ended_at is not None
    if kind == "answered":
        attempt.answered_at = attempt.answered_at or at
        if event.get("answered_by") == "machine" and not ended:
            attempt.outcome = CallAttempt.Outcome.MACHINE
        attempt.save(update_fields=["answered_at", "outcome"])
    elif kind == "ended" and not ended:
        outcome = event.get("outcome") or ("answered" if attempt.answered_at else "no_answer")
        if outcome not in OUTCOMES:
            raise InvalidInput("Unknown outcome.", fields={"outcome": ", ".join(OUTCOMES)})
        attempt.outcome = outcome
        attempt.ended_at = at
        attempt.talk_seconds = _seconds(event.get("talk_seconds"))
        attempt.save(update_fields=["outcome", "ended_at", "talk_seconds"])
        if outcome != CallAttempt.Outcome.ANSWERED and not attempt.disposition:
            _unanswered(attempt, outcome)
    # "ringing", or a repeated "ended": nothing moves back


def _unanswered(attempt: CallAttempt, outcome: str) -> None:
    lead = Lead.objects.select_for_update().select_related("campaign").get(pk=attempt.lead_id)
    attempt.disposition = outcome
    attempt.save(update_fields=["disposition"])
    if lead.status == Lead.Status.IN_CALL:
        lead.disposition = outcome
        dispositions.recycle(lead, outcome, outcome, timezone.now())
        lead.version += 1
        lead.save()
    dispositions.after_call(attempt, lead, text=f"Call ended: {outcome.replace('_', ' ')}.")


def _seconds(value) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput("`talk_seconds` is a number.", fields={"talk_seconds": "not a number"})
    return max(0, min(int(value), MAX_TALK_SECONDS))


def _time(value) -> datetime:
    if not value:
        return timezone.now()
    if not isinstance(value, str):
        raise InvalidInput("`at` is an ISO 8601 time.", fields={"at": "not a time"})
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput("`at` is an ISO 8601 time.", fields={"at": "not a time"}) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
