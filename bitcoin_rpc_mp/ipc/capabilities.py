"""What the connected node offers: its schema variant (Init numbering), interfaces and whether it has a pool.

Owns: the names of the node variants we can talk to (`VARIANTS`, one schema directory each: `ipc/schemas.py`),
the frozen `NodeCapabilities` record that discovery (`ipc/handshake.py`) produces and handlers read to
choose native or passthrough methods, and its one-line description for the log.

Must not import capnp or asyncio (handlers import it without the transport, config to check -ipcvariant), nor
anything else of ours.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["INTERFACE_ORDER", "NUMBERING_LABELS", "VARIANTS", "NodeCapabilities"]

# Newest numbering first within each family; the names are the directories under schemas/.
VARIANTS: tuple[str, ...] = ("v30", "v31", "v32", "pr29409", "pr29409-2026-02", "pr29409-2025-02")

# The order in which describe() lists interfaces.
INTERFACE_ORDER: tuple[str, ...] = ("Rpc", "Mining", "Echo", "Chain")

# variant -> how describe() names its Init numbering (spec ipc-protocol.md §8).
NUMBERING_LABELS: dict[str, str] = {
    "v30": "Bitcoin Core 29/30 numbering",
    "v31": "Bitcoin Core 31 numbering",
    "v32": "Bitcoin Core 32 numbering",
    "pr29409": "PR #29409 numbering",
    "pr29409-2026-02": "PR #29409 pr/trace 2026-02 numbering",
    "pr29409-2025-02": "PR #29409 2025-02 numbering",
}

_QUEUING_VARIANTS = frozenset({"v31", "v32", "pr29409"})


@dataclass(frozen=True)
class NodeCapabilities:
    """The interfaces one connected node offers.

    `variant` is one of `VARIANTS`; `interfaces` a subset of {"Echo", "Mining", "Rpc", "Chain"};
    `has_pool` says whether the node's ThreadMap has `makePool` (32.0+; we never call it, we name a Thread).
    """

    variant: str
    interfaces: frozenset[str]
    has_pool: bool

    def has(self, interface: str) -> bool:
        return interface in self.interfaces

    @property
    def numbering(self) -> str:
        return NUMBERING_LABELS.get(self.variant, f"{self.variant} numbering")

    @property
    def queues_calls(self) -> bool:
        """True when a busy node Thread queues further calls (libmultiprocess v8, Bitcoin Core 31.0+).

        Older nodes answer "thread busy" (30.1+) or crash (30.0); the two #29409 branch builds are treated as old
        because nothing says which libmultiprocess they carry.
        """
        return self.variant in _QUEUING_VARIANTS

    def describe(self) -> str:
        """E.g. `node offers: Rpc, Mining, Echo, Chain (PR #29409 numbering)`."""
        known = [name for name in INTERFACE_ORDER if name in self.interfaces]
        extra = sorted(self.interfaces.difference(INTERFACE_ORDER))
        names = ", ".join(known + extra) or "nothing"
        return f"node offers: {names} ({self.numbering})"
