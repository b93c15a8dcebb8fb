"""Queues sharing agents checked by simulation: started through the API or the intraday
page, run by a worker with progress, each queue's simulated service level beside Erlang
C's; pooling beats Erlang's queue-by-queue figure; a caller who does not reach every
client in a check does not find it."""

import json

import pytest
from django_tasks_db.models import DBTaskResult

from tercero.delivery.planning import pool_checks
from tercero.delivery.planning.models import PoolCheck
from tercero.delivery.planning.tests.factories import finished_forecast, plan_for, planning_queue
from tercero.platform.audit.models import AuditEvent
from tercero.platform.tenancy.scoping import all_clients_scope

pytestmark = pytest.mark.django_db
# 09:00 in New York, 14:00 in Berlin: both clients' queues expect calls
START = "2026-03-23T13:00:00+00:00"


def _row(queue_id: int, calls: float, agents: int) -> dict:
    return {
        "queue_id": queue_id,
        "queue": f"Queue {queue_id}",
        "client": "Client",
        "calls": calls,
        "aht_seconds": 180.0,
        "answer_seconds": 20,
        "patience_seconds": None,
        "agents": agents,
    }


def test_two_queues_pooled_answer_more_than_erlang_says_for_each_alone():
    # given two queues of 100 calls of 180 s a half hour (10 Erlangs), 14 agents each:
    # Erlang C gives each 88.8 % within 20 seconds
    interval = {"start": START, "minutes": 30, "queues": [_row(1, 100, 14), _row(2, 100, 14)]}
    # when the 28 agents are simulated as one pool
    found = pool_checks.interval_result(interval, replications=2, seed=3)
    # then each queue does better in the pool than alone (28 agents on 20 Erlangs)
    assert found["agents"] == 28
    for row in found["queues"]:
        assert row["erlang_service_level"] == pytest.approx(0.8884, abs=5e-4)
        assert row["simulated_service_level"] > 0.93
        assert row["abandon_rate"] == 0.0


def test_a_queue_without_calls_takes_no_part_and_is_answered_in_full():
    interval = {"start": START, "minutes": 30, "queues": [_row(1, 100, 14), _row(2, 0, 0)]}
    found = pool_checks.interval_result(interval, replications=1, seed=1)
    quiet = found["queues"][1]
    assert (quiet["simulated_service_level"], quiet["erlang_service_level"]) == (1.0, 0.0)
    assert found["agents"] == 14


@pytest.fixture
def planned(tenant_a, tenant_b, provider_admin):
    orders = planning_queue(tenant_a.client, name="Orders")
    support = planning_queue(tenant_b.client, name="Support")
    for queue in (orders, support):
        plan_for(finished_forecast(queue, provider_admin), provider_admin)
    return orders, support


def _start(client, queue_ids, starts=(START,), replications=1):
    return client.post(
        "/api/v1/planning/pool-checks",
        json.dumps({"queue_ids": queue_ids, "starts": list(starts), "replications": replications}),
        content_type="application/json",
    )


def test_a_pool_check_is_queued_for_a_worker_then_shows_each_queue_beside_erlang(
    client, provider_admin, planned, django_capture_on_commit_callbacks
):
    orders, support = planned
    client.force_login(provider_admin)
    # when the planner checks the two queues as one pool at 09:00 New York time
    with django_capture_on_commit_callbacks(execute=True):
        response = _start(client, [orders.pk, support.pk])
    # then it waits for a worker on the long queue
    assert response.status_code == 202, response.content
    check_id = response.json()["id"]
    assert response.json()["status"] == "queued"
    queued = DBTaskResult.objects.get(task_path__endswith=".run_pool_check")
    assert queued.queue_name == "long"
    # and once the worker has run it, each queue's simulated level stands beside Erlang's
    pool_checks.run_pool_check(check_id=check_id)
    body = client.get(f"/api/v1/planning/pool-checks/{check_id}").json()
    page = client.get(f"/planning/pool-checks/{check_id}/").content.decode()
    assert (body["status"], body["percent"]) == ("done", 100)
    (interval,) = body["results"]
    names = [row["queue"] for row in interval["queues"]]
    assert names == ["Orders", "Support"]
    assert interval["agents"] == sum(row["agents"] for row in interval["queues"])
    for row in interval["queues"]:
        assert row["erlang_service_level"] >= 0.8  # each has the agents its target needs
        assert 0 <= row["simulated_service_level"] <= 1
    assert "Simulated in the pool" in page
    assert "Support (Bergmann Maschinenbau GmbH)" in page
    with all_clients_scope():
        actions = set(
            AuditEvent.objects.filter(action__startswith="planning.pool_check.").values_list(
                "action", flat=True
            )
        )
    assert actions == {"planning.pool_check.started", "planning.pool_check.finished"}


def test_a_check_holding_another_clients_queue_is_not_found_by_who_cannot_reach_it(
    client, provider_admin, tenant_a, planned
):
    orders, support = planned
    client.force_login(provider_admin)
    check_id = _start(client, [orders.pk, support.pk]).json()["id"]
    # the lead of Acme reaches Acme only: the check shows Bergmann's queue, so it is 404
    client.force_login(tenant_a.team_lead)
    assert client.get(f"/api/v1/planning/pool-checks/{check_id}").status_code == 404
    assert client.get(f"/planning/pool-checks/{check_id}/").status_code == 404
    # and the lead cannot start one with Bergmann's queue either
    assert _start(client, [orders.pk, support.pk]).status_code == 404


def test_a_pool_needs_two_queues_and_intervals_in_every_plan(client, provider_admin, planned):
    orders, support = planned
    client.force_login(provider_admin)
    one = _start(client, [orders.pk])
    elsewhere = _start(client, [orders.pk, support.pk], starts=["2027-01-04T13:00:00+00:00"])
    assert one.status_code == 422
    assert elsewhere.status_code == 422
    assert "starts" in elsewhere.json()["error"]["fields"]
    with all_clients_scope():
        assert not PoolCheck.objects.exists()


def test_the_intraday_page_starts_a_check_for_the_chosen_intervals(client, provider_admin, planned):
    orders, support = planned
    client.force_login(provider_admin)
    response = client.post(
        f"/planning/queues/{orders.pk}/pool-check/",
        {"queue": [str(orders.pk), str(support.pk)], "start": [START], "replications": "1"},
    )
    with all_clients_scope():
        check = PoolCheck.objects.get()
    assert response["Location"] == f"/planning/pool-checks/{check.pk}/"
    assert len(check.inputs) == 1
    assert sorted(check.client_ids) == sorted([orders.client_id, support.client_id])
    # the page polls its progress until a worker has run it
    page = client.get(f"/planning/pool-checks/{check.pk}/").content.decode()
    assert "Waiting for a worker" in page
    assert 'hx-get="/planning/pool-checks/' in page
