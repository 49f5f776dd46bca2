"""Fixtures for end-to-end tests: a stand-in node and our server as real processes."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))

from harness import RealNode, Server, Standin, rpcauth_line, serving, start_backend


@pytest.fixture(scope="module")
def node_and_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Standin | RealNode, Server]]:
    """The spec's default node: regtest at height 210, `-rpcuser=u -rpcpassword=p`; a real bitcoin-node when
    BITCOIN_NODE is set."""
    base = tmp_path_factory.mktemp("e2e")
    node = start_backend(base / "node.sock", blocks=210, wallet=True)
    server = Server(base / "data", node.socket_path, ["-rpcuser=u", "-rpcpassword=p"])
    with serving(node, server):
        yield node, server


@pytest.fixture(scope="module")
def whitelist_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Standin | RealNode, Server]]:
    """The spec's whitelist node (§6 cases 103-112): rpcauth users a/pa and b/pb, a whitelisted, cookie on,
    height 0 (our server enforces the whitelist; the node behind it runs without one)."""
    base = tmp_path_factory.mktemp("e2e-wl")
    node = start_backend(base / "node.sock", blocks=0)
    server = Server(
        base / "data",
        node.socket_path,
        [
            f"-rpcauth={rpcauth_line('a', 'pa')}",
            f"-rpcauth={rpcauth_line('b', 'pb')}",
            "-rpcwhitelist=a:getblockcount,getbestblockhash",
        ],
    )
    with serving(node, server):
        assert (server.datadir / "regtest" / ".cookie").exists()
        yield node, server
    assert not (server.datadir / "regtest" / ".cookie").exists(), "the cookie is removed on a clean exit"
