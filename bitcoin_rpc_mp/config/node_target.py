"""Which node we serve: one already running (its IPC socket), one we start (spawn mode), or the stand-in (demo).

Owns:
- `NodeTarget`, the one answer: `NodeSocket(path)` (-ipcconnect or --socket), `SpawnedNode(executable, args)`
  (-node or $BITCOIN_RPC_MP_NODE), or `DemoStandin()` (neither: the app starts the in-process stand-in node);
- -ipcconnect's values (`unix`, `unix:<path>`, a path) and their errors, the socket path length limit;
- spawn mode's command line: where the executable comes from, and which words bitcoin-node gets (every word
  but the RPC server's options and ours).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .argv import ALIASES, NODE_ENV, ConfigError, SettingValue, interpret_key
from .merge import ArgStore, abs_path, as_text

__all__ = [
    "DemoStandin",
    "NodeSocket",
    "NodeTarget",
    "SpawnedNode",
    "node_arguments",
    "node_target",
    "spawn_node",
]

SUN_PATH_MAX = 107  # bytes of a unix socket path (sun_path is 108 with its NUL)
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


@dataclass(frozen=True)
class NodeSocket:
    """Serve the bitcoin-node listening on this IPC socket (-ipcconnect, --socket)."""

    path: str  # absolute


@dataclass(frozen=True)
class SpawnedNode:
    """Spawn mode (-node): start bitcoin-node ourselves, on a private socket, and serve it."""

    executable: str  # absolute when given with a `/`, else a name looked up on PATH
    args: tuple[str, ...]  # the command-line words given to it (before ours are appended)


@dataclass(frozen=True)
class DemoStandin:
    """Neither a socket nor -node: the app starts the in-process stand-in node (a regtest test double)."""


NodeTarget = NodeSocket | SpawnedNode | DemoStandin


def node_target(
    store: ArgStore, argv: Sequence[str], executable: str | None, netdir: Path, cwd: Path
) -> NodeTarget:
    """The node to serve; `executable` is `spawn_node`'s answer (None outside spawn mode)."""
    ipcconnect = store.get_setting("ipcconnect")
    if executable is not None:
        if ipcconnect is not None:
            raise ConfigError(
                "-ipcconnect/--socket cannot be used with -node: with -node, bitcoin-rpc-mp starts bitcoin-node "
                "itself on a private socket (leave out -node to serve a node that is already running)"
            )
        executable = str(abs_path(executable, cwd)) if "/" in executable else executable
        return SpawnedNode(executable, node_arguments(argv))
    if ipcconnect is None:
        return DemoStandin()
    return NodeSocket(_resolve_socket(ipcconnect, netdir, cwd))


def _resolve_socket(value: SettingValue, netdir: Path, cwd: Path) -> str:
    """-ipcconnect: `unix` (or `auto`, or bare) → <net datadir>/node.sock; `unix:<path>` (relative to the net
    datadir, as -ipcbind); any other value is a socket path (relative to the current directory)."""
    text = as_text(value)
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
        path = abs_path(text[len("unix:") :], netdir)
    elif re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", text) and not text.startswith(("./", "/")):
        raise ConfigError(f"Invalid -ipcconnect={text}; {expected}.")
    else:
        path = abs_path(text, cwd)
    result = str(path)
    if len(os.fsencode(result)) > SUN_PATH_MAX:
        raise ConfigError(
            f"Invalid -ipcconnect={text}; the socket path {result} is longer than the {SUN_PATH_MAX} bytes "
            "a unix socket address can hold."
        )
    return result


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
