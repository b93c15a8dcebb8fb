"""The pull claim's rules that `test_routing`'s table does not name one by one: open
queues, engagements that take work, the agent's presence, shores worked out per site and
client, and each of them followed on the very next claim after the data changes. On
PostgreSQL these rules live in the claim statement itself (`services/claim_sql.py`)."""

import pytest
from django.db import connection
from tests.factories import site

from tercero.delivery.engagements.models import Engagement
from tercero.delivery.work import routing, services
from tercero.delivery.work.models import Assignment, WorkItem
from tercero.delivery.work.tests.conftest import add_item, live_engagement, make_agent, make_queue
from tercero.delivery.workforce.models import Agent, Site
from tercero.delivery.workforce.services import set_presence
from tercero.platform.errors import Conflict
from tercero.platform.tenancy.models import Client
from tercero.platform.tenancy.scoping import client_scope


def _next(agent, tenant):
    return services.get_next(agent=agent, client_ids=[tenant.client.pk])


def _tampa():
    return site(name="Tampa", country="US", time_zone="America/New_York", city="Tampa")


def test_an_inactive_queue_is_never_pulled_from(tenant_a):
    # given a queue that was closed after an item arrived
    engagement = live_engagement(tenant_a.client)
    queue = make_queue(engagement)
    agent = make_agent(engagement)
    add_item(queue)
    with client_scope(clients=[tenant_a.client]):
        services.update_queue(
            actor=tenant_a.team_lead,
            queue=queue,
            version=queue.version,
            changes={"is_active": False},
        )
    # then the agent gets nothing from it
    assert _next(agent, tenant_a) is None


@pytest.mark.parametrize(
    ("status", "pulled"),
    [("draft", False), ("proposed", False), ("ended", False), ("transition", True)],
)
def test_only_engagements_in_transition_or_live_give_work(tenant_a, status, pulled):
    engagement = live_engagement(tenant_a.client)
    queue = make_queue(engagement)
    agent = make_agent(engagement)
    item = add_item(queue)
    with client_scope(clients=[tenant_a.client]):
        Engagement.objects.filter(pk=engagement.pk).update(status=status)
    got = _next(agent, tenant_a)
    assert (got is not None and got.pk == item.pk) is pulled


def test_an_agent_who_is_not_available_is_refused_and_nothing_is_claimed(tenant_a):
    engagement = live_engagement(tenant_a.client)
    item = add_item(make_queue(engagement))
    agent = set_presence(agent=make_agent(engagement), presence="break")
    with pytest.raises(Conflict) as refused:
        _next(agent, tenant_a)
    assert refused.value.code == "agent_not_available"
    with client_scope(clients=[tenant_a.client]):
        item.refresh_from_db()
        assert item.status == "queued"
        assert not Assignment.objects.filter(item=item).exists()


def test_an_agent_that_does_not_exist_is_refused(tenant_a):
    with pytest.raises(Agent.DoesNotExist):
        services.get_next(agent=Agent(pk=987_654), client_ids=[tenant_a.client.pk])


def test_a_nearshore_site_may_take_nearshore_personal_data_and_an_offshore_one_may_not(
    tenant_a,
):
    # given an engagement of a US client that keeps personal data on- or nearshore
    engagement = live_engagement(tenant_a.client, residency_allowed_shores=["onshore", "nearshore"])
    queue = make_queue(engagement)
    mexico = site(name="CDMX", country="MX", time_zone="America/Mexico_City", city="CDMX")
    near = make_agent(engagement, site_=mexico)
    far = make_agent(engagement)  # Manila
    item = add_item(queue, personal_data=True)
    # then Manila gets nothing and Mexico City gets the item
    assert _next(far, tenant_a) is None
    assert _next(near, tenant_a).pk == item.pk


def test_moving_the_agent_to_another_site_applies_to_the_very_next_claim(tenant_a):
    engagement = live_engagement(tenant_a.client, residency_allowed_shores=["onshore"])
    queue = make_queue(engagement)
    agent = make_agent(engagement, capacity={"email": 10})  # Manila: offshore
    add_item(queue, personal_data=True)
    assert _next(agent, tenant_a) is None
    # when the agent moves onshore, the next claim gets the item
    tampa = _tampa()
    Agent.objects.filter(pk=agent.pk).update(site=tampa)
    assert _next(agent, tenant_a) is not None
    # and when they move back offshore, the next item stays queued
    Agent.objects.filter(pk=agent.pk).update(site=Site.objects.get(name="Manila"))
    last = add_item(queue, personal_data=True)
    assert _next(agent, tenant_a) is None
    with client_scope(clients=[tenant_a.client]):
        assert WorkItem.objects.get(pk=last.pk).status == "queued"


def test_a_site_or_client_changing_country_applies_to_the_very_next_claim(tenant_a):
    engagement = live_engagement(tenant_a.client, residency_allowed_shores=["onshore"])
    queue = make_queue(engagement)
    tampa = _tampa()
    agent = make_agent(engagement, site_=tampa, capacity={"email": 10})
    add_item(queue, personal_data=True)
    assert _next(agent, tenant_a) is not None
    # the site's country changes: the same agent is now offshore for this client
    Site.objects.filter(pk=tampa.pk).update(country="PH", time_zone="Asia/Manila")
    add_item(queue, personal_data=True)
    assert _next(agent, tenant_a) is None
    # the client moves to the Philippines too: onshore again
    Client.objects.filter(pk=tenant_a.client.pk).update(country="PH", time_zone="Asia/Manila")
    assert _next(agent, tenant_a) is not None


def test_a_country_rule_and_a_shore_rule_must_both_hold(tenant_a):
    engagement = live_engagement(
        tenant_a.client,
        residency_allowed_shores=["onshore"],
        residency_allowed_countries=["CA"],
    )
    queue = make_queue(engagement)
    agent = make_agent(engagement, site_=_tampa())  # onshore, but not in Canada
    add_item(queue, personal_data=True)
    assert _next(agent, tenant_a) is None
    plain = add_item(queue, personal_data=False)
    assert _next(agent, tenant_a).pk == plain.pk


def test_the_claim_hands_back_the_stored_item_and_records_who_took_it(tenant_a):
    engagement = live_engagement(tenant_a.client)
    agent = make_agent(engagement)
    item = add_item(make_queue(engagement), personal_data=True, language="en")
    got = _next(agent, tenant_a)
    with client_scope(clients=[tenant_a.client]):
        stored = WorkItem.objects.get(pk=item.pk)
        event = item.events.get(kind="item.assigned")
        assignment = Assignment.objects.get(item=item)
    # the item handed back is the stored one, field for field
    fields = [f.attname for f in WorkItem._meta.concrete_fields]
    assert {f: getattr(got, f) for f in fields} == {f: getattr(stored, f) for f in fields}
    assert (got.status, got.assignee_id, got.version) == ("assigned", agent.pk, item.version + 1)
    assert event.actor_id == agent.user_id
    assert event.data == {"agent_id": agent.pk, "how": "pull"}
    assert (assignment.agent_id, assignment.how, assignment.ended_at) == (agent.pk, "pull", None)


def test_every_rule_holds_when_the_claim_is_its_own_transaction(tenant_a, transactional_db):
    """Outside a caller's transaction the PostgreSQL claim sends BEGIN, the lock, the
    claim and COMMIT together; each rule still holds."""
    # given one item the agent may take and one that fails each rule
    engagement = live_engagement(tenant_a.client, residency_allowed_shores=["onshore"])
    other = live_engagement(tenant_a.client, name="Not cleared")
    queue = make_queue(engagement)
    agent = make_agent(engagement, skills={"billing": 2}, capacity={"email": 5})
    failing = [
        add_item(queue, required_skills={"billing": 3}),
        add_item(queue, language="de"),
        add_item(queue, personal_data=True),
        add_item(make_queue(engagement, name="By hand", routing="manual")),
        add_item(make_queue(other)),
        add_item(queue, work_type="test.form"),  # back office: no capacity there
    ]
    eligible = add_item(queue, required_skills={"billing": 2}, language="en", priority=4)
    assert not connection.in_atomic_block
    # then the agent gets the eligible item, then nothing
    assert _next(agent, tenant_a).pk == eligible.pk
    assert _next(agent, tenant_a) is None
    with client_scope(clients=[tenant_a.client]):
        for item in failing:
            assert WorkItem.objects.get(pk=item.pk).status == "queued"
            context = routing.context_of(
                Agent.objects.select_related("site").get(pk=agent.pk),
                client_ids=[tenant_a.client.pk],
            )
            assert routing.reasons(context, item, services.required_skills(item)) or (
                item.queue.routing == "manual"
            )
