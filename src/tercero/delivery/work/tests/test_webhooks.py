"""Webhooks against a real HTTP server on this machine: signed, retried, logged, and
only ever sent to the address that was checked (no DNS rebinding)."""

import ipaddress
import json
import socket
import ssl
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.db import connections, transaction
from django.utils import timezone

from tercero.delivery.work import event_types, outbox, services, webhooks
from tercero.delivery.work.models import WebhookDelivery, WebhookEndpoint, WorkEvent
from tercero.delivery.work.tests.conftest import add_item, live_engagement, make_queue
from tercero.delivery.work.tests.test_event_types import PARCEL_SENT
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
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                status = (
                    receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                )
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                """Keep test output quiet (the default logs every request to stderr)."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def servers():
    """Local receivers, reachable only where the test allows private addresses."""
    made = []

    def make(statuses=(200,)):
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for server in made:
        server.close()


@pytest.fixture
def receiver(settings, servers):
    settings.TERCERO_WEBHOOKS_ALLOW_PRIVATE = True
    return servers


PUBLIC = "93.184.215.14"


class Resolver:
    """What DNS answers for hooks.example.com; the test changes it between creation and
    delivery as a rebinding attacker would. Other names resolve as usual."""

    name = "hooks.example.com"

    def __init__(self, monkeypatch):
        self.answers: list[str] = [PUBLIC]
        self.lookups = 0
        real = socket.getaddrinfo

        def getaddrinfo(host, port, *args, **kwargs):
            if host != self.name:
                return real(host, port, *args, **kwargs)
            self.lookups += 1
            return [self.info(address, int(port)) for address in self.answers]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    @staticmethod
    def info(address, port):
        if ipaddress.ip_address(address).version == 4:
            return (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
        return (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))


@pytest.fixture
def resolver(monkeypatch):
    return Resolver(monkeypatch)


@pytest.fixture
def connects(monkeypatch):
    """Every (address, port) a socket connects to. Only loopback connections go ahead, so
    a test never reaches a real network."""
    made = []
    real = socket.socket.connect

    def connect(sock, address):
        made.append(tuple(address[:2]))
        if not ipaddress.ip_address(address[0]).is_loopback:
            raise ConnectionRefusedError(111, "Connection refused")
        return real(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return made


def endpoint_for(tenant, url, kinds=()):
    """An endpoint of the tenant's client, made by its client admin."""
    with client_scope(clients=[tenant.client]):
        return webhooks.create_endpoint(
            actor=tenant.client_admin, client=tenant.client, url=url, kinds=kinds
        )


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
    _, secret = endpoint_for(tenant_a, server_a.url, kinds=["item.created"])
    endpoint_for(tenant_b, server_b.url)
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


def test_a_service_lines_own_event_reaches_the_endpoints_that_ask_for_it(tenant_a, receiver):
    # given a kind a service line registered, and endpoints asking for it, for another
    # kind, and for everything
    event_types.register(PARCEL_SENT)
    wanted, other, everything = receiver(), receiver(), receiver()
    _, secret = endpoint_for(tenant_a, wanted.url, kinds=[PARCEL_SENT.kind])
    endpoint_for(tenant_a, other.url, kinds=["item.created"])
    endpoint_for(tenant_a, everything.url)
    try:
        with client_scope(clients=[tenant_a.client]), transaction.atomic():
            # when the line publishes it
            event = services.publish(
                kind=PARCEL_SENT.kind,
                client_id=tenant_a.client.pk,
                engagement_id=live_engagement(tenant_a.client).pk,
                data={"parcel_id": 7, "weight_grams": 1200},
            )
        outbox.consume("webhooks")
        # then it is delivered, signed, to the endpoints that asked for it or for all
        assert webhooks.send_due()["delivered"] == 2
    finally:
        event_types.unregister(PARCEL_SENT.kind)
    assert other.requests == []
    [request] = wanted.requests
    assert [json.loads(r["body"]) for r in everything.requests] == [json.loads(request["body"])]
    payload = json.loads(request["body"])
    assert (payload["id"], payload["kind"], payload["item_id"]) == (
        event.pk,
        "toy.parcel.sent",
        None,
    )
    assert payload["data"] == {"parcel_id": 7, "weight_grams": 1200}
    assert webhooks.verify_signature(
        secret, request["headers"]["Tercero-Signature"], request["body"]
    )


def test_failures_back_off_then_deliver_and_the_log_shows_it(tenant_a, receiver):
    server = receiver(statuses=(500, 503, 200))
    endpoint_for(tenant_a, server.url, kinds=["item.created"])
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
    endpoint_for(tenant_a, server.url, kinds=["item.created"])
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
        webhooks.redeliver(actor=tenant_a.client_admin, delivery=failed)
    webhooks.send_due()
    assert deliveries()[0].status == "delivered"


def test_consuming_twice_creates_no_duplicate_deliveries(tenant_a, receiver):
    endpoint_for(tenant_a, receiver().url)
    add_item(make_queue(live_engagement(tenant_a.client)))
    outbox.consume("webhooks")
    with all_clients_scope():
        # even if the receipts were lost, the (endpoint, event) constraint holds
        for event in WorkEvent.objects.all():
            webhooks.enqueue_deliveries(event)
    assert len(deliveries()) == 2  # item.created and item.queued


def test_two_senders_post_each_delivery_once(tenant_a, receiver, transactional_db):
    server = receiver()
    endpoint_for(tenant_a, server.url)
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
        ("http://224.0.0.1/x", "private or reserved"),
        ("http://[::ffff:127.0.0.1]/x", "private or reserved"),
        ("http://[2002:7f00:1::]/x", "private or reserved"),
        ("http://[64:ff9b::a9fe:a9fe]/x", "private or reserved"),
    ],
)
def test_unsafe_urls_are_refused(tenant_a, url, reason):
    with pytest.raises(InvalidInput) as refused:
        endpoint_for(tenant_a, url)
    assert reason in refused.value.fields["url"]
    with client_scope(clients=[tenant_a.client]):
        assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("url", ["http://hooks.example.com:99999/x", "http://[::1/x"])
def test_malformed_urls_are_a_clear_422(tenant_a, url):
    with pytest.raises(InvalidInput) as refused:
        endpoint_for(tenant_a, url)
    assert refused.value.status == 422


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/latest/meta-data", "http://[fe80::1]/x", "http://0.0.0.0/x"]
)
def test_allowing_private_networks_still_refuses_link_local_and_metadata_addresses(
    tenant_a, settings, url
):
    # given an install that calls its clients' private networks
    settings.TERCERO_WEBHOOKS_ALLOW_PRIVATE = True
    # when an endpoint names a link-local or unspecified address
    with pytest.raises(InvalidInput) as refused:
        endpoint_for(tenant_a, url)
    # then it is refused all the same
    assert "private or reserved" in refused.value.fields["url"]
    with client_scope(clients=[tenant_a.client]):
        assert not WebhookEndpoint.objects.exists()


def pending_delivery_to(tenant, url):
    endpoint_for(tenant, url, kinds=["item.created"])
    add_item(make_queue(live_engagement(tenant.client)))
    outbox.consume("webhooks")


def assert_refused_without_connecting(counts, connects, server):
    assert counts == {"delivered": 0, "retrying": 0, "failed": 1, "skipped": 0}
    assert connects == []
    assert server.requests == []
    [refused] = deliveries()
    assert (refused.status, refused.attempts, refused.last_status_code, refused.last_error) == (
        "failed",
        1,
        None,
        "destination address not allowed",
    )


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "169.254.169.254", "::1", "::ffff:127.0.0.1", "10.0.0.8"]
)
def test_a_name_that_turns_internal_after_creation_is_refused_without_connecting(
    tenant_a, servers, resolver, connects, address
):
    # given an endpoint whose name resolved to a public address when it was created
    server = servers()
    pending_delivery_to(tenant_a, f"http://hooks.example.com:{server.port}/hook")
    # when the name answers with an internal address at delivery
    resolver.answers = [address]
    counts = webhooks.send_due()
    # then no socket connects, the log gives one fixed reason and it is not tried again
    assert_refused_without_connecting(counts, connects, server)
    assert webhooks.send_due(now=timezone.now() + timedelta(days=1))["failed"] == 0


def test_a_name_with_one_public_and_one_private_address_is_refused_without_connecting(
    tenant_a, servers, resolver, connects
):
    # given an endpoint whose name was public when it was created
    server = servers()
    pending_delivery_to(tenant_a, f"http://hooks.example.com:{server.port}/hook")
    # when the name answers with a public and a private address at delivery
    resolver.answers = [PUBLIC, "10.0.0.8"]
    counts = webhooks.send_due()
    # then neither address is connected to
    assert_refused_without_connecting(counts, connects, server)


def test_a_delivery_connects_to_the_checked_address_and_names_the_host(
    tenant_a, receiver, resolver, connects
):
    # given a local receiver (private addresses allowed) behind a name
    server = receiver()
    resolver.answers = ["127.0.0.1"]
    pending_delivery_to(tenant_a, f"http://hooks.example.com:{server.port}/hook?x=1")
    lookups_before = resolver.lookups
    # when it is delivered
    counts = webhooks.send_due()
    # then the name was resolved once and the checked address alone was connected to
    assert counts["delivered"] == 1
    assert resolver.lookups - lookups_before == 1
    assert connects == [("127.0.0.1", server.port)]
    [request] = server.requests
    assert request["path"] == "/hook?x=1"
    assert request["headers"]["Host"] == f"hooks.example.com:{server.port}"


def certificate_for(name):
    """A throwaway authority (PEM) and a key and certificate it signed for `name`."""
    now = datetime.now(UTC)
    authority_key, key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    authority_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test authority")])
    authority = (
        x509.CertificateBuilder()
        .subject_name(authority_name)
        .issuer_name(authority_name)
        .public_key(authority_key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(authority_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(authority_name)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(authority_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    pem = serialization.Encoding.PEM
    return authority.public_bytes(pem), key_pem + leaf.public_bytes(pem)


@pytest.fixture
def tls_receiver(receiver, tmp_path, monkeypatch):
    """A local HTTPS receiver with a certificate for `name`, from an authority that the
    default trust store is pointed at (SSL_CERT_FILE), recording the SNI names it sees."""

    def make(name):
        authority, key_and_certificate = certificate_for(name)
        (tmp_path / "authority.pem").write_bytes(authority)
        (tmp_path / "server.pem").write_bytes(key_and_certificate)
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "authority.pem"))
        server = receiver()
        server.server_names = []
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tmp_path / "server.pem")
        context.sni_callback = lambda _socket, sent, _context: server.server_names.append(sent)
        server.server.socket = context.wrap_socket(server.server.socket, server_side=True)
        return server

    return make


def test_an_https_delivery_checks_the_certificate_against_the_name_not_the_address(
    tenant_a, tls_receiver, resolver, connects
):
    # given an https receiver for hooks.example.com on a checked loopback address
    server = tls_receiver("hooks.example.com")
    resolver.answers = ["127.0.0.1"]
    pending_delivery_to(tenant_a, f"https://hooks.example.com:{server.port}/hook")
    # when it is delivered
    counts = webhooks.send_due()
    # then TLS named the host (SNI), its certificate was accepted, the address was pinned
    assert counts["delivered"] == 1
    assert server.server_names == ["hooks.example.com"]
    assert connects == [("127.0.0.1", server.port)]
    assert server.requests[0]["headers"]["Host"] == f"hooks.example.com:{server.port}"


def test_an_https_receiver_with_a_certificate_for_another_name_gets_nothing(
    tenant_a, tls_receiver, resolver
):
    # given an https receiver whose certificate names another host
    server = tls_receiver("other.example.com")
    resolver.answers = ["127.0.0.1"]
    pending_delivery_to(tenant_a, f"https://hooks.example.com:{server.port}/hook")
    # when it is delivered
    counts = webhooks.send_due()
    # then nothing is posted and the log says why in general terms
    assert counts["retrying"] == 1
    assert server.requests == []
    [delivery] = deliveries()
    assert (delivery.last_status_code, delivery.last_error) == (None, "TLS handshake failed")


def banner_server():
    """A local port that greets a connection with a service banner, not HTTP."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        with listener:
            connection, _ = listener.accept()
            with connection:
                connection.sendall(b"SSH-2.0-OpenSSH_9.6 billing-db-7.internal\r\n")
                connection.recv(65536)  # the request, read so that closing sends no reset

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1]


def closed_port():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        return listener.getsockname()[1]


@pytest.mark.parametrize(
    ("far_end", "message"),
    [(banner_server, "invalid HTTP response"), (closed_port, "connection failed")],
)
def test_a_failed_attempt_is_logged_without_what_the_far_end_said(
    tenant_a, settings, far_end, message
):
    # given an allowed address that does not answer HTTP
    settings.TERCERO_WEBHOOKS_ALLOW_PRIVATE = True
    pending_delivery_to(tenant_a, f"http://127.0.0.1:{far_end()}/hook")
    # when it is delivered
    counts = webhooks.send_due()
    # then the log holds a generic message and the delivery is retried later
    assert counts["retrying"] == 1
    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        "pending",
        1,
        None,
        message,
    )


def test_a_connection_whose_peer_is_not_the_checked_address_is_dropped_before_sending(
    tenant_a, receiver, resolver, monkeypatch
):
    # given a name checked to 127.0.0.1, and a socket that reports another peer once
    # connected (something between us and the address answered in its place)
    server = receiver()
    resolver.answers = ["127.0.0.1"]
    pending_delivery_to(tenant_a, f"http://hooks.example.com:{server.port}/hook")
    monkeypatch.setattr(socket.socket, "getpeername", lambda sock: ("127.0.0.2", server.port))
    # when it is delivered
    counts = webhooks.send_due()
    # then no request was sent and the delivery is refused for good
    assert counts["failed"] == 1
    assert server.requests == []
    [refused] = deliveries()
    assert (refused.status, refused.last_error) == ("failed", "destination address not allowed")
