"""Planning a queue in a browser: a delivery manager imports a queue's history, starts a
forecast and watches its progress until a worker has finished it, reads the accuracy
beside the baselines, makes a staffing plan, and compares the delivery options."""

from django.utils import timezone

from tercero.delivery.planning import services
from tercero.delivery.planning.models import ForecastRun
from tercero.delivery.planning.tests.factories import history_csv, planners, planning_queue
from tercero.platform.identity.tests.factories import PASSWORD
from tercero.platform.tenancy.scoping import client_scope
from tests.browser.conftest import checked, screenshot, sign_in
from tests.factories import site


def test_a_manager_forecasts_a_queue_plans_its_staff_and_compares_sites(
    page, live_server, watch, tenant_a, tmp_path
):
    # given a queue of client A, a site, and a delivery manager granted A
    site(name="Manila")
    queue = planning_queue(tenant_a.client, monthly_volume=9000)
    manager = planners(tenant_a.client).manager
    history = tmp_path / "history.csv"
    history.write_bytes(history_csv(tenant_a.client.time_zone, end=timezone.now()))
    sign_in(page, live_server, manager, PASSWORD)

    # the planning home lists the queue, never forecast
    page.goto(f"{live_server.url}/planning/")
    page.get_by_role("cell", name="Never").wait_for()
    checked(page, watch)
    page.get_by_role("link", name="Phones", exact=True).click()

    # the history is imported from the queue's page
    page.get_by_label("History file").set_input_files(str(history))
    page.get_by_role("button", name="Import history").click()
    page.get_by_text("Imported 336 intervals of history.").wait_for()
    checked(page, watch)

    # a forecast is started and waits for a worker, its progress on the page
    page.get_by_label("Days ahead").fill("2")
    page.get_by_role("button", name="Forecast this queue").click()
    page.get_by_text("Waiting for a worker to start this forecast.").wait_for()
    checked(page, watch)
    with client_scope(clients=[tenant_a.client]):
        run = ForecastRun.objects.get(queue=queue)
    services.run_forecast(run_id=run.pk)  # what the worker does

    # the page notices by itself and shows the model used beside the baselines
    page.get_by_role("heading", name="Accuracy of each model").wait_for(timeout=15000)
    assert page.get_by_role("cell", name="Same time last week").is_visible()
    checked(page, watch)
    screenshot(page, "planning-forecast")

    # a staffing plan for 80 % in 20 seconds
    page.get_by_label("Method").select_option("erlang_c")
    page.get_by_role("button", name="Make staffing plan").click()
    page.get_by_text("Staffing plan made; it is now the queue's plan.").wait_for()
    assert page.get_by_text("80 % answered within 20 seconds").is_visible()
    checked(page, watch)
    screenshot(page, "planning-plan")

    # and the delivery options of the queue's engagement, with the site's cost in money
    page.goto(f"{live_server.url}/planning/")
    page.get_by_role("link", name="Phones care").click()
    page.get_by_role("cell", name="Manila").first.wait_for()
    assert page.get_by_text("$", exact=False).first.is_visible()
    checked(page, watch)
    screenshot(page, "planning-options")
    assert watch.unexpected_errors() == []
