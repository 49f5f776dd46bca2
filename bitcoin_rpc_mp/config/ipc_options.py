"""How we talk to the node: our own -ipc* options (and -rpccachesize), their defaults and their errors."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from ..ipc.capabilities import VARIANTS
from .argv import ConfigError
from .merge import ArgStore

__all__ = [
    "DEFAULT_IPCTIMEOUT_S",
    "DEFAULT_RPCCACHESIZE_MIB",
    "IpcSettings",
    "default_ipc_threads",
    "ipc_settings",
]



def default_ipc_threads() -> int:
    """-ipcthreads' default: the CPUs this process may run on, at least 2 and at most 4.

    Every IPC call wakes a node thread, and node threads beyond the cores cost the node more per call than they
    add. Measured on the real pr29409 node on 2 cores (README, "IPC threads"): 16 threads instead of 4 took
    `getblockhash` from 0.25x to 0.04x of bitcoind's port; 2 instead of 4 was as good or better in every
    workload (small calls 0.24-0.26x -> 0.29-0.31x at 16 connections, `getblock ... 0` 0.49-0.53x -> 0.57-0.63x).
    At least 2, so one long call never holds up every short one; at most 4, the default before that measurement,
    which was not measured on more cores.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cpus = os.cpu_count() or 2
    return min(4, max(2, cpus))

DEFAULT_RPCCACHESIZE_MIB = 0  # off: a cache hit never reaches the node, so the node's log and getrpcinfo would change
# bitcoin-cli's own client timeout (DEFAULT_HTTP_CLIENT_TIMEOUT): a client of bitcoind never waits longer, so a
# call that takes this long has no one left to answer; shorter would cut off legitimately slow RPCs
DEFAULT_IPCTIMEOUT_S = 900.0


@dataclass(frozen=True)
class IpcSettings:
    """The IPC client's options."""

    threads: int  # -ipcthreads
    # -ipcnative: answer exact methods through typed IPC calls: True (-ipcnative=1), False (-noipcnative:
    # everything through Rpc where the node has it), None (default: native only on nodes without Rpc, so the node
    # logs and counts every request as bitcoind would)
    native: bool | None
    coalesce: bool  # -ipccoalesce: combine waiting read-only pass-through requests into one executeRpc batch
    cachesize_mib: int  # -rpccachesize: chain-only answer cache (handlers/answer_cache.py); 0 = off
    timeout_s: float  # -ipctimeout; 0 = no limit
    variant: str | None  # -ipcvariant; None = detect

    @property
    def call_timeout_s(self) -> float | None:
        """`timeout_s` as NodeClient takes it (None = no limit)."""
        return self.timeout_s if self.timeout_s > 0 else None


def ipc_settings(store: ArgStore) -> IpcSettings:
    """The -ipc* options; ConfigError for a value we cannot use (checked in this order)."""
    threads = store.get_int("ipcthreads", default_ipc_threads(), minimum=1, what="an integer of at least 1")
    timeout_s = _timeout(store)
    variant = _variant(store)
    native = None if store.get_setting("ipcnative") is None else store.get_bool("ipcnative", False)
    coalesce = store.get_bool("ipccoalesce", True)
    cachesize_mib = store.get_int(
        "rpccachesize", DEFAULT_RPCCACHESIZE_MIB, minimum=0, what="a number of MiB (0 or more)"
    )
    return IpcSettings(threads, native, coalesce, cachesize_mib, timeout_s, variant)


def _timeout(store: ArgStore) -> float:
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


def _variant(store: ArgStore) -> str | None:
    raw = store.get_arg("ipcvariant")
    if raw is None or raw in ("", "auto"):
        return None
    if raw not in VARIANTS:
        allowed = ", ".join(f"'{v}'" for v in ("auto", *VARIANTS))
        raise ConfigError(f"Invalid -ipcvariant={raw}; must be one of {allowed}.")
    return raw
