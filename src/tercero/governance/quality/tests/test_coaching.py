"""A failed critical criterion opens the team lead's coaching task and, where the rule
says so for back-office work, sends the item back for rework: exactly once, also when the
worker is killed between the two and started again."""

import os
import subprocess
import sys

import pytest
from django.db import connections

from tercero.delivery.work import selectors as work_selectors
from tercero.delivery.work.models import WorkEvent
from tercero.governance.quality import coaching, evaluations, selectors
from tercero.governance.quality.models import CoachingTask, Sample
from tercero.governance.quality.tests.world import (
    ALL_RIGHT,
    CRITICAL_WRONG,
    build,
    drain,
    held_by_analyst,
    resolved_document,
)
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.tenancy.scoping import client_scope


def _evaluated(world, scores):
    item = resolved_document(world)
    drain()
    with client_scope(clients=[world.tenant.client]):
        sample = Sample.objects.get(source_item_id=item.pk)
    held_by_analyst(world, sample)
    with client_scope(clients=[world.tenant.client]):
        evaluations.submit(
            actor=world.analyst.user,
            client_ids=[world.tenant.client.pk],
            item_id=sample.evaluation_item_id or 0,
            scores=scores,
        )
    return item


def _state(world, item):
    with client_scope(clients=[world.tenant.client]):
        tasks = list(CoachingTask.objects.all())
        reopened = WorkEvent.objects.filter(item_id=item.pk, kind="item.reopened").count()
        status = work_selectors.items(client_ids=[world.tenant.client.pk]).get(pk=item.pk).status
    return tasks, reopened, status


def test_a_critical_failure_opens_coaching_and_sends_the_item_back_once(tenant_a):
    world = build(tenant_a)
    item = _evaluated(world, CRITICAL_WRONG)
    # when the workers run, twice
    drain()
    drain()
    # then one coaching task for the keyer's team lead, and the item reopened once
    tasks, reopened, status = _state(world, item)
    assert [(t.agent_id, t.team_lead_id, t.rework_item_id, t.status) for t in tasks] == [
        (world.keyer.pk, tenant_a.team_lead.pk, item.pk, "open")
    ]
    assert (reopened, status) == (1, "queued")
    with client_scope(clients=[tenant_a.client]):
        event = WorkEvent.objects.get(item_id=item.pk, kind="item.reopened")
    assert f"quality evaluation #{tasks[0].evaluation_id}" in event.data["reason"]


def test_a_passing_evaluation_opens_nothing(tenant_a):
    world = build(tenant_a)
    item = _evaluated(world, ALL_RIGHT)
    drain()
    assert _state(world, item) == ([], 0, "resolved")


def test_without_rework_in_the_rule_only_coaching_follows(tenant_a):
    world = build(tenant_a, rework_on_critical=False)
    item = _evaluated(world, CRITICAL_WRONG)
    drain()
    tasks, reopened, status = _state(world, item)
    assert [t.rework_item_id for t in tasks] == [None]
    assert (reopened, status) == (0, "resolved")


def test_the_team_lead_marks_coaching_done_with_a_note(tenant_a):
    world = build(tenant_a)
    _evaluated(world, CRITICAL_WRONG)
    drain()
    with client_scope(clients=[tenant_a.client]):
        [task] = selectors.coaching_tasks(user=tenant_a.team_lead, client_ids=[tenant_a.client.pk])
        with pytest.raises(InvalidInput):
            coaching.mark_done(actor=tenant_a.team_lead, task=task, version=task.version, note=" ")
        done = coaching.mark_done(
            actor=tenant_a.team_lead, task=task, version=task.version, note="Walked through IBANs"
        )
        assert (done.status, done.done_by_id, done.note) == (
            "done",
            tenant_a.team_lead.pk,
            "Walked through IBANs",
        )
        with pytest.raises(Conflict):
            coaching.mark_done(actor=tenant_a.team_lead, task=done, version=done.version, note="x")


_KILLED_WORKER = """
import os, signal
import django
django.setup()
from tercero.delivery.work import outbox
from tercero.governance.quality import coaching

def dies_before_the_rework(*, evaluation):
    os.kill(os.getpid(), signal.SIGKILL)  # after the coaching task, inside the transaction

coaching.send_back = dies_before_the_rework
outbox.consume("quality.critical")
"""


def _database_url() -> str:
    db = connections["default"].settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def test_a_worker_killed_between_coaching_and_rework_does_both_once_when_restarted(
    tenant_a, transactional_db
):
    # given a submitted evaluation that failed a critical criterion
    world = build(tenant_a)
    item = _evaluated(world, CRITICAL_WRONG)
    # when a worker process takes it and is killed with SIGKILL between the coaching
    # task and the rework
    env = {**os.environ, "DATABASE_URL": _database_url()}
    env.pop("TERCERO_TEST_DB", None)
    done = subprocess.run(
        [sys.executable, "-c", _KILLED_WORKER], env=env, capture_output=True, timeout=120
    )
    assert done.returncode == -9, done.stderr.decode()[-2000:]
    # then nothing of it stayed
    assert _state(world, item) == ([], 0, "resolved")
    # and a worker started again does both, once, however often it runs
    drain()
    drain()
    tasks, reopened, status = _state(world, item)
    assert [t.rework_item_id for t in tasks] == [item.pk]
    assert (reopened, status) == (1, "queued")
