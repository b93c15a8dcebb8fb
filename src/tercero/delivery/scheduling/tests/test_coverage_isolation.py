"""A schedule whose agents serve two clients: a provider person granted client A alone
sees A's queues and figures computed from A's queues only, on the page, in the list and
over the API; client B's queues, and the figures that span both clients, stay hidden."""

from datetime import date

import pytest

from tercero.delivery.planning.tests.factories import finished_forecast, plan_for, planners
from tercero.delivery.planning.tests.factories import planning_queue as make_queue
from tercero.delivery.scheduling import building, selectors, services
from tercero.delivery.scheduling.models import QueueCoverage, Schedule
from tercero.delivery.scheduling.tests.factories import cleared_agent, site_with_template
from tercero.platform.tenancy.scoping import client_scope

# the optimiser reports progress from its own threads, as in a worker
pytestmark = pytest.mark.usefixtures("transactional_db")


def _planned_queue(tenant, name: str):
    queue = make_queue(tenant.client, name=name)
    manager = planners(tenant.client).manager
    plan_for(finished_forecast(queue, manager), manager)
    return queue


def _two_client_schedule(tenant_a, tenant_b) -> tuple[Schedule, int, int]:
    """One New York site; A's agent serves A's "Phones", B's agent B's "Hotline"."""
    phones = _planned_queue(tenant_a, "Phones")
    hotline = _planned_queue(tenant_b, "Hotline")
    site = site_with_template(tenant_a.team_lead)
    for tenant, queue in ((tenant_a, phones), (tenant_b, hotline)):
        cleared_agent(tenant, tenant.agent, site, queue)
    started = services.start_build(
        actor=tenant_a.team_lead,
        name="Shared",
        sites=[site],
        first_day=date(2026, 3, 23),
        days=2,
        time_limit_seconds=5,
    )
    schedule = building.run(schedule_id=started.pk)
    assert schedule.status == Schedule.Status.READY, schedule.error
    return schedule, phones.pk, hotline.pk


def _rows_of(tenant, schedule) -> list[QueueCoverage]:
    with client_scope(clients=[tenant.client]):
        return list(QueueCoverage.objects.filter(schedule=schedule))


def test_a_person_granted_client_a_sees_only_client_a_queues_and_figures(
    client, tenant_a, tenant_b
):
    # given a schedule covering a queue of A and a queue of B
    schedule, phones, hotline = _two_client_schedule(tenant_a, tenant_b)
    a_rows, b_rows = _rows_of(tenant_a, schedule), _rows_of(tenant_b, schedule)
    assert a_rows
    assert b_rows
    a_percent = selectors.coverage_percent(a_rows)
    assert schedule.client_ids == sorted([tenant_a.client.pk, tenant_b.client.pk])
    # when A's team lead opens it
    client.force_login(tenant_a.team_lead)
    page = client.get(f"/schedules/{schedule.pk}/?day=2026-03-23").content.decode()
    listed = client.get("/schedules/").content.decode()
    answer = client.get(f"/api/v1/schedules/{schedule.pk}").json()
    # then only A's queue is shown, and the figures are A's queue's alone
    assert "Phones" in page
    assert "Hotline" not in page
    assert f"Coverage of the staffing plan</dt><dd>{a_percent} %" in page
    assert "Beyond the plan" not in page
    assert f"{a_percent} %" in listed
    assert {gap["queue_id"] for gap in answer["gaps"]} <= {phones}
    assert f"queue:{hotline}" not in str(answer)
    assert {key for shift in answer["shifts"] for key in shift["serves"]} == {f"queue:{phones}"}
    assert (answer["coverage_percent"], answer["over_agent_hours"]) == (a_percent, None)
    a_short = sum(min(row.short, row.needed) * row.minutes for row in a_rows) / 60
    assert answer["under_agent_hours"] == pytest.approx(a_short)


def test_a_person_reaching_both_clients_sees_both_queues_and_the_whole_figures(
    client, tenant_a, tenant_b, provider_admin
):
    schedule, _, hotline = _two_client_schedule(tenant_a, tenant_b)
    client.force_login(provider_admin)
    page = client.get(f"/schedules/{schedule.pk}/?day=2026-03-23").content.decode()
    answer = client.get(f"/api/v1/schedules/{schedule.pk}").json()
    assert "Phones" in page
    assert "Hotline" in page
    assert f"Coverage of the staffing plan</dt><dd>{schedule.coverage_percent} %" in page
    assert "Beyond the plan" in page
    assert answer["coverage_percent"] == schedule.coverage_percent
    # Berlin's morning is New York's night: the Hotline is short while nobody works
    assert hotline in {gap["queue_id"] for gap in answer["gaps"]}
