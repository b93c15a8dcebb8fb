"""The webhook sender keeps up with a flood of events: a batch of deliveries is leased,
posted and recorded in a few statements, whatever its size, and each event still
reaches its endpoint once, successes and failures each recorded as such."""

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tercero.delivery.work import outbox, webhooks
from tercero.delivery.work.tests.conftest import add_item, live_engagement, make_queue
from tercero.delivery.work.tests.test_webhooks import (  # the local receivers
    deliveries,
    endpoint_for,
    receiver,  # noqa: F401
    servers,  # noqa: F401
)
from tercero.platform.tenancy.scoping import all_clients_scope


def _send_new_items(queue, items: int) -> tuple[dict[str, int], int, int]:
    """Add `items` items, consume their events, and send: (counts, deliveries that
    waited, statements the send ran)."""
    for _ in range(items):
        add_item(queue)
    outbox.consume("webhooks")
    with all_clients_scope():
        waiting = sum(d.status == "pending" for d in deliveries())
    with CaptureQueriesContext(connection) as statements:
        counts = webhooks.send_due()
    return counts, waiting, len(statements)


def test_a_batch_of_deliveries_costs_the_same_few_statements_whatever_its_size(
    tenant_a,
    receiver,  # noqa: F811
):
    # given: an endpoint for every kind
    server = receiver()
    endpoint_for(tenant_a, server.url)
    queue = make_queue(live_engagement(tenant_a.client))

    # when: 3 items, then 30 (two events each)
    few, few_waiting, few_statements = _send_new_items(queue, 3)
    many, many_waiting, many_statements = _send_new_items(queue, 30)

    # then: every event posted once and recorded, in as many statements for 60
    # deliveries as for 6 (a lease and a record a batch, not two a delivery)
    assert (few_waiting, many_waiting) == (6, 60)
    assert few == {"delivered": 6, "retrying": 0, "failed": 0, "skipped": 0}
    assert many == {"delivered": 60, "retrying": 0, "failed": 0, "skipped": 0}
    ids = [json.loads(request["body"])["id"] for request in server.requests]
    assert len(ids) == len(set(ids)) == 66
    with all_clients_scope():
        assert {d.status for d in deliveries()} == {"delivered"}
    assert many_statements == few_statements <= 12


def test_a_failing_endpoint_backs_off_while_the_rest_of_its_batch_is_delivered(
    tenant_a,
    receiver,  # noqa: F811
):
    # given: two endpoints of the client, one answering 503
    good, bad = receiver(), receiver(statuses=(503,))
    endpoint_for(tenant_a, good.url, kinds=["item.created"])
    bad_endpoint, _ = endpoint_for(tenant_a, bad.url, kinds=["item.created"])
    queue = make_queue(live_engagement(tenant_a.client))
    for _ in range(4):
        add_item(queue)
    outbox.consume("webhooks")

    # when
    counts = webhooks.send_due()

    # then: the good endpoint has each event once; the bad one's are retried later
    assert counts == {"delivered": 4, "retrying": 4, "failed": 0, "skipped": 0}
    assert len(good.requests) == len(bad.requests) == 4
    with all_clients_scope():
        rows = deliveries()
    failed = [d for d in rows if d.endpoint_id == bad_endpoint.pk]
    assert {(d.status, d.attempts, d.last_status_code) for d in failed} == {("pending", 1, 503)}
    assert all(d.next_attempt_at > d.last_attempt_at for d in failed)
    delivered = [d for d in rows if d.endpoint_id != bad_endpoint.pk]
    assert {(d.status, d.attempts, d.last_status_code) for d in delivered} == {
        ("delivered", 1, 200)
    }
    assert webhooks.send_due() == {"delivered": 0, "retrying": 0, "failed": 0, "skipped": 0}
