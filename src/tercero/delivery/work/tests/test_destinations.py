"""Which addresses a webhook may reach, IPv4 inside IPv6 included (no database)."""

import ipaddress

import pytest

from tercero.delivery.work import destinations


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.215.14", True),
        ("2606:4700::1111", True),
        ("::ffff:93.184.215.14", True),  # IPv4-mapped public
        ("64:ff9b::5db8:d70e", True),  # NAT64 (RFC 6052) of a public address
        ("10.0.0.8", False),
        ("100.64.0.1", False),  # shared address space (RFC 6598)
        ("127.0.0.1", False),
        ("::1", False),
        ("169.254.169.254", False),  # cloud instance metadata
        ("fd00:ec2::254", False),  # the same over IPv6
        ("fe80::1", False),
        ("224.0.0.1", False),  # multicast, which ipaddress calls global
        ("ff0e::1", False),
        ("0.0.0.0", False),
        ("::", False),
        ("255.255.255.255", False),
        ("240.0.0.1", False),
        ("::ffff:127.0.0.1", False),
        ("::127.0.0.1", False),  # IPv4-compatible (deprecated)
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of the metadata address
        ("2002:7f00:1::", False),  # 6to4 carrying 127.0.0.1, which ipaddress calls global
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo
    ],
)
def test_only_public_unicast_addresses_are_allowed_by_default(address, allowed):
    assert destinations.is_allowed(ipaddress.ip_address(address), allow_private=False) is allowed


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("10.0.0.8", True),
        ("192.168.1.20", True),
        ("fd12:3456::1", True),
        ("127.0.0.1", True),
        ("::1", True),
        ("::ffff:10.0.0.8", True),
        ("169.254.169.254", False),
        ("fd00:ec2::254", False),
        ("fe80::1", False),
        ("224.0.0.1", False),
        ("0.0.0.0", False),
        ("255.255.255.255", False),
        ("2002:a9fe:a9fe::", False),  # 6to4 carrying the metadata address
    ],
)
def test_allowing_private_networks_keeps_link_local_multicast_and_metadata_out(address, allowed):
    assert destinations.is_allowed(ipaddress.ip_address(address), allow_private=True) is allowed
