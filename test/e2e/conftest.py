"""Fixtures for end-to-end tests: a stand-in node and our server as real processes."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))

from harness import Server, Standin, rpcauth_line


@pytest.fixture(scope="module")
def node_and_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Standin, Server]]:
    """The spec's default node: regtest at height 210, `-rpcuser=u -rpcpassword=p`."""
    base = tmp_path_factory.mktemp("e2e")
    node = Standin(base / "node.sock", blocks=210).start()
    server = Server(base / "data", node.socket_path, ["-rpcuser=u", "-rpcpassword=p"])
    try:
        server.start()
        yield node, server
    finally:
        server.stop()
        node.stop()
        if server.proc is not None and server.proc.returncode not in (0, None):
            print(server.log_text()[-4000:])


@pytest.fixture(scope="module")
def whitelist_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Standin, Server]]:
    """The spec's whitelist node (§6 cases 103-112): rpcauth users a/pa and b/pb, a whitelisted, cookie on,
    height 0."""
    base = tmp_path_factory.mktemp("e2e-wl")
    node = Standin(base / "node.sock", blocks=0).start()
    server = Server(
        base / "data",
        node.socket_path,
        [
            f"-rpcauth={rpcauth_line('a', 'pa')}",
            f"-rpcauth={rpcauth_line('b', 'pb')}",
            "-rpcwhitelist=a:getblockcount,getbestblockhash",
        ],
    )
    try:
        server.start()
        yield node, server
    finally:
        server.stop()
        node.stop()
