"""Placing calls: the next lead for an agent, checked again at dial time, then one signed
call request to the phone system (cti_out.py).

Every dial asks the compliance rules again (`scrub.why_not_now`: do-not-call lists in
every source, the calling window in every zone the lead may be in, quiet days, attempt
caps, consent), because hours pass and numbers are blocked between loading and dialling.
A lead refused at dial time is put aside with the rule as `held_reason`: until its next
callable moment when there is one (a window, a cap), for good (status "held") when there
is none (a do-not-call entry, a lifetime cap).

A number's dial and a do-not-call entry for it are serialised: both hold the lead rows
and then take a transaction lock on (client, number hash) -- an advisory lock on
PostgreSQL, the IMMEDIATE write lock on SQLite -- and the dial reads the do-not-call
lists after taking it. So once a "do not
call" disposition has committed, no dialler in any campaign of that client can place a
call to the number (tests/test_dnc_concurrency.py).
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from tercero.delivery.work import services as work
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict
from tercero.platform.security import crypto
from tercero.services.outbound import cti_out, next_lead, scrub
from tercero.services.outbound.models import CallAttempt, Campaign, Lead

EVENTS_PATH = "/api/v1/outbound/cti/{line}/events"


@dataclass
class Dial:
    attempt: CallAttempt | None = None
    held: list[tuple[int, str]] = field(default_factory=list)  # (lead id, the rule)
    request: dict | None = None  # the call request sent (or kept for the loopback)


def number_lock(client_id: int, phone_hash: str) -> None:
    """Hold the number's lock until the transaction ends (no-op on SQLite, whose
    IMMEDIATE transactions already hold the database's write lock)."""
    if connection.vendor != "postgresql":
        return
    digest = hashlib.blake2b(f"{client_id}:{phone_hash}".encode(), digest_size=8).digest()
    key = int.from_bytes(digest, "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def dial_next(
    *,
    actor,
    campaign: Campaign,
    agent_id: int | None,
    now: datetime | None = None,
    post: cti_out.Poster | None = None,
) -> Dial:
    """Take the agent's next lead and call it (skipping, and holding, those the rules
    refuse now). `Dial.attempt` is None when nobody can be called now."""
    if campaign.status != Campaign.Status.ACTIVE:
        raise Conflict("The campaign is not active.", code="not_active")
    now = now or timezone.now()
    result = Dial()
    with transaction.atomic():
        leads = next_lead.take(campaign=campaign, agent_id=agent_id, now=now)
        # Every candidate's number locked before anything is written: the audit chain's
        # lock, taken by the first write, must come after all of them (no deadlock with
        # a do-not-call disposition, which takes a number's lock and then writes).
        for client_id, phone_hash in sorted({(x.client_id, x.phone_hash) for x in leads}):
            number_lock(client_id, phone_hash)
        for lead in leads:
            if _try(actor=actor, lead=lead, agent_id=agent_id, now=now, result=result):
                break
    _send_after(result, campaign, post)
    return result


def dial_lead(
    *,
    actor,
    lead: Lead,
    agent_id: int | None,
    now: datetime | None = None,
    post: cti_out.Poster | None = None,
) -> Dial:
    """Preview dialling: the agent has seen `lead` and presses Dial."""
    now = now or timezone.now()
    result = Dial()
    with transaction.atomic():
        locked = Lead.objects.select_for_update().select_related("campaign").get(pk=lead.pk)
        if locked.campaign.status != Campaign.Status.ACTIVE:
            raise Conflict("The campaign is not active.", code="not_active")
        if locked.status != Lead.Status.CALLABLE:
            raise Conflict(f"This lead is {locked.get_status_display().lower()}.", code="busy")
        if locked.callback_agent_id and agent_id != locked.callback_agent_id:
            raise Conflict("This callback was booked for another agent.", code="not_yours")
        number_lock(locked.client_id, locked.phone_hash)
        _try(actor=actor, lead=locked, agent_id=agent_id, now=now, result=result)
    _send_after(result, lead.campaign, post)
    return result


def _try(*, actor, lead: Lead, agent_id: int | None, now: datetime, result: Dial) -> bool:
    """Dial `lead` (its row and its number locked) unless the rules refuse it now."""
    verdict = scrub.why_not_now(lead, at=now)
    if not verdict.callable:
        _hold(actor, lead, verdict, now)
        result.held.append((lead.pk, verdict.reasons[0].rule))
        return False
    lead.status = Lead.Status.IN_CALL
    lead.attempts += 1
    lead.last_attempt_at = now
    lead.held_reason = ""
    lead.version += 1
    lead.save(update_fields=["status", "attempts", "last_attempt_at", "held_reason", "version"])
    attempt = CallAttempt.objects.create(
        client_id=lead.client_id,
        lead=lead,
        campaign=lead.campaign,
        agent_id=agent_id,
        started_at=now,
    )
    attempt.call_ref = f"att-{attempt.pk}"
    attempt.item_id = _item(lead, attempt)
    attempt.save(update_fields=["call_ref", "item_id"])
    record(
        action="outbound.call.placed",
        actor=actor,
        client=lead.client_id,
        object_type="call_attempt",
        object_id=attempt.pk,
        payload={"lead_id": lead.pk, "campaign_id": lead.campaign_id, "agent_id": agent_id},
    )
    result.attempt = attempt
    return True


def _hold(actor, lead: Lead, verdict, now: datetime) -> None:
    reason = verdict.reasons[0]
    lead.held_reason = f"{reason.rule}: {reason.detail}"[:300]
    lead.next_callable_at = verdict.next_callable_at
    if verdict.next_callable_at is None:
        lead.status = Lead.Status.DNC if reason.rule.startswith("dnc.") else Lead.Status.HELD
    lead.version += 1
    lead.save(update_fields=["held_reason", "next_callable_at", "status", "version"])
    record(
        action="outbound.lead.held",
        actor=actor,
        client=lead.client_id,
        object_type="lead",
        object_id=lead.pk,
        payload={
            "rule": reason.rule,
            "next_callable_at": verdict.next_callable_at.isoformat()
            if verdict.next_callable_at
            else None,
            "at": now.isoformat(),
        },
    )


def _item(lead: Lead, attempt: CallAttempt) -> int | None:
    """The engine's `outbound.call` item for this attempt, on the campaign's queue."""
    campaign = lead.campaign
    if campaign.queue_id is None:
        return None
    item = work.create_item(
        actor=None,
        queue=campaign.queue,
        work_type="outbound.call",
        channel="phone",
        external_ref=f"outbound:{attempt.call_ref}",
        payload={
            "campaign_id": campaign.pk,
            "lead_id": lead.pk,
            "campaign": campaign.name,
            "lead_name": crypto.open_sealed(lead.name) if lead.name else "",
            "lead_phone": crypto.open_sealed(lead.phone),
            "attempt": lead.attempts,
        },
    )
    return item.pk


def _send_after(result: Dial, campaign: Campaign, post: cti_out.Poster | None) -> None:
    """The call request, once the attempt is committed (never for a rolled-back dial)."""
    attempt = result.attempt
    if attempt is None:
        return
    line = cti_out.line_for(campaign.engagement_id)
    key = line.key if line else "loopback"
    result.request = cti_out.call_request(
        attempt=attempt,
        to=crypto.open_sealed(attempt.lead.phone),
        agent_id=attempt.agent_id,
        events_url=EVENTS_PATH.format(line=key),
    )
    if line is not None and line.url:
        status = cti_out.send(line, result.request, post=post)
        if not 200 <= status < 300:
            fail(attempt=attempt, why=f"the phone system answered {status or 'nothing'}")


def fail(*, attempt: CallAttempt, why: str) -> None:
    """The phone system did not take the call: the attempt failed, the lead is callable."""
    with transaction.atomic():
        CallAttempt.objects.filter(pk=attempt.pk, outcome="").update(
            outcome=CallAttempt.Outcome.FAILED, ended_at=timezone.now()
        )
        Lead.objects.filter(pk=attempt.lead_id, status=Lead.Status.IN_CALL).update(
            status=Lead.Status.CALLABLE
        )
        record(
            action="outbound.call.failed",
            client=attempt.client_id,
            object_type="call_attempt",
            object_id=attempt.pk,
            payload={"why": why[:200]},
        )
