"""Planning pages as provider staff see them: the queues with their latest forecast, a
forecast's progress while a worker runs it, accuracy beside the baselines, the staffing
plan, history uploads refused row by row, delivery options and their PDF."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader
from tests.factories import site

from tercero.delivery.planning import services
from tercero.delivery.planning.models import ForecastRun, HistoryPoint, StaffingPlan
from tercero.delivery.planning.tests.factories import (
    finished_forecast,
    plan_for,
    planners,
    planning_queue,
)
from tercero.platform.tenancy.scoping import client_scope

pytestmark = pytest.mark.django_db


def test_the_planning_home_lists_queues_with_their_latest_forecast_and_exports_csv(
    client, tenant_a
):
    queue = planning_queue(tenant_a.client)
    finished_forecast(queue, tenant_a.team_lead)
    client.force_login(tenant_a.team_lead)

    page = client.get("/planning/").content.decode()
    csv = client.get("/planning/?format=csv").content.decode()

    assert "Phones" in page
    assert "Done" in page
    assert "WAPE" in page
    assert csv.splitlines()[0].startswith("Queue,Client,Engagement")
    assert "Phones" in csv


def test_a_running_forecast_shows_its_progress_and_polls_quietly(client, tenant_a):
    # given a forecast a worker has taken half way
    queue = planning_queue(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        run = services.start_forecast(
            actor=tenant_a.team_lead, queue=queue, step_minutes=30, horizon_days=7
        )
        ForecastRun.objects.filter(pk=run.pk).update(
            status="running", progress_done=3, progress_total=8
        )
    client.force_login(tenant_a.team_lead)

    # when the page is open and htmx polls it
    page = client.get(f"/planning/forecasts/{run.pk}/").content.decode()
    poll = client.get(
        f"/planning/forecasts/{run.pk}/", headers={"HX-Request": "true", "X-Tercero-Poll": "1"}
    ).content.decode()

    # then both say how far it is, and the poll marks itself as a background refresh
    assert "3 of 8 steps (38 %)" in page
    assert "3 of 8 steps (38 %)" in poll
    assert "X-Tercero-Poll" in poll
    assert "<html" not in poll


def test_a_finished_forecast_shows_the_chosen_model_beside_the_baselines(client, tenant_a):
    queue = planning_queue(tenant_a.client)
    run = finished_forecast(queue, tenant_a.team_lead)
    client.force_login(tenant_a.team_lead)

    page = client.get(f"/planning/forecasts/{run.pk}/").content.decode()

    assert "Same time last week" in page
    assert "used</span>" in page
    assert "<svg" in page
    assert "Make staffing plan" in page


def test_a_plan_made_on_the_page_shows_agents_per_interval(client, tenant_a):
    queue = planning_queue(tenant_a.client)
    run = finished_forecast(queue, tenant_a.team_lead)
    client.force_login(tenant_a.team_lead)

    response = client.post(
        f"/planning/forecasts/{run.pk}/plans/",
        {
            "model": "erlang_c",
            "target_percent": "80",
            "answer_seconds": "20",
            "shrinkage_percent": "30",
        },
    )

    with client_scope(clients=[tenant_a.client]):
        plan = StaffingPlan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/planning/plans/{plan.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "80 % answered within 20 seconds" in page
    assert f"<dd>{plan.peak_agents}</dd>" in page


def test_history_with_bad_rows_is_refused_on_the_page_naming_each_line(client, tenant_a):
    queue = planning_queue(tenant_a.client)
    client.force_login(tenant_a.team_lead)
    data = b"interval_start,arrivals\n2026-03-02 09:00,many\n2026-03-02 09:30,4\n"

    response = client.post(
        f"/planning/queues/{queue.pk}/history/",
        {"file": SimpleUploadedFile("h.csv", data, "text/csv"), "step_minutes": "30"},
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert "1 row to correct" in page
    assert '<td data-label="Line">2</td>' in page
    with client_scope(clients=[tenant_a.client]):
        assert HistoryPoint.objects.count() == 0


def test_an_auditor_sees_forecasts_without_the_forms_and_may_not_post(client, tenant_a):
    queue = planning_queue(tenant_a.client)
    run = finished_forecast(queue, tenant_a.team_lead)
    client.force_login(planners(tenant_a.client).auditor)

    page = client.get(f"/planning/queues/{queue.pk}/").content.decode()
    refused = client.post(
        f"/planning/queues/{queue.pk}/forecast/", {"step_minutes": "30", "horizon_days": "7"}
    )

    assert "Forecast this queue" not in page
    assert "Import history" not in page
    assert refused.status_code == 403
    with client_scope(clients=[tenant_a.client]):
        assert ForecastRun.objects.filter(queue=queue).count() == 1
    assert client.get(f"/planning/forecasts/{run.pk}/").status_code == 200


def test_client_users_and_agents_do_not_get_planning_pages(client, tenant_a):
    queue = planning_queue(tenant_a.client)
    client.force_login(tenant_a.client_admin)
    assert client.get(f"/planning/queues/{queue.pk}/").status_code in (403, 404)
    client.force_login(tenant_a.agent)
    assert client.get(f"/planning/queues/{queue.pk}/").status_code == 403


def test_the_intraday_page_says_so_when_the_queue_has_no_plan(client, tenant_a):
    queue = planning_queue(tenant_a.client)
    client.force_login(tenant_a.team_lead)
    page = client.get(f"/planning/queues/{queue.pk}/intraday/").content.decode()
    assert "This queue has no staffing plan yet." in page


def test_delivery_options_page_and_pdf_compare_the_sites_by_name(client, tenant_a):
    # given two sites and an engagement that allows onshore delivery only
    site(name="Manila")
    site(name="Austin", country="US", time_zone="America/Chicago", city="Austin")
    queue = planning_queue(
        tenant_a.client, monthly_volume=12000, residency_allowed_shores=["onshore"]
    )
    client.force_login(tenant_a.team_lead)

    page = client.get(f"/planning/engagements/{queue.engagement_id}/options/").content.decode()
    pdf = client.get(f"/planning/engagements/{queue.engagement_id}/options.pdf")

    assert "Manila" in page
    assert "Austin" in page
    assert "Not allowed" in page
    assert "Allowed" in page
    assert "$" in page
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Manila" in text
    assert "Austin" in text
    assert "Delivery options" in text


def test_plan_for_builds_a_plan_visible_from_the_queue_page(client, tenant_a):
    queue = planning_queue(tenant_a.client)
    plan = plan_for(finished_forecast(queue, tenant_a.team_lead), tenant_a.team_lead)
    client.force_login(tenant_a.team_lead)
    page = client.get(f"/planning/queues/{queue.pk}/").content.decode()
    assert f"/planning/plans/{plan.pk}/" in page
