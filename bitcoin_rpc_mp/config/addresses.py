"""Host, port and subnet strings read as bitcoind reads them, and the allow list they make.

Owns:
- `split_host_port` (SplitHostPort) and `parse_uint16` (ParseUInt16), for -rpcport, -rpcbind and -metrics;
- numeric host lookup (`lookup_numeric`): LookupHost(…, fAllowLookup=false), a `getaddrinfo` with
  AI_NUMERICHOST (no name resolution), with CNetAddr's legacy-IPv6 mapping;
- -rpcallowip parsing as LookupSubNet does it (CIDR or netmask, CJDNS single addresses) with bitcoind's error
  text, and `AllowList.allows(peer)` as CSubNet::Match on a peer address;
- the two host tests HTTPBindAddresses' warnings need (loopback, bind-any).

Pure: no option reading (that is `http_options.py`), no I/O besides the numeric `getaddrinfo`.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from .argv import ConfigError

__all__ = [
    "Address",
    "AllowList",
    "Network",
    "allowip_error",
    "is_bind_any",
    "is_loopback_host",
    "lookup_numeric",
    "lookup_subnet",
    "parse_allow_subnet",
    "parse_uint16",
    "split_host_port",
]

Network = IPv4Network | IPv6Network
Address = IPv4Address | IPv6Address

_ALLOWIP_HELP = (
    "Valid values are a single IP (e.g. 1.2.3.4), a network/netmask (e.g. 1.2.3.4/255.255.255.0), a "
    "network/CIDR (e.g. 1.2.3.4/24), all ipv4 (0.0.0.0/0), or all ipv6 (::/0). RFC4193 is allowed only if "
    "-cjdnsreachable=0."
)
_TORV2_IN_IPV6 = bytes.fromhex("fd87d87eeb43")
_INTERNAL_IN_IPV6 = bytes.fromhex("fd6b88c08724")
_RFC3849 = IPv6Network("2001:db8::/32")


@dataclass(frozen=True)
class AllowList:
    """Who may connect: `127.0.0.0/8` and `::1` always, then each -rpcallowip (InitHTTPAllowList)."""

    networks: tuple[Network, ...]

    def allows(self, host: str) -> bool:
        """Whether a peer at `host` (as `getpeername` gives it, e.g. `::ffff:10.0.0.1`, `fe80::1%eth0`) may stay.

        Like CSubNet::Match on bitcoind's CNetAddr: IPv4-mapped IPv6 peers count as IPv4; addresses bitcoind
        holds invalid (0.0.0.0, 255.255.255.255, ::, 2001:db8::/32, its internal range) match nothing.
        """
        try:
            addr: Address | None = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return False
        addr = _legacy_ipv6(addr) if isinstance(addr, IPv6Address) else addr
        if addr is None or not _is_valid_peer(addr):
            return False
        return any(addr.version == net.version and addr in net for net in self.networks)

    def __str__(self) -> str:
        return " ".join(str(net) for net in self.networks)


def parse_uint16(text: str) -> int | None:
    """ParseUInt16: optional '+', then only digits, at most 65535."""
    if text.startswith("+-"):
        return None
    if text.startswith("+"):
        text = text[1:]
    if not text or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if value <= 0xFFFF else None


def split_host_port(value: str, default_port: int) -> tuple[str, int] | None:
    """SplitHostPort: `host`, `host:port`, `[v6]`, `[v6]:port`, `v6` (no port); None when the port is invalid/0."""
    port = default_port
    valid = False
    colon = value.rfind(":")
    have_colon = colon != -1
    bracketed = have_colon and colon > 0 and value[0] == "[" and value[colon - 1] == "]"
    multi_colon = have_colon and colon != 0 and value.rfind(":", 0, colon) != -1
    if have_colon and (colon == 0 or bracketed or not multi_colon):
        parsed = parse_uint16(value[colon + 1 :])
        if parsed is not None:
            value = value[:colon]
            port = parsed
            valid = port != 0
    else:
        valid = True
    if len(value) >= 2 and value[0] == "[" and value[-1] == "]":
        value = value[1:-1]
    return (value, port) if valid else None


def _legacy_ipv6(addr: IPv6Address) -> Address | None:
    """CNetAddr::SetLegacyIPv6: mapped IPv4 → IPv4, Tor v2 range → ::, bitcoind's internal range → None."""
    packed = addr.packed
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if packed.startswith(_TORV2_IN_IPV6):
        return IPv6Address(0)
    if packed.startswith(_INTERNAL_IN_IPV6):
        return None
    return addr


def _is_valid_peer(addr: Address) -> bool:
    """CNetAddr::IsValid for the addresses a TCP peer can have."""
    if isinstance(addr, IPv4Address):
        return int(addr) not in (0, 0xFFFFFFFF)
    return int(addr) != 0 and addr not in _RFC3849


def lookup_numeric(host: str) -> Address | None:
    """LookupHost(host, fAllowLookup=false): brackets stripped, numeric getaddrinfo, internal results dropped."""
    if not host or "\0" in host:
        return None
    if host[0] == "[" and host[-1] == "]":
        host = host[1:-1]
    try:
        infos = socket.getaddrinfo(
            host, None, socket.AF_UNSPEC, socket.SOCK_STREAM, socket.IPPROTO_TCP, socket.AI_NUMERICHOST
        )
    except (OSError, UnicodeError, ValueError):
        return None
    for family, _type, _proto, _name, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        raw = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        addr = _legacy_ipv6(raw) if isinstance(raw, IPv6Address) else raw
        if addr is not None:
            return addr
    return None


def _netmask_prefix(mask: Address) -> int | None:
    """The prefix length of a contiguous netmask, None if it has a 1 after a 0."""
    bits = int(mask)
    width = mask.max_prefixlen
    inverted = ~bits & ((1 << width) - 1)
    if inverted & (inverted + 1):
        return None
    return width - inverted.bit_length()


def parse_allow_subnet(value: str, *, cjdns_reachable: bool = False) -> Network:
    """LookupSubNet for -rpcallowip. Raises ConfigError with bitcoind's message when the subnet is invalid."""
    subnet = lookup_subnet(value, cjdns_reachable)
    if subnet is None:
        raise ConfigError(allowip_error(value))
    return subnet


def allowip_error(value: str) -> str:
    """bitcoind's message for an -rpcallowip value LookupSubNet refuses."""
    return f"Invalid -rpcallowip subnet specification: {value}. {_ALLOWIP_HELP}"


def lookup_subnet(value: str, cjdns_reachable: bool) -> Network | None:
    """LookupSubNet: the subnet `value` names, None when bitcoind would refuse it."""
    if "\0" in value:
        return None
    slash = value.rfind("/")
    addr = lookup_numeric(value if slash == -1 else value[:slash])
    if addr is None:
        return None
    # fc00::/8 is taken as CJDNS (MaybeFlipIPv6toCJDNS) while CJDNS is reachable, and for CJDNS only a single
    # address makes a subnet
    cjdns = cjdns_reachable and isinstance(addr, IPv6Address) and addr.packed[0] == 0xFC
    if slash == -1:
        return ipaddress.ip_network(addr)
    if cjdns:
        return None
    mask_text = value[slash + 1 :]
    prefix: int | None
    if mask_text.isascii() and mask_text.isdigit() and int(mask_text) <= 255:  # ToIntegral<uint8_t>
        prefix = int(mask_text)
        if prefix > addr.max_prefixlen:
            return None
    else:
        mask = lookup_numeric(mask_text)
        if mask is None or mask.version != addr.version:
            return None
        prefix = _netmask_prefix(mask)
        if prefix is None:
            return None
    return ipaddress.ip_network(f"{addr}/{prefix}", strict=False)


def is_loopback_host(host: str) -> bool:
    """`localhost` or a numeric loopback address."""
    if host == "localhost":
        return True
    addr = lookup_numeric(host)
    return addr is not None and addr.is_loopback


def is_bind_any(host: str) -> bool:
    """The empty host or a numeric any-address (0.0.0.0, ::): every interface."""
    if host == "":
        return True
    addr = lookup_numeric(host)
    return addr is not None and int(addr) == 0
