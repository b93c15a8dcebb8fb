"""Webhooks against a real HTTP server on this machine: signed, retried, logged."""

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connections
from django.utils import timezone

from tercero.delivery.work import outbox, webhooks
from tercero.delivery.work.models import WebhookDelivery, WebhookEndpoint, WorkEvent
from tercero.delivery.work.tests.conftest import add_item, live_engagement, make_queue
from tercero.platform.errors import InvalidInput
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope


class Receiver:
    """A local HTTP server that answers with the statuses it is told, in order."""

    def __init__(self, statuses=(200,)):
        self.statuses = list(statuses)
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = (
                    receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                )
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                """Keep test output quiet (the default logs every request to stderr)."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver(settings):
    settings.TERCERO_WEBHOOKS_ALLOW_PRIVATE = True
    made = []

    def make(statuses=(200,)):
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for server in made:
        server.close()


def endpoint_for(client, url, kinds=()):
    with client_scope(clients=[client]):
        return webhooks.create_endpoint(actor=None, client=client, url=url, kinds=kinds)


def deliveries():
    with all_clients_scope():
        return list(WebhookDelivery.objects.order_by("id"))


def test_signature_verifies_only_with_the_secret_and_a_fresh_timestamp():
    body = b'{"id":1}'
    header = webhooks.sign("s3cret", int(time.time()), body)
    assert webhooks.verify_signature("s3cret", header, body)
    assert not webhooks.verify_signature("other", header, body)
    assert not webhooks.verify_signature("s3cret", header, b'{"id":2}')
    old = webhooks.sign("s3cret", int(time.time()) - 3600, body)
    assert not webhooks.verify_signature("s3cret", old, body)
    assert not webhooks.verify_signature("s3cret", "garbage", body)


def test_events_reach_their_clients_endpoints_signed(tenant_a, tenant_b, receiver):
    server_a, server_b = receiver(), receiver()
    _, secret = endpoint_for(tenant_a.client, server_a.url, kinds=["item.created"])
    endpoint_for(tenant_b.client, server_b.url)
    item = add_item(make_queue(live_engagement(tenant_a.client)))
    outbox.consume("webhooks")
    assert webhooks.send_due() == {"delivered": 1, "retrying": 0, "failed": 0, "skipped": 0}
    assert server_b.requests == [], "client B never hears of client A's work"
    [request] = server_a.requests
    payload = json.loads(request["body"])
    assert (payload["kind"], payload["item_id"]) == ("item.created", item.pk)
    assert request["headers"]["Tercero-Event-Id"] == str(payload["id"])
    assert webhooks.verify_signature(
        secret, request["headers"]["Tercero-Signature"], request["body"]
    )


def test_failures_back_off_then_deliver_and_the_log_shows_it(tenant_a, receiver):
    server = receiver(statuses=(500, 503, 200))
    endpoint_for(tenant_a.client, server.url, kinds=["item.created"])
    add_item(make_queue(live_engagement(tenant_a.client)))
    outbox.consume("webhooks")
    now = timezone.now()
    assert webhooks.send_due(now=now)["retrying"] == 1
    [first] = deliveries()
    assert (first.attempts, first.last_status_code, first.status) == (1, 500, "pending")
    wait_1 = first.next_attempt_at - first.last_attempt_at
    assert webhooks.send_due(now=now)["skipped"] + webhooks.send_due(now=now)["delivered"] == 0
    webhooks.send_due(now=first.next_attempt_at)
    [second] = deliveries()
    wait_2 = second.next_attempt_at - second.last_attempt_at
    assert (second.attempts, second.last_status_code) == (2, 503)
    assert wait_2 > wait_1 * 1.5, "the wait grows"
    webhooks.send_due(now=second.next_attempt_at)
    [done] = deliveries()
    assert (done.status, done.attempts, done.last_status_code) == ("delivered", 3, 200)
    assert len(server.requests) == 3


def test_gives_up_after_max_attempts_and_can_be_redelivered(tenant_a, receiver):
    server = receiver(statuses=(500,))
    endpoint_for(tenant_a.client, server.url, kinds=["item.created"])
    add_item(make_queue(live_engagement(tenant_a.client)))
    outbox.consume("webhooks")
    moment = timezone.now()
    for _ in range(webhooks.MAX_ATTEMPTS):
        webhooks.send_due(now=moment)
        moment += timedelta(days=1)
    [failed] = deliveries()
    assert (failed.status, failed.attempts) == ("failed", webhooks.MAX_ATTEMPTS)
    assert webhooks.send_due(now=moment + timedelta(days=1))["retrying"] == 0
    server.statuses = [200]
    with client_scope(clients=[tenant_a.client]):
        webhooks.redeliver(actor=None, delivery=failed)
    webhooks.send_due()
    assert deliveries()[0].status == "delivered"


def test_consuming_twice_creates_no_duplicate_deliveries(tenant_a, receiver):
    endpoint_for(tenant_a.client, receiver().url)
    add_item(make_queue(live_engagement(tenant_a.client)))
    outbox.consume("webhooks")
    with all_clients_scope():
        # even if the receipts were lost, the (endpoint, event) constraint holds
        for event in WorkEvent.objects.all():
            webhooks.enqueue_deliveries(event)
    assert len(deliveries()) == 2  # item.created and item.queued


def test_two_senders_post_each_delivery_once(tenant_a, receiver, transactional_db):
    server = receiver()
    endpoint_for(tenant_a.client, server.url)
    queue = make_queue(live_engagement(tenant_a.client))
    for _ in range(10):
        add_item(queue)
    outbox.consume("webhooks")
    barrier = threading.Barrier(2)

    def send():
        try:
            barrier.wait()
            webhooks.send_due()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [r["headers"]["Tercero-Event-Id"] for r in server.requests]
    assert len(ids) == len(set(ids)) == 20
    assert {d.status for d in deliveries()} == {"delivered"}


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://hooks.example.com/x", "http or https"),
        ("http://user:pw@hooks.example.com/x", "credentials"),
        ("http://127.0.0.1:9/x", "private or reserved"),
        ("http://169.254.169.254/latest/meta-data", "private or reserved"),
        ("http://10.0.0.8/x", "private or reserved"),
    ],
)
def test_unsafe_urls_are_refused(tenant_a, url, reason):
    with pytest.raises(InvalidInput) as refused:
        endpoint_for(tenant_a.client, url)
    assert reason in refused.value.fields["url"]
    with client_scope(clients=[tenant_a.client]):
        assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("url", ["http://hooks.example.com:99999/x", "http://[::1/x"])
def test_malformed_urls_are_a_clear_422(tenant_a, url):
    with pytest.raises(InvalidInput) as refused:
        endpoint_for(tenant_a.client, url)
    assert refused.value.status == 422
