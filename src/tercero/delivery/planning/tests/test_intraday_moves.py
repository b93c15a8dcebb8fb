"""Intraday moves read from the database: two clients' queues sharing agents, each agent
counted once on the engagement they were cleared for first, and the moves on the page and
in the API agreeing with Erlang C on the figures the answer itself gives."""

from datetime import datetime
from typing import cast
from zoneinfo import ZoneInfo

import pytest
import time_machine
from tests.factories import site

from tercero.delivery.planning import moves
from tercero.delivery.planning.tests.factories import finished_forecast, plan_for, planning_queue
from tercero.delivery.workforce.services import clear_agent, create_agent, set_presence
from tercero.platform.identity.models import Grant, User
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

pytestmark = pytest.mark.django_db
# 09:05 in New York is 14:05 in Berlin: both clients' business days (09:00-17:00) overlap
AT = datetime(2026, 3, 23, 13, 5, tzinfo=ZoneInfo("UTC"))


def _agent(queues, lead: User, where, *, presence: str = "available") -> None:
    """An agent granted both clients, cleared for the queues' engagements in that order."""
    person = cast(User, UserFactory(role=Role.AGENT))
    clients = [queue.client for queue in queues]
    with all_clients_scope():
        for client in clients:
            Grant.objects.get_or_create(user=person, client=client, defaults={"reason": "fixture"})
    with client_scope(clients=clients):
        agent = create_agent(actor=None, user=person, site=where)
        for queue in queues:
            clear_agent(
                actor=lead,
                agent=agent,
                engagement=queue.engagement,
                reachable_client_ids=[client.pk for client in clients],
            )
        set_presence(agent=agent, presence=presence)


@pytest.fixture
def two_clients(tenant_a, tenant_b, provider_admin):
    orders = planning_queue(tenant_a.client, name="Orders")
    support = planning_queue(tenant_b.client, name="Support")
    for queue in (orders, support):
        plan_for(finished_forecast(queue, provider_admin), provider_admin)
    where = site()
    for _ in range(8):  # work Orders first, cleared for Support too
        _agent([orders, support], provider_admin, where)
    _agent([support, orders], provider_admin, where)  # works Support first
    _agent([orders, support], provider_admin, where, presence="offline")  # not signed in
    return orders, support


def test_spare_agents_of_one_client_are_offered_to_another_clients_queue(
    client, provider_admin, two_clients
):
    orders, support = two_clients
    client.force_login(provider_admin)

    # when the lead opens Orders' day at 09:05 New York time
    with time_machine.travel(AT, tick=False):
        body = client.get(f"/api/v1/planning/queues/{orders.pk}/intraday").json()
        page = client.get(f"/planning/queues/{orders.pk}/intraday/").content.decode()

    # then both queues are compared, each agent counted once where they work first
    lanes = {lane["queue"]: lane for lane in body["queues_compared"]}
    assert list(lanes) == ["Orders", "Support"]
    assert {lane["intervals"][0]["agents_on"] for lane in lanes.values()} == {8, 1}
    assert lanes["Orders"]["intervals"][0]["agents_on"] == 8
    # and where Support is short while Orders has agents to spare, some move
    assert body["moves"], body["moves_note"]
    first = body["moves"][0]
    assert (first["from_queue_id"], first["to_queue_id"]) == (orders.pk, support.pk)
    assert first["text"].startswith("Move ")
    assert "from Orders (Acme Retail Inc) to Support (Bergmann Maschinenbau GmbH)" in first["text"]
    assert first["text"] in page.replace("&gt;", ">")
    # and the move's service levels are Erlang C's on the figures the answer gives,
    # weighted by calls over the intervals the move spans
    spanned = [
        row
        for row in lanes["Support"]["intervals"]
        if first["start"] <= row["start"] < first["end"]
    ]
    slots = [
        moves.Slot(
            calls=row["expected_calls"],
            aht_seconds=row["aht_seconds"],
            minutes=30,
            answer_seconds=20,
            agents_on=row["agents_on"],
            agents_needed=row["agents_needed"],
        )
        for row in spanned
    ]
    calls = sum(slot.calls for slot in slots)
    before = sum(slot.calls * slot.service_level(1) for slot in slots) / calls
    after = sum(slot.calls * slot.service_level(1 + first["agents"]) for slot in slots) / calls
    assert all(row["gap"] >= first["agents"] for row in spanned)
    assert first["to_service_level_before"] == pytest.approx(before)
    assert first["to_service_level_after"] == pytest.approx(after)
    assert first["to_service_level_after"] > first["to_service_level_before"]
    assert first["from_service_level_after"] <= first["from_service_level_before"]


def test_a_queue_sharing_no_agent_is_not_compared(client, provider_admin, tenant_a, tenant_b):
    orders = planning_queue(tenant_a.client, name="Orders")
    support = planning_queue(tenant_b.client, name="Support")
    for queue in (orders, support):
        plan_for(finished_forecast(queue, provider_admin), provider_admin)
    _agent([orders], provider_admin, site())
    client.force_login(provider_admin)
    with time_machine.travel(AT, tick=False):
        body = client.get(f"/api/v1/planning/queues/{orders.pk}/intraday").json()
        page = client.get(f"/planning/queues/{orders.pk}/intraday/").content.decode()
    assert body["moves"] == []
    assert [lane["queue"] for lane in body["queues_compared"]] == ["Orders"]
    assert "shares a signed-in agent" in body["moves_note"]
    assert "shares a signed-in agent" in page


def test_a_lead_of_one_client_sees_no_queue_of_another(client, tenant_a, tenant_b, two_clients):
    orders, _ = two_clients
    # the team lead of Acme reaches only Acme: Bergmann's queue is not compared
    client.force_login(tenant_a.team_lead)
    with time_machine.travel(AT, tick=False):
        body = client.get(f"/api/v1/planning/queues/{orders.pk}/intraday").json()
    assert "Support" not in [lane["queue"] for lane in body["queues_compared"]]
    assert "Bergmann" not in str(body)
