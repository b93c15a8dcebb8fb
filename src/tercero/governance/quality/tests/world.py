"""Builders for quality tests: a keying engagement with its keyers, a QA analyst, a team
lead's team, a "fields" scorecard and a sampling rule; documents worked through the
engine; the outbox drained as workers would."""

from dataclasses import dataclass
from typing import Any

from tercero.delivery.work import outbox
from tercero.delivery.work import selectors as work_selectors
from tercero.delivery.work import services as work
from tercero.delivery.work.tests.conftest import live_engagement, make_queue
from tercero.delivery.workforce.models import Agent, Clearance
from tercero.delivery.workforce.services import (
    add_to_team,
    create_agent,
    create_team,
    set_presence,
)
from tercero.governance.quality import rules, scorecards
from tercero.governance.quality.models import SamplingRule, Scorecard
from tercero.platform.identity.models import Grant
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.scoping import client_scope

DOCUMENT_TYPE = "capture.document"


def definition() -> dict[str, Any]:
    """Three keyed fields (the reference and bank account critical) and a 1-5 criterion."""
    return {
        "sections": [
            {
                "title": "Keyed fields",
                "criteria": [
                    {
                        "key": "ref",
                        "label": "Reference right",
                        "weight": 1,
                        "scale": "yes_no",
                        "critical": True,
                        "field": "document_ref",
                    },
                    {
                        "key": "name",
                        "label": "Name right",
                        "weight": 1,
                        "scale": "yes_no",
                        "field": "customer_name",
                        "allows_na": True,
                    },
                    {
                        "key": "iban",
                        "label": "Bank account right",
                        "weight": 2,
                        "scale": "yes_no",
                        "critical": True,
                        "field": "customer_iban",
                    },
                ],
            },
            {
                "title": "Process",
                "criteria": [
                    {
                        "key": "care",
                        "label": "Care",
                        "weight": 1,
                        "scale": "one_to_five",
                        "allows_na": True,
                    },
                ],
            },
        ]
    }


ALL_RIGHT = {"ref": 1, "name": 1, "iban": 1, "care": 5}
CRITICAL_WRONG = {"ref": 1, "name": 1, "iban": 0, "care": 5}


@dataclass
class World:
    tenant: Any
    engagement: Any
    queue: Any
    keyer: Agent
    analyst: Agent
    scorecard: Scorecard
    rule: SamplingRule


def person(role: str, email: str | None = None) -> Any:
    return UserFactory(role=role, **({"email": email} if email else {}))


def agent_for(engagement, user, *, skills: dict[str, int], available: bool = True) -> Agent:
    """An agent profile for `user`, granted and cleared for `engagement`."""
    from tercero.delivery.work.tests.conftest import _default_site
    from tercero.delivery.workforce.models import Site

    where = Site.objects.order_by("id").first() or _default_site()
    agent = Agent.objects.filter(user=user).first() or create_agent(
        actor=None, user=user, site=where, skills=skills, languages=["en"]
    )
    with client_scope(clients=[engagement.client_id]):
        Grant.objects.get_or_create(user=user, client_id=engagement.client_id)
        Clearance.objects.get_or_create(
            client_id=engagement.client_id, agent=agent, engagement=engagement
        )
    if available:
        agent = set_presence(agent=agent, presence="available")
    agent.user = user
    return agent


def build(
    tenant, *, name="Claims keying", random_share="1", keyer_user=None, **rule_settings
) -> World:
    """A keying engagement of `tenant`: the tenant's agent keys (in the team lead's team),
    a QA analyst evaluates; the rule samples `random_share` of resolved documents."""
    engagement = live_engagement(tenant.client, name=name, office="back")
    queue = make_queue(engagement, name=f"{name} forms", work_types=[DOCUMENT_TYPE])
    keyer = agent_for(engagement, keyer_user or tenant.agent, skills={"data_entry": 2})
    analyst_user = person(Role.QA_ANALYST)
    analyst = agent_for(engagement, analyst_user, skills={"quality_analysis": 2})
    team = create_team(
        actor=None,  # type: ignore[arg-type]
        provider=keyer.site.provider,
        name=f"Team {tenant.client.pk} {name}",
        lead=tenant.team_lead,
    )
    add_to_team(actor=None, team=team, agent=keyer)  # type: ignore[arg-type]
    with client_scope(clients=[tenant.client]):
        card = scorecards.create_scorecard(
            actor=None,
            engagement=engagement,
            work_type=DOCUMENT_TYPE,
            name="Keying",
            kind="fields",
            definition=definition(),
        )
        card = scorecards.set_active(actor=None, scorecard=card, version=1, is_active=True)
        settings = {"rework_on_critical": True, **rule_settings}
        rule = rules.create_rule(
            actor=None,
            engagement=engagement,
            work_type=DOCUMENT_TYPE,
            scorecard=card,
            random_share=random_share,
            **settings,
        )
    return World(tenant, engagement, queue, keyer, analyst, card, rule)


def resolved_document(world: World, *, agent: Agent | None = None, ref: str = "CLM-1") -> Any:
    """A document keyed and resolved by `agent` (the world's keyer by default)."""
    agent = agent or world.keyer
    with client_scope(clients=[world.tenant.client]):
        item = work.create_item(
            actor=None,
            queue=world.queue,
            work_type=DOCUMENT_TYPE,
            payload={
                "document_ref": ref,
                "fields_total": 4,
                "fields_keyed": 4,
                "customer_name": "Maria Santos",
                "customer_iban": "DE89370400440532013000",
            },
        )
        item = work.assign(actor=None, item=item, agent=agent)
        item = work.transition(actor=agent.user, item=item, action="start")
        return work.transition(actor=agent.user, item=item, action="resolve", resolution="Keyed.")


def drain() -> int:
    """Run quality's consumers as a worker would: the sampler, then critical failures."""
    return outbox.consume("quality.sampler") + outbox.consume("quality.critical")


def held_by_analyst(world: World, sample) -> Any:
    """The sample's evaluation item, assigned to the world's analyst."""
    with client_scope(clients=[world.tenant.client]):
        item = work_selectors.items(client_ids=[world.tenant.client.pk]).get(
            pk=sample.evaluation_item_id
        )
        return work.assign(actor=None, item=item, agent=world.analyst)
