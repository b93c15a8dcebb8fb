"""Quality assurance's share of the demo provider: Northwind's keying desk gets a "fields"
scorecard, a sampling rule, a QA analyst (Quinn, cleared, skilled in quality analysis),
a team led by Tala, and a few evaluations of Ana's documents: two clean, one she
disputes, one failing a critical criterion (its coaching task open and the document sent
back for rework), and one evaluation waiting in the QA queue. Idempotent: nothing
happens once the engagement has a scorecard."""

from typing import Any

from tercero.delivery.engagements.models import Engagement
from tercero.delivery.work import selectors as work_selectors
from tercero.delivery.work import services as work
from tercero.delivery.workforce import services as workforce
from tercero.delivery.workforce.models import Agent, Site, Team
from tercero.governance.quality import coaching, disputes, evaluations, sampler, scorecards
from tercero.governance.quality import rules as quality_rules
from tercero.governance.quality.models import Scorecard
from tercero.platform.catalogue import DemoContext
from tercero.platform.tenancy.scoping import client_scope

CRITERIA = [
    ("Keyed fields", "document_ref", "Document reference keyed right", 1, True, "document_ref"),
    ("Keyed fields", "customer_name", "Customer name keyed right", 1, False, "customer_name"),
    ("Keyed fields", "customer_iban", "Bank account keyed right", 2, True, "customer_iban"),
    ("Keyed fields", "fields_total", "Field count recorded right", 1, False, "fields_total"),
]
# the demo's evaluations: scores per criterion (1 = right), the last criterion 1-5
SCORES = [
    {"document_ref": 1, "customer_name": 1, "customer_iban": 1, "fields_total": 1, "care": 5},
    {"document_ref": 1, "customer_name": 1, "customer_iban": 1, "fields_total": 1, "care": 4},
    {"document_ref": 1, "customer_name": 0, "customer_iban": 1, "fields_total": 1, "care": 3},
    {"document_ref": 1, "customer_name": 1, "customer_iban": 0, "fields_total": 1, "care": 2},
]


def definition() -> dict[str, Any]:
    criteria = [
        {
            "key": key,
            "label": label,
            "weight": weight,
            "scale": "yes_no",
            "critical": critical,
            "field": field,
        }
        for _section, key, label, weight, critical, field in CRITERIA
    ]
    care = {
        "key": "care",
        "label": "Notes and validation failures recorded with care",
        "weight": 1,
        "scale": "one_to_five",
        "allows_na": True,
    }
    return {
        "sections": [
            {"title": "Keyed fields", "criteria": criteria},
            {"title": "Process", "criteria": [care]},
        ]
    }


def load(context: DemoContext) -> None:
    engagement = Engagement.objects.filter(name="Order data entry").first()
    if engagement is None or Scorecard.objects.filter(engagement=engagement).exists():
        return
    with client_scope(clients=[engagement.client_id]):
        _load(context, engagement)


def _load(context: DemoContext, engagement: Engagement) -> None:
    admin = context.admin
    ana = _agent(admin, context.person("agent@tercero.example"), {"data_entry": 3})
    quinn = _agent(admin, context.person("qa@tercero.example"), {"quality_analysis": 3})
    for agent in (ana, quinn):
        if not agent.clearances.filter(engagement=engagement).exists():
            workforce.clear_agent(
                actor=admin,
                agent=agent,
                engagement=engagement,
                reachable_client_ids=[engagement.client_id],
            )
    workforce.set_presence(agent=quinn, presence="available", reason="demo shift")
    _team(admin, ana, context.person("lead@tercero.example"))
    card = scorecards.create_scorecard(
        actor=admin,
        engagement=engagement,
        work_type="capture.document",
        name="Order keying accuracy",
        kind="fields",
        definition=definition(),
    )
    card = scorecards.set_active(actor=admin, scorecard=card, version=card.version, is_active=True)
    rule = quality_rules.create_rule(
        actor=admin,
        engagement=engagement,
        work_type="capture.document",
        scorecard=card,
        random_share="0.10",
        minimum_per_agent_week=2,
        strata=["new_agent", "escalated", "reopened"],
        rework_on_critical=True,
    )
    documents = _worked_documents(admin, engagement, ana, count=len(SCORES) + 1)
    samples = [
        sampler.take_sample(rule=rule, item=item, reason="new_agent" if n % 2 else "random")
        for n, item in enumerate(documents)
    ]
    done = [
        _evaluate(admin, quinn, sample, SCORES[n])
        for n, sample in enumerate(samples[: len(SCORES)])
    ]
    coaching.follow_up(evaluation=done[3])
    disputes.raise_dispute(
        actor=ana.user,
        evaluation=done[2],
        reason="The customer's name on the form is handwritten; I keyed what the scan shows.",
    )


def _agent(admin: Any, user: Any, skills: dict[str, int]) -> Agent:
    found = Agent.objects.filter(user=user).first()
    if found is not None:
        return found
    return workforce.create_agent(
        actor=admin,
        user=user,
        site=Site.objects.get(name="Manila"),
        skills=skills,
        languages=["en"],
    )


def _team(admin: Any, agent: Agent, lead: Any) -> None:
    if Team.objects.filter(memberships__agent=agent).exists():
        return
    team = Team.objects.filter(name="Keying team").first() or workforce.create_team(
        actor=admin, provider=agent.site.provider, name="Keying team", lead=lead, site=agent.site
    )
    workforce.add_to_team(actor=admin, team=team, agent=agent)


def _worked_documents(admin: Any, engagement: Engagement, agent: Agent, *, count: int) -> list[Any]:
    """Documents Ana keyed and resolved today, through the engine."""
    queue = work_selectors.queue_taking(engagement_id=engagement.pk, work_type="capture.document")
    assert queue is not None, "capture's demo makes the keying queues first"
    rows = [
        {
            "work_type": "capture.document",
            "external_ref": f"QA-DEMO-{n}",
            "payload": {
                "document_ref": f"PO-{7100 + n}",
                "document_kind": "purchase order",
                "fields_total": 14,
                "fields_keyed": 14,
                "customer_name": "Lena Vogel",
            },
        }
        for n in range(count)
    ]
    created, _ = work.create_items(actor=admin, queue=queue, rows=rows)
    resolved = []
    for item in created:
        item = work.assign(actor=admin, item=item, agent=agent)
        item = work.transition(actor=agent.user, item=item, action="start")
        resolved.append(
            work.transition(
                actor=agent.user,
                item=item,
                action="resolve",
                resolution="Keyed into the order system.",
            )
        )
    return resolved


def _evaluate(admin: Any, analyst: Agent, sample: Any, scores: dict[str, int]) -> Any:
    item = work_selectors.items(client_ids=[sample.client_id]).get(pk=sample.evaluation_item_id)
    work.assign(actor=admin, item=item, agent=analyst)
    comments = {key: "Keyed as on the scan." for key, value in scores.items() if value == 0}
    return evaluations.submit(
        actor=analyst.user,
        client_ids=[sample.client_id],
        item_id=item.pk,
        scores=scores,
        comments=comments,
        overall_comment="Checked against the scanned purchase order.",
    )
