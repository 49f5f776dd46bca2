"""config/addresses.py: host:port and -rpcallowip subnets read as SplitHostPort and LookupSubNet read them.

What the settings make of them (errors, warnings, the allow list) is in test_settings.py.
"""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from bitcoin_rpc_mp.config.addresses import parse_allow_subnet, split_host_port


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("host", ("host", 7)),
        ("host:8", ("host", 8)),
        (":9", ("", 9)),
        ("", ("", 7)),
        ("::1", ("::1", 7)),
        ("[::1]", ("::1", 7)),
        ("[::1]:10", ("::1", 10)),
        ("1.2.3.4:+11", ("1.2.3.4", 11)),
        ("1.2.3.4:0", None),
        ("1.2.3.4:x", None),
    ],
)
def test_split_host_port(value: str, expected: tuple[str, int] | None) -> None:
    assert split_host_port(value, 7) == expected


@pytest.mark.parametrize(
    ("value", "subnet"),
    [
        ("1.2.3.4", "1.2.3.4/32"),
        ("1.2.3.4/24", "1.2.3.0/24"),
        ("1.2.3.4/024", "1.2.3.0/24"),
        ("1.2.3.4/255.255.255.0", "1.2.3.0/24"),
        ("1.2.3.4/0", "0.0.0.0/0"),
        ("0.0.0.0/0", "0.0.0.0/0"),
        ("::/0", "::/0"),
        ("2001:db8::1/64", "2001:db8::/64"),
        ("2001:db8::1/ffff:ffff::", "2001:db8::/32"),
        ("[::1]", "::1/128"),
        ("::ffff:1.2.3.4", "1.2.3.4/32"),  # mapped IPv4 is IPv4
        ("::ffff:1.2.3.4/24", "1.2.3.0/24"),
        ("fd87:d87e:eb43::1", "::/128"),  # bitcoind's Tor v2 range reads as ::
        ("127.1", "127.0.0.1/32"),  # what a numeric getaddrinfo reads
        ("1.2.3.4/4278190080", "1.0.0.0/8"),  # not a uint8 prefix, so read as a netmask address
    ],
)
def test_valid_rpcallowip(value: str, subnet: str) -> None:
    assert parse_allow_subnet(value) == ip_network(subnet)
