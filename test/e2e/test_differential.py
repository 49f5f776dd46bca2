"""Differential test against a real node: each captured request to bitcoind's own RPC port and to ours.

Runs only where BITCOIN_NODE names a bitcoin-node binary (no such binary can be installed on the project's
machines; the stand-in cannot serve as bitcoind's HTTP server). The same node serves both ports, so status
line, headers (the Date value masked) and body must be identical, chain data included.
"""

from __future__ import annotations

import compat_cases
import pytest
from harness import RealNode, Server, Standin, exchange, real_node_binary

if real_node_binary() is None:
    pytest.skip("BITCOIN_NODE is not set: no real bitcoin-node to compare with", allow_module_level=True)

CASES = [c for c in compat_cases.load_spec_cases() if c.setup is None]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.number}-{c.name}")
def test_same_bytes_as_the_nodes_own_port(
    case: compat_cases.SpecCase, node_and_server: tuple[Standin | RealNode, Server]
) -> None:
    node, server = node_and_server
    assert isinstance(node, RealNode)
    theirs = compat_cases.mask_date(exchange(node.rpcport, case.request))
    ours = compat_cases.mask_date(exchange(server.port, case.request))
    assert ours == theirs
