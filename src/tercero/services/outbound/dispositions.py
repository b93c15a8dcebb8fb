"""Ending a call with a disposition: what the agent records, and what follows from it.

The campaign lists its dispositions (key, label, hotkey, outcome). By outcome:
- "sale": the lead is done; `outbound.sale.made` (value, currency) and
  `outbound.lead.converted` are published for billing and crm.
- "do_not_call": the number goes on the client's do-not-call list in the same
  transaction, and every unfinished lead with that number in any of the client's
  campaigns is marked do-not-call (`outbound.number.blocked`); the number's lock
  (dialler.number_lock) orders it against dials in progress.
- "callback": callable again at the booked time (callbacks.py), for the agent or anyone.
- "no_answer" and others named in the campaign's recycling rules: callable again after the
  rule's minutes until its maximum of attempts, then done.
- anything else ("no_sale", "not_interested", "wrong_number"): done.
Every disposition stores the script's answers on the attempt and publishes
`outbound.call.made`.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from tercero.delivery.work import services as work
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput
from tercero.services.outbound import callbacks, dialler, events
from tercero.services.outbound.models import CallAttempt, DncEntry, Lead

FINISHED = (Lead.Status.DONE, Lead.Status.DNC)


def find(campaign, key: str) -> dict:
    for disposition in campaign.dispositions or []:
        if disposition.get("key") == key:
            return disposition
    known = ", ".join(d.get("key", "") for d in campaign.dispositions or [])
    raise InvalidInput("Unknown disposition.", fields={"disposition": f"one of {known}"})


def dispose(
    *,
    actor,
    attempt: CallAttempt,
    key: str,
    answers: dict | None = None,
    value_minor: int = 0,
    currency: str = "",
    callback_local: datetime | None = None,
    callback_for_anyone: bool = False,
    wrap_seconds: int = 0,
) -> CallAttempt:
    campaign = attempt.campaign
    disposition = find(campaign, key)
    outcome = disposition.get("outcome", "")
    if outcome == "sale" and (value_minor < 0 or len(currency) != 3 or not currency.isalpha()):
        raise InvalidInput(
            "A sale needs its value and a three-letter currency.",
            fields={"currency": "e.g. USD"},
        )
    now = timezone.now()
    with transaction.atomic():
        attempt = (
            CallAttempt.objects.select_for_update().select_related("campaign").get(pk=attempt.pk)
        )
        if attempt.disposition:
            raise Conflict("This call already has a disposition.", code="disposed")
        lead = Lead.objects.select_for_update().select_related("campaign").get(pk=attempt.lead_id)
        attempt.disposition = key
        attempt.answers = dict(answers or {})
        attempt.wrap_seconds = max(0, min(int(wrap_seconds), 86400))
        attempt.ended_at = attempt.ended_at or now
        if not attempt.outcome:
            attempt.outcome = (
                CallAttempt.Outcome.NO_ANSWER if outcome == "no_answer" else "answered"
            )
        attempt.save()
        lead.disposition = key
        lead.callback_at, lead.callback_agent_id = None, None
        _follow(actor, attempt, lead, outcome, key, now, value_minor, currency.upper())
        if outcome == "callback":
            if callback_local is None:
                raise InvalidInput(
                    "When should the lead be called back?", fields={"callback_at": "required"}
                )
            callbacks.book(
                lead,
                at=callbacks.when(lead, callback_local),
                agent_id=None if callback_for_anyone else attempt.agent_id,
            )
        lead.version += 1
        lead.save()
        after_call(attempt, lead, text=f"Disposition: {disposition.get('label') or key}.")
        record(
            action="outbound.call.disposed",
            actor=actor,
            client=attempt.client_id,
            object_type="call_attempt",
            object_id=attempt.pk,
            payload={"disposition": key, "outcome": outcome, "lead_status": lead.status},
        )
    return attempt


def _follow(actor, attempt, lead, outcome, key, now, value_minor, currency) -> None:
    if outcome == "do_not_call":
        block_number(actor=actor, lead=lead, now=now)
    elif outcome == "sale":
        lead.status = Lead.Status.DONE
        _publish_sale(attempt, lead, value_minor, currency, now)
    elif outcome != "callback":
        recycle(lead, key, outcome, now)


def block_number(*, actor, lead: Lead, now: datetime) -> int:
    """The lead's number on the client's do-not-call list, and every unfinished lead with
    it marked do-not-call, inside the caller's transaction; how many leads were blocked.
    The leads' rows first, then the number's lock, as the dialler takes them."""
    list(
        Lead.objects.select_for_update()
        .filter(client_id=lead.client_id, phone_hash=lead.phone_hash)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    dialler.number_lock(lead.client_id, lead.phone_hash)
    DncEntry.objects.get_or_create(
        client_id=lead.client_id,
        phone_hash=lead.phone_hash,
        source=DncEntry.Source.DISPOSITION,
        defaults={"scope": DncEntry.Scope.CLIENT, "added_by": actor, "added_at": now},
    )
    reason = "dnc.internal: The person asked not to be called again."
    blocked = (
        Lead.objects.filter(client_id=lead.client_id, phone_hash=lead.phone_hash)
        .exclude(status__in=FINISHED)
        .exclude(pk=lead.pk)
        .update(status=Lead.Status.DNC, held_reason=reason, next_callable_at=None)
    )
    lead.status, lead.held_reason, lead.next_callable_at = Lead.Status.DNC, reason, None
    work.publish(
        kind=events.NUMBER_BLOCKED,
        client_id=lead.client_id,
        engagement_id=lead.campaign.engagement_id,
        data={
            "campaign_id": lead.campaign_id,
            "lead_id": lead.pk,
            "source": DncEntry.Source.DISPOSITION,
            "scope": DncEntry.Scope.CLIENT,
        },
        actor=actor,
    )
    record(
        action="outbound.dnc.added",
        actor=actor,
        client=lead.client_id,
        object_type="lead",
        object_id=lead.pk,
        payload={"source": "disposition", "scope": "client", "leads_blocked": blocked + 1},
    )
    return blocked + 1


def recycle(lead: Lead, key: str, outcome: str, now: datetime) -> None:
    rule = (lead.campaign.recycling or {}).get(key) or (lead.campaign.recycling or {}).get(outcome)
    if not rule:
        lead.status = Lead.Status.DONE
        return
    if lead.attempts >= int(rule.get("max_attempts") or 1):
        lead.status = Lead.Status.DONE
        lead.held_reason = f"recycling: {lead.attempts} attempts, the campaign's maximum"
        return
    lead.status = Lead.Status.CALLABLE
    lead.next_callable_at = now + timedelta(minutes=int(rule.get("after_minutes") or 0))


def _publish_sale(attempt, lead, value_minor, currency, now) -> None:
    common = {"campaign_id": lead.campaign_id, "lead_id": lead.pk, "attempt_id": attempt.pk}
    engagement_id = lead.campaign.engagement_id
    work.publish(
        kind=events.SALE_MADE,
        client_id=lead.client_id,
        engagement_id=engagement_id,
        data={
            **common,
            "agent_id": attempt.agent_id,
            "value_minor": value_minor,
            "currency": currency,
            "occurred_at": now,
        },
    )
    work.publish(
        kind=events.LEAD_CONVERTED,
        client_id=lead.client_id,
        engagement_id=engagement_id,
        data={**common, "kind": "sale", "item_id": attempt.item_id, "occurred_at": now},
    )


def after_call(attempt: CallAttempt, lead: Lead, *, text: str) -> None:
    """The call is over for good: `outbound.call.made`, and its item resolved."""
    _publish_call(attempt, lead)
    if attempt.item_id:
        work.close_for_record(actor=None, item_id=attempt.item_id, action="resolve", text=text)


def _publish_call(attempt: CallAttempt, lead: Lead) -> None:
    work.publish(
        kind=events.CALL_MADE,
        client_id=lead.client_id,
        engagement_id=lead.campaign.engagement_id,
        data={
            "campaign_id": lead.campaign_id,
            "lead_id": lead.pk,
            "attempt_id": attempt.pk,
            "agent_id": attempt.agent_id,
            "outcome": attempt.outcome,
            "disposition": attempt.disposition,
            "talk_seconds": attempt.talk_seconds,
            "started_at": attempt.started_at,
        },
    )


def minor_units(text: str) -> int:
    """ "129.00" -> 12900; anything else is refused."""
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(str(text).strip().replace(",", ""))
    except InvalidOperation:
        raise InvalidInput(
            "The value is an amount, e.g. 129.00.", fields={"value": "not an amount"}
        ) from None
    if (
        not value.is_finite()
        or value < 0
        or value > Decimal("100000000")
        or value != value.quantize(Decimal("0.01"))
    ):
        raise InvalidInput(
            "The value is an amount, e.g. 129.00.", fields={"value": "not an amount"}
        )
    return int(value * 100)
