"""Planning's lists search, filter and export as CSV: a queue's forecasts, a forecast's
intervals and a plan's intervals (by day, in the client's time zone), in plain words."""

import csv
import io

import pytest

from tercero.delivery.planning.tests.factories import finished_forecast, plan_for, planning_queue

pytestmark = pytest.mark.django_db


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_a_queues_forecasts_filter_by_status_and_export(client, tenant_a):
    queue = planning_queue(tenant_a.client)
    run = finished_forecast(queue, tenant_a.team_lead)
    client.force_login(tenant_a.team_lead)

    done = _csv(client.get(f"/planning/queues/{queue.pk}/?status=done&format=csv"))
    failed = _csv(client.get(f"/planning/queues/{queue.pk}/?status=failed&format=csv"))
    page = client.get(f"/planning/queues/{queue.pk}/?status=failed").content.decode()

    assert done[0] == [
        "Started",
        "Interval (minutes)",
        "Days ahead",
        "Status",
        "Model",
        "WAPE",
        "Handle time WAPE",
    ]
    assert len(done) == 2
    assert done[1][3] == "Done"
    assert "_" not in done[1][4]  # the model in words
    assert done[1][5].endswith(" %")
    assert failed == [done[0]]
    assert "No forecasts match." in page
    assert run.pk


def test_a_forecasts_intervals_export_one_day_in_the_clients_time(client, tenant_a):
    queue = planning_queue(tenant_a.client)
    run = finished_forecast(queue, tenant_a.team_lead, horizon_days=2)
    client.force_login(tenant_a.team_lead)

    every = _csv(client.get(f"/planning/forecasts/{run.pk}/?format=csv"))
    monday = _csv(client.get(f"/planning/forecasts/{run.pk}/?day=2026-03-23&format=csv"))
    page = client.get(f"/planning/forecasts/{run.pk}/").content.decode()

    assert every[0] == ["Interval starts", "Arrivals", "Handle time (seconds)"]
    assert len(every) == 1 + 2 * 48
    # the forecast starts at 04:00 New York time (08:00 UTC): 40 half hours that Monday
    assert len(monday) == 1 + 40
    assert monday[1][0] == "2026-03-23T04:00:00-04:00"
    assert all(row[0].startswith("2026-03-23T") and row[0].endswith("-04:00") for row in monday[1:])
    assert "Export CSV" in page
    assert "Monday 23 March" in page


def test_a_plans_intervals_export_with_agents_and_service_level_in_words(client, tenant_a):
    queue = planning_queue(tenant_a.client)
    plan = plan_for(finished_forecast(queue, tenant_a.team_lead), tenant_a.team_lead)
    client.force_login(tenant_a.team_lead)

    rows = _csv(client.get(f"/planning/plans/{plan.pk}/?day=2026-03-23&format=csv"))

    assert rows[0] == [
        "Interval starts",
        "Arrivals",
        "Handle time (seconds)",
        "Agents (exact)",
        "Agents",
        "Service level",
        "Occupancy",
    ]
    busy = [row for row in rows[1:] if "T10:00:00" in row[0]]
    assert len(busy) == 1
    assert int(busy[0][4]) >= 1
    assert busy[0][5].endswith(" %")
