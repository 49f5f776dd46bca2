"""The HTTP server's options as bitcoind resolves them: port, bind addresses, allow list, threads and limits.

Owns:
- CheckHostPortOptions' errors (`Invalid port specified in -rpcport: 'abc'`, the same for -rpcbind and the
  seed's --address);
- HTTPBindAddresses' rules and warnings: -rpcbind only together with -rpcallowip, --address also alone when it
  is loopback, the two loopback endpoints otherwise;
- InitHTTPAllowList: the allow list, and the invalid subnet that keeps the HTTP server from starting;
- `HttpStartFailure`, a value with which bitcoind's HTTP server refuses to start (the auth options make some);
- -metrics, the endpoint of our opt-in Prometheus listener.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network

from .addresses import (
    AllowList,
    Network,
    allowip_error,
    is_bind_any,
    is_loopback_host,
    lookup_numeric,
    lookup_subnet,
    parse_uint16,
    split_host_port,
)
from .argv import ConfigError
from .chainparams import chain_params
from .merge import ArgStore

__all__ = [
    "DEFAULT_RPCSERVERTIMEOUT_S",
    "DEFAULT_RPCTHREADS",
    "DEFAULT_RPCWORKQUEUE",
    "HTTP_START_ERROR",
    "Endpoint",
    "HttpSettings",
    "HttpStartFailure",
    "http_settings",
    "metrics_endpoint",
]

DEFAULT_RPCTHREADS = 16
DEFAULT_RPCWORKQUEUE = 64
DEFAULT_RPCSERVERTIMEOUT_S = 30
HTTP_START_ERROR = "Unable to start HTTP server. See debug log for details."

_WARN_ALLOWIP_WITHOUT_BIND = (
    "Option -rpcallowip was specified without -rpcbind; this doesn't usually make sense"
)
_WARN_BIND_IGNORED = (
    "Option -rpcbind was ignored because -rpcallowip was not specified, refusing to allow everyone to connect"
)
_WARN_BIND_ANY = "The RPC server is not safe to expose to untrusted networks such as the public internet"

Endpoint = tuple[str, int]  # (host, port); host "" = every interface


@dataclass(frozen=True)
class HttpStartFailure:
    """A value that makes bitcoind's HTTP server refuse to start (AppInitServers fails): bitcoind logs the reason
    and prints `stderr` (each line after `Error: `), then exits 1. Checked by the app in bitcoind's order."""

    log: str  # the specific reason, for the log file
    stderr: tuple[str, ...] = (HTTP_START_ERROR,)


@dataclass(frozen=True)
class HttpSettings:
    """The HTTP server's options."""

    rpcport: int  # -rpcport, else the chain's
    bind: tuple[Endpoint, ...]  # where to listen (-rpcbind, --address, by HTTPBindAddresses' rules)
    allow: AllowList  # -rpcallowip, after the loopback networks
    threads: int  # -rpcthreads
    workqueue: int  # -rpcworkqueue
    maxbatch: int  # -rpcmaxbatch; 0 = no limit (bitcoind's behaviour)
    servertimeout_s: int  # -rpcservertimeout; 0 = no idle timeout


def http_settings(
    store: ArgStore, chain: str, warnings: list[str]
) -> tuple[HttpSettings, HttpStartFailure | None]:
    """The HTTP options; ConfigError for a value bitcoind refuses at once, and the failure (if any) with which
    bitcoind's HTTP server would not start. Warnings go onto `warnings`."""
    threads = max(1, store.get_int("rpcthreads", DEFAULT_RPCTHREADS, minimum=None, what="an integer"))
    workqueue = max(1, store.get_int("rpcworkqueue", DEFAULT_RPCWORKQUEUE, minimum=None, what="an integer"))
    maxbatch = store.get_int("rpcmaxbatch", 0, minimum=0, what="an integer, 0 or more")
    servertimeout_s = store.get_int(
        "rpcservertimeout", DEFAULT_RPCSERVERTIMEOUT_S, minimum=0, what="a number of seconds, 0 or more"
    )
    rpcport = _rpcport(store, chain)
    rpcbind = tuple(store.get_list("rpcbind"))
    address = tuple(store.get_list("address"))
    for option, values in (("rpcbind", rpcbind), ("address", address)):
        for value in values:
            if split_host_port(value, rpcport) is None:
                raise ConfigError(f"Invalid port specified in -{option}: '{value}'")
    rpcallowip = tuple(store.get_list("rpcallowip"))
    allow, failure = _allow_list(store, rpcallowip)
    bind = _bind_endpoints(rpcport, rpcbind, address, rpcallowip, warnings)
    return HttpSettings(rpcport, bind, allow, threads, workqueue, maxbatch, servertimeout_s), failure


def _rpcport(store: ArgStore, chain: str) -> int:
    """CheckHostPortOptions for -rpcport (or the seed's --port): the chain's port when not given."""
    raw = store.get_arg("rpcport")
    if raw is None:
        return chain_params(chain).rpcport
    port = parse_uint16(raw)
    if not port:
        raise ConfigError(f"Invalid port specified in -rpcport: '{raw}'")
    return port


def _allow_list(store: ArgStore, rpcallowip: Sequence[str]) -> tuple[AllowList, HttpStartFailure | None]:
    """InitHTTPAllowList: an invalid subnet is an error box, then the HTTP server does not start."""
    onlynet = [net.lower() for net in store.get_list("onlynet")]
    cjdns_reachable = store.get_setting("cjdnsreachable") is not None and (not onlynet or "cjdns" in onlynet)
    networks: list[Network] = [IPv4Network("127.0.0.0/8"), IPv6Network("::1/128")]
    for value in rpcallowip:
        subnet = lookup_subnet(value, cjdns_reachable)
        if subnet is None:
            message = allowip_error(value)
            return AllowList(tuple(networks)), HttpStartFailure(message, (message, HTTP_START_ERROR))
        networks.append(subnet)
    return AllowList(tuple(networks)), None


def _bind_endpoints(
    rpcport: int,
    rpcbind: Sequence[str],
    address: Sequence[str],
    rpcallowip: Sequence[str],
    warnings: list[str],
) -> tuple[Endpoint, ...]:
    """HTTPBindAddresses: -rpcbind only together with -rpcallowip; --address also alone when it is loopback."""
    binds = [t for v in rpcbind if (t := split_host_port(v, rpcport)) is not None]
    addrs = [t for v in address if (t := split_host_port(v, rpcport)) is not None]
    if rpcallowip and (binds or addrs):
        endpoints = binds + addrs
    else:
        loopback = [t for t in addrs if is_loopback_host(t[0])]
        if rpcallowip:
            warnings.append(_WARN_ALLOWIP_WITHOUT_BIND)
        if binds or len(loopback) != len(addrs):
            warnings.append(_WARN_BIND_IGNORED)
        endpoints = loopback or [("::1", rpcport), ("127.0.0.1", rpcport)]
    if any(is_bind_any(host) for host, _port in endpoints):
        warnings.append(_WARN_BIND_ANY)
    return tuple(dict.fromkeys(endpoints))


def metrics_endpoint(store: ArgStore) -> Endpoint | None:
    """-metrics=<port> (on 127.0.0.1) or <host>:<port>; absent, 0 or -nometrics: off."""
    raw = store.get_arg("metrics")
    if raw is None or raw in ("", "0"):
        return None
    target = ("127.0.0.1", parse_uint16(raw) or 0) if raw.isdigit() else split_host_port(raw, 0)
    if target is None or not target[1] or lookup_numeric(target[0]) is None:
        raise ConfigError(f"Invalid -metrics={raw}; must be <port> or <host>:<port> with a numeric host.")
    return target
