"""The live campaign board: dials, contacts, rates, abandon rate against the cap, attempts
per lead, leads callable now and held by rule, agents' talk, wrap and idle time, from
the campaign's own rows and never another client's."""

from datetime import UTC, datetime, timedelta

import pytest

from tercero.platform.tenancy.scoping import client_scope
from tercero.services.outbound import board
from tercero.services.outbound.models import CallAttempt, Lead, LeadList
from tercero.services.outbound.tests.world import build

pytestmark = pytest.mark.django_db
NINE = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)


def _leads(world, statuses):
    with client_scope(clients=[world.tenant.client]):
        lead_list = LeadList.objects.create(
            client=world.tenant.client, campaign=world.campaign, name="Board", status="ready"
        )
        return [
            Lead.objects.create(
                client=world.tenant.client,
                campaign=world.campaign,
                lead_list=lead_list,
                phone="sealed",
                phone_hash=f"hash-{index}",
                status=status,
                held_reason=reason,
                attempts=attempts,
            )
            for index, (status, reason, attempts) in enumerate(statuses)
        ]


def _call(world, lead, minute, outcome, disposition="", agent=None, talk=0, wrap=0):
    started = NINE + timedelta(minutes=minute)
    CallAttempt.objects.create(
        client=world.tenant.client,
        campaign=world.campaign,
        lead=lead,
        agent_id=agent,
        started_at=started,
        ended_at=started + timedelta(seconds=talk + 20),
        outcome=outcome,
        disposition=disposition,
        talk_seconds=talk,
        wrap_seconds=wrap,
    )


@pytest.fixture
def dialled(tenant_a):
    world = build(tenant_a)
    leads = _leads(
        world,
        [
            ("callable", "", 2),
            ("callable", "", 1),
            ("held", "window: outside 8 am-9 pm local (47 CFR 64.1200(c)(1))", 1),
            ("held", "time_zone_unknown: the number spans zones", 0),
            ("dnc", "do-not-call: the client's list", 0),
            ("done", "", 0),
        ],
    )
    with client_scope(clients=[tenant_a.client]):
        _call(world, leads[0], 0, "answered", "sale", agent=5, talk=300, wrap=60)
        _call(world, leads[0], 10, "no_answer")
        _call(world, leads[1], 20, "answered", "not_interested", agent=5, talk=120, wrap=30)
        _call(world, leads[2], 30, "abandoned")
        _call(world, leads[5], 40, "busy")
        _call(world, leads[5], 200, "answered", "sale", agent=5, talk=60)  # after the window
    return world


def test_the_board_counts_dials_contacts_and_rates_for_the_window(tenant_a, dialled):
    with client_scope(clients=[tenant_a.client]):
        [figures] = board.campaigns_board(
            client_ids=[tenant_a.client.pk], since=NINE, until=NINE + timedelta(hours=1)
        )
    assert (figures.dials, figures.contacts, figures.sales, figures.abandoned) == (5, 3, 1, 1)
    assert figures.contact_rate == 60.0
    assert figures.conversion_rate == 33.3
    assert figures.abandon_rate == 33.3
    assert figures.is_over_cap
    assert figures.attempts_per_lead == 0.67
    assert figures.callable_now == 2
    assert figures.held_by_rule == {"window": 1, "time zone unknown": 1, "do-not-call": 1}


def test_agents_talk_wrap_and_idle_time(tenant_a, dialled):
    with client_scope(clients=[tenant_a.client]):
        [agent] = board.agents_board(
            client_ids=[tenant_a.client.pk], since=NINE, until=NINE + timedelta(hours=1)
        )
    # from 14:00:00 to the end of the 14:20 call (120 s talk + 20 s ring): 1,340 s
    assert (agent.agent_id, agent.calls, agent.talk_seconds, agent.wrap_seconds) == (5, 2, 420, 90)
    assert agent.idle_seconds == 1_340 - 420 - 90


def test_another_clients_board_shows_none_of_these_campaigns(tenant_a, tenant_b, dialled):
    with client_scope(clients=[tenant_b.client]):
        assert (
            board.campaigns_board(
                client_ids=[tenant_b.client.pk], since=NINE, until=NINE + timedelta(hours=1)
            )
            == []
        )
