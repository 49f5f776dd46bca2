"""ipc/capabilities.py: the describe() line and the per-variant facts, without capnp."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bitcoin_rpc_mp.ipc.capabilities import NUMBERING_LABELS, NodeCapabilities
from bitcoin_rpc_mp.ipc.schemas import VARIANTS


def test_describe_lists_interfaces_in_a_fixed_order() -> None:
    caps = NodeCapabilities("pr29409", frozenset({"Chain", "Echo", "Mining", "Rpc"}), True)
    assert caps.describe() == "node offers: Rpc, Mining, Echo, Chain (PR #29409 numbering)"
    v30 = NodeCapabilities("v30", frozenset({"Mining", "Echo"}), False)
    assert v30.describe() == "node offers: Mining, Echo (Bitcoin Core 29/30 numbering)"


def test_every_variant_has_a_numbering_label() -> None:
    assert set(NUMBERING_LABELS) == set(VARIANTS)
    assert len(set(NUMBERING_LABELS.values())) == len(VARIANTS)


@pytest.mark.parametrize(
    ("variant", "queues"), [("v30", False), ("v31", True), ("v32", True), ("pr29409", True)]
)
def test_queuing_follows_the_node_version(variant: str, queues: bool) -> None:
    assert NodeCapabilities(variant, frozenset(), False).queues_calls is queues


def test_capabilities_module_imports_neither_capnp_nor_asyncio() -> None:
    source = Path(__file__).resolve().parents[3] / "bitcoin_rpc_mp" / "ipc" / "capabilities.py"
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"capnp", "asyncio", "bitcoin_rpc_mp"}
