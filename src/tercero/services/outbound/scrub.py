"""Scrubbing: may each lead ever be called, whatever the hour?

At load, and again when a do-not-call entry or a consent record arrives, each lead is
asked through the compliance rules (`compliance.why_not`) with its do-not-call sources
and consent scopes. Rules about the hour (calling windows, quiet days) are left to dial
time: a lead they alone forbid now stays callable. Any other rule (do-not-call, consent,
a lifetime cap, no known time zone) holds the lead, and the rule and its plain reason are
kept on it (`held_reason`).

`why_not_now` answers the same question for one lead at a moment, with its history.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from functools import cache

from django.db.models import Q
from django.utils import timezone

from tercero.services.outbound import compliance
from tercero.services.outbound.models import CallAttempt, Campaign, Consent, DncEntry, Lead

SCRUBBABLE = (Lead.Status.NEW, Lead.Status.CALLABLE, Lead.Status.HELD)


def hour_rules(pack: compliance.Pack) -> frozenset[str]:
    """The pack's rules about the hour and the day: left to dial time."""
    return _hour_rules(pack.key)


@cache
def _hour_rules(key: str) -> frozenset[str]:
    pack = compliance.load(key)
    rules = {pack.window.rule, *(days.rule for days in pack.quiet_days)}
    for region in pack.regions.values():
        if region.window:
            rules.add(region.window.rule)
        rules.update(days.rule for days in region.quiet_days)
    return frozenset(rules)


def dnc_sources(client_id: int, hashes: Iterable[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    hashes = list(hashes)
    for start in range(0, len(hashes), 5000):
        rows = DncEntry.objects.filter(
            client_id=client_id, phone_hash__in=hashes[start : start + 5000]
        )
        for phone_hash, source in rows.values_list("phone_hash", "source"):
            found[phone_hash].append(_source_key(source))
    return found


def consent_scopes(client_id: int, hashes: Iterable[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    hashes = list(hashes)
    for start in range(0, len(hashes), 5000):
        rows = Consent.objects.filter(
            client_id=client_id, phone_hash__in=hashes[start : start + 5000], withdrawn_at=None
        )
        for phone_hash, scope in rows.values_list("phone_hash", "scope"):
            found[phone_hash].add(scope)
    return found


def _source_key(source: str) -> str:
    """A DncEntry source as the rules name it: "US-NDNC" for a registry, else the source."""
    return source.removeprefix("registry:")


def facts(number: str, lead_like, dnc: list[str], scopes: set[str]) -> compliance.LeadFacts:
    from tercero.services.outbound.compliance import zones

    try:
        mobile = zones.is_mobile(number)
    except ValueError:
        mobile = None
    return compliance.LeadFacts(
        number=number,
        postal_code=lead_like.postal_code or None,
        country=lead_like.country or None,
        is_mobile=mobile,
        consent_scopes=frozenset(scopes),
        on_dnc=tuple(sorted(set(dnc))),
    )


def verdict_at_load(
    campaign: Campaign, number: str, lead_like, dnc: list[str], scopes: set[str], at: datetime
) -> tuple[str, str]:
    """(status, held_reason) for a lead at load: "callable" and "", or "held" and the rule."""
    pack = compliance.load(campaign.pack)
    verdict = compliance.why_not(
        facts(number, lead_like, dnc, scopes),
        compliance.History(),
        at,
        pack,
        automated=campaign.mode != Campaign.Mode.PREVIEW,
    )
    blocking = [r for r in verdict.reasons if r.rule not in hour_rules(pack)]
    if not blocking:
        return Lead.Status.CALLABLE, ""
    return Lead.Status.HELD, f"{blocking[0].rule}: {blocking[0].detail}"[:300]


def rescrub(*, client_id: int, hashes: Iterable[str] | None = None, campaign=None) -> int:
    """Scrub again the client's not-yet-finished leads (all, or those with `hashes`);
    how many changed status."""
    from tercero.platform.security import crypto

    leads = Lead.objects.filter(client_id=client_id, status__in=SCRUBBABLE)
    if campaign is not None:
        leads = leads.filter(campaign=campaign)
    if hashes is not None:
        hashes = list(hashes)
        leads = leads.filter(phone_hash__in=hashes)
    leads = list(leads.select_related("campaign"))
    dnc = dnc_sources(client_id, {lead.phone_hash for lead in leads})
    scopes = consent_scopes(client_id, {lead.phone_hash for lead in leads})
    now = timezone.now()
    changed = []
    for lead in leads:
        number = crypto.open_sealed(lead.phone)
        status, reason = verdict_at_load(
            lead.campaign,
            number,
            lead,
            dnc.get(lead.phone_hash, []),
            scopes.get(lead.phone_hash, set()),
            now,
        )
        if (status, reason) != (lead.status, lead.held_reason):
            lead.status, lead.held_reason = status, reason
            changed.append(lead)
    Lead.objects.bulk_update(changed, ["status", "held_reason"], batch_size=1000)
    return len(changed)


def history(lead: Lead) -> compliance.History:
    mine = CallAttempt.objects.filter(lead=lead).values_list("started_at", flat=True)
    others = CallAttempt.objects.filter(
        Q(lead__phone_hash=lead.phone_hash) & Q(client_id=lead.client_id) & ~Q(lead=lead)
    ).values_list("started_at", flat=True)
    return compliance.History(attempts=tuple(mine), number_attempts=tuple(others))


def why_not_now(lead: Lead, *, at: datetime | None = None) -> compliance.Verdict:
    """The compliance answer for `lead` at `at` (now): every rule, its source, and when."""
    from tercero.platform.security import crypto

    at = at or timezone.now()
    number = crypto.open_sealed(lead.phone)
    dnc = dnc_sources(lead.client_id, [lead.phone_hash]).get(lead.phone_hash, [])
    scopes = consent_scopes(lead.client_id, [lead.phone_hash]).get(lead.phone_hash, set())
    return compliance.why_not(
        facts(number, lead, dnc, scopes),
        history(lead),
        at,
        compliance.load(lead.campaign.pack),
        automated=lead.campaign.mode != Campaign.Mode.PREVIEW,
    )
