"""Kept connections: a run of deliveries to one receiver reuses its connection while the
receiver keeps it open, yet the host is still resolved and checked for every delivery,
and a connection the receiver closed costs a new connect, never a lost or doubled post."""

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tercero.delivery.work import destinations, outbox, webhooks
from tercero.delivery.work.tests.conftest import add_item, live_engagement, make_queue
from tercero.delivery.work.tests.test_webhooks import Resolver, deliveries, endpoint_for


class KeepAliveReceiver:
    """An HTTP/1.1 receiver that counts the connections it accepts and the requests it
    gets; `close_after_answer` makes it drop each connection after answering without
    saying so, as a receiver closing an idle keep-alive connection does."""

    def __init__(self, *, close_after_answer=False):
        self.connections = 0
        self.open = 0
        self.requests: list[bytes] = []
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                # as web servers do on kept connections: the answer's head and body go
                # out at once
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with lock:
                    receiver.connections += 1
                    receiver.open += 1

            def finish(self):
                super().finish()
                with lock:
                    receiver.open -= 1

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with lock:
                    receiver.requests.append(body)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
                if close_after_answer:
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True

            def log_message(self, *args):
                """Quiet test output."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def keep_alive():
    made = []

    def make(**options):
        made.append(KeepAliveReceiver(**options))
        return made[-1]

    yield make
    for server in made:
        server.close()


def post(url, kept, n):
    return destinations.post(
        url, body=f'{{"n":{n}}}'.encode(), headers={}, timeout=5, allow_private=True, kept=kept
    )


def test_posts_to_one_receiver_share_one_connection_while_it_stays_open(keep_alive):
    server = keep_alive()
    kept = destinations.KeptConnections()
    assert [post(server.url, kept, n) for n in range(5)] == [200] * 5
    assert (server.connections, len(server.requests)) == (1, 5)
    kept.close()


def test_a_receiver_that_closed_the_kept_connection_gets_each_post_once(keep_alive):
    server = keep_alive(close_after_answer=True)
    kept = destinations.KeptConnections()
    assert [post(server.url, kept, n) for n in range(4)] == [200] * 4
    assert server.requests == [b'{"n":0}', b'{"n":1}', b'{"n":2}', b'{"n":3}']
    assert server.connections == 4
    kept.close()


def test_a_connection_idle_past_the_limit_is_not_used_again(keep_alive, monkeypatch):
    server = keep_alive()
    monkeypatch.setattr(destinations, "KEEP_IDLE_SECONDS", -1.0)
    kept = destinations.KeptConnections()
    assert [post(server.url, kept, n) for n in range(3)] == [200] * 3
    assert server.connections == 3
    kept.close()


def test_the_host_is_checked_at_every_post_even_with_a_kept_connection(keep_alive, monkeypatch):
    # given a name that resolves to the local receiver, and a connection kept to it
    server = keep_alive()
    resolver = Resolver(monkeypatch)
    resolver.answers = ["127.0.0.1"]
    url = f"http://{resolver.name}:{server.port}/hook"
    kept = destinations.KeptConnections()
    assert post(url, kept, 1) == 200
    # when the name rebinds to the cloud metadata address
    resolver.answers = ["169.254.169.254"]
    # then the next post is refused before anything is sent on the kept connection
    with pytest.raises(destinations.DestinationRefused):
        post(url, kept, 2)
    assert server.requests == [b'{"n":1}']
    assert resolver.lookups == 2
    kept.close()


def test_a_send_run_reuses_connections_and_closes_them_when_done(tenant_a, keep_alive, settings):
    # given 30 events for one keep-alive receiver
    settings.TERCERO_WEBHOOKS_ALLOW_PRIVATE = True
    server = keep_alive()
    endpoint_for(tenant_a, server.url, kinds=["item.created"])
    queue = make_queue(live_engagement(tenant_a.client))
    for _ in range(30):
        add_item(queue)
    outbox.consume("webhooks")
    # when they are sent
    counts = webhooks.send_due()
    # then each arrived once over at most one connection per sending thread, and no
    # connection stays open after the run
    assert counts["delivered"] == 30
    assert len(server.requests) == len(set(server.requests)) == 30
    assert server.connections <= webhooks.SENDERS
    deadline = time.monotonic() + 5
    while server.open and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.open == 0
    assert {d.status for d in deliveries()} == {"delivered"}


def test_a_kept_connection_sends_without_waiting_for_acknowledgements(keep_alive):
    # a request's head and body are two writes: with Nagle's algorithm on, the body would
    # wait for the receiver's delayed acknowledgement on every post of a kept connection
    server = keep_alive()
    kept = destinations.KeptConnections()
    post(server.url, kept, 1)
    [(connection, _)] = kept._kept.values()
    assert connection.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    kept.close()
