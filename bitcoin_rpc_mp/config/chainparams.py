"""Per-chain defaults: chain names, config-file section, RPC port, data sub-directory, cookie path.

Owns the facts of Bitcoin Core's `src/chainparamsbase.cpp` and `src/util/chaintype.cpp` that the front end
needs (compat spec §1). Pure; imports nothing of ours (and nothing else of substance).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CHAIN_NAMES",
    "CHAIN_SWITCHES",
    "COOKIE_FILENAME",
    "STANDIN_CHAIN",
    "ChainParams",
    "chain_params",
    "default_cookie_path",
    "net_datadir",
]

COOKIE_FILENAME = ".cookie"


@dataclass(frozen=True)
class ChainParams:
    """What one chain type implies for us."""

    name: str  # ChainTypeToString: also the `-chain=` value and the bitcoin.conf section name
    rpcport: int  # default -rpcport
    datadir_subdir: str  # "" for main: <datadir> itself is the net datadir


_PARAMS: dict[str, ChainParams] = {
    "main": ChainParams("main", 8332, ""),
    "test": ChainParams("test", 18332, "testnet3"),
    "testnet4": ChainParams("testnet4", 48332, "testnet4"),
    "signet": ChainParams("signet", 38332, "signet"),
    "regtest": ChainParams("regtest", 18443, "regtest"),
}

# in the order bitcoind's help lists them
CHAIN_NAMES: tuple[str, ...] = tuple(_PARAMS)

# the chain of the stand-in node that the demo (no -ipcconnect) starts: the default chain when none is given
STANDIN_CHAIN = "regtest"

# the switches that select a chain (-regtest, …) → the chain, in the order GetChainArg tests them
CHAIN_SWITCHES: dict[str, str] = {"regtest": "regtest", "signet": "signet", "testnet": "test", "testnet4": "testnet4"}


def chain_params(chain: str) -> ChainParams:
    """The parameters of `chain` (one of CHAIN_NAMES); KeyError for anything else."""
    return _PARAMS[chain]


def net_datadir(datadir: Path, chain: str) -> Path:
    """`<datadir>` for main, `<datadir>/<subdir>` for the others (ArgsManager::GetDataDirNet)."""
    subdir = chain_params(chain).datadir_subdir
    return datadir / subdir if subdir else datadir


def default_cookie_path(datadir: Path, chain: str) -> Path:
    """`.cookie` in the net datadir: the path used when -rpccookiefile is not given."""
    return net_datadir(datadir, chain) / COOKIE_FILENAME
