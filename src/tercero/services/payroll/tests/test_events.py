"""Payroll's outbox events: a pay run finalised and an HR change applied, each written
with the change, fitting its schema, and naming no employee."""

import json

import pytest

from tercero.delivery.work import event_types
from tercero.delivery.work import services as work
from tercero.delivery.work.models import WorkEvent
from tercero.delivery.work.tests.conftest import make_agent, make_queue
from tercero.platform.errors import InvalidInput, PermissionDenied
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import hr_events, runs
from tercero.services.payroll.tests.factories import calculated, finalised, hire, uk_group
from tercero.services.payroll.tests.test_hr_events import NEW_STARTER


def _payroll_events() -> list[WorkEvent]:
    found = list(WorkEvent.objects.filter(kind__startswith="payroll.").order_by("id"))
    for event in found:
        event_types.find(event.kind).schema.model_validate(event.data)
    return found


@pytest.fixture
def group(tenant_a):
    made = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        yield made


def test_a_finalised_run_publishes_payroll_run_finalised_with_its_totals(tenant_a, group):
    # given two employees in the pay group
    hire(tenant_a.team_lead, group, "E-1")
    hire(tenant_a.team_lead, group, "E-2", salary="45000.00")
    # when April's run is finalised
    run = finalised(tenant_a, group)
    # then one payroll.run.finalised event, on the run's item, carries its totals
    [event] = _payroll_events()
    assert (event.kind, event.item_id, event.engagement_id, event.actor_id) == (
        "payroll.run.finalised",
        run.work_item_id,
        group.engagement_id,
        tenant_a.team_lead.pk,
    )
    assert event.data == {
        "run_id": run.pk,
        "pay_group_id": group.pk,
        "pay_group": "UK monthly",
        "kind": "regular",
        "tax_year": "2026-27",
        "period": 1,
        "period_start": "2026-04-06",
        "period_end": "2026-05-05",
        "pay_date": "2026-04-28",
        "employees": 2,
        "net_minor": run.net_minor,
        "currency": "GBP",
    }
    assert run.net_minor > 0
    # and it names no employee
    assert "E-1" not in json.dumps(event.data)


def test_a_run_refused_at_finalising_publishes_nothing(tenant_a, group):
    # given an approved run
    hire(tenant_a.team_lead, group, "E-1")
    run = calculated(tenant_a.team_lead, group)
    run = runs.submit(actor=tenant_a.team_lead, run=run, version=run.version)
    run = runs.approve(actor=tenant_a.client_admin, run=run, version=run.version)
    # when the client's admin tries to finalise it (the provider's team does)
    with pytest.raises(PermissionDenied):
        runs.finalise(actor=tenant_a.client_admin, run=run, version=run.version)
    # then no payroll event is written
    assert _payroll_events() == []


@pytest.fixture
def hr_desk(tenant_a, group):
    queue = make_queue(group.engagement, name="HR changes", work_types=["payroll.hr_event"])
    return queue, make_agent(group.engagement, skills={"hr": 3})


def _started(tenant, queue, agent, payload):
    item = work.submit_item(
        actor=tenant.client_user, queue=queue, work_type="payroll.hr_event", payload=payload
    )
    item = work.assign(actor=tenant.team_lead, item=item, agent=agent)
    return work.transition(actor=agent.user, item=item, action="start")


def test_an_applied_hr_change_publishes_which_change_to_which_employee_only(tenant_a, hr_desk):
    # given a new starter the client asked for, being worked by an HR agent
    queue, agent = hr_desk
    item = _started(tenant_a, queue, agent, NEW_STARTER)
    # when the agent applies it to the records
    applied = hr_events.apply(actor=agent.user, item=item)
    # then payroll.hr_change.applied names the change and the employee's id, nothing more
    [event] = _payroll_events()
    assert (event.kind, event.item_id, event.actor_id) == (
        "payroll.hr_change.applied",
        item.pk,
        agent.user.pk,
    )
    assert event.data == {
        "hr_change_id": applied.pk,
        "item_id": item.pk,
        "change": "hire",
        "employee_id": applied.employee_id,
    }
    written = json.dumps(event.data)
    assert [
        word for word in ("Grace", "E-77", "AB123456C", "1990", "31500") if word in written
    ] == []


def test_an_hr_change_that_cannot_be_applied_publishes_nothing(tenant_a, hr_desk):
    # given a termination of an employee number the client does not have
    queue, agent = hr_desk
    nobody = {"event": "terminate", "employee_number": "E-404", "effective": "2026-10-30"}
    item = _started(tenant_a, queue, agent, nobody)
    # when the agent tries to apply it
    with pytest.raises(InvalidInput, match="No employee numbered 'E-404'"):
        hr_events.apply(actor=agent.user, item=item)
    # then no payroll event is written
    assert _payroll_events() == []
