"""Schedules respect skills: an agent serves a queue only when cleared for its engagement
and skilled for every work type it takes, and the schedule page names the skill nobody
has."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from tercero.delivery.planning.tests.factories import planning_queue as make_queue
from tercero.delivery.scheduling import building, selectors, services
from tercero.delivery.scheduling.models import Schedule
from tercero.delivery.scheduling.skills import meets, queue_needs, skill_gap
from tercero.delivery.scheduling.tests.factories import cleared_agent, site_with_template
from tercero.delivery.work import registry
from tercero.delivery.work.models import Queue
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

LEVELS = st.integers(min_value=1, max_value=5)
SKILLS = st.dictionaries(st.sampled_from(["billing", "chat", "french"]), LEVELS, max_size=3)


class _Payload(BaseModel):
    text: str = ""


@pytest.fixture
def skilled_types():
    """Two work types: billing at level 3 with chat at 1, and billing at 2 with French at 4."""
    kinds = [
        registry.WorkType(
            key="test.refund",
            title="Refund",
            payload_schema=_Payload,
            default_skills={"billing": 3, "chat": 1},
        ),
        registry.WorkType(
            key="test.dispute",
            title="Dispute",
            payload_schema=_Payload,
            default_skills={"billing": 2, "french": 4},
        ),
    ]
    for kind in kinds:
        registry.register(kind)
    yield [kind.key for kind in kinds]
    for kind in kinds:
        registry.unregister(kind.key)


def test_a_queue_needs_each_skill_at_the_highest_level_of_its_work_types(skilled_types):
    assert queue_needs(skilled_types) == {"billing": 3, "chat": 1, "french": 4}
    assert queue_needs([]) == {}
    assert queue_needs(["test.no_longer_registered"]) == {}


@given(held=SKILLS, needs=SKILLS)
def test_skills_meet_needs_exactly_when_every_needed_skill_is_held_at_its_level(held, needs):
    expected = all(held.get(skill, 0) >= level for skill, level in needs.items())
    assert meets(held, needs) is expected
    assert meets({**held, **needs}, needs)


@given(held=st.lists(SKILLS, min_size=1, max_size=4), needs=SKILLS)
def test_a_gap_is_named_only_when_no_cleared_agent_meets_the_needs(held, needs):
    gap = skill_gap(1, "Refunds", needs, held)
    assert (gap is None) == (not needs or any(meets(h, needs) for h in held))
    if gap is not None:
        for skill, level in gap.missing.items():
            assert all(h.get(skill, 0) < level for h in held)


def test_the_sentence_names_the_missing_skill_and_the_best_level_held():
    gap = skill_gap(1, "Refunds", {"billing": 3, "chat": 1}, [{"billing": 2, "chat": 1}, {}])
    assert gap is not None
    assert gap.sentence == (
        "Nobody may serve Refunds: it needs the skill “billing” at level 3 or better "
        "(the best any cleared agent has is level 2)."
    )
    apart = skill_gap(1, "Refunds", {"billing": 3, "chat": 1}, [{"billing": 3}, {"chat": 2}])
    assert apart is not None
    assert apart.missing == {}
    assert "no one cleared agent has all of these" in apart.sentence


def _queue(tenant, work_types: list[str]) -> Queue:
    queue = make_queue(tenant.client, name="Refunds")
    with all_clients_scope():
        Queue.objects.filter(pk=queue.pk).update(work_types=work_types)
        return Queue.objects.get(pk=queue.pk)


@pytest.mark.django_db
def test_a_cleared_agent_serves_a_queue_only_with_its_work_types_skills(tenant_a, skilled_types):
    queue = _queue(tenant_a, skilled_types)
    site = site_with_template(tenant_a.team_lead)
    short = cleared_agent(tenant_a, tenant_a.agent, site, queue, skills={"billing": 5})
    with client_scope(clients=[tenant_a.client]):
        assert selectors.queues_served(agent_ids=[short.pk]) == {short.pk: set()}
        (gap,) = selectors.skill_gaps(agent_ids=[short.pk])
    assert gap.missing == {"chat": 1, "french": 4}
    short.skills = {"billing": 3, "chat": 2, "french": 4}
    short.save(update_fields=["skills"])
    with client_scope(clients=[tenant_a.client]):
        assert selectors.queues_served(agent_ids=[short.pk]) == {short.pk: {queue.pk}}
        assert selectors.skill_gaps(agent_ids=[short.pk]) == []


@pytest.mark.django_db
def test_a_queue_taking_no_work_type_asks_for_no_skill(tenant_a):
    queue = _queue(tenant_a, [])
    site = site_with_template(tenant_a.team_lead)
    agent = cleared_agent(tenant_a, tenant_a.agent, site, queue, skills={})
    with client_scope(clients=[tenant_a.client]):
        assert selectors.queues_served(agent_ids=[agent.pk]) == {agent.pk: {queue.pk}}


@pytest.mark.django_db
def test_the_schedule_page_and_a_failed_build_name_the_missing_skill(
    client, tenant_a, skilled_types
):
    queue = _queue(tenant_a, skilled_types)
    site = site_with_template(tenant_a.team_lead)
    cleared_agent(tenant_a, tenant_a.agent, site, queue, skills={"billing": 3, "chat": 1})
    schedule = services.start_build(
        actor=tenant_a.team_lead,
        name="Launch week",
        sites=[site],
        first_day=date(2026, 3, 23),
        days=2,
        time_limit_seconds=5,
    )
    built = building.run(schedule_id=schedule.pk)
    assert built.status == Schedule.Status.FAILED
    missing = "it needs the skill “french” at level 4 or better (no cleared agent has it)"
    assert missing in built.error
    client.force_login(tenant_a.team_lead)
    page = client.get(f"/schedules/{schedule.pk}/").content.decode()
    assert "Queues nobody here may serve" in page
    assert "Nobody may serve Refunds: it needs the skill “french” at level 4" in page
