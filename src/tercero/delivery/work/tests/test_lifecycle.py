"""The item life cycle as an agent and a team lead live it, with its SLA clock."""

from datetime import date, time, timedelta

import pytest
from django.utils import timezone

from tercero.delivery.work import services, sla
from tercero.delivery.work.models import Assignment, WorkEvent, WorkItem
from tercero.delivery.work.tests.conftest import (
    FORM,
    add_item,
    live_engagement,
    make_agent,
    make_queue,
)
from tercero.platform.errors import Conflict, IllegalTransition, InvalidInput
from tercero.platform.tenancy.scoping import client_scope

TARGETS = [
    {"metric": "first_response", "target_seconds": 3600},
    {"metric": "resolution", "target_seconds": 8 * 3600},
    {"metric": "turnaround", "target_business_days": 2},
]


@pytest.fixture
def desk(tenant_a):
    engagement = live_engagement(tenant_a.client, sla_targets=TARGETS)
    queue = make_queue(engagement)
    agent = make_agent(engagement, skills={"keying": 3})
    return engagement, queue, agent


def kinds(item):
    return list(WorkEvent.objects.filter(item=item).values_list("kind", flat=True))


def test_an_item_from_arrival_to_closure(tenant_a, desk):
    _engagement, queue, agent = desk
    item = add_item(queue)
    assert item.status == "queued"
    assert item.response_due_at is not None
    got = services.get_next(agent=agent, client_ids=[tenant_a.client.pk])
    assert got is not None
    assert got.pk == item.pk
    assert got.status == "assigned"
    lead = tenant_a.team_lead
    with client_scope(clients=[tenant_a.client]):
        item = services.transition(actor=agent.user, item=got, action="start")
        item = services.transition(
            actor=agent.user, item=item, action="wait", waiting_on="customer"
        )
        assert item.first_response_at is not None, "replying and waiting is the first response"
        assert item.due_at == item.resolution_due_at
        item = services.transition(actor=agent.user, item=item, action="resume")
        item = services.transition(actor=agent.user, item=item, action="resolve", resolution="Done")
        assert item.sla_met is True
        assert not Assignment.objects.filter(item=item, ended_at__isnull=True).exists()
        item = services.transition(actor=lead, item=item, action="close")
        assert kinds(item) == [
            "item.created",
            "item.queued",
            "item.assigned",
            "item.started",
            "item.waiting",
            "item.resumed",
            "item.resolved",
            "item.closed",
        ]
    for stamp in ("queued_at", "assigned_at", "started_at", "resolved_at", "closed_at"):
        assert getattr(item, stamp) is not None, stamp


def test_an_illegal_move_lists_the_legal_ones(tenant_a, desk):
    _, queue, _ = desk
    item = add_item(queue)
    with client_scope(clients=[tenant_a.client]), pytest.raises(IllegalTransition) as refused:
        services.transition(actor=None, item=item, action="close")
    assert refused.value.status == 409
    assert refused.value.allowed == ["assign", "cancel", "transfer"]


def test_a_stale_version_is_refused_not_overwritten(tenant_a, desk):
    _, queue, _ = desk
    item = add_item(queue)
    with client_scope(clients=[tenant_a.client]):
        services.update_item(actor=None, item=item, version=item.version, changes={"title": "A"})
        with pytest.raises(Conflict) as stale:
            services.update_item(actor=None, item=item, version=1, changes={"title": "B"})
        assert stale.value.code == "stale_version"
        with pytest.raises(Conflict):
            services.transition(actor=None, item=item, action="cancel", version=1)
        assert WorkItem.objects.get(pk=item.pk).title == "A"


def test_waiting_on_the_client_pauses_the_clock_by_exactly_the_wait(tenant_a, desk):
    _, queue, agent = desk
    item = add_item(queue)
    with client_scope(clients=[tenant_a.client]):
        services.get_next(agent=agent, client_ids=[tenant_a.client.pk])
        item = services.transition(actor=None, item=item, action="start")
        item = services.transition(actor=None, item=item, action="wait", waiting_on="client")
        due_before = item.resolution_due_at
        # two hours pass while the client answers (24/7 calendar: two business hours)
        began = timezone.now() - timedelta(hours=2)
        WorkItem.objects.filter(pk=item.pk).update(waiting_since=began)
        item.refresh_from_db()
        item = services.transition(actor=None, item=item, action="resume")
    assert item.resolution_due_at is not None
    assert due_before is not None
    shifted = item.resolution_due_at - due_before
    assert timedelta(hours=2) <= shifted < timedelta(hours=2, seconds=5)
    assert 7200 <= item.sla_paused_seconds < 7205
    assert item.waiting_since is None


def test_a_waiting_item_stands_where_its_clock_stopped(tenant_a, desk):
    engagement, queue, agent = desk
    item = add_item(queue)
    with client_scope(clients=[tenant_a.client]):
        services.get_next(agent=agent, client_ids=[tenant_a.client.pk])
        item = services.transition(actor=None, item=item, action="start")
        item = services.transition(actor=None, item=item, action="wait", waiting_on="client")
    much_later = timezone.now() + timedelta(days=30)
    standing = sla.standing(item, engagement=engagement, now=much_later)
    assert standing.state == "on_track"


def test_completion_check_blocks_resolving_until_the_work_is_done(tenant_a, desk):
    _, queue, agent = desk
    item = add_item(queue, work_type=FORM.key, payload={"document": "d", "fields_total": 3})
    with client_scope(clients=[tenant_a.client]):
        services.get_next(agent=agent, client_ids=[tenant_a.client.pk])
        item = services.transition(actor=None, item=item, action="start")
        with pytest.raises(InvalidInput) as incomplete:
            services.transition(actor=None, item=item, action="resolve")
        assert incomplete.value.fields["checks"] == ["3 fields are not keyed yet."]
        item = services.update_item(
            actor=None,
            item=item,
            version=item.version,
            changes={"payload": {"document": "d", "fields_total": 3, "fields_keyed": 3}},
        )
        item = services.transition(actor=None, item=item, action="resolve")
    assert item.status == "resolved"


def test_transfer_ends_the_assignment_and_queues_again(tenant_a, desk):
    engagement, queue, agent = desk
    other = make_queue(engagement, name="Tier 2")
    item = add_item(queue)
    with client_scope(clients=[tenant_a.client]):
        services.get_next(agent=agent, client_ids=[tenant_a.client.pk])
        item = services.transfer(actor=None, item=WorkItem.objects.get(pk=item.pk), queue=other)
        assert (item.queue_id, item.status, item.assignee_id) == (other.pk, "queued", None)
        assert not Assignment.objects.filter(item=item, ended_at__isnull=True).exists()
        assert kinds(item)[-1] == "item.transferred"


def test_reopen_counts_and_queues_again(tenant_a, desk):
    _, queue, agent = desk
    item = add_item(queue)
    with client_scope(clients=[tenant_a.client]):
        services.get_next(agent=agent, client_ids=[tenant_a.client.pk])
        item = services.transition(actor=None, item=item, action="start")
        item = services.transition(actor=None, item=item, action="resolve")
        item = services.transition(actor=None, item=item, action="reopen")
    assert (item.status, item.reopen_count, item.resolved_at) == ("queued", 1, None)


def test_back_office_deadline_from_the_payload(tenant_a):
    engagement = live_engagement(
        tenant_a.client,
        hours_of_cover="business_hours",
        working_hours={str(d): [["09:00", "17:00"]] for d in range(5)},
        holiday_country="US",
        sla_targets=[{"metric": "turnaround", "target_business_days": 10}],
    )
    queue = make_queue(engagement)
    item = add_item(
        queue,
        work_type=FORM.key,
        payload={"document": "payroll", "fields_total": 1, "pay_date": "2026-11-30"},
    )
    # pay date Monday 30 Nov 2026; two business days before skips the weekend and
    # Thanksgiving (Thu 26): Wednesday 25 Nov, 14:00 New York time.
    cal = sla.calendar_of(engagement)
    expected = cal.deadline(date(2026, 11, 30), business_days_before=2, at=time(14, 0))
    assert expected.isoformat() == "2026-11-25T19:00:00+00:00"
    # ten business days from now would be later: the hard deadline wins
    assert expected < cal.add_business_days(item.created_at, 10)
    assert item.resolution_due_at == expected


def test_unknown_types_and_bad_payloads_are_refused_clearly(tenant_a, desk):
    _, queue, _ = desk
    with pytest.raises(InvalidInput) as unknown:
        add_item(queue, work_type="nobody.registered")
    assert unknown.value.code == "unknown_work_type"
    with pytest.raises(InvalidInput) as bad:
        add_item(queue, work_type=FORM.key, payload={"document": "", "fields_total": 0})
    assert set(bad.value.fields) == {"payload.document", "payload.fields_total"}


def test_an_engagement_without_working_time_refuses_timed_work_clearly(tenant_a):
    engagement = live_engagement(
        tenant_a.client,
        hours_of_cover="business_hours",
        working_hours={},
        sla_targets=[{"metric": "first_response", "target_seconds": 3600}],
    )
    with pytest.raises(InvalidInput) as refused:
        add_item(make_queue(engagement))
    assert refused.value.code == "no_working_time"
