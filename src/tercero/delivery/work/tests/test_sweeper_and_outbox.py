"""The SLA sweeper raises each alert once, and outbox consumers survive being killed."""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from tercero.delivery.work import outbox, services
from tercero.delivery.work.models import EventReceipt, SlaAlert, WorkEvent, WorkItem
from tercero.delivery.work.tests.conftest import add_item, live_engagement, make_queue
from tercero.platform.audit.models import AuditEvent
from tercero.platform.audit.services import record
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

TARGETS = [{"metric": "first_response", "target_seconds": 3600}]


def _overdue(queue, n=1, **fields):
    """Items whose first-response clock is past both its at-risk and due moments."""
    made = [add_item(queue, **fields) for _ in range(n)]
    past = timezone.now() - timedelta(minutes=1)
    with client_scope(clients=[queue.client_id]):
        WorkItem.objects.filter(pk__in=[i.pk for i in made]).update(
            due_at=past, response_due_at=past, at_risk_at=past, response_at_risk_at=past
        )
    return made


def _alerts(kind):
    with all_clients_scope():
        return list(SlaAlert.objects.filter(kind=kind).values_list("item_id", flat=True))


def test_at_risk_and_breach_fire_once(tenant_a):
    queue = make_queue(live_engagement(tenant_a.client, sla_targets=TARGETS))
    item = _overdue(queue)[0]
    assert services.sweep() == {"at_risk": 1, "breached": 1}
    assert services.sweep() == {"at_risk": 0, "breached": 0}
    with client_scope(clients=[tenant_a.client]):
        assert list(
            WorkEvent.objects.filter(item=item, kind__startswith="sla.").values_list(
                "kind", flat=True
            )
        ) == ["sla.at_risk", "sla.breached"]


def test_items_on_track_raise_nothing(tenant_a):
    queue = make_queue(live_engagement(tenant_a.client, sla_targets=TARGETS))
    add_item(queue)
    assert services.sweep() == {"at_risk": 0, "breached": 0}


def test_two_schedulers_sweeping_at_once_raise_each_alert_once(tenant_a, transactional_db):
    queue = make_queue(live_engagement(tenant_a.client, sla_targets=TARGETS))
    items = _overdue(queue, n=30)
    barrier = threading.Barrier(2)
    errors = []

    def sweeper():
        try:
            barrier.wait()
            services.sweep()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sorted(_alerts("at_risk")) == sorted(i.pk for i in items)
    assert sorted(_alerts("breached")) == sorted(i.pk for i in items)
    with all_clients_scope():
        assert WorkEvent.objects.filter(kind="sla.breached").count() == 30


@pytest.mark.parametrize(
    ("rule", "check"),
    [
        ("raise_priority", lambda item, _: item.priority == 1),  # P3 -> P2 (at risk) -> P1
        ("move", lambda item, target: item.queue_id == target.pk and item.status == "queued"),
        ("notify_lead", lambda item, _: item.priority == 3),
    ],
)
def test_escalation_rules(tenant_a, rule, check):
    engagement = live_engagement(tenant_a.client, sla_targets=TARGETS)
    target = make_queue(engagement, name="Escalations")
    queue = make_queue(
        engagement,
        escalation=rule,
        escalation_queue=target if rule == "move" else None,
        team_lead=tenant_a.team_lead,
    )
    item = _overdue(queue, priority=3)[0]
    services.sweep()
    with client_scope(clients=[tenant_a.client]):
        item.refresh_from_db()
        assert check(item, target)
        escalated = WorkEvent.objects.filter(item=item, kind="item.escalated")
        assert escalated.exists()
        if rule == "notify_lead":
            first = escalated.first()
            assert first is not None
            assert first.data["notify_user_id"] == tenant_a.team_lead.pk


class Killed(BaseException):
    """Stands in for the process dying: no `except Exception` catches it."""


def _record_handled(event: WorkEvent) -> None:
    record(action="test.event_handled", client=event.client_id, object_id=event.pk)


def test_a_consumer_killed_mid_batch_delivers_everything_once_after_restart(tenant_a):
    queue = make_queue(live_engagement(tenant_a.client))
    for _ in range(10):
        add_item(queue)  # two events each
    handled = []

    def side_effect(event):
        record(action="test.event_handled", client=event.client_id, object_id=event.pk)
        handled.append(event.pk)
        if len(handled) == 7:
            raise Killed  # dies after its side effect, before the transaction commits

    outbox.register_consumer(outbox.Consumer(name="test-effects", handle=side_effect))
    try:
        with pytest.raises(Killed):
            outbox.consume("test-effects", batch_size=100)
        assert outbox.consume("test-effects", batch_size=100) == 14  # the rest, once
        assert outbox.consume("test-effects", batch_size=100) == 0
    finally:
        outbox.unregister_consumer("test-effects")
    with all_clients_scope():
        events = sorted(WorkEvent.objects.values_list("pk", flat=True))
        effects = sorted(
            int(pk)
            for pk in AuditEvent.objects.filter(action="test.event_handled").values_list(
                "object_id", flat=True
            )
        )
        assert effects == events, "every event has exactly one side effect"
        assert EventReceipt.objects.filter(consumer="test-effects").count() == 20


def test_two_consumer_processes_share_the_work_without_repeats(tenant_a, transactional_db):
    queue = make_queue(live_engagement(tenant_a.client))
    for _ in range(40):
        add_item(queue)
    seen = []
    lock = threading.Lock()

    def note(event):
        with lock:
            seen.append(event.pk)

    outbox.register_consumer(outbox.Consumer(name="test-shared", handle=note))
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            handled = None
            while handled != 0:
                handled = outbox.consume("test-shared", batch_size=10)
        finally:
            connections.close_all()

    try:
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        outbox.unregister_consumer("test-shared")
    with all_clients_scope():
        receipts = list(
            EventReceipt.objects.filter(consumer="test-shared").values_list("event_id", flat=True)
        )
        assert sorted(receipts) == sorted(WorkEvent.objects.values_list("pk", flat=True))
    assert len(set(receipts)) == len(receipts) == 80
    assert sorted(seen) == sorted(receipts), "each event reached the handler once"


def test_work_events_join_the_audit_chain(tenant_a):
    queue = make_queue(live_engagement(tenant_a.client))
    item = add_item(queue)
    outbox.consume("audit")
    with all_clients_scope():
        chained = AuditEvent.objects.filter(action__startswith="work.item.", object_id=str(item.pk))
        assert list(chained.values_list("action", flat=True)) == [
            "work.item.created",
            "work.item.queued",
        ]


_KILLED_CONSUMER = """
import os, signal, sys
import django
django.setup()
from tercero.delivery.work import outbox
from tercero.platform.audit.services import record

handled = []

def side_effect(event):
    record(action="test.event_handled", client=event.client_id, object_id=event.pk)
    handled.append(event.pk)
    if len(handled) == int(sys.argv[1]):
        os.kill(os.getpid(), signal.SIGKILL)  # dies inside the transaction

outbox.register_consumer(outbox.Consumer(name="test-killed", handle=side_effect))
outbox.consume("test-killed", batch_size=100)
"""


def _database_url() -> str:
    db = connections["default"].settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def test_a_consumer_process_killed_with_sigkill_loses_nothing(tenant_a, transactional_db):
    import os
    import subprocess
    import sys

    queue = make_queue(live_engagement(tenant_a.client))
    for _ in range(6):
        add_item(queue)  # 12 events
    env = {**os.environ, "DATABASE_URL": _database_url()}
    env.pop("TERCERO_TEST_DB", None)
    done = subprocess.run(
        [sys.executable, "-c", _KILLED_CONSUMER, "5"], env=env, capture_output=True, timeout=60
    )
    assert done.returncode == -9, done.stderr.decode()[-2000:]
    with all_clients_scope():
        survived = AuditEvent.objects.filter(action="test.event_handled").count()
        assert survived == 4, "the fifth side effect died with its transaction"
    # restart: the rest are handled, each once
    outbox.register_consumer(
        outbox.Consumer(
            name="test-killed",
            handle=_record_handled,
        )
    )
    try:
        assert outbox.consume("test-killed", batch_size=100) == 8
    finally:
        outbox.unregister_consumer("test-killed")
    with all_clients_scope():
        effects = sorted(
            int(pk)
            for pk in AuditEvent.objects.filter(action="test.event_handled").values_list(
                "object_id", flat=True
            )
        )
        assert effects == sorted(WorkEvent.objects.values_list("pk", flat=True))
