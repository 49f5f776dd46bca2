"""How we talk to the node: our own -ipc* options (and -rpccachesize), their defaults and their errors."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..ipc.capabilities import VARIANTS
from .argv import ConfigError
from .merge import ArgStore

__all__ = [
    "DEFAULT_IPCTHREADS",
    "DEFAULT_IPCTIMEOUT_S",
    "DEFAULT_RPCCACHESIZE_MIB",
    "IpcSettings",
    "ipc_settings",
]

DEFAULT_IPCTHREADS = 4
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
    threads = store.get_int("ipcthreads", DEFAULT_IPCTHREADS, minimum=1, what="an integer of at least 1")
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
