"""Metering: each resolved item, call and outcome counted once into the usage ledger,
with the resolving agent's site and shore; replaying the outbox changes nothing."""

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tercero.delivery.work import selectors as work_selectors
from tercero.delivery.work import services as work
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
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope


def replay() -> int:
    """Forget what the metering consumer handled and run it over every event again."""
    with all_clients_scope():
        EventReceipt.objects.filter(consumer=CONSUMER).delete()
        ConsumerPosition.objects.filter(name=CONSUMER).update(last_event_id=0)
    return meter()


@pytest.mark.usefixtures("billed_type")
def test_each_resolved_item_is_one_transaction_with_the_agents_site_and_shore(tenant_a):
    # given an agent in Manila (offshore for a US client) who resolves 3 items
    engagement = live_engagement(tenant_a.client)
    agent = agent_for(engagement)
    items = resolve_items(queue_of(engagement), agent, 3)
    # when the metering consumer runs
    meter()
    # then one transaction per item, in the client's month, from its resolving event
    with client_scope(clients=[tenant_a.client]):
        rows = list(UsageRecord.objects.filter(unit="transaction").order_by("id"))
        resolved = dict(WorkEvent.objects.filter(kind="item.resolved").values_list("item_id", "pk"))
    assert [row.source_key for row in rows] == [f"item:{item}" for item in items]
    assert [row.source_event_id for row in rows] == [resolved[item] for item in items]
    assert {(row.work_type, row.shore, row.site_id, row.quantity) for row in rows} == {
        ("test.billed", "offshore", agent.site_id, Decimal(1))
    }
    assert {row.engagement_id for row in rows} == {engagement.pk}
    new_york = rows[0].occurred_at.astimezone(ZoneInfo("America/New_York"))
    assert rows[0].period == new_york.date().replace(day=1)


@pytest.mark.usefixtures("billed_type")
def test_replaying_every_event_twice_changes_no_usage(tenant_a):
    # protects: a replayed outbox billing an item twice
    engagement = live_engagement(tenant_a.client)
    agent = agent_for(engagement)
    resolve_items(queue_of(engagement), agent, 4)
    meter()
    before = usage_rows(tenant_a.client.pk)
    # when every event is replayed, twice
    assert replay() > 0
    assert replay() > 0
    # then the ledger is as it was
    assert usage_rows(tenant_a.client.pk) == before
    assert len(before) == 4


@pytest.mark.usefixtures("billed_type")
def test_an_item_resolved_again_after_a_reopen_is_counted_once(tenant_a):
    # given an item resolved, reopened and resolved again
    engagement = live_engagement(tenant_a.client)
    agent = agent_for(engagement)
    [item_id] = resolve_items(queue_of(engagement), agent, 1)
    with client_scope(clients=[tenant_a.client]):
        item = work_selectors.access_item(client_ids=[tenant_a.client.pk], item_id=item_id)
        item = work.transition(actor=None, item=item, action="reopen")
        item = work.assign(actor=None, item=item, agent=agent)
        item = work.transition(actor=agent.user, item=item, action="start")
        work.transition(actor=agent.user, item=item, action="resolve")
    # when metered
    meter()
    # then one transaction: the first resolution
    with client_scope(clients=[tenant_a.client]):
        assert WorkEvent.objects.filter(kind="item.resolved", item_id=item_id).count() == 2
        assert UsageRecord.objects.filter(unit="transaction").count() == 1


def test_a_call_that_ended_is_metered_in_minutes_once(tenant_a):
    # given a phone call whose end the phone system reported (95 seconds)
    engagement = live_engagement(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        queue = work.create_queue(
            actor=None, engagement=engagement, name="Calls", work_types=["care.call"]
        )
        call = work.create_item(
            actor=None, queue=queue, work_type="care.call", channel="phone",
            payload={"call_id": "c-1"},
        )  # fmt: skip
        work.update_payload(
            actor=None, item=call, changes={"state": "ended", "duration_seconds": 95}
        )
        # and a corrected duration reported before billing read it
        work.update_payload(actor=None, item=call, changes={"duration_seconds": 96})
    # when metered, and every event replayed
    meter()
    replay()
    # then one minute row of 96/60 minutes: the duration when metering read the call
    with client_scope(clients=[tenant_a.client]):
        rows = list(UsageRecord.objects.filter(unit="minute"))
    assert [(row.quantity, row.work_type, row.source_key) for row in rows] == [
        (Decimal("1.6"), "care.call", f"call:{call.pk}")
    ]


def test_a_service_lines_event_is_an_outcome_row_of_its_kind(tenant_a):
    engagement = live_engagement(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        queue = work.create_queue(
            actor=None, engagement=engagement, name="Calls", work_types=["care.call"]
        )
        call = work.create_item(
            actor=None, queue=queue, work_type="care.call", channel="phone",
            payload={"call_id": "c-2"},
        )  # fmt: skip
        from django.db import transaction

        with transaction.atomic():
            work.publish(
                kind="care.csat.received",
                client_id=tenant_a.client.pk,
                data={"survey_id": 1, "item_id": call.pk, "score": 5},
                item=call,
                engagement_id=engagement.pk,
            )
    meter()
    replay()
    with client_scope(clients=[tenant_a.client]):
        rows = list(UsageRecord.objects.filter(unit="outcome"))
    assert [(row.outcome_kind, row.quantity) for row in rows] == [
        ("care.csat.received", Decimal(1))
    ]


def test_usage_belongs_to_the_month_of_the_event_in_the_clients_time_zone(tenant_a):
    from datetime import UTC, datetime

    from tercero.governance.billing.metering import period_of

    # 1 December 04:00 UTC is still 30 November in New York
    assert period_of(datetime(2026, 12, 1, 4, tzinfo=UTC), "America/New_York") == date(2026, 11, 1)
    assert period_of(datetime(2026, 12, 1, 6, tzinfo=UTC), "America/New_York") == date(2026, 12, 1)
