"""The one typed settings object, and how command line + bitcoin.conf become it.

Owns:
- `Settings`, frozen: every option under bitcoind's name, units in the names (`rpcservertimeout_s`), plus the
  derived values the other layers use (chain, net datadir, bind endpoints, allow list, cookie path, socket);
- bitcoind's merge rules (ArgsManager/common/settings.cpp): command line over the `[<chain>]` section over the top
  level; the first value wins inside a config file, the last on the command line; `-noX` cuts off what came before
  it; list options keep every value (with bitcoind's "zombie" config values after `-noX -X=v`); network-only
  options (`-rpcport`, `-rpcbind`) ignore the top level of bitcoin.conf off main, with bitcoind's warning;
- the validity rules and the exact startup error texts of bitcoind for the options we share
  (`Invalid port specified in -rpcport: 'abc'`, `Invalid -rpcallowip subnet specification: …`,
  `Invalid -rpccookieperms=…`, `Invalid -rpcauth argument.`), and clear one-line errors for our own options;
- `-rpcallowip` parsing as LookupSubNet does it, and `AllowList.allows(peer)`;
- `-rpcbind` splitting as SplitHostPort does it, and HTTPBindAddresses' rules and warnings.

No I/O here: `build_settings` gets the file system through the small `ConfigFiles` protocol (the real one lives in
`cli.py`). Host strings are read with a numeric-only `getaddrinfo` (AI_NUMERICHOST, no name resolution), which
is what bitcoind's `LookupHost(…, fAllowLookup=false)` calls. Must not import asyncio, capnp, `http`, `ipc`.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from pathlib import Path
from typing import Protocol

from ..ipc.capabilities import VARIANTS
from .argv import (
    ALIASES,
    DEBUG_CATEGORIES,
    NODE_ENV,
    OPTIONS,
    ConfigError,
    SettingValue,
    interpret_bool,
    interpret_key,
    parse_argv,
)
from .chainparams import (
    CHAIN_NAMES,
    CHAIN_SWITCHES,
    STANDIN_CHAIN,
    chain_params,
    default_cookie_path,
    net_datadir,
)
from .conffile import ConfFile, parse_conf

__all__ = [
    "COOKIE_PERMS",
    "DEBUG_CATEGORIES",
    "DEFAULT_COOKIE_MODE",
    "DEFAULT_IPCTHREADS",
    "DEFAULT_IPCTIMEOUT_S",
    "DEFAULT_RPCCACHESIZE_MIB",
    "DEFAULT_RPCSERVERTIMEOUT_S",
    "DEFAULT_RPCTHREADS",
    "DEFAULT_RPCWORKQUEUE",
    "AllowList",
    "ConfigError",
    "ConfigFiles",
    "HttpStartFailure",
    "Settings",
    "build_settings",
    "node_arguments",
    "parse_allow_subnet",
    "rpcauth_fields",
    "split_host_port",
]

DEFAULT_RPCTHREADS = 16
DEFAULT_RPCWORKQUEUE = 64
DEFAULT_RPCSERVERTIMEOUT_S = 30
DEFAULT_IPCTHREADS = 4
DEFAULT_RPCCACHESIZE_MIB = 0  # off: a cache hit never reaches the node, so the node's log and getrpcinfo would change
# bitcoin-cli's own client timeout (DEFAULT_HTTP_CLIENT_TIMEOUT): a client of bitcoind never waits longer, so a
# call that takes this long has no one left to answer; shorter would cut off legitimately slow RPCs
DEFAULT_IPCTIMEOUT_S = 900.0
COOKIE_PERMS: dict[str, int] = {"owner": 0o600, "group": 0o640, "all": 0o644}
DEFAULT_COOKIE_MODE = COOKIE_PERMS["owner"]  # bitcoind applies none and relies on its umask 077
SUN_PATH_MAX = 107  # bytes of a unix socket path (sun_path is 108 with its NUL)
HTTP_START_ERROR = "Unable to start HTTP server. See debug log for details."
# Spawn mode: options only the RPC server reads (ours now) and our own options are not given to bitcoin-node;
# -server is replaced by -server=0.
RPC_SERVER_OPTIONS: frozenset[str] = frozenset(
    {"rpcport", "rpcbind", "rpcallowip", "rpcauth", "rpcuser", "rpcpassword", "rpccookiefile", "rpccookieperms",
     "rpcwhitelist", "rpcwhitelistdefault", "rpcthreads", "rpcworkqueue", "rpcservertimeout"}
)  # fmt: skip
OWN_OPTIONS: frozenset[str] = frozenset(
    {"node", "ipcconnect", "ipcnative", "ipcthreads", "ipctimeout", "ipcvariant", "ipccoalesce", "rpccachesize",
     "metrics", "socket", "address", "port", "server"}
)  # fmt: skip

_ALLOWIP_HELP = (
    "Valid values are a single IP (e.g. 1.2.3.4), a network/netmask (e.g. 1.2.3.4/255.255.255.0), a "
    "network/CIDR (e.g. 1.2.3.4/24), all ipv4 (0.0.0.0/0), or all ipv6 (::/0). RFC4193 is allowed only if "
    "-cjdnsreachable=0."
)
_WARN_ALLOWIP_WITHOUT_BIND = (
    "Option -rpcallowip was specified without -rpcbind; this doesn't usually make sense"
)
_WARN_BIND_IGNORED = (
    "Option -rpcbind was ignored because -rpcallowip was not specified, refusing to allow everyone to connect"
)
_WARN_BIND_ANY = "The RPC server is not safe to expose to untrusted networks such as the public internet"
_WARN_PLAINTEXT = (
    "The use of rpcuser/rpcpassword is less secure, because credentials are configured in plain text. It is "
    "recommended that locally-run instances switch to cookie-based auth, or otherwise to use hashed rpcauth "
    "credentials. See contrib/rpcauth for more information."
)

Network = IPv4Network | IPv6Network
Address = IPv4Address | IPv6Address


class ConfigFiles(Protocol):
    """The file system as `build_settings` sees it."""

    def is_dir(self, path: Path) -> bool: ...

    def read_text(self, path: Path) -> str | None:
        """The file's text, or None when it does not exist or cannot be opened."""
        ...


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


@dataclass(frozen=True)
class HttpStartFailure:
    """A value that makes bitcoind's HTTP server refuse to start (AppInitServers fails): bitcoind logs the reason
    and prints `stderr` (each line after `Error: `), then exits 1. Checked by the app in bitcoind's order."""

    log: str  # the specific reason, for the log file
    stderr: tuple[str, ...] = (HTTP_START_ERROR,)


@dataclass(frozen=True)
class Settings:
    """Everything the program runs with. Built by `build_settings` (or `cli.settings_from_argv`)."""

    chain: str  # one of chainparams.CHAIN_NAMES
    datadir: Path  # absolute base datadir (-datadir, default ~/.bitcoin)
    conf: Path | None  # the config file that was read, if any
    # node IPC
    ipcconnect: str | None  # as given (-ipcconnect or --socket); None when neither was given
    node_socket: str | None  # the resolved socket path; None exactly when `standin`
    standin: bool  # no socket and no -node given: the app starts the in-process stand-in node
    node: str | None  # spawn mode: the bitcoin-node executable to start (-node or BITCOIN_RPC_MP_NODE)
    node_args: tuple[str, ...]  # spawn mode: the command-line words given to it (before ours are appended)
    ipcthreads: int
    # answer exact methods through typed IPC calls: True (-ipcnative=1), False (-noipcnative: everything through
    # Rpc where the node has it), None (default: native only on nodes without Rpc, so the node logs and counts
    # every request as bitcoind would)
    ipcnative: bool | None
    ipccoalesce: bool  # combine waiting read-only pass-through requests into one executeRpc batch
    rpccachesize_mib: int  # chain-only answer cache (handlers/answer_cache.py); 0 = off
    ipctimeout_s: float  # 0 = no limit
    ipcvariant: str | None  # None = detect
    # HTTP server
    rpcport: int
    rpcbind: tuple[str, ...]
    address: tuple[str, ...]  # the seed's --address values
    rpcallowip: tuple[str, ...]
    rpc_bind_endpoints: tuple[tuple[str, int], ...]  # (host, port); host "" = every interface
    rpc_allow: AllowList
    rpcthreads: int
    rpcworkqueue: int
    rpcmaxbatch: int  # 0 = no limit (bitcoind's behaviour)
    rpcservertimeout_s: int  # 0 = no idle timeout
    # authentication
    rpcuser: str
    rpcpassword: str
    rpcauth: tuple[str, ...]  # validated `<USER>:<SALT>$<HASH>` values
    rpccookiefile: Path | None  # absolute cookie path; None after -norpccookiefile
    rpccookieperms: str | None  # "owner" | "group" | "all" | None (not given)
    rpccookieperms_mode: int  # the file mode the cookie is created with
    rpcwhitelist: tuple[str, ...]
    rpcwhitelistdefault: bool  # resolved: explicit value, else "any -rpcwhitelist given"
    # logging
    debug: tuple[str, ...]  # -debug values as given; ask `debug_enabled(category)`
    debugexclude: tuple[str, ...]
    printtoconsole: bool
    debuglogfile: Path | None = None  # absolute; None after -nodebuglogfile
    shrinkdebugfile: bool = False
    logtimestamps: bool = True
    logtimemicros: bool = False
    warnings: tuple[str, ...] = ()  # bitcoind's startup warnings, for the app to log
    metrics: tuple[str, int] | None = None  # -metrics: (host, port) of the Prometheus endpoint; None = off
    http_failure: HttpStartFailure | None = None  # a value bitcoind's HTTP server refuses to start with

    @property
    def net_datadir(self) -> Path:
        return net_datadir(self.datadir, self.chain)

    @property
    def cookie_enabled(self) -> bool:
        """bitcoind writes a cookie iff -rpcpassword is empty and -norpccookiefile was not given."""
        return self.rpcpassword == "" and self.rpccookiefile is not None

    @property
    def ipc_call_timeout_s(self) -> float | None:
        """`ipctimeout_s` as NodeClient takes it (None = no limit)."""
        return self.ipctimeout_s if self.ipctimeout_s > 0 else None

    def debug_enabled(self, category: str) -> bool:
        """bitcoind's -debug rules (SetLoggingCategories): values before the last `0`/`none` are disregarded;
        an empty value, `1` or `all` enables every category; -debugexclude wins over -debug (`all` there
        excludes every category)."""
        return category_enabled(self.debug, self.debugexclude, category)


_ALL_CATEGORIES = ("", "1", "all")
_NO_CATEGORIES = ("0", "none")


def category_enabled(debug: Sequence[str], debugexclude: Sequence[str], category: str) -> bool:
    """Whether debug logging of `category` is on for these -debug and -debugexclude values."""
    last_none = max((n for n, value in enumerate(debug) if value in _NO_CATEGORIES), default=-1)
    if any(value in _ALL_CATEGORIES or value == category for value in debugexclude):
        return False
    return any(value in _ALL_CATEGORIES or value == category for value in debug[last_none + 1 :])


def _unknown_categories(option: str, values: Sequence[str], warnings: list[str]) -> None:
    """bitcoind refuses to start on a category it does not know; a bitcoin.conf shared with the node may name
    node categories (net, mempool, …) that mean nothing here, so those only get a warning."""
    known = (*_ALL_CATEGORIES, *_NO_CATEGORIES, *DEBUG_CATEGORIES) if option == "debug" else (
        *_ALL_CATEGORIES, *DEBUG_CATEGORIES
    )
    for value in values:
        if value not in known:
            warnings.append(
                f"Unsupported logging category -{option}={value} (bitcoin-rpc-mp logs {', '.join(DEBUG_CATEGORIES)}); "
                "ignored."
            )


# --------------------------------------------------------------------------------------------------------------
# merging (common/settings.cpp)


class _Store:
    """Raw values from the command line and the config file, read back with ArgsManager's rules."""

    def __init__(self, command_line: Mapping[str, list[SettingValue]]) -> None:
        self.command_line = command_line
        self.conf: Mapping[str, Mapping[str, list[SettingValue]]] = {}
        self.network = ""  # the chain's section, once chosen

    def _sources(self, name: str, section: str) -> list[tuple[str, list[SettingValue]]]:
        out: list[tuple[str, list[SettingValue]]] = []
        if name in self.command_line:
            out.append(("command_line", self.command_line[name]))
        if section and name in self.conf.get(section, {}):
            out.append(("network", list(self.conf[section][name])))
        if name in self.conf.get("", {}):
            out.append(("default", list(self.conf[""][name])))
        return out

    def _ignore_default_section(self, name: str) -> bool:
        return bool(self.network) and self.network != "main" and OPTIONS[name].network_only

    def get_setting(self, name: str, *, chain_type: bool = False) -> SettingValue | None:
        """GetSetting: the one value in force, None when unset, False when negated."""
        section = "" if chain_type else self.network
        ignore_default = self._ignore_default_section(name)
        for source, values in self._sources(name, section):
            last_negated = bool(values) and values[-1] is False
            if ignore_default and source == "default" and not last_negated:
                continue
            if chain_type and last_negated:
                continue  # bitcoind silently skips a negated -regtest/-testnet…
            span = _after_last_negation(values)
            if span:
                first_wins = source != "command_line" and not chain_type
                return span[0] if first_wins else span[-1]
            if last_negated:
                return False
        return None

    def get_list(self, name: str) -> list[str]:
        """GetArgs, including bitcoind's revival of config values after `-noX -X=v` on the command line."""
        result: list[SettingValue] = []
        done = False
        prev_negated_empty = False
        ignore_default = self._ignore_default_section(name)
        for source, values in self._sources(name, self.network):
            zombies = source != "command_line" and not prev_negated_empty
            if ignore_default and source == "default":
                continue
            if not done or zombies:
                result.extend(_after_last_negation(values))
            done = done or any(v is False for v in values)
            prev_negated_empty = prev_negated_empty or (bool(values) and values[-1] is False and not result)
        return [_as_text(v) for v in result]

    def get_arg(self, name: str) -> str | None:
        value = self.get_setting(name)
        return None if value is None else _as_text(value)

    def get_bool(self, name: str, default: bool) -> bool:
        value = self.get_setting(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        return interpret_bool(value)

    def is_negated(self, name: str) -> bool:
        return self.get_setting(name) is False

    def only_in_default_section(self, name: str) -> bool:
        """OnlyHasDefaultSectionSetting, for bitcoind's network-only warning."""
        has_default = has_other = False
        for source, values in self._sources(name, self.network):
            if not _after_last_negation(values):
                continue
            if source == "default":
                has_default = True
            else:
                has_other = True
        return has_default and not has_other


def _after_last_negation(values: Sequence[SettingValue]) -> list[SettingValue]:
    last_false = max((n for n, v in enumerate(values) if v is False), default=-1)
    return list(values[last_false + 1 :])


def _as_text(value: SettingValue) -> str:
    if value is True:
        return "1"
    if value is False:
        return "0"
    return value


# --------------------------------------------------------------------------------------------------------------
# bitcoind's parsers


def rpcauth_fields(value: str) -> tuple[str, str, str]:
    """An -rpcauth value `<USER>:<SALT>$<HASH>` as (user, salt, hash): exactly one `:`, and exactly one `$`
    after it. Raises ConfigError with bitcoind's text otherwise (the one check; `auth.credentials` uses it)."""
    fields = value.split(":")
    salt_hash = fields[-1].split("$")
    if len(fields) != 2 or len(salt_hash) != 2:
        raise ConfigError("Invalid -rpcauth argument.")
    return fields[0], salt_hash[0], salt_hash[1]


def _parse_uint16(text: str) -> int | None:
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
        parsed = _parse_uint16(value[colon + 1 :])
        if parsed is not None:
            value = value[:colon]
            port = parsed
            valid = port != 0
    else:
        valid = True
    if len(value) >= 2 and value[0] == "[" and value[-1] == "]":
        value = value[1:-1]
    return (value, port) if valid else None


_TORV2_IN_IPV6 = bytes.fromhex("fd87d87eeb43")
_INTERNAL_IN_IPV6 = bytes.fromhex("fd6b88c08724")
_RFC3849 = IPv6Network("2001:db8::/32")


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


def _lookup_numeric(host: str) -> Address | None:
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
    subnet = _lookup_subnet(value, cjdns_reachable)
    if subnet is None:
        raise ConfigError(_allowip_error(value))
    return subnet


def _allowip_error(value: str) -> str:
    return f"Invalid -rpcallowip subnet specification: {value}. {_ALLOWIP_HELP}"


def _lookup_subnet(value: str, cjdns_reachable: bool) -> Network | None:
    if "\0" in value:
        return None
    slash = value.rfind("/")
    addr = _lookup_numeric(value if slash == -1 else value[:slash])
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
        mask = _lookup_numeric(mask_text)
        if mask is None or mask.version != addr.version:
            return None
        prefix = _netmask_prefix(mask)
        if prefix is None:
            return None
    return ipaddress.ip_network(f"{addr}/{prefix}", strict=False)


_INT = re.compile(r"[+-]?[0-9]+")


def _parse_int(name: str, text: str, *, minimum: int | None, what: str) -> int:
    stripped = text.strip()
    if not _INT.fullmatch(stripped):
        raise ConfigError(f"Invalid -{name}={text}; must be {what}.")
    value = int(stripped)
    if minimum is not None and value < minimum:
        raise ConfigError(f"Invalid -{name}={text}; must be {what}.")
    return value


def _is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    addr = _lookup_numeric(host)
    return addr is not None and addr.is_loopback


def _is_bind_any(host: str) -> bool:
    if host == "":
        return True
    addr = _lookup_numeric(host)
    return addr is not None and int(addr) == 0


# --------------------------------------------------------------------------------------------------------------
# building


def _abs_path(text: str, base: Path) -> Path:
    """GetPathArg + AbsPathForConfigVal: lexically normal, no trailing slash, relative to `base`."""
    path = Path(os.path.normpath(text))
    return path if path.is_absolute() else base / path


def build_settings(
    argv: Sequence[str], *, environ: Mapping[str, str], cwd: str | os.PathLike[str], files: ConfigFiles
) -> Settings:
    """Command line (without the program name) + config file → Settings; raises ConfigError.

    `-help`/`-version` are the caller's business (see `cli.py`); the checks run in bitcoind's order: command
    line, data directory, config file, chain, then the option values.
    """
    node = spawn_node(argv, environ)
    parsed = parse_argv(argv, allow_unknown=node is not None)
    warnings: list[str] = list(parsed.warnings)
    store = _Store(parsed.options)
    cwd_path = Path(cwd)
    if node is not None and not node:
        raise ConfigError(f"-node needs the path of the bitcoin-node executable (or set {NODE_ENV})")

    # data directory from the command line (CheckDataDirOption)
    datadir = _datadir(store, environ, cwd_path, files, prefix="")

    # the config file
    conf_path: Path | None = None
    if not store.is_negated("conf"):
        conf_arg = store.get_arg("conf")
        conf_path = _abs_path(conf_arg or "bitcoin.conf", datadir)
        if files.is_dir(conf_path):
            raise ConfigError(f'Error reading configuration file: Config file "{conf_path}" is a directory.')
        text = files.read_text(conf_path)
        if text is None:
            if conf_arg:
                raise ConfigError(
                    f'Error reading configuration file: specified config file "{conf_path}" could not be opened.'
                )
            conf_path = None
        else:
            conf = _parse_conf_or_raise(text)
            warnings.extend(conf.warnings)
            store.conf = conf.sections
    datadir = _datadir(store, environ, cwd_path, files, prefix="Error reading configuration file: ")

    chain = _select_chain(store)
    if chain is None:
        # None given: main, except for the demo (no node socket), whose stand-in node has a regtest chain and
        # is served as a regtest node would be (port 18443, cookie in <datadir>/regtest)
        store.network = "main"
        chain = "main" if store.get_setting("ipcconnect") is not None else STANDIN_CHAIN
    elif chain != STANDIN_CHAIN and store.get_setting("ipcconnect") is None:
        warnings.append(
            f"No -ipcconnect: the stand-in node started instead has a {STANDIN_CHAIN} chain, served here with "
            f"{chain}'s port and data directory."
        )
    store.network = chain
    if parsed.loose_tokens:
        raise ConfigError(
            f"Command line contains unexpected token '{parsed.loose_tokens[0]}', "
            "see bitcoin-rpc-mp -h for a list of options."
        )
    if chain != "main":
        for name in ("rpcport", "rpcbind"):
            if store.only_in_default_section(name):
                warnings.append(
                    f"Config setting for -{name} only applied on {chain} network when in [{chain}] section."
                )
    netdir = net_datadir(datadir, chain)

    # node IPC (our own options)
    ipcconnect = store.get_setting("ipcconnect")
    if node is not None and ipcconnect is not None:
        raise ConfigError(
            "-ipcconnect/--socket cannot be used with -node: with -node, bitcoin-rpc-mp starts bitcoin-node "
            "itself on a private socket (leave out -node to serve a node that is already running)"
        )
    node_socket = None if ipcconnect is None else _resolve_socket(ipcconnect, netdir, cwd_path)
    node_args: tuple[str, ...] = ()
    if node is not None:
        node = str(_abs_path(node, cwd_path)) if "/" in node else node
        node_args = node_arguments(argv)
    ipcthreads = _int_option(
        store, "ipcthreads", DEFAULT_IPCTHREADS, minimum=1, what="an integer of at least 1"
    )
    ipctimeout_s = _timeout_option(store)
    ipcvariant = _variant_option(store)
    ipcnative = None if store.get_setting("ipcnative") is None else store.get_bool("ipcnative", False)
    ipccoalesce = store.get_bool("ipccoalesce", True)
    rpccachesize_mib = _int_option(
        store, "rpccachesize", DEFAULT_RPCCACHESIZE_MIB, minimum=0, what="a number of MiB (0 or more)"
    )
    rpcthreads = max(1, _int_option(store, "rpcthreads", DEFAULT_RPCTHREADS, minimum=None, what="an integer"))
    rpcworkqueue = max(
        1, _int_option(store, "rpcworkqueue", DEFAULT_RPCWORKQUEUE, minimum=None, what="an integer")
    )
    rpcmaxbatch = _int_option(store, "rpcmaxbatch", 0, minimum=0, what="an integer, 0 or more")
    rpcservertimeout_s = _int_option(
        store,
        "rpcservertimeout",
        DEFAULT_RPCSERVERTIMEOUT_S,
        minimum=0,
        what="a number of seconds, 0 or more",
    )

    # CheckHostPortOptions
    rpcport = chain_params(chain).rpcport
    rpcport_arg = store.get_arg("rpcport")
    if rpcport_arg is not None:
        parsed_port = _parse_uint16(rpcport_arg)
        if not parsed_port:
            raise ConfigError(f"Invalid port specified in -rpcport: '{rpcport_arg}'")
        rpcport = parsed_port
    rpcbind = tuple(store.get_list("rpcbind"))
    address = tuple(store.get_list("address"))
    bind_targets: list[tuple[str, int]] = []
    for option, values in (("rpcbind", rpcbind), ("address", address)):
        for value in values:
            target = split_host_port(value, rpcport)
            if target is None:
                raise ConfigError(f"Invalid port specified in -{option}: '{value}'")
            bind_targets.append(target)

    # InitHTTPAllowList: an invalid subnet is an error box, then the HTTP server does not start
    http_failure: HttpStartFailure | None = None
    rpcallowip = tuple(store.get_list("rpcallowip"))
    onlynet = [net.lower() for net in store.get_list("onlynet")]
    cjdns_reachable = store.get_setting("cjdnsreachable") is not None and (not onlynet or "cjdns" in onlynet)
    networks: list[Network] = [IPv4Network("127.0.0.0/8"), IPv6Network("::1/128")]
    for value in rpcallowip:
        subnet = _lookup_subnet(value, cjdns_reachable)
        if subnet is None:
            message = _allowip_error(value)
            http_failure = HttpStartFailure(message, (message, HTTP_START_ERROR))
            break
        networks.append(subnet)
    allow = AllowList(tuple(networks))
    endpoints = _bind_endpoints(rpcport, rpcbind, address, rpcallowip, warnings)

    # InitRPCAuthentication
    rpcuser = store.get_arg("rpcuser") or ""
    rpcpassword = store.get_arg("rpcpassword") or ""
    rpccookieperms = store.get_arg("rpccookieperms")
    cookie_mode = DEFAULT_COOKIE_MODE
    if rpcpassword == "":
        if rpccookieperms is not None:
            if rpccookieperms not in COOKIE_PERMS:
                http_failure = http_failure or HttpStartFailure(
                    f"Invalid -rpccookieperms={rpccookieperms}; must be one of 'owner', 'group', or 'all'."
                )
            cookie_mode = COOKIE_PERMS.get(rpccookieperms, DEFAULT_COOKIE_MODE)
    else:
        warnings.append(_WARN_PLAINTEXT)
        if rpccookieperms not in COOKIE_PERMS:
            rpccookieperms = None  # not looked at when no cookie is written
    rpcauth = tuple(store.get_list("rpcauth"))
    for value in rpcauth:
        try:
            rpcauth_fields(value)
        except ConfigError as exc:
            http_failure = http_failure or HttpStartFailure(str(exc))
            break
    cookie_path: Path | None = None
    if not store.is_negated("rpccookiefile"):
        cookie_arg = store.get_arg("rpccookiefile")
        cookie_path = _abs_path(cookie_arg, netdir) if cookie_arg else default_cookie_path(datadir, chain)
    rpcwhitelist = tuple(store.get_list("rpcwhitelist"))
    debuglogfile: Path | None = None
    if not store.is_negated("debuglogfile"):
        debuglogfile = _abs_path(store.get_arg("debuglogfile") or "debug.log", netdir)

    debug = tuple(store.get_list("debug"))
    debugexclude = tuple(store.get_list("debugexclude"))
    _unknown_categories("debug", debug, warnings)
    _unknown_categories("debugexclude", debugexclude, warnings)

    return Settings(
        chain=chain,
        datadir=datadir,
        conf=conf_path,
        ipcconnect=None if ipcconnect is None else _as_text(ipcconnect),
        node_socket=node_socket,
        standin=node_socket is None and node is None,
        node=node,
        node_args=node_args,
        ipcthreads=ipcthreads,
        ipcnative=ipcnative,
        ipccoalesce=ipccoalesce,
        rpccachesize_mib=rpccachesize_mib,
        ipctimeout_s=ipctimeout_s,
        ipcvariant=ipcvariant,
        rpcport=rpcport,
        rpcbind=rpcbind,
        address=address,
        rpcallowip=rpcallowip,
        rpc_bind_endpoints=endpoints,
        rpc_allow=allow,
        rpcthreads=rpcthreads,
        rpcworkqueue=rpcworkqueue,
        rpcmaxbatch=rpcmaxbatch,
        rpcservertimeout_s=rpcservertimeout_s,
        rpcuser=rpcuser,
        rpcpassword=rpcpassword,
        rpcauth=rpcauth,
        rpccookiefile=cookie_path,
        rpccookieperms=rpccookieperms,
        rpccookieperms_mode=cookie_mode,
        rpcwhitelist=rpcwhitelist,
        rpcwhitelistdefault=store.get_bool("rpcwhitelistdefault", bool(rpcwhitelist)),
        debug=debug,
        debugexclude=debugexclude,
        printtoconsole=store.get_bool("printtoconsole", True),
        debuglogfile=debuglogfile,
        # bitcoind shrinks by default unless debug categories are on; in spawn mode the node does it
        shrinkdebugfile=node is None
        and store.get_bool("shrinkdebugfile", not _any_debug(store.get_list("debug"))),
        logtimestamps=store.get_bool("logtimestamps", True),
        logtimemicros=store.get_bool("logtimemicros", False),
        warnings=tuple(dict.fromkeys(warnings)),
        metrics=_metrics_option(store),
        http_failure=http_failure,
    )


def _parse_conf_or_raise(text: str) -> ConfFile:
    try:
        return parse_conf(text)
    except ConfigError as exc:
        raise ConfigError(f"Error reading configuration file: {exc}") from None


def _datadir(
    store: _Store, environ: Mapping[str, str], cwd: Path, files: ConfigFiles, *, prefix: str
) -> Path:
    raw = store.get_arg("datadir")
    if raw:
        path = _abs_path(raw, cwd)
        if not files.is_dir(path):
            if prefix:
                raise ConfigError(f'{prefix}specified data directory "{raw}" does not exist.')
            raise ConfigError(f'Specified data directory "{raw}" does not exist.')
        return path
    home = environ.get("HOME", "")
    return Path(home or "/") / ".bitcoin"


def _select_chain(store: _Store) -> str | None:
    """ArgsManager::GetChainArg: at most one of -regtest/-signet/-testnet/-testnet4/-chain; None when none."""

    def flag(name: str) -> bool:
        value = store.get_setting(name, chain_type=True)
        if value is None:
            return False
        return value if isinstance(value, bool) else interpret_bool(value)

    flags = {chain: flag(switch) for switch, chain in CHAIN_SWITCHES.items()}
    chain_arg = store.get_arg("chain")
    if (chain_arg is not None) + sum(flags.values()) > 1:
        raise ConfigError(
            "Invalid combination of -regtest, -signet, -testnet, -testnet4 and -chain. Can use at most one."
        )
    if chain_arg is not None:
        if chain_arg not in CHAIN_NAMES:
            raise ConfigError(
                f"Unknown chain {chain_arg}. Valid values for -chain are: {', '.join(CHAIN_NAMES)}."
            )
        return chain_arg
    for chain, selected in flags.items():
        if selected:
            return chain
    return None


def _resolve_socket(value: SettingValue, netdir: Path, cwd: Path) -> str:
    """-ipcconnect: `unix` (or `auto`, or bare) → <net datadir>/node.sock; `unix:<path>` (relative to the net
    datadir, as -ipcbind); any other value is a socket path (relative to the current directory)."""
    text = _as_text(value)
    expected = "must be 'unix', 'unix:<path>' or the path of the node's socket"
    if value is False or text == "0":
        raise ConfigError(
            f"Invalid -noipcconnect; bitcoin-rpc-mp serves through the node's IPC socket ({expected})"
        )
    if text in ("", "1", "unix", "auto"):
        path = netdir / "node.sock"
    elif text.startswith("unix:"):
        if text == "unix:":
            raise ConfigError(f"Invalid -ipcconnect={text}; {expected}.")
        path = _abs_path(text[len("unix:") :], netdir)
    elif re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", text) and not text.startswith(("./", "/")):
        raise ConfigError(f"Invalid -ipcconnect={text}; {expected}.")
    else:
        path = _abs_path(text, cwd)
    result = str(path)
    if len(os.fsencode(result)) > SUN_PATH_MAX:
        raise ConfigError(
            f"Invalid -ipcconnect={text}; the socket path {result} is longer than the {SUN_PATH_MAX} bytes "
            "a unix socket address can hold."
        )
    return result


def _int_option(store: _Store, name: str, default: int, *, minimum: int | None, what: str) -> int:
    raw = store.get_arg(name)
    return default if raw is None else _parse_int(name, raw, minimum=minimum, what=what)


def _timeout_option(store: _Store) -> float:
    raw = store.get_arg("ipctimeout")
    if raw is None:
        return DEFAULT_IPCTIMEOUT_S
    try:
        value = float(raw.strip())
    except ValueError:
        value = -1.0
    if not math.isfinite(value) or value < 0:
        raise ConfigError(
            f"Invalid -ipctimeout={raw}; must be a number of seconds, 0 or more (0 = no limit)."
        )
    return value


def _metrics_option(store: _Store) -> tuple[str, int] | None:
    """-metrics=<port> (on 127.0.0.1) or <host>:<port>; absent, 0 or -nometrics: off."""
    raw = store.get_arg("metrics")
    if raw is None or raw in ("", "0"):
        return None
    target = ("127.0.0.1", _parse_uint16(raw) or 0) if raw.isdigit() else split_host_port(raw, 0)
    if target is None or not target[1] or _lookup_numeric(target[0]) is None:
        raise ConfigError(f"Invalid -metrics={raw}; must be <port> or <host>:<port> with a numeric host.")
    return target


def _variant_option(store: _Store) -> str | None:
    raw = store.get_arg("ipcvariant")
    if raw is None or raw in ("", "auto"):
        return None
    if raw not in VARIANTS:
        allowed = ", ".join(f"'{v}'" for v in ("auto", *VARIANTS))
        raise ConfigError(f"Invalid -ipcvariant={raw}; must be one of {allowed}.")
    return raw


def _bind_endpoints(
    rpcport: int,
    rpcbind: Sequence[str],
    address: Sequence[str],
    rpcallowip: Sequence[str],
    warnings: list[str],
) -> tuple[tuple[str, int], ...]:
    """HTTPBindAddresses: -rpcbind only together with -rpcallowip; --address also alone when it is loopback."""
    binds = [t for v in rpcbind if (t := split_host_port(v, rpcport)) is not None]
    addrs = [t for v in address if (t := split_host_port(v, rpcport)) is not None]
    if rpcallowip and (binds or addrs):
        endpoints = binds + addrs
    else:
        loopback = [t for t in addrs if _is_loopback_host(t[0])]
        if rpcallowip:
            warnings.append(_WARN_ALLOWIP_WITHOUT_BIND)
        if binds or len(loopback) != len(addrs):
            warnings.append(_WARN_BIND_IGNORED)
        endpoints = loopback or [("::1", rpcport), ("127.0.0.1", rpcport)]
    if any(_is_bind_any(host) for host, _port in endpoints):
        warnings.append(_WARN_BIND_ANY)
    return tuple(dict.fromkeys(endpoints))


def _any_debug(categories: Sequence[str]) -> bool:
    """Whether -debug turns any category on (then bitcoind keeps the whole debug.log by default)."""
    if any(cat in ("0", "none") for cat in categories):
        return False
    return bool(categories)


def spawn_node(argv: Sequence[str], environ: Mapping[str, str]) -> str | None:
    """Spawn mode's node executable: the last -node=<path> on the command line (-nonode turns spawn mode off),
    else $BITCOIN_RPC_MP_NODE; None outside spawn mode. "" when -node was given without a path."""
    found: str | None = None
    given = False
    for key, value in _option_words(argv):
        info = interpret_key(key)
        if info.name == "node" and not info.section:
            given = True
            found = None if info.negated else (value or "")
    if given:
        return found
    return environ.get(NODE_ENV) or None


def node_arguments(argv: Sequence[str]) -> tuple[str, ...]:
    """The command-line words bitcoin-node gets in spawn mode: every word except the RPC server's options and
    ours (the seed's aliases with the word they took as value), in the order given."""
    kept: list[str] = []
    i = 0
    while i < len(argv):
        word = argv[i]
        i += 1
        if word == "-" or not word.startswith("-"):
            kept.extend(argv[i - 1 :])
            break
        key, eq, _value = word.partition("=")
        key = key[2:] if key.startswith("--") else key[1:]
        if key in ALIASES:
            if not eq and i < len(argv) and not argv[i].startswith("-"):
                i += 1
            continue
        name = interpret_key(key).name
        if name in RPC_SERVER_OPTIONS or name in OWN_OPTIONS:
            continue
        kept.append(word)
    return tuple(kept)


def _option_words(argv: Sequence[str]) -> list[tuple[str, str | None]]:
    """(key, value) of each option word up to the first word that is not an option, as parse_argv reads them."""
    out: list[tuple[str, str | None]] = []
    for word in argv:
        if word == "-" or not word.startswith("-"):
            break
        key, eq, value = word.partition("=")
        key = key[2:] if key.startswith("--") else key[1:]
        out.append((key, value if eq else None))
    return out
