"""Command line → raw settings, with bitcoind's ArgsManager rules; also the table of known options.

Owns:
- `OPTIONS`, the table of every option we know (bitcoind's names, our `-ipc*` ones), with the flags that change
  how values merge (list-valued, network-only, negation forbidden) and the text `-help` prints;
- `ConfigError`, raised for anything the user must fix (one line, the text after `Error: `);
- the key/value interpretation shared with `conffile.py` (`-noX` → False, `-noX=0` → True, bare `-X` → "");
- `parse_argv`: `-name=value`, `-name`, `-noname`, `--name…` (as `-name…`), and the seed's aliases
  `--socket/-s PATH`, `--address/-a ADDR`, `--port/-p PORT`, which also take their value as the next word.

Raw values are `str`, or `False` for a negation, or `True` for a double negative (`-nofoo=0`), exactly as
ArgsManager stores them; `merge.py` reads them back together with the config file's. No I/O, no `sys.exit`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..ipc.capabilities import VARIANTS

__all__ = [
    "ALIASES",
    "DEBUG_CATEGORIES",
    "NODE_ENV",
    "OPTIONS",
    "SEED_DEFAULT_SOCKET",
    "ConfigError",
    "KeyInfo",
    "OptionSpec",
    "ParsedArgs",
    "SettingValue",
    "after_last_negation",
    "interpret_bool",
    "interpret_key",
    "interpret_value",
    "parse_argv",
]

SettingValue = str | bool
NODE_ENV = "BITCOIN_RPC_MP_NODE"  # spawn mode's node executable when -node is not given


class ConfigError(Exception):
    """A configuration the program cannot start with; `str(error)` is the one line shown after `Error: `."""


@dataclass(frozen=True)
class OptionSpec:
    """One known option. `name` has no dash; `metavar` is None for switches."""

    name: str
    help: str
    metavar: str | None = None
    list_valued: bool = False  # GetArgs: every value counts (-rpcauth, -rpcbind, …)
    # ArgsManager::NETWORK_ONLY: off main, the top level of bitcoin.conf does not count
    network_only: bool = False
    disallow_negation: bool = False  # ArgsManager::DISALLOW_NEGATION
    command_line_only: bool = False  # not read from bitcoin.conf (help, the seed's aliases)
    hidden: bool = False  # not listed by -help


def _opt(name: str, help: str, metavar: str | None = None, **flags: bool) -> OptionSpec:
    return OptionSpec(name=name, help=help, metavar=metavar, **flags)


# Our -debug categories (bitcoind's names for the same areas) and the loggers each one turns to DEBUG.
DEBUG_CATEGORIES: dict[str, tuple[str, ...]] = {
    "http": ("bitcoin_rpc_mp.http",),
    "ipc": ("bitcoin_rpc_mp.ipc", "bitcoin_rpc_mp.standin"),
    "rpc": ("bitcoin_rpc_mp.handlers", "bitcoin_rpc_mp.jsonrpc", "bitcoin_rpc_mp.auth"),
}

# Order is the order -help lists them in.
OPTIONS: dict[str, OptionSpec] = {
    spec.name: spec
    for spec in (
        _opt("?", "Print this help message and exit", command_line_only=True),
        _opt("h", "Print this help message and exit", command_line_only=True, hidden=True),
        _opt("help", "Print this help message and exit", command_line_only=True, hidden=True),
        _opt("version", "Print version and exit", command_line_only=True),
        _opt(
            "conf",
            "Specify path to read-only configuration file. Relative paths will be prefixed by datadir location "
            "(default: bitcoin.conf)",
            "<file>",
        ),
        _opt("datadir", "Specify data directory (default: ~/.bitcoin)", "<dir>", disallow_negation=True),
        _opt("includeconf", "Not supported: ignored with a warning", "<file>", hidden=True),
        _opt(
            "chain",
            "Use the chain <chain> (default: main). Allowed values: main, test, testnet4, signet, regtest",
            "<chain>",
        ),
        _opt("regtest", "Use the regression test chain; equivalent to -chain=regtest (default: 0)"),
        _opt("testnet", "Use the testnet3 chain; equivalent to -chain=test (default: 0)"),
        _opt("testnet4", "Use the testnet4 chain; equivalent to -chain=testnet4 (default: 0)"),
        _opt("signet", "Use the signet chain; equivalent to -chain=signet (default: 0)"),
        _opt(
            "ipcconnect",
            "Node IPC socket: 'unix' for <datadir>/<net>/node.sock, 'unix:<path>' (relative to the net datadir), "
            "or a socket path (default: none: without it, and without --socket, an in-process stand-in node is "
            "started)",
            "<address>",
        ),
        _opt(
            "ipcnative",
            "Answer the methods that typed IPC calls can answer exactly (getblockhash, getblockcount, ...) "
            "natively; -noipcnative sends every method through Rpc.executeRpc where the node has it (default: "
            "native only on nodes without Rpc, so that a node with Rpc logs and counts every request as bitcoind "
            "does)",
        ),
        _opt(
            "ipccoalesce",
            "While the node is busy, send waiting read-only requests (getblockhash, getblockheader, ...) of the "
            "same user and URI together as one Rpc.executeRpc batch; each client still gets exactly its own "
            "reply (default: 1)",
        ),
        _opt(
            "ipcthreads",
            "Number of node Threads used for IPC calls (default: the CPUs available, at least 2 and at most 4; "
            "minimum 1)",
            "<n>",
        ),
        _opt(
            "ipctimeout",
            "Seconds to wait for any one IPC call, 0 for no limit (default: 900, bitcoin-cli's own timeout)",
            "<n>",
        ),
        _opt(
            "ipcvariant",
            f"Node schema variant: auto, {', '.join(VARIANTS)} (default: auto)",
            "<variant>",
        ),
        _opt(
            "rpcallowip",
            "Allow JSON-RPC connections from specified source. Valid values for <ip> are a single IP (e.g. 1.2.3.4), "
            "a network/netmask (e.g. 1.2.3.4/255.255.255.0), a network/CIDR (e.g. 1.2.3.4/24), all ipv4 "
            "(0.0.0.0/0), or all ipv6 (::/0). This option can be specified multiple times (default: only "
            "127.0.0.0/8 and ::1)",
            "<ip>",
            list_valued=True,
        ),
        _opt(
            "rpcauth",
            "Username and HMAC-SHA-256 hashed password for JSON-RPC connections. The field <userpw> comes in the "
            "format: <USERNAME>:<SALT>$<HASH>. contrib/rpcauth/rpcauth.py generates it. This option can be "
            "specified multiple times (default: none)",
            "<userpw>",
            list_valued=True,
        ),
        _opt(
            "rpcbind",
            "Bind to given address to listen for JSON-RPC connections. Do not expose the RPC server to untrusted "
            "networks such as the public internet! This option is ignored unless -rpcallowip is also passed. "
            "Port is optional and overrides -rpcport. Use [host]:port notation for IPv6. This option can be "
            "specified multiple times (default: ::1 and 127.0.0.1)",
            "<addr>[:port]",
            list_valued=True,
            network_only=True,
        ),
        _opt(
            "rpccookiefile",
            "Location of the auth cookie. Relative paths will be prefixed by a net-specific datadir location "
            "(default: data dir)",
            "<loc>",
        ),
        _opt(
            "rpccookieperms",
            "Set permissions on the RPC auth cookie file so that it is readable by [owner|group|all] "
            "(default: owner [via umask 0077])",
            "<readable-by>",
        ),
        _opt("rpcpassword", "Password for JSON-RPC connections (default: none: use the cookie)", "<pw>"),
        _opt(
            "rpcport",
            "Listen for JSON-RPC connections on <port> (default: 8332, testnet: 18332, testnet4: 48332, "
            "signet: 38332, regtest: 18443)",
            "<port>",
            network_only=True,
        ),
        _opt("rpcservertimeout", "Timeout during HTTP requests, in seconds, 0 for none (default: 30)", "<n>"),
        _opt("rpcthreads", "Set the number of threads to service RPC calls (default: 16)", "<n>"),
        _opt("rpcuser", "Username for JSON-RPC connections (default: none)", "<user>"),
        _opt(
            "rpcwhitelist",
            "Set a whitelist to filter incoming RPC calls for a specific user. The field <whitelist> comes in the "
            "format: <USERNAME>:<rpc 1>,<rpc 2>,...,<rpc n>. If multiple whitelists are set for a given user, "
            "they are set-intersected. See -rpcwhitelistdefault documentation for information on default "
            "whitelist behavior (default: none)",
            "<whitelist>",
            list_valued=True,
        ),
        _opt(
            "rpcwhitelistdefault",
            "Sets default behavior for rpc whitelisting. Unless rpcwhitelistdefault is set to 0, if any "
            "-rpcwhitelist is set, the rpc server acts as if all rpc users are subject to empty-unless-otherwise-"
            "specified whitelists. If rpcwhitelistdefault is set to 1 and no -rpcwhitelist is set, rpc server acts "
            "as if all rpc users are subject to empty whitelists (default: 1 if any -rpcwhitelist is set, else 0)",
        ),
        _opt(
            "rpccachesize",
            "MiB of memory for answers that depend only on the block chain (getblockhash, getblock, "
            "getblockheader, ...); every answer is checked against the node's current tip before it is used, and "
            "the cache empties when the tip changes. Cached answers do not reach the node, so its log and "
            "getrpcinfo do not show them (default: 0, off)",
            "<n>",
        ),
        _opt("rpcworkqueue", "Set the depth of the work queue to service RPC calls (default: 64)", "<n>"),
        _opt(
            "rpcmaxbatch",
            "Refuse JSON-RPC batches of more than <n> requests with HTTP 400 and error -32600 before running any "
            "of them; bitcoind has no such bound (bitcoin#14376), so 0 = no limit is the default",
            "<n>",
        ),
        _opt(
            "debug",
            "Output debug and trace logging (default: -nodebug, supplying <category> is optional). If <category> "
            "is not supplied or if <category> is 1 or all, output all debug logging. If <category> is 0 or none, "
            f"any other categories before it are ignored. Categories of bitcoin-rpc-mp: {', '.join(DEBUG_CATEGORIES)}. "
            "This option can be specified multiple times",
            "<category>",
            list_valued=True,
        ),
        _opt(
            "debugexclude",
            "Exclude debug and trace logging for a category. Can be used in conjunction with -debug=1 to output "
            "debug and trace logging for all categories except the specified category. This option can be "
            "specified multiple times to exclude multiple categories. This takes priority over -debug (default: none)",
            "<category>",
            list_valued=True,
        ),
        _opt(
            "printtoconsole",
            "Send trace/debug info to the console (stdout), as bitcoind does (default: 1). To disable logging to "
            "file, set -nodebuglogfile",
        ),
        _opt(
            "debuglogfile",
            "Specify location of debug log file (default: debug.log). Relative paths will be prefixed by a "
            "net-specific datadir location. Pass -nodebuglogfile to disable writing the log to a file",
            "<file>",
        ),
        _opt(
            "shrinkdebugfile",
            "Shrink debug.log file on client startup (default: 1 when no -debug; never with -node, whose "
            "bitcoin-node shrinks it)",
        ),
        _opt("logtimestamps", "Prepend debug output with timestamp (default: 1)"),
        _opt("logtimemicros", "Add microsecond precision to debug timestamps (default: 0)", hidden=True),
        _opt(
            "cjdnsreachable",
            "This host is configured for CJDNS: -rpcallowip then takes fc00::/8 as CJDNS addresses, which "
            "cannot form a subnet (default: 0)",
        ),
        _opt(
            "onlynet",
            "bitcoin-node's -onlynet: read for whether CJDNS is reachable",
            "<net>",
            list_valued=True,
            hidden=True,
        ),
        _opt(
            "node",
            "Spawn mode: start the bitcoin-node executable at <path> as a child with every other option "
            "(except the RPC server's and ours), plus -server=0 and a private -ipcbind, serve it, and exit "
            "when it exits, with its exit code. Also taken from the environment variable "
            f"{NODE_ENV} (default: none)",
            "<path>",
            command_line_only=True,
        ),
        _opt(
            "metrics",
            "Serve Prometheus metrics (requests by method and status, latency, IPC calls, reconnects) at "
            "http://<host>:<port>/metrics; <host> defaults to 127.0.0.1 (default: off)",
            "<[host:]port>",
        ),
        # the seed's aliases, kept for compatibility with its scripts
        _opt(
            "socket",
            "Alias: --socket/-s PATH is -ipcconnect=PATH (PATH relative to the current directory; "
            "default if given without PATH: /tmp/bitcoin-ipc.sock)",
            "PATH",
            command_line_only=True,
        ),
        _opt(
            "address",
            "Alias: --address/-a ADDR binds ADDR[:port] like -rpcbind; a loopback address needs no -rpcallowip "
            "(default: ::1 and 127.0.0.1)",
            "ADDR",
            list_valued=True,
            command_line_only=True,
        ),
        _opt(
            "port",
            "Alias: --port/-p PORT is -rpcport=PORT (default: the chain's RPC port)",
            "PORT",
            command_line_only=True,
        ),
    )
}

# short/long alias → canonical option; these take their value from the next word when not given with `=`
ALIASES: dict[str, str] = {"s": "socket", "socket": "socket", "a": "address", "address": "address",
                           "p": "port", "port": "port"}  # fmt: skip
SEED_DEFAULT_SOCKET = "/tmp/bitcoin-ipc.sock"  # the seed's documented default


@dataclass(frozen=True)
class KeyInfo:
    """A key as ArgsManager's InterpretKey splits it: `[section.][no]name`."""

    name: str
    section: str = ""
    negated: bool = False


def interpret_key(key: str) -> KeyInfo:
    """Split `regtest.rpcport` / `norpcauth` the way ArgsManager does (section at the first dot)."""
    section = ""
    dot = key.find(".")
    if dot != -1:
        section, key = key[:dot], key[dot + 1 :]
    # our -node would read as a negated "-de"; bitcoind has no "-de", so "node" is taken whole ("-nonode" negates it)
    negated = key.startswith("no") and key != "node"
    if negated:
        key = key[2:]
    return KeyInfo(name=key, section=section, negated=negated)


def interpret_bool(value: str) -> bool:
    """ArgsManager's InterpretBool: empty is true, otherwise atoi(value) != 0 (so "yes" is false)."""
    if value == "":
        return True
    return _atoi(value) != 0


def _atoi(text: str) -> int:
    """LocaleIndependentAtoi: trim, optional sign, the leading digits; anything unparsable is 0."""
    s = text.strip(" \f\n\r\t\v")
    if s.startswith("+"):
        if s.startswith("+-"):
            return 0
        s = s[1:]
    sign = 1
    if s.startswith("-"):
        sign, s = -1, s[1:]
    digits = ""
    for ch in s:
        if not ch.isdigit() or not ch.isascii():
            break
        digits += ch
    return sign * int(digits) if digits else 0


def interpret_value(key: KeyInfo, value: str | None, spec: OptionSpec, warnings: list[str]) -> SettingValue:
    """ArgsManager's InterpretValue. Raises ConfigError where bitcoind refuses the value."""
    if key.negated:
        if spec.disallow_negation:
            raise ConfigError(f"Negating of -{key.name} is meaningless and therefore forbidden")
        if value is not None and not interpret_bool(value):
            warnings.append(f"Warning: parsed potentially confusing double-negative -{key.name}={value}")
            return True
        return False
    return value if value is not None else ""


@dataclass
class ParsedArgs:
    """What the command line said, before the config file is merged in."""

    options: dict[str, list[SettingValue]] = field(default_factory=dict)
    loose_tokens: list[str] = field(default_factory=list)  # first non-option word and everything after it
    unknown: list[str] = field(default_factory=list)  # options left to bitcoin-node (spawn mode only)
    warnings: list[str] = field(default_factory=list)

    @property
    def help_requested(self) -> bool:
        # HelpRequested() is IsArgSet(-?|-h|-help): even a negated one counts
        return any(name in self.options for name in ("?", "h", "help"))

    @property
    def version_requested(self) -> bool:
        return "version" in self.options


def parse_argv(argv: Sequence[str], *, allow_unknown: bool = False) -> ParsedArgs:
    """Parse the words after the program name. Raises ConfigError (bitcoind's wording) on a bad option.

    `allow_unknown` (spawn mode): options we do not know are the node's; they are collected in `unknown`
    and bitcoin-node judges them itself, with its own error text."""
    parsed = ParsedArgs()
    i = 0
    while i < len(argv):
        word = argv[i]
        i += 1
        if word == "-":
            break
        if not word.startswith("-"):
            parsed.loose_tokens = list(argv[i - 1 :])
            break
        key, eq, raw_value = word.partition("=")
        value: str | None = raw_value if eq else None
        if key.startswith("--"):
            key = key[1:]
        key = key[1:]

        alias = ALIASES.get(key)
        if alias is not None:
            if value is None and i < len(argv) and not argv[i].startswith("-"):
                value = argv[i]
                i += 1
            _add_alias(parsed, alias, value)
            continue

        info = interpret_key(key)
        spec = OPTIONS.get(info.name)
        # unknown options and dotted (section-scoped) keys are refused on the command line
        if spec is None and allow_unknown and not info.section:
            parsed.unknown.append(word)
            continue
        if spec is None or info.section or (info.name in ALIASES and info.negated):
            raise ConfigError(f"Error parsing command line arguments: Invalid parameter {word}")
        setting = _interpret_or_raise(info, value, spec, parsed.warnings)
        parsed.options.setdefault(info.name, []).append(setting)

    includes = parsed.options.get("includeconf")
    if includes:
        live = after_last_negation(includes)
        if live:
            first = live[0]
            shown = '"' + first + '"' if isinstance(first, str) else ("true" if first else "false")
            raise ConfigError(
                "Error parsing command line arguments: "
                f"-includeconf cannot be used from commandline; -includeconf={shown}"
            )
    return parsed


def _interpret_or_raise(
    info: KeyInfo, value: str | None, spec: OptionSpec, warnings: list[str]
) -> SettingValue:
    try:
        return interpret_value(info, value, spec, warnings)
    except ConfigError as exc:
        raise ConfigError(f"Error parsing command line arguments: {exc}") from None


def _add_alias(parsed: ParsedArgs, alias: str, value: str | None) -> None:
    if alias == "socket":
        parsed.options.setdefault("ipcconnect", []).append(value if value else SEED_DEFAULT_SOCKET)
    elif alias == "port":
        parsed.options.setdefault("rpcport", []).append(value if value is not None else "")
    else:
        parsed.options.setdefault("address", []).append(value if value is not None else "")


def after_last_negation(values: Sequence[SettingValue]) -> list[SettingValue]:
    """SettingsSpan::begin(): the values after the last negation."""
    last_false = max((n for n, v in enumerate(values) if v is False), default=-1)
    return list(values[last_false + 1 :])
