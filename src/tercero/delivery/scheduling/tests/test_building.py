"""Building a schedule for real: a staffing plan made by planning for a queue whose
engagement the agents are cleared for, the worker's task body run here, and what the
lead and the agents then see."""

from datetime import date, datetime
from typing import cast
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tercero.delivery.planning.tests.factories import finished_forecast, plan_for, planners
from tercero.delivery.planning.tests.factories import planning_queue as make_queue
from tercero.delivery.scheduling import building, display, selectors, services
from tercero.delivery.scheduling.labour import violations
from tercero.delivery.scheduling.models import QueueCoverage, Schedule, ScheduledShift
from tercero.delivery.scheduling.tests.factories import cleared_agent, site_with_template
from tercero.delivery.workforce.services import create_agent
from tercero.platform.identity.models import Grant, User
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

# The optimiser reports progress from its own threads, each with its own connection, as
# in a worker: the tests commit for real so that those writes are not locked out.
pytestmark = pytest.mark.usefixtures("transactional_db")

NEW_YORK = ZoneInfo("America/New_York")
MONDAY = date(2026, 3, 23)  # the planning factories' forecasts start here


def _site_with_agents(tenant, queue, *, count: int):
    """A New York site with a 09:00 eight-hour template and `count` agents cleared for
    the queue's engagement."""
    site = site_with_template(tenant.team_lead)
    people = [tenant.agent]
    for number in range(1, count):
        extra = cast(User, UserFactory(email=f"agent{number}@acme.example", role=Role.AGENT))
        with all_clients_scope():
            Grant.objects.create(user=extra, client=tenant.client, reason="test")
        people.append(extra)
    return site, [cleared_agent(tenant, person, site, queue) for person in people]


def _built(tenant, site) -> Schedule:
    schedule = services.start_build(
        actor=tenant.team_lead,
        name="Launch week",
        sites=[site],
        first_day=MONDAY,
        days=2,
        time_limit_seconds=5,
    )
    return building.run(schedule_id=schedule.pk)


def test_a_schedule_built_from_a_staffing_plan_keeps_every_labour_rule(client, tenant_a):
    # given a staffing plan for a queue and three agents cleared for its engagement
    queue = make_queue(tenant_a.client)
    manager = planners(tenant_a.client).manager
    plan = plan_for(finished_forecast(queue, manager), manager)
    site, agents = _site_with_agents(tenant_a, queue, count=3)
    # when the worker builds a schedule for the plan's two days
    schedule = _built(tenant_a, site)
    # then it is ready, with shifts that keep every labour rule
    assert schedule.status == Schedule.Status.READY, schedule.error
    shifts = list(ScheduledShift.objects.filter(schedule=schedule))
    assert shifts
    assert {shift.agent_id for shift in shifts} <= {agent.pk for agent in agents}
    assert all(shift.serves == [f"queue:{queue.pk}"] for shift in shifts)
    stored = sorted((services.planned(shift) for shift in shifts), key=lambda s: s.start)
    rules = selectors.rules_of(site=site)
    zones = {agent.pk: "America/New_York" for agent in agents}
    assert violations(stored, rules, time_zones=zones) == []
    # and the coverage of every planned interval is stored for the queue's client
    with client_scope(clients=[tenant_a.client]):
        coverage = list(QueueCoverage.objects.filter(schedule=schedule))
        planned_intervals = plan.intervals.filter(agents_raw__gt=0).count()
    assert len([row for row in coverage if row.needed > 0]) == planned_intervals > 0
    assert {row.client_id for row in coverage} == {tenant_a.client.pk}
    assert schedule.coverage_percent == building.coverage_percent(coverage)
    assert schedule.coverage_percent is not None
    assert 0 < schedule.coverage_percent <= 100


def test_the_built_schedule_shows_its_coverage_and_shortfall_to_the_lead(client, tenant_a):
    queue = make_queue(tenant_a.client)
    manager = planners(tenant_a.client).manager
    plan_for(finished_forecast(queue, manager), manager)
    site, _ = _site_with_agents(tenant_a, queue, count=2)
    schedule = _built(tenant_a, site)
    client.force_login(tenant_a.team_lead)
    page = client.get(f"/schedules/{schedule.pk}/").content.decode()
    assert "Ready to publish" in page
    assert f"{schedule.coverage_percent} %" in page
    # two agents cannot cover a plan that needs more: the shortfall is shown in hours
    assert schedule.under_agent_minutes is not None
    assert schedule.under_agent_minutes > 0
    assert f"{display.hours(schedule.under_agent_minutes)} of agent time" in page
    assert "Monday 23 March 2026" in page
    assert "Phones" in page
    assert "short</span>" in page


def test_a_published_built_schedule_reaches_the_agents_my_shifts_in_local_time(client, tenant_a):
    # given a built schedule, published by the lead on its page
    queue = make_queue(tenant_a.client)
    manager = planners(tenant_a.client).manager
    plan_for(finished_forecast(queue, manager), manager)
    site, agents = _site_with_agents(tenant_a, queue, count=1)
    schedule = _built(tenant_a, site)
    client.force_login(tenant_a.team_lead)
    client.post(f"/schedules/{schedule.pk}/publish/", {"version": schedule.version})
    schedule.refresh_from_db()
    assert schedule.status == Schedule.Status.PUBLISHED
    # when the agent opens My shifts on Monday morning
    client.force_login(tenant_a.agent)
    with time_machine.travel(datetime(2026, 3, 23, 8, tzinfo=NEW_YORK), tick=False):
        page = client.get("/schedules/mine/").content.decode()
        mine = client.get("/api/v1/schedules/mine").json()
    # then their shifts read 09:00 to 17:00 New York time, in summer time (EDT)
    shifts = ScheduledShift.objects.filter(schedule=schedule, agent=agents[0])
    assert shifts.count() >= 1
    for shift in shifts:
        assert display.span(shift.start_at, shift.end_at, "America/New_York") in page
        assert display.clock(shift.start_at, "America/New_York") == "09:00"
    assert "(EDT)" in page
    assert [row["local_start"][11:16] for row in mine] == ["09:00"] * shifts.count()


def test_a_build_with_no_staffing_plan_fails_with_a_clear_message_on_its_page(client, tenant_a):
    # given agents cleared for a queue that has no staffing plan
    queue = make_queue(tenant_a.client)
    site, _ = _site_with_agents(tenant_a, queue, count=1)
    # when the lead builds a schedule
    schedule = _built(tenant_a, site)
    # then it failed, nothing was stored, and its page says why
    assert schedule.status == Schedule.Status.FAILED
    assert not ScheduledShift.objects.filter(schedule=schedule).exists()
    client.force_login(tenant_a.team_lead)
    response = client.get(f"/schedules/{schedule.pk}/")
    assert response.status_code == 200
    assert "No staffing plan covers these days" in response.content.decode()
    assert "make a staffing plan for them under Planning first" in response.content.decode()


def test_a_build_for_sites_whose_agents_serve_no_queue_says_so(client, tenant_a):
    site = site_with_template(
        tenant_a.team_lead, name="Austin", city="Austin", time_zone="America/Chicago"
    )
    create_agent(actor=None, user=tenant_a.agent, site=site)
    schedule = _built(tenant_a, site)
    assert schedule.status == Schedule.Status.FAILED
    assert schedule.error.startswith("None of these sites' agents is cleared")
