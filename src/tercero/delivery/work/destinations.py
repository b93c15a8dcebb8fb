"""Where a webhook may connect. The host is resolved once per attempt; every address it
resolves to must be allowed, and the connection goes to a checked address, never to the
name again, so a name that rebinds to an internal address between the check and the
connection reaches nothing (OWASP SSRF Prevention Cheat Sheet, "DNS pinning"; ASVS 5.0
1.3.6, 15.3.2). Failures carry fixed, general messages: the delivery log shows them to
the client, and it must not tell what answers inside our network.
"""

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

NOT_ALLOWED = "destination address not allowed"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# RFC 6052 well-known NAT64 prefix: the last 32 bits are the IPv4 address reached
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# the instance metadata service over IPv6 (AWS); its IPv4 twin is link-local
_METADATA = frozenset({ipaddress.IPv6Address("fd00:ec2::254")})


class DestinationRefused(Exception):
    """The host resolves to an address a webhook may not reach."""


class DeliveryFailed(Exception):
    """An allowed address could not be reached or did not answer HTTP."""


@dataclass(frozen=True)
class Destination:
    """A URL's host resolved once, with the addresses that passed the check."""

    scheme: str
    host: str
    port: int
    target: str
    addresses: tuple[tuple[int, tuple[Any, ...]], ...]


def reached_by(address: IPAddress) -> list[IPAddress]:
    """The addresses a packet to `address` may end at: an IPv4 address carried inside an
    IPv6 one (IPv4-mapped, NAT64, 6to4, Teredo) is judged as well."""
    if address.version == 4:
        return [address]
    if address.ipv4_mapped:
        return [address.ipv4_mapped]
    if address in _NAT64:
        return [ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)]
    carried = [address.sixtofour] if address.sixtofour else []
    return [address, *carried, *(address.teredo or ())]


def is_allowed(address: IPAddress, *, allow_private: bool) -> bool:
    """A public unicast address; with `allow_private`, also loopback and private networks.
    Link-local (cloud metadata), multicast, unspecified and reserved never."""
    return all(_is_allowed_alone(each, allow_private=allow_private) for each in reached_by(address))


def _is_allowed_alone(address: IPAddress, *, allow_private: bool) -> bool:
    if address.is_multicast or address.is_unspecified or address.is_link_local:
        return False
    if address in _METADATA:
        return False
    if address.is_loopback:  # before is_reserved: ::1 lies in the reserved ::/8
        return allow_private
    if address.is_reserved:
        return False
    # is_global is True for multicast, hence the checks above
    return address.is_global or (allow_private and address.is_private)


def resolve(url: str, *, allow_private: bool) -> Destination:
    """Resolve the URL's host once; refuse it unless every address it gives is allowed."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        host = (parts.hostname or "").encode("idna").decode("ascii")
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise DeliveryFailed("host does not resolve") from None
    addresses = tuple((family, sockaddr) for family, _, _, _, sockaddr in found)
    if not addresses or not all(
        is_allowed(ipaddress.ip_address(sockaddr[0]), allow_private=allow_private)
        for _, sockaddr in addresses
    ):
        raise DestinationRefused(NOT_ALLOWED)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(parts.scheme, host, port, target, addresses)


def _connect(destination: Destination, timeout: float) -> socket.socket:
    """A socket to the first checked address that answers. Its peer is compared with the
    checked address before a byte is sent."""
    failure: OSError = ConnectionError("no address")
    for family, sockaddr in destination.addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
            peer = ipaddress.ip_address(sock.getpeername()[0])
        except OSError as error:
            sock.close()
            failure = error
            continue
        if peer != ipaddress.ip_address(sockaddr[0]):
            sock.close()
            raise DestinationRefused(NOT_ALLOWED)
        # as http.client does for the sockets it makes: it sends a request's head and body
        # in two writes, and without this the body waits for the receiver's delayed
        # acknowledgement of the head (40 ms a post on a kept connection)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise failure


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Names the URL's host in `Host` but connects only to the checked addresses."""

    def __init__(self, destination: Destination, *, timeout: float) -> None:
        super().__init__(destination.host, destination.port, timeout=timeout)
        self.destination = destination
        self.seconds = timeout

    def connect(self) -> None:
        self.sock = _connect(self.destination, self.seconds)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As above over TLS: SNI and the certificate check use the URL's host name."""

    def __init__(self, destination: Destination, *, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(destination.host, destination.port, timeout=timeout, context=self.tls)
        self.destination = destination
        self.seconds = timeout

    def connect(self) -> None:
        sock = _connect(self.destination, self.seconds)
        try:
            self.sock = self.tls.wrap_socket(sock, server_hostname=self.destination.host)
        except OSError:
            sock.close()
            raise


# A kept connection is reused only this soon after its last answer (receivers close idle
# keep-alive connections after a few seconds) and only when the answer's body is known
# and small enough to read in full.
KEEP_IDLE_SECONDS = 2.0
KEEP_BODY_BYTES = 4096
# What a receiver's closing of an idle kept connection looks like to the next request
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)

_Connection = http.client.HTTPConnection


class KeptConnections:
    """Connections a sender keeps between posts, one per sending thread and destination
    (the host and the checked addresses it resolved to), so a run of deliveries to one
    endpoint pays one connect and one TLS handshake, not one per delivery. The host is
    still resolved and checked at every post: a kept connection serves only a post whose
    host resolved to the same checked addresses. `close` ends them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[tuple[int, Destination], tuple[_Connection, float]] = {}

    def take(self, destination: Destination) -> _Connection | None:
        with self._lock:
            found = self._kept.pop((threading.get_ident(), destination), None)
        if found is None:
            return None
        connection, last = found
        if time.monotonic() - last > KEEP_IDLE_SECONDS:
            connection.close()
            return None
        return connection

    def keep(self, destination: Destination, connection: _Connection) -> None:
        with self._lock:
            old = self._kept.pop((threading.get_ident(), destination), None)
            self._kept[(threading.get_ident(), destination)] = (connection, time.monotonic())
        if old is not None:
            old[0].close()

    def close(self) -> None:
        with self._lock:
            kept, self._kept = list(self._kept.values()), {}
        for connection, _ in kept:
            connection.close()


def post(
    url: str,
    *,
    body: bytes,
    headers: dict[str, Any],
    timeout: float,
    allow_private: bool,
    kept: KeptConnections | None = None,
) -> int:
    """POST `body` to `url` through a checked address and return the response status.
    Redirects are not followed. With `kept`, a connection kept from an earlier post to
    the same checked addresses is used; if the receiver had closed it, the post goes
    once more on a new connection."""
    destination = resolve(url, allow_private=allow_private)
    reused = kept.take(destination) if kept is not None else None
    connection = reused or _open(destination, timeout)
    status, reusable = 0, False
    try:
        try:
            status, reusable = _exchange(connection, destination, body, headers)
        except _STALE:
            if reused is None:
                raise
            connection.close()
            connection = _open(destination, timeout)
            status, reusable = _exchange(connection, destination, body, headers)
    except TimeoutError:
        raise DeliveryFailed("connection timed out") from None
    except ssl.SSLError:
        raise DeliveryFailed("TLS handshake failed") from None
    except (http.client.HTTPException, ValueError):
        raise DeliveryFailed("invalid HTTP response") from None
    except OSError:
        raise DeliveryFailed("connection failed") from None
    finally:
        if kept is None or not reusable:
            connection.close()
    if kept is not None and reusable:
        kept.keep(destination, connection)
    return status


def _open(destination: Destination, timeout: float) -> _Connection:
    kind = _PinnedHTTPSConnection if destination.scheme == "https" else _PinnedHTTPConnection
    return kind(destination, timeout=timeout)


def _exchange(
    connection: _Connection, destination: Destination, body: bytes, headers: dict[str, Any]
) -> tuple[int, bool]:
    """Send the request and read the answer's status; read its body too when that lets
    the connection be used again (a small body of known length, no `Connection: close`)."""
    connection.request("POST", destination.target, body=body, headers=headers)
    response = connection.getresponse()
    length = response.length
    reusable = not response.will_close and length is not None and length <= KEEP_BODY_BYTES
    if reusable:
        response.read()
    return response.status, reusable
