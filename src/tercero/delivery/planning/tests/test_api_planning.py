"""The planning API: forecasts started as background work and polled, history from CSV
(every bad row named, nothing half imported), staffing plans, the needs schedules read,
delivery options; another client's ids are 404 and nothing is written."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tasks_db.models import DBTaskResult
from tests.factories import site

from tercero.delivery.planning import selectors
from tercero.delivery.planning.models import ForecastRun, HistoryPoint, StaffingPlan
from tercero.delivery.planning.tests.factories import (
    NOW,
    finished_forecast,
    history_csv,
    plan_for,
    planners,
    planning_queue,
)
from tercero.platform.tenancy.scoping import client_scope

pytestmark = pytest.mark.django_db


def _post(client, path, body):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def test_starting_a_forecast_answers_202_with_the_run_and_queues_it_for_a_worker(
    client, tenant_a, django_capture_on_commit_callbacks
):
    # given a team lead of client A and one of A's queues
    queue = planning_queue(tenant_a.client)
    client.force_login(tenant_a.team_lead)

    # when they start a forecast
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(
            client,
            "/api/v1/planning/forecasts",
            {"queue_id": queue.pk, "step_minutes": 30, "horizon_days": 7},
        )

    # then the run waits for a worker, with no progress yet, and a task is queued
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued"
    assert body["percent"] == 0
    assert DBTaskResult.objects.filter(task_path__endswith=".run_forecast").count() == 1


def test_a_finished_forecast_shows_its_model_accuracy_and_intervals(client, tenant_a):
    queue = planning_queue(tenant_a.client)
    run = finished_forecast(queue, tenant_a.team_lead)
    client.force_login(tenant_a.team_lead)

    body = client.get(f"/api/v1/planning/forecasts/{run.pk}").json()

    assert body["status"] == "done"
    assert body["percent"] == 100
    assert body["model"] in body["accuracy"]
    assert body["wape"] == pytest.approx(body["accuracy"][body["model"]]["wape"])
    assert len(body["intervals"]) == 2 * 48
    listed = client.get(f"/api/v1/planning/forecasts?queue_id={queue.pk}").json()
    assert [run["id"] for run in listed] == [run.pk]


def test_another_clients_queue_cannot_be_forecast_and_nothing_is_written(
    client, tenant_a, tenant_b
):
    b_queue = planning_queue(tenant_b.client)
    client.force_login(tenant_a.team_lead)

    response = _post(client, "/api/v1/planning/forecasts", {"queue_id": b_queue.pk})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    with client_scope(clients=[tenant_b.client]):
        assert ForecastRun.objects.count() == 0


def test_an_auditor_reads_forecasts_but_may_not_start_one(client, tenant_a):
    queue = planning_queue(tenant_a.client)
    run = finished_forecast(queue, tenant_a.team_lead)
    auditor = planners(tenant_a.client).auditor
    client.force_login(auditor)

    assert client.get(f"/api/v1/planning/forecasts/{run.pk}").status_code == 200
    refused = _post(client, "/api/v1/planning/forecasts", {"queue_id": queue.pk})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    with client_scope(clients=[tenant_a.client]):
        assert ForecastRun.objects.count() == 1


def test_an_agent_may_not_read_forecasts(client, tenant_a):
    queue = planning_queue(tenant_a.client)
    run = finished_forecast(queue, tenant_a.team_lead)
    client.force_login(tenant_a.agent)
    assert client.get(f"/api/v1/planning/forecasts/{run.pk}").status_code == 403


def _upload(client, queue, data: bytes, step: int = 30):
    return client.post(
        f"/api/v1/planning/queues/{queue.pk}/history?step_minutes={step}",
        data={"file": SimpleUploadedFile("history.csv", data, "text/csv")},
    )


def test_history_with_bad_rows_names_every_one_and_stores_nothing(client, tenant_a):
    # given a file with one good row and two bad ones
    queue = planning_queue(tenant_a.client)
    client.force_login(tenant_a.team_lead)
    data = (
        b"interval_start,arrivals,handle_seconds\n"
        b"2026-03-02 09:00,12,200\n"
        b"2026-03-02 09:30,-4,200\n"
        b"yesterday,3,200\n"
    )

    # when it is uploaded
    response = _upload(client, queue, data)

    # then every bad row is named by its line, and nothing was stored
    assert response.status_code == 422
    body = response.json()
    assert body["error"]["code"] == "invalid_rows"
    assert [error["line"] for error in body["errors"]] == [3, 4]
    assert body["stored"] == 0
    with client_scope(clients=[tenant_a.client]):
        assert HistoryPoint.objects.count() == 0


def test_good_history_is_stored_and_importing_it_again_replaces_it(client, tenant_a):
    queue = planning_queue(tenant_a.client)
    client.force_login(tenant_a.team_lead)
    data = history_csv(tenant_a.client.time_zone, days=2)

    first = _upload(client, queue, data)
    again = _upload(client, queue, data)

    assert first.status_code == again.status_code == 200
    assert first.json()["stored"] == 2 * 16
    with client_scope(clients=[tenant_a.client]):
        assert HistoryPoint.objects.filter(queue=queue).count() == 2 * 16


def test_history_larger_than_20_mb_is_refused(client, tenant_a, settings):
    queue = planning_queue(tenant_a.client)
    client.force_login(tenant_a.team_lead)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 32 * 1024 * 1024
    big = b"interval_start,arrivals\n" + b"2026-03-02 09:00,1\n" * (21 * 1024 * 1024 // 19)

    response = _upload(client, queue, big)

    assert response.status_code in (413, 422)
    with client_scope(clients=[tenant_a.client]):
        assert HistoryPoint.objects.count() == 0


def test_a_staffing_plan_from_a_forecast_becomes_the_queues_needs(client, tenant_a):
    # given a finished forecast
    queue = planning_queue(tenant_a.client)
    run = finished_forecast(queue, tenant_a.team_lead)
    client.force_login(tenant_a.team_lead)

    # when a plan is made for 80 % in 20 seconds with 30 % shrinkage
    response = _post(
        client,
        f"/api/v1/planning/forecasts/{run.pk}/plans",
        {"model": "erlang_c", "target": 0.8, "answer_seconds": 20, "shrinkage": 0.3},
    )

    # then each interval has its fractional and whole agents
    assert response.status_code == 201, response.content
    plan = response.json()
    busy = [row for row in plan["intervals"] if row["calls"] > 0]
    assert busy
    assert all(row["agents"] >= row["agents_raw"] > 0 for row in busy)
    assert plan["peak_agents"] == max(row["agents"] for row in plan["intervals"])
    # and the schedules read the same fractional agents for the queue
    with client_scope(clients=[tenant_a.client]):
        needs = selectors.needs_for(
            client_ids=[tenant_a.client.pk], start=NOW, end=NOW + timedelta(days=2)
        )
    assert len(needs) == 2 * 48
    assert needs[0].key == f"queue:{queue.pk}"
    assert [n.agents for n in needs] == [row["agents_raw"] for row in plan["intervals"]]
    assert client.get(f"/api/v1/planning/plans/{plan['id']}").json()["id"] == plan["id"]


def test_needs_come_from_the_latest_plan_only(tenant_a):
    queue = planning_queue(tenant_a.client)
    run = finished_forecast(queue, tenant_a.team_lead)
    plan_for(run, tenant_a.team_lead, shrinkage=0.0)
    latest = plan_for(run, tenant_a.team_lead, shrinkage=0.5)
    with client_scope(clients=[tenant_a.client]):
        needs = selectors.needs_for(
            client_ids=[tenant_a.client.pk], start=NOW, end=NOW + timedelta(days=2)
        )
        raws = list(latest.intervals.order_by("start_at").values_list("agents_raw", flat=True))
    assert [n.agents for n in needs] == raws


def test_erlang_a_without_patience_is_refused_naming_the_field(client, tenant_a):
    queue = planning_queue(tenant_a.client)
    run = finished_forecast(queue, tenant_a.team_lead)
    client.force_login(tenant_a.team_lead)

    response = _post(client, f"/api/v1/planning/forecasts/{run.pk}/plans", {"model": "erlang_a"})

    assert response.status_code == 422
    assert "patience_seconds" in response.json()["error"]["fields"]
    with client_scope(clients=[tenant_a.client]):
        assert StaffingPlan.objects.count() == 0


def test_delivery_options_compare_every_active_site_with_money_in_words(client, tenant_a):
    # given an engagement in English and German, and two sites
    manila = site()
    berlin = site(name="Berlin", country="DE", time_zone="Europe/Berlin", city="Berlin")
    berlin.shrinkage = 0.4  # Berlin states 40 %; Manila keeps the default 30 %
    berlin.save(update_fields=["shrinkage"])
    queue = planning_queue(tenant_a.client, languages=["en", "de"], monthly_volume=20000)
    client.force_login(tenant_a.team_lead)

    response = client.get(
        f"/api/v1/planning/engagements/{queue.engagement_id}/options?aht_seconds=300"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    sites = {row["site"]: row for row in body["sites"]}
    assert set(sites) == {"Manila", "Berlin"}
    manila_row = sites["Manila"]
    assert manila_row["site_id"] == manila.pk
    assert manila_row["languages_missing"] == ["de"]
    assert manila_row["shrinkage"] == 0.3
    # each site is staffed with its own shrinkage: the same productive agents grossed up
    assert sites["Berlin"]["shrinkage"] == 0.4
    assert sites["Berlin"]["agents_raw"] == pytest.approx(
        manila_row["agents_raw"] * 0.7 / 0.6, abs=0.02
    )
    assert manila_row["agents"] >= 1
    assert manila_row["cost_per_month"].startswith("$")
    assert manila_row["cost_per_month_minor"] > 0
