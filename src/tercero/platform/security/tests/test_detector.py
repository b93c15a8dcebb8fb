"""Insider-misuse detection over the audit trail: a normal shift stays quiet, a
record-harvesting agent is caught within a minute, limits and baselines apply."""

import random
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from tests.factories import engagement_for

from tercero.delivery.work.models import WorkEvent
from tercero.platform.audit.services import record
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.security import detector, misuse
from tercero.platform.security.models import MisuseRule, SecurityAlert
from tercero.platform.tenancy.scoping import client_scope

START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
ENGAGEMENT = None  # set per test: the engagement whose records are opened


@pytest.fixture(autouse=True)
def engagement(tenant_a):
    global ENGAGEMENT
    ENGAGEMENT = engagement_for(tenant_a.client, name="Claims").pk
    return ENGAGEMENT


def _event(user, client, action, object_id, at, **payload):
    # (`record` writes in a transaction of its own when the caller holds none)
    with time_machine.travel(at, tick=False):
        record(
            action=action,
            actor=user,
            client=client,
            object_type="work_item",
            object_id=object_id,
            payload={"engagement_id": ENGAGEMENT, "on_shift": True, **payload},
        )


def _detect(at):
    with time_machine.travel(at, tick=False):
        return detector.detect(now=at)


def _alerts(client):
    with client_scope(clients=[client]):
        return list(SecurityAlert.objects.order_by("created_at"))


def test_a_normal_shift_of_50_agents_raises_no_alert(tenant_a):
    # protects: alert fatigue (a detector that cries wolf gets switched off)
    rng = random.Random(50)
    agents = [UserFactory(role=Role.AGENT) for _ in range(50)]
    events = []
    for agent in agents:
        for hour in range(2):
            for _ in range(rng.randint(15, 40)):
                at = START + timedelta(hours=hour, seconds=rng.randint(0, 3599))
                events.append((at, agent, "work_item.viewed", rng.randint(1, 5000)))
            for _ in range(rng.randint(0, 4)):
                at = START + timedelta(hours=hour, seconds=rng.randint(0, 3599))
                events.append((at, agent, "work_item.revealed", rng.randint(1, 5000)))
    events.sort(key=lambda e: e[0])
    checks = [START + timedelta(minutes=10 * n) for n in range(1, 13)]
    for at, agent, action, object_id in events:
        while checks and checks[0] <= at:
            assert _detect(checks.pop(0)) == []
        _event(agent, tenant_a.client, action, object_id, at)
    assert _detect(START + timedelta(hours=2)) == []
    assert _alerts(tenant_a.client) == []


def test_an_agent_opening_500_records_in_10_minutes_is_caught_within_a_minute(tenant_a):
    # protects: record harvesting by an insider (one alert, and it comes quickly)
    thief = UserFactory.create(role=Role.AGENT)
    limit = MisuseRule(client_id=tenant_a.client.pk).records_per_hour
    crossed = None
    for n in range(500):
        at = START + timedelta(seconds=n * 1.2)
        _event(thief, tenant_a.client, "work_item.viewed", 10_000 + n, at)
        if n + 1 > limit and crossed is None:
            crossed = at
    # the scheduler runs the detector every DETECT_EVERY_SECONDS
    tick = START
    while tick <= START + timedelta(minutes=11):
        _detect(tick)
        tick += timedelta(seconds=detector.DETECT_EVERY_SECONDS)
    alerts = _alerts(tenant_a.client)
    assert [(a.user_id, a.kind) for a in alerts] == [(thief.pk, "records")]
    assert alerts[0].count > limit
    assert alerts[0].created_at - crossed <= timedelta(seconds=60)
    # and the step-up is on: their reveals now wait for a supervisor
    assert misuse.step_up_required(user=thief)
    # and the client's webhooks hear of it through the outbox
    with client_scope(clients=[tenant_a.client]):
        event = WorkEvent.objects.get(kind="security.alert")
    assert event.data["kind"] == "records"


def test_an_engagement_limit_overrides_the_clients_default(tenant_a):
    # protects: thresholds per engagement (a payroll desk is stricter than a help desk)
    with client_scope(clients=[tenant_a.client]):
        MisuseRule.objects.create(
            client=tenant_a.client, engagement_id=ENGAGEMENT, exports_per_hour=1
        )
    lead = UserFactory(role=Role.TEAM_LEAD)
    for n in range(2):
        _event(lead, tenant_a.client, "work_items.exported", "", START + timedelta(minutes=n))
    [alert] = _detect(START + timedelta(minutes=3))
    assert (alert.kind, alert.count, alert.limit) == ("exports", 2, 1)


def test_off_shift_access_is_flagged(tenant_a):
    # protects: reading customer data while not signed on to the floor
    agent = UserFactory(role=Role.AGENT)
    for n in range(11):
        _event(
            agent,
            tenant_a.client,
            "work_item.viewed",
            n,
            START + timedelta(minutes=n),
            on_shift=False,
        )
    kinds = [a.kind for a in _detect(START + timedelta(minutes=12))]
    assert kinds == ["off_shift"]


def test_far_above_ones_own_baseline_alerts_below_the_engagement_limit(tenant_a):
    # protects: the slow insider who stays under the fixed limit but not their habit
    agent = UserFactory(role=Role.AGENT)
    history = START - timedelta(days=3)
    for hour in range(10):
        for n in range(10):
            _event(
                agent,
                tenant_a.client,
                "work_item.viewed",
                hour * 100 + n,
                history + timedelta(hours=hour, minutes=n),
            )
    for n in range(120):  # under the limit of 150, but 12x their usual hour of 10
        _event(
            agent,
            tenant_a.client,
            "work_item.viewed",
            90_000 + n,
            START + timedelta(seconds=20 * n),
        )
    [alert] = _detect(START + timedelta(minutes=41))
    assert alert.kind == "records"
    assert alert.limit == detector.BASELINE_FLOOR
    assert "usual" in alert.detail


def test_one_alert_per_person_kind_and_hour(tenant_a):
    # protects: an alert storm from a detector running every 20 seconds
    agent = UserFactory(role=Role.AGENT)
    for n in range(160):
        _event(agent, tenant_a.client, "work_item.viewed", n, START + timedelta(seconds=n))
    assert len(_detect(START + timedelta(minutes=3))) == 1
    assert _detect(START + timedelta(minutes=4)) == []


def test_events_stamped_after_now_are_not_counted(tenant_a):
    # protects: replayed or clock-skewed rows cannot make an ordinary hour look busy
    agent = UserFactory(role=Role.AGENT)
    for n in range(160):
        _event(agent, tenant_a.client, "work_item.viewed", n, START + timedelta(hours=2, seconds=n))
    assert _detect(START + timedelta(minutes=30)) == []
