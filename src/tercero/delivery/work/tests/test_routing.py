"""Every eligibility rule, through all three ways an item reaches an agent: the agent
pulls it, the engine pushes it on arrival, a team lead assigns it."""

from dataclasses import dataclass, field

import pytest
from tests.factories import site

from tercero.delivery.work import services
from tercero.delivery.work.models import Assignment
from tercero.delivery.work.tests.conftest import add_item, live_engagement, make_agent, make_queue
from tercero.platform.errors import InvalidInput
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope


@dataclass
class Case:
    name: str
    agent: dict = field(default_factory=dict)
    item: dict = field(default_factory=dict)
    cleared: bool = True
    engagement: dict = field(default_factory=dict)
    busy_first: int = 0  # items the agent already holds on the item's channel
    eligible: bool = True
    reason: str = ""


CASES = [
    Case("plain match"),
    Case(
        "skill at the level",
        agent={"skills": {"billing": 3}},
        item={"required_skills": {"billing": 3}},
    ),
    Case(
        "skill above the level",
        agent={"skills": {"billing": 5}},
        item={"required_skills": {"billing": 2}},
    ),
    Case(
        "skill below the level",
        agent={"skills": {"billing": 2}},
        item={"required_skills": {"billing": 3}},
        eligible=False,
        reason="Needs the skill “billing” at level 3; the agent has 2.",
    ),
    Case(
        "skill missing",
        item={"required_skills": {"german_law": 1}},
        eligible=False,
        reason="Needs the skill “german_law” at level 1; the agent has 0.",
    ),
    Case(
        "one of two skills missing",
        agent={"skills": {"billing": 4}},
        item={"required_skills": {"billing": 1, "refunds": 1}},
        eligible=False,
        reason="Needs the skill “refunds”",
    ),
    Case("speaks the language", agent={"languages": ["en", "es"]}, item={"language": "es"}),
    Case(
        "language from the payload",
        agent={"languages": ["en"]},
        item={"payload": {"subject": "Hola", "customer_language": "es"}},
        eligible=False,
        reason="Needs the language “es”; the agent speaks en.",
    ),
    Case(
        "does not speak the language",
        agent={"languages": ["en"]},
        item={"language": "de"},
        eligible=False,
        reason="Needs the language “de”; the agent speaks en.",
    ),
    Case(
        "not cleared for the engagement",
        cleared=False,
        eligible=False,
        reason="not cleared for this engagement",
    ),
    Case(
        "at capacity for the channel",
        agent={"capacity": {"email": 1, "chat": 3}},
        busy_first=1,
        eligible=False,
        reason="at capacity for e-mail (1 of 1)",
    ),
    Case(
        "no capacity for the channel at all",
        agent={"capacity": {"chat": 3}},
        eligible=False,
        reason="at capacity for e-mail (0 of 0)",
    ),
    Case("under capacity", agent={"capacity": {"email": 2}}, busy_first=1),
    Case(
        "offshore agent, personal data, onshore-only engagement",
        engagement={"residency_allowed_shores": ["onshore"]},
        item={"personal_data": True},
        eligible=False,
        reason="does not satisfy the engagement's data-residency rule",
    ),
    Case(
        "offshore agent, no personal data, onshore-only engagement",
        engagement={"residency_allowed_shores": ["onshore"]},
        item={"personal_data": False},
    ),
    Case(
        "onshore agent, personal data, onshore-only engagement",
        agent={"site": "onshore"},
        engagement={"residency_allowed_shores": ["onshore"]},
        item={"personal_data": True},
    ),
    Case(
        "country rule excludes the site",
        engagement={"residency_allowed_countries": ["US", "CA"]},
        item={"personal_data": True},
        eligible=False,
        reason="data-residency rule",
    ),
    Case(
        "the item reviews the agent's own work",
        item={"not_for_agent_id": "the agent"},
        eligible=False,
        reason="reviews this agent's own work",
    ),
    Case("the item reviews another agent's work", item={"not_for_agent_id": "another"}),
]


def _setup(tenant_a, case: Case, *, routing: str):
    engagement = live_engagement(tenant_a.client, **case.engagement)
    queue = make_queue(engagement, routing=routing)
    agent_kwargs = dict(case.agent)
    if agent_kwargs.pop("site", None) == "onshore":
        agent_kwargs["site_"] = site(
            name="Tampa", country="US", time_zone="America/New_York", city="Tampa"
        )
    agent = make_agent(*([engagement] if case.cleared else []), **agent_kwargs)
    for n in range(case.busy_first):
        held = add_item(make_queue(engagement, name=f"held{n}", routing="manual"))
        with client_scope(clients=[tenant_a.client]):
            services.assign(actor=None, item=held, agent=agent)
    return engagement, queue, agent


ids = [case.name for case in CASES]


def _item_fields(case: Case, agent) -> dict:
    """The case's item fields, with the agent it is not for named by role."""
    fields = dict(case.item)
    whose = fields.get("not_for_agent_id")
    if whose is not None:
        fields["not_for_agent_id"] = agent.pk if whose == "the agent" else agent.pk + 1000
    return fields


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_pull(tenant_a, case):
    _, queue, agent = _setup(tenant_a, case, routing="pull")
    item = add_item(queue, **_item_fields(case, agent))
    got = services.get_next(agent=agent, client_ids=[tenant_a.client.pk])
    assert (got is not None and got.pk == item.pk) is case.eligible


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_push(tenant_a, case):
    _, queue, agent = _setup(tenant_a, case, routing="push")
    item = add_item(queue, **_item_fields(case, agent))
    assert (item.assignee_id == agent.pk) is case.eligible
    assert item.status == ("assigned" if case.eligible else "queued")


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_manual(tenant_a, case):
    _, queue, agent = _setup(tenant_a, case, routing="manual")
    item = add_item(queue, **_item_fields(case, agent))
    with client_scope(clients=[tenant_a.client]):
        if case.eligible:
            assigned = services.assign(actor=tenant_a.team_lead, item=item, agent=agent)
            assert assigned.assignee_id == agent.pk
            assert Assignment.objects.get(item=item, ended_at__isnull=True).how == "manual"
        else:
            with pytest.raises(InvalidInput) as refused:
                services.assign(actor=tenant_a.team_lead, item=item, agent=agent)
            assert refused.value.code == "not_eligible"
            assert any(case.reason in reason for reason in refused.value.fields["reasons"])
            item.refresh_from_db()
            assert item.status == "queued"
            assert item.assignee_id is None


def test_manual_queue_items_are_never_pulled(tenant_a):
    engagement = live_engagement(tenant_a.client)
    agent = make_agent(engagement)
    add_item(make_queue(engagement, routing="manual"))
    assert services.get_next(agent=agent, client_ids=[tenant_a.client.pk]) is None


def _next_pk(agent, tenant) -> int:
    """The id of the item the agent claims next (there must be one)."""
    got = services.get_next(agent=agent, client_ids=[tenant.client.pk])
    assert got is not None
    return got.pk


def test_pull_order_priority_then_slack_then_age(tenant_a):
    engagement = live_engagement(
        tenant_a.client,
        sla_targets=[
            {"metric": "first_response", "target_seconds": 3600},
            {"metric": "first_response", "priority": "P2", "target_seconds": 600},
        ],
    )
    queue = make_queue(engagement)
    agent = make_agent(engagement, capacity={"email": 10})
    old_p3 = add_item(queue, priority=3)
    p3 = add_item(queue, priority=3)
    p2_slow = add_item(make_queue(engagement, name="slow"), priority=2)
    p1 = add_item(queue, priority=1)
    order = [_next_pk(agent, tenant_a) for _ in range(4)]
    assert order == [p1.pk, p2_slow.pk, old_p3.pk, p3.pk]


def test_least_slack_across_engagements_with_different_calendars(tenant_a):
    # Two engagements: one open 24/7, one open only on Mondays 09-17 in New York. Both
    # items are due in wall-clock terms at different times; the router compares
    # remaining business time, not wall-clock time.
    always = live_engagement(
        tenant_a.client,
        name="Always",
        sla_targets=[{"metric": "first_response", "target_seconds": 4 * 3600}],
    )
    mondays = live_engagement(
        tenant_a.client,
        name="Mondays",
        hours_of_cover="business_hours",
        working_hours={"0": [["09:00", "17:00"]]},
        sla_targets=[{"metric": "first_response", "target_seconds": 3600}],
    )
    agent = make_agent(always, mondays)
    calm = add_item(make_queue(mondays, name="m"))  # 1 business hour left
    urgent = add_item(make_queue(always, name="a"))  # 4 hours left
    first = _next_pk(agent, tenant_a)
    # Mondays' item has one business hour of slack, whenever "now" is (its wall-clock due
    # moment is usually days away); the 24/7 item has four. Least slack goes first.
    assert first == calm.pk
    assert _next_pk(agent, tenant_a) == urgent.pk


def test_tightening_residency_applies_to_the_very_next_claim(tenant_a):
    from tercero.delivery.engagements.services import update_engagement

    engagement = live_engagement(tenant_a.client)
    queue = make_queue(engagement)
    agent = make_agent(engagement, capacity={"email": 10})  # works in Manila (offshore)
    add_item(queue, personal_data=True)
    assert services.get_next(agent=agent, client_ids=[tenant_a.client.pk]) is not None
    with client_scope(clients=[tenant_a.client]):
        engagement.refresh_from_db()
        update_engagement(
            actor=tenant_a.team_lead,
            engagement=engagement,
            version=engagement.version,
            changes={"residency_allowed_shores": ["onshore"]},
        )
    add_item(queue, personal_data=True)
    assert services.get_next(agent=agent, client_ids=[tenant_a.client.pk]) is None


def test_push_offers_to_the_agent_idle_longest(tenant_a):
    from datetime import timedelta

    from django.utils import timezone

    from tercero.delivery.workforce.models import Agent

    engagement = live_engagement(tenant_a.client)
    queue = make_queue(engagement, routing="push")
    _first, rested = make_agent(engagement), make_agent(engagement)
    Agent.objects.filter(pk=rested.pk).update(idle_since=timezone.now() - timedelta(hours=1))
    assert add_item(queue).assignee_id == rested.pk


def test_push_least_loaded_prefers_the_agent_with_room(tenant_a):
    engagement = live_engagement(tenant_a.client)
    queue = make_queue(engagement, routing="push", push_strategy="least_loaded")
    loaded = make_agent(engagement, capacity={"email": 4})
    # `loaded` is idle longest but already holds two items
    for n in range(2):
        held = add_item(make_queue(engagement, name=f"m{n}", routing="manual"))
        with client_scope(clients=[tenant_a.client]):
            services.assign(actor=None, item=held, agent=loaded)
    free = make_agent(engagement, capacity={"email": 4})
    assert add_item(queue).assignee_id == free.pk


def test_a_claim_stays_inside_the_clients_the_caller_reaches(tenant_a, tenant_b):
    mine = live_engagement(tenant_a.client)
    theirs = live_engagement(tenant_b.client)
    agent = make_agent(mine, theirs)
    add_item(make_queue(theirs))
    # reaching only client A (e.g. a token bound to A), the agent gets nothing of B's
    assert services.get_next(agent=agent, client_ids=[tenant_a.client.pk]) is None
    got = services.get_next(agent=agent, client_ids=[tenant_b.client.pk])
    assert got is not None
    assert got.client_id == tenant_b.client.pk


def test_push_skips_a_deactivated_agent(tenant_a):
    engagement = live_engagement(tenant_a.client)
    queue = make_queue(engagement, routing="push")
    gone = make_agent(engagement)
    gone.user.is_active = False
    with all_clients_scope():
        gone.user.save(update_fields=["is_active"])
    assert add_item(queue).assignee_id is None


def test_the_agent_an_item_is_not_for_must_be_an_agents_id(tenant_a):
    queue = make_queue(live_engagement(tenant_a.client))
    with pytest.raises(InvalidInput) as refused:
        add_item(queue, not_for_agent_id="someone")
    assert refused.value.fields == {"not_for_agent_id": "an integer"}
