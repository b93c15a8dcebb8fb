"""The live campaign board: what each campaign's dialling did over a window and where its
leads stand now, aggregated in SQL (grouped counts and sums; Python only folds the few
grouped rows).

- dials: call attempts started in the window; contacts: those answered by a person
  (outcome "answered", plus "abandoned": a person answered and no agent was free);
- contact rate = contacts / dials; conversion rate = attempts dispositioned with an
  outcome "sale" / contacts (the campaign's own dispositions say which keys are sales);
- abandon rate = abandoned / contacts, against the campaign's cap (the pack's rule, e.g.
  3 % of live answers, 47 CFR 64.1200(a)(7));
- attempts per lead: mean of the leads' attempt counts;
- leads callable now (status callable and due), held leads by rule (the rule is the part
  of `held_reason` before its colon);
- agents: talk and wrap seconds summed per agent; idle is the rest of the span from the
  agent's first dial to the end of their last call in the window (no presence data is
  read: outbound never imports the workforce's models).
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Avg, Count, Max, Min, Q, Sum

from tercero.services.outbound.models import CallAttempt, Campaign, Lead

LIVE = (CallAttempt.Outcome.ANSWERED, CallAttempt.Outcome.ABANDONED)


@dataclass
class CampaignFigures:
    campaign_id: int
    client_id: int
    name: str
    status: str
    abandon_cap_percent: Decimal
    dials: int = 0
    contacts: int = 0
    sales: int = 0
    abandoned: int = 0
    attempts_per_lead: float | None = None
    callable_now: int = 0
    held_by_rule: dict[str, int] = field(default_factory=dict)

    @property
    def contact_rate(self) -> float | None:
        return _percent(self.contacts, self.dials)

    @property
    def conversion_rate(self) -> float | None:
        return _percent(self.sales, self.contacts)

    @property
    def abandon_rate(self) -> float | None:
        return _percent(self.abandoned, self.contacts)

    @property
    def is_over_cap(self) -> bool:
        rate = self.abandon_rate
        return rate is not None and rate > float(self.abandon_cap_percent)


@dataclass(frozen=True)
class AgentFigures:
    agent_id: int
    calls: int
    talk_seconds: int
    wrap_seconds: int
    idle_seconds: int


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _sale_keys(campaign: Campaign) -> set[str]:
    return {
        str(row.get("key"))
        for row in campaign.dispositions or []
        if isinstance(row, dict) and row.get("outcome") == "sale"
    }


def campaigns_board(
    *, client_ids: list[int], since: datetime, until: datetime, campaign_id: int | None = None
) -> list[CampaignFigures]:
    """Figures per campaign of the caller's clients for attempts started in [since, until)."""
    campaigns = Campaign.objects.filter(client_id__in=client_ids).order_by("name", "pk")
    if campaign_id is not None:
        campaigns = campaigns.filter(pk=campaign_id)
    found = {
        c.pk: (
            c,
            CampaignFigures(c.pk, c.client_id, c.name, c.status, c.abandon_cap_percent),
        )
        for c in campaigns
    }
    ids = list(found)
    _add_attempts(found, ids, since, until)
    _add_leads(found, ids, until)
    return [figures for _, figures in found.values()]


def _add_attempts(found, ids, since, until) -> None:
    rows = (
        CallAttempt.objects.filter(campaign_id__in=ids, started_at__gte=since, started_at__lt=until)
        .values("campaign_id", "outcome", "disposition")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        campaign, figures = found[row["campaign_id"]]
        figures.dials += row["n"]
        if row["outcome"] in LIVE:
            figures.contacts += row["n"]
        if row["outcome"] == CallAttempt.Outcome.ABANDONED:
            figures.abandoned += row["n"]
        if row["disposition"] and row["disposition"] in _sale_keys(campaign):
            figures.sales += row["n"]


def _add_leads(found, ids, now) -> None:
    means = (
        Lead.objects.filter(campaign_id__in=ids)
        .values("campaign_id")
        .annotate(
            mean=Avg("attempts"),
            callable_now=Count(
                "pk",
                filter=Q(status=Lead.Status.CALLABLE)
                & (Q(next_callable_at__isnull=True) | Q(next_callable_at__lte=now)),
            ),
        )
    )
    for row in means:
        figures = found[row["campaign_id"]][1]
        figures.attempts_per_lead = (
            round(float(row["mean"]), 2) if row["mean"] is not None else None
        )
        figures.callable_now = row["callable_now"]
    held = (
        Lead.objects.filter(campaign_id__in=ids, status__in=(Lead.Status.HELD, Lead.Status.DNC))
        .values("campaign_id", "held_reason")
        .annotate(n=Count("pk"))
    )
    for row in held:
        rule = (row["held_reason"] or "no reason recorded").split(":", 1)[0].strip()
        rule = rule.replace("_", " ")  # the rule key in words: "time zone unknown"
        by_rule = found[row["campaign_id"]][1].held_by_rule
        by_rule[rule] = by_rule.get(rule, 0) + row["n"]


def agents_board(
    *, client_ids: list[int], since: datetime, until: datetime, campaign_id: int | None = None
) -> list[AgentFigures]:
    """Talk, wrap and idle seconds per agent who dialled in the window."""
    attempts = CallAttempt.objects.filter(
        client_id__in=client_ids,
        agent_id__isnull=False,
        started_at__gte=since,
        started_at__lt=until,
    )
    if campaign_id is not None:
        attempts = attempts.filter(campaign_id=campaign_id)
    rows = (
        attempts.values("agent_id")
        .annotate(
            calls=Count("pk"),
            talk=Sum("talk_seconds"),
            wrap=Sum("wrap_seconds"),
            first=Min("started_at"),
            last=Max("ended_at"),
        )
        .order_by("agent_id")
    )
    out = []
    for row in rows:
        talk, wrap = row["talk"] or 0, row["wrap"] or 0
        span = int((row["last"] - row["first"]).total_seconds()) if row["last"] else 0
        idle = max(span - talk - wrap, 0)
        out.append(AgentFigures(row["agent_id"], row["calls"], talk, wrap, idle))
    return out
