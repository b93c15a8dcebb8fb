"""A pay run's work item follows the run: finalising resolves it (the net pay in its
currency, the SLA clock judged then), cancelling cancels it, in the run's own
transaction; runs that ended before this were closed by a data migration."""

import importlib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.apps import apps

from tercero.delivery.work import lifecycle
from tercero.delivery.work import selectors as work_selectors
from tercero.delivery.work import services as work
from tercero.delivery.work.models import Assignment
from tercero.delivery.work.tests.conftest import make_agent
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import outputs, runs
from tercero.services.payroll.models import PayRun
from tercero.services.payroll.tests.factories import APRIL, calculated, hire, uk_group

MIGRATION = importlib.import_module(
    "tercero.services.payroll.migrations.0006_close_items_of_ended_runs"
)
APRIL_14 = datetime(2026, 4, 14, 9, 0, tzinfo=UTC)


@pytest.fixture
def group(tenant_a):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        hire(tenant_a.team_lead, group, "E-1")
        yield group


def _approved(tenant, group, period=APRIL, **fields) -> PayRun:
    run = calculated(tenant.team_lead, group, period, **fields)
    run = runs.submit(actor=tenant.team_lead, run=run, version=run.version)
    return runs.approve(actor=tenant.client_admin, run=run, version=run.version)


def _standing(client, state: str, *, open_only: bool = False) -> list[int]:
    """Ids of the client's items in this SLA state now (the floor counts open ones)."""
    status = list(lifecycle.OPEN) if open_only else None
    found = work_selectors.items(client_ids=[client.pk], sla_state=state, status=status)
    return list(found.values_list("pk", flat=True))


def _events(item) -> list[tuple[str, dict]]:
    return [(e.kind, e.data) for e in work_selectors.events_of(item=item)]


def test_finalising_a_run_resolves_its_item_and_stops_its_sla_clock(tenant_a, group):
    # protects: paid runs left queued and shown at risk or breached on the floor
    with time_machine.travel(APRIL_14, tick=False):
        run = _approved(tenant_a, group)
    item = run.work_item
    late_morning = item.at_risk_at + timedelta(minutes=1)
    assert late_morning < item.due_at
    with time_machine.travel(late_morning, tick=False):
        assert _standing(tenant_a.client, "at_risk") == [item.pk]
        run = runs.finalise(actor=tenant_a.team_lead, run=run, version=run.version)
        assert _standing(tenant_a.client, "at_risk") == []
        assert _standing(tenant_a.client, "breached") == []
    with time_machine.travel(item.due_at + timedelta(days=60), tick=False):
        assert _standing(tenant_a.client, "at_risk") == []
        assert _standing(tenant_a.client, "breached") == []
        assert _standing(tenant_a.client, "on_track") == [item.pk]
    item.refresh_from_db()
    assert item.status == lifecycle.RESOLVED
    assert item.resolution == "Pay run finalised: 1 employee, net £1,968.64."
    assert item.resolved_at == run.finalised_at == late_morning
    assert item.sla_met is True
    resolved, published = _events(item)[-2:]
    assert resolved == (
        "item.resolved",
        {"from": "queued", "to": "resolved", "for_record": True, "sla_met": True},
    )
    assert published[0] == "payroll.run.finalised"
    assert work_selectors.events_of(item=item).last().actor == tenant_a.team_lead


def test_a_run_finalised_after_its_deadline_leaves_the_floor_with_the_deadline_missed(
    tenant_a, group
):
    # protects: a late run counted as open and overdue for ever, or its lateness hidden
    run = _approved(tenant_a, group)  # today, long after April's bank deadline
    item = run.work_item
    assert _standing(tenant_a.client, "breached", open_only=True) == [item.pk]
    runs.finalise(actor=tenant_a.team_lead, run=run, version=run.version)
    item.refresh_from_db()
    assert item.status == lifecycle.RESOLVED
    assert item.sla_met is False
    assert _standing(tenant_a.client, "breached", open_only=True) == []
    assert _standing(tenant_a.client, "at_risk") == []


def test_cancelling_a_run_cancels_its_item(tenant_a, group):
    # protects: a cancelled run's item waiting in the queue for someone to close it
    run = calculated(tenant_a.team_lead, group)
    runs.cancel(actor=tenant_a.team_lead, run=run, version=run.version, reason="Wrong period")
    item = run.work_item
    item.refresh_from_db()
    assert item.status == lifecycle.CANCELLED
    assert item.cancelled_at is not None
    assert _events(item)[-1] == (
        "item.cancelled",
        {
            "from": "queued",
            "to": "cancelled",
            "for_record": True,
            "reason": "Pay run cancelled: Wrong period",
        },
    )
    assert _standing(tenant_a.client, "breached", open_only=True) == []


def test_the_agent_working_a_run_is_freed_when_the_run_is_finalised(tenant_a, group):
    # protects: an agent held by an item whose work is done
    agent = make_agent(group.engagement, skills={"payroll": 2})
    run = _approved(tenant_a, group)
    item = work.assign(actor=tenant_a.team_lead, item=run.work_item, agent=agent)
    item = work.transition(actor=agent.user, item=item, action="start")
    finished = item.working_since + timedelta(minutes=25)
    with time_machine.travel(finished, tick=False):
        runs.finalise(actor=tenant_a.team_lead, run=run, version=run.version)
    item.refresh_from_db()
    assert item.status == lifecycle.RESOLVED
    assert item.working_since is None
    assert item.handle_seconds == 25 * 60
    held = Assignment.objects.get(item=item)
    assert held.agent == agent
    assert (held.end_reason, held.ended_at) == ("resolve", finished)
    agent.refresh_from_db()
    assert agent.idle_since == finished


def test_an_item_closed_by_hand_stays_as_it_is_when_its_run_is_finalised(tenant_a, group):
    # protects: finalising refused, or a second closing event, because someone closed it
    run = _approved(tenant_a, group)
    work.transition(actor=tenant_a.team_lead, item=run.work_item, action="cancel")
    runs.finalise(actor=tenant_a.team_lead, run=run, version=run.version)
    item = run.work_item
    item.refresh_from_db()
    assert item.status == lifecycle.CANCELLED
    assert [kind for kind, _data in _events(item)].count("item.cancelled") == 1
    assert "item.resolved" not in [kind for kind, _data in _events(item)]


def test_the_migration_closes_the_items_of_runs_that_ended_with_their_items_open(tenant_a, group):
    # protects: existing databases keeping paid and cancelled runs' items on the floor
    paid = calculated(tenant_a.team_lead, group)
    dropped = calculated(tenant_a.team_lead, group, kind="off_cycle")
    finalised_at = paid.work_item.due_at - timedelta(hours=1)
    PayRun.objects.filter(pk=paid.pk).update(status="finalised", finalised_at=finalised_at)
    PayRun.objects.filter(pk=dropped.pk).update(status="cancelled", note="twice")
    MIGRATION.close_items_of_ended_runs(apps, None)
    MIGRATION.close_items_of_ended_runs(apps, None)  # a second run finds nothing open
    paid_item, dropped_item = paid.work_item, dropped.work_item
    paid_item.refresh_from_db()
    dropped_item.refresh_from_db()
    assert paid_item.status == lifecycle.RESOLVED
    assert paid_item.resolution == runs.finalised_text(paid)
    assert paid_item.resolution == "Pay run finalised: 1 employee, net £1,968.64."
    assert paid_item.resolved_at == finalised_at
    assert paid_item.sla_met is True
    assert _events(paid_item)[-1] == (
        "item.resolved",
        {"from": "queued", "to": "resolved", "for_record": True, "sla_met": True},
    )
    assert dropped_item.status == lifecycle.CANCELLED
    assert [kind for kind, _data in _events(dropped_item)] == [
        "item.created",
        "item.queued",
        "item.cancelled",
    ]
    assert _events(dropped_item)[-1][1]["reason"] == "Pay run cancelled: twice"


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (5_355_305, "GBP", "£53,553.05"),
        (-1_250, "EUR", "-€12.50"),
        (99, "USD", "$0.99"),
        (125_000, "JPY", "125,000 JPY"),
        (100_000_000, "CHF", "1,000,000.00 CHF"),
    ],
)
def test_amounts_are_written_in_their_currency_as_people_read_them(minor, currency, text):
    # protects: "net 5355305" in minor units on an item a person reads
    assert outputs.amount_text(minor, currency) == text
    assert MIGRATION._amount(minor, currency) == text
