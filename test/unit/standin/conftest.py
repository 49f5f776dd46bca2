"""Fixtures for the stand-in node tests: `capnp.kj_loop()`, started stand-ins, raw pycapnp clients.

The tests drive the stand-in with plain pycapnp calls written here (never with our ipc client), so a
misunderstanding shared by the client and the double cannot hide.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import capnp
import pytest
from standin_testing import Factory, RawClient

from bitcoin_rpc_mp.standin.node import StandinNode


@pytest.fixture
async def standin(kj: None, short_dir: Path) -> AsyncIterator[Factory]:
    """`await make(variant=..., blocks=...)` -> (started StandinNode on a Unix socket, connected RawClient)."""
    nodes: list[StandinNode] = []
    clients: list[RawClient] = []

    async def make(*, variant: str = "pr29409", blocks: int = 10) -> tuple[StandinNode, RawClient]:
        path = str(short_dir / f"n{len(nodes)}.sock")
        node = StandinNode(variant=variant, blocks=blocks)
        await node.start(path)
        nodes.append(node)
        stream = await capnp.AsyncIoStream.create_unix_connection(path)
        client = await RawClient(variant, stream).setup()
        clients.append(client)
        return node, client

    yield make
    for client in clients:
        client.close()
    for node in nodes:
        await node.aclose()
