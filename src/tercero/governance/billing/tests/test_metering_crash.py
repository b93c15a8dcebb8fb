"""A metering worker killed with SIGKILL in the middle of a month and started again
leaves the same usage ledger as one nobody interrupted: every resolved item once."""

import os
import subprocess
import sys

import pytest
from django.db import connections

from tercero.delivery.work.models import ConsumerPosition, EventReceipt, WorkEvent
from tercero.governance.billing.models import UsageRecord
from tercero.governance.billing.tests.world import (
    CONSUMER,
    agent_for,
    billed_type,  # noqa: F401 (fixture)
    live_engagement,
    meter,
    queue_of,
    resolve_items,
    usage_rows,
)
from tercero.platform.tenancy.scoping import all_clients_scope

ITEMS = 120

# the metering consumer, with a kill inside its transaction on the given batch
_KILLED_METER = """
import os, signal, sys
import django
django.setup()
from tercero.delivery.work import outbox
from tercero.governance.billing import metering

batches = []

def meter_then_die(events):
    metering.meter(events=events)
    batches.append(len(events))
    if len(batches) == int(sys.argv[1]):
        os.kill(os.getpid(), signal.SIGKILL)  # rows written, transaction not committed

consumer = next(c for c in outbox.consumers() if c.name == "billing.metering")
outbox.register_consumer(outbox.Consumer(
    name=consumer.name, handle=consumer.handle, kinds=consumer.kinds,
    handle_batch=meter_then_die,
))
outbox.consume("billing.metering", batch_size=20)
"""


def _database_url() -> str:
    db = connections["default"].settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _run(script: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": _database_url()}
    env.pop("TERCERO_TEST_DB", None)
    return subprocess.run(
        [sys.executable, "-c", script, *args], env=env, capture_output=True, timeout=180
    )


@pytest.mark.postgres
@pytest.mark.usefixtures("billed_type")
def test_a_metering_worker_killed_mid_month_and_restarted_leaves_identical_usage(
    tenant_a, transactional_db
):
    # protects: a usage row lost, or written twice, when a worker dies mid-batch
    engagement = live_engagement(tenant_a.client)
    agent = agent_for(engagement)
    items = resolve_items(queue_of(engagement), agent, ITEMS)
    # when a worker dies inside its fourth batch of 20
    killed = _run(_KILLED_METER, "4")
    assert killed.returncode == -9, killed.stderr.decode()[-2000:]
    with all_clients_scope():
        survived = UsageRecord.objects.count()
    assert survived == 60, "three batches committed; the fourth died with its transaction"
    # and a worker is started again
    restarted = _run(_KILLED_METER, "0")
    assert restarted.returncode == 0, restarted.stderr.decode()[-2000:]
    # then every resolved item is one transaction, from its resolving event
    ledger = usage_rows(tenant_a.client.pk)
    with all_clients_scope():
        resolved = sorted(
            WorkEvent.objects.filter(kind="item.resolved").values_list("pk", flat=True)
        )
        keys = sorted(UsageRecord.objects.values_list("source_key", flat=True))
    assert sorted(row[7] for row in ledger) == resolved
    assert keys == sorted(f"item:{item}" for item in items)
    # and metering everything again from nothing gives the very same ledger
    with all_clients_scope():
        UsageRecord.objects.all().delete()
        EventReceipt.objects.filter(consumer=CONSUMER).delete()
        ConsumerPosition.objects.filter(name=CONSUMER).update(last_event_id=0)
    meter()
    assert usage_rows(tenant_a.client.pk) == ledger
