"""Callbacks: a lead to be called again at a set time, by the booking agent or anyone.

The agent gives the time as the lead's own wall-clock time (the lead's IANA zone, or the
first of its candidate zones when the number spans several); it is stored in UTC. A time
outside the calling window or on a quiet day, in any of the lead's zones, is refused with
the rule's plain reason, and so is a time in the past.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

from tercero.platform.errors import InvalidInput
from tercero.platform.security import crypto
from tercero.services.outbound import compliance, scrub
from tercero.services.outbound.models import Lead


def lead_zone(lead: Lead) -> str:
    if lead.time_zone:
        return lead.time_zone
    zones = compliance.zones_for(
        crypto.open_sealed(lead.phone), lead.postal_code or None, lead.country or None
    )
    return zones[0] if zones else "UTC"


def when(lead: Lead, local: datetime) -> datetime:
    """`local` (naive: the lead's wall-clock time; aware: taken as given) in UTC, checked."""
    moment = local if local.tzinfo else local.replace(tzinfo=ZoneInfo(lead_zone(lead)))
    moment = moment.astimezone(ZoneInfo("UTC"))
    if moment <= timezone.now():
        raise InvalidInput("The callback time has passed.", fields={"callback_at": "in the past"})
    verdict = scrub.why_not_now(lead, at=moment)
    hour_rules = scrub.hour_rules(compliance.load(lead.campaign.pack))
    refused = [reason for reason in verdict.reasons if reason.rule in hour_rules]
    if refused:
        raise InvalidInput(
            f"A callback cannot be booked then: {refused[0].detail}",
            fields={"callback_at": "outside the calling window"},
        )
    return moment


def book(lead: Lead, *, at: datetime, agent_id: int | None) -> None:
    """Set the callback on the (locked) lead: callable again at `at`, for `agent_id` only
    when given, for anyone otherwise. The caller saves the lead."""
    lead.callback_at = at
    lead.callback_agent_id = agent_id
    lead.next_callable_at = at
    lead.status = Lead.Status.CALLABLE
