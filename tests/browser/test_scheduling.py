"""Scheduling in a browser: a team lead builds a schedule against a queue's staffing
plan and watches its progress until a worker has built it, reads its coverage, lays
training over a shift and publishes it; the agent signs in and finds the shift under My
shifts; the lead opens the adherence board and Adherence by day. Every page passes the
accessibility check and reads in plain words."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.utils import timezone

from tercero.delivery.planning import services as planning
from tercero.delivery.planning.models import ForecastRun
from tercero.delivery.planning.tests.factories import history_csv, plan_for, planners
from tercero.delivery.planning.tests.factories import planning_queue as make_queue
from tercero.delivery.scheduling import building
from tercero.delivery.scheduling.models import Schedule, ScheduledShift
from tercero.delivery.scheduling.tests.factories import cleared_agent, site_with_template
from tercero.platform.identity.tests.factories import PASSWORD
from tercero.platform.tenancy.scoping import client_scope
from tests.browser.conftest import checked, screenshot, sign_in
from tests.browser.plain_words import plain_words_problems

NEW_YORK = ZoneInfo("America/New_York")


def _plan_from_midnight(tenant):
    """A staffing plan for today and tomorrow (New York days) for a queue of `tenant`,
    forecast from three weeks of history up to this morning's midnight."""
    queue = make_queue(tenant.client)
    manager = planners(tenant.client).manager
    midnight = datetime.combine(timezone.now().astimezone(NEW_YORK).date(), time(0), NEW_YORK)
    with client_scope(clients=[tenant.client]):
        planning.import_history(
            actor=manager,
            queue=queue,
            data=history_csv(tenant.client.time_zone, end=midnight),
            step_minutes=30,
        )
        run = planning.start_forecast(actor=manager, queue=queue, step_minutes=30, horizon_days=2)
    run = planning.run_forecast(run_id=run.pk, now=midnight)
    assert run.status == ForecastRun.Status.DONE, run.error
    plan_for(run, manager)
    return queue


def _looked_at(page, live_server, watch) -> None:
    checked(page, watch)
    assert plain_words_problems(page, live_server.url, {}) == [], page.url


def test_a_lead_builds_and_publishes_a_schedule_and_the_agent_sees_the_shifts(
    page, live_server, watch, tenant_a, browser
):
    # given a staffing plan for today and tomorrow, and an agent cleared for its queue
    queue = _plan_from_midnight(tenant_a)
    cleared_agent(tenant_a, tenant_a.agent, site_with_template(tenant_a.team_lead), queue)
    today = timezone.now().astimezone(NEW_YORK).date()
    sign_in(page, live_server, tenant_a.team_lead, PASSWORD)

    # the lead asks for a two-day schedule of the Brooklyn site
    page.goto(f"{live_server.url}/schedules/")
    _looked_at(page, live_server, watch)
    page.get_by_label("Brooklyn").check()
    page.get_by_label("First day").fill(today.isoformat())
    page.get_by_label("Days").fill("2")
    page.get_by_label("Time limit for the optimiser (seconds)").fill("5")
    page.get_by_role("button", name="Build schedule").click()
    page.get_by_text("The schedule is being built; this page shows its progress.").wait_for()
    page.locator("#progress").get_by_text("Being built: Waiting for a worker to start.").wait_for()
    checked(page, watch)

    # a worker builds it, and the page notices by itself
    schedule = Schedule.objects.get()
    building.run(schedule_id=schedule.pk)  # what the worker does
    page.get_by_role("button", name="Publish to agents").wait_for(timeout=15000)
    schedule.refresh_from_db()
    assert page.get_by_text(f"{schedule.coverage_percent} %").first.is_visible()
    assert page.get_by_role("columnheader", name="Phones").is_visible()
    _looked_at(page, live_server, watch)
    screenshot(page, "scheduling-schedule")

    # the lead lays an hour's training over the agent's first shift
    first = ScheduledShift.objects.filter(schedule=schedule).order_by("start_at").first()
    assert first is not None
    training_at = first.start_at.astimezone(NEW_YORK).replace(hour=10, tzinfo=None)
    page.get_by_role("link", name="Move").first.click()
    _looked_at(page, live_server, watch)
    page.get_by_label("Activity").select_option("training")
    page.locator("#id_activity-start").fill(training_at.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#id_activity-hours").fill("1")
    page.get_by_role("button", name="Add to the shift").click()
    page.get_by_text("Training added to the shift.").wait_for()

    # and publishes the schedule
    page.get_by_role("button", name="Publish to agents").click()
    page.get_by_text("Published: agents now see these shifts.").wait_for()
    _looked_at(page, live_server, watch)

    # the agent finds the shift under My shifts, 09:00 New York time, with the training
    agent_context = browser.new_context()
    agent_page = agent_context.new_page()
    sign_in(agent_page, live_server, tenant_a.agent, PASSWORD)
    agent_page.get_by_role("link", name="My shifts").click()
    agent_page.get_by_role("heading", name="My shifts").wait_for()
    checked(agent_page)
    label = training_at.strftime("%a ") + str(training_at.day) + training_at.strftime(" %b 09:00")
    assert agent_page.get_by_text(label).first.is_visible()
    assert agent_page.get_by_text("Training 10:00 to 11:00").is_visible()
    screenshot(agent_page, "scheduling-my-shifts")
    agent_context.close()

    # the lead opens the adherence board and the day's figures
    page.get_by_role("link", name="Adherence", exact=True).click()
    page.get_by_role("heading", name="Adherence now").wait_for()
    _looked_at(page, live_server, watch)
    assert first.start_at.astimezone(NEW_YORK).date() == today  # the plan needs cover today
    name = tenant_a.agent.full_name or tenant_a.agent.email
    assert page.get_by_role("cell", name=name).is_visible()
    assert page.get_by_text("1 agent scheduled today").is_visible()
    screenshot(page, "scheduling-adherence-board")
    page.get_by_role("link", name="Adherence by day").click()
    page.get_by_role("heading", name="Adherence by day").wait_for()
    _looked_at(page, live_server, watch)
    assert watch.unexpected_errors() == []
