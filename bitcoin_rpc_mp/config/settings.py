"""The one typed settings object, and how command line + bitcoin.conf become it.

Owns `Settings` (frozen, grouped by area) and `build_settings`, which runs bitcoind's start-up checks in its
order: command line, data directory, config file, chain, then each area's options. The rules live with their
area:
- `merge.py`: how a value is read back from the command line and the config file (ArgsManager's rules);
- `datadir.py`: the data directory and the config file; `node_target.py`: which node we serve;
- `ipc_options.py`, `http_options.py` (with `addresses.py` for host:port and subnets), `auth_options.py`,
  `log_options.py`: each area's options, defaults, errors and warnings.

No I/O here: `build_settings` gets the file system through the small `ConfigFiles` protocol (the real one lives in
`cli.py`). Must not import asyncio, capnp, `http`, `ipc` (but `ipc.capabilities`' variant names).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .argv import NODE_ENV, ConfigError, parse_argv
from .auth_options import AuthSettings, auth_settings
from .chainparams import STANDIN_CHAIN, net_datadir
from .datadir import ConfigFiles, read_datadir_and_conf
from .http_options import Endpoint, HttpSettings, HttpStartFailure, http_settings, metrics_endpoint
from .ipc_options import IpcSettings, ipc_settings
from .log_options import LogSettings, log_settings
from .merge import ArgStore, select_chain
from .node_target import NodeTarget, SpawnedNode, node_target, spawn_node

__all__ = ["Settings", "build_settings"]


@dataclass(frozen=True)
class Settings:
    """Everything the program runs with. Built by `build_settings` (or `cli.settings_from_argv`)."""

    chain: str  # one of chainparams.CHAIN_NAMES
    datadir: Path  # absolute base datadir (-datadir, default ~/.bitcoin)
    conf: Path | None  # the config file that was read, if any
    node: NodeTarget  # the node we serve: its socket, the one we start, or the stand-in
    ipc: IpcSettings
    http: HttpSettings
    auth: AuthSettings
    log: LogSettings
    metrics: Endpoint | None  # -metrics: where the Prometheus endpoint listens; None = off
    warnings: tuple[str, ...]  # bitcoind's startup warnings, for the app to log
    http_failure: HttpStartFailure | None  # a value bitcoind's HTTP server refuses to start with

    @property
    def net_datadir(self) -> Path:
        return net_datadir(self.datadir, self.chain)

    @property
    def spawned(self) -> SpawnedNode | None:
        """Spawn mode's node, None in the other modes."""
        return self.node if isinstance(self.node, SpawnedNode) else None


def build_settings(
    argv: Sequence[str], *, environ: Mapping[str, str], cwd: str | os.PathLike[str], files: ConfigFiles
) -> Settings:
    """Command line (without the program name) + config file → Settings; raises ConfigError.

    `-help`/`-version` are the caller's business (see `cli.py`); the checks run in bitcoind's order: command
    line, data directory, config file, chain, then the option values.
    """
    executable = spawn_node(argv, environ)
    parsed = parse_argv(argv, allow_unknown=executable is not None)
    if executable == "":
        raise ConfigError(f"-node needs the path of the bitcoin-node executable (or set {NODE_ENV})")
    warnings: list[str] = list(parsed.warnings)
    store = ArgStore(parsed.options)
    cwd_path = Path(cwd)
    datadir, conf_path = read_datadir_and_conf(store, environ, cwd_path, files, warnings)
    chain = _choose_chain(store, warnings)
    if parsed.loose_tokens:
        raise ConfigError(
            f"Command line contains unexpected token '{parsed.loose_tokens[0]}', "
            "see bitcoin-rpc-mp -h for a list of options."
        )
    _warn_network_only_in_default_section(store, chain, warnings)
    netdir = net_datadir(datadir, chain)
    node = node_target(store, argv, executable, netdir, cwd_path)
    ipc = ipc_settings(store)
    http, http_failure = http_settings(store, chain, warnings)
    auth, auth_failure = auth_settings(store, datadir, chain, warnings)
    log = log_settings(store, netdir, spawned=isinstance(node, SpawnedNode), warnings=warnings)
    metrics = metrics_endpoint(store)
    return Settings(
        chain=chain,
        datadir=datadir,
        conf=conf_path,
        node=node,
        ipc=ipc,
        http=http,
        auth=auth,
        log=log,
        metrics=metrics,
        warnings=tuple(dict.fromkeys(warnings)),
        http_failure=http_failure or auth_failure,
    )


def _choose_chain(store: ArgStore, warnings: list[str]) -> str:
    """The chain served, and `store` set to read its section of bitcoin.conf."""
    chain = select_chain(store)
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
    return chain


def _warn_network_only_in_default_section(store: ArgStore, chain: str, warnings: list[str]) -> None:
    """bitcoind's warning for -rpcport/-rpcbind given only at the top of bitcoin.conf off main (not used there)."""
    if chain == "main":
        return
    for name in ("rpcport", "rpcbind"):
        if store.only_in_default_section(name):
            warnings.append(f"Config setting for -{name} only applied on {chain} network when in [{chain}] section.")
