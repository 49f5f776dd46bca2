"""Fixtures for the IPC client tests: uvloop + `capnp.kj_loop()`, stand-in nodes, clients, and `node`.

Every async test here runs on uvloop (`pytest_asyncio_loop_factories`), and fixtures that touch capnp depend on
`kj`, which enters `capnp.kj_loop()` inside that loop — the same arrangement `app.py` uses.

`node` is a real bitcoin-node when the environment variable BITCOIN_NODE names its binary (fresh regtest
datadir, `-ipcbind=unix:<dir>/node.sock -listen=0 -server=0`, a few blocks mined through `Rpc.executeRpc`),
otherwise the in-process stand-in: the client tests that take `node` run against either.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvloop
from ipc_testing import NODE_BLOCKS, NodeUnderTest, StandinProcess, spawn, wait_for_socket

from bitcoin_rpc_mp.ipc.client import NodeClient
from bitcoin_rpc_mp.standin.node import StandinNode

# Bitcoin Core's functional tests' unspendable regtest address (P2WSH of a zero hash).
REGTEST_ADDRESS = "bcrt1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq3xueyj"


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> dict[str, Callable[[], Any]]:
    return {"uvloop": uvloop.new_event_loop}


@pytest.fixture
def sock_path(short_dir: Path) -> str:
    return str(short_dir / "node.sock")


@pytest.fixture
async def standin_factory(
    kj: None, short_dir: Path
) -> AsyncIterator[Callable[..., Awaitable[tuple[StandinNode, str]]]]:
    """`await make(variant=..., blocks=...)` -> (started in-process StandinNode, its socket path)."""
    started: list[StandinNode] = []

    async def make(*, variant: str = "pr29409", blocks: int = NODE_BLOCKS) -> tuple[StandinNode, str]:
        path = str(short_dir / f"s{len(started)}.sock")
        node = StandinNode(variant=variant, blocks=blocks)
        await node.start(path)
        started.append(node)
        return node, path

    yield make
    for node in started:
        await node.aclose()


@pytest.fixture
async def client_factory(kj: None) -> AsyncIterator[Callable[..., Awaitable[NodeClient]]]:
    """`await make(path, **kwargs)` -> a started NodeClient, closed at teardown."""
    clients: list[NodeClient] = []

    async def make(path: str, **kwargs: Any) -> NodeClient:
        client = NodeClient(path, **kwargs)
        await client.start()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


async def _mine_on_real_node(path: str, blocks: int) -> int:
    """Mine `blocks` blocks through Rpc.executeRpc; returns how many were mined (0 on a node without Rpc)."""
    client = NodeClient(path, reconnect_timeout_s=60.0)
    await client.start()
    try:
        caps = await client.wait_connected(60.0)
        if not caps.has("Rpc"):
            return 0
        request = f'{{"method":"generatetoaddress","params":[{blocks},"{REGTEST_ADDRESS}"],"id":1}}'
        reply = await client.execute_rpc(request, "/", "", long=True)
        if '"error":null' not in reply:
            raise RuntimeError(f"could not mine on the real node: {reply}")
        return blocks
    finally:
        await client.aclose()


@pytest.fixture
async def node(kj: None, short_dir: Path) -> AsyncIterator[NodeUnderTest]:
    binary = os.environ.get("BITCOIN_NODE")
    path = str(short_dir / "node.sock")
    if not binary:
        standin = StandinNode(variant="pr29409", blocks=NODE_BLOCKS)
        await standin.start(path)
        try:
            yield NodeUnderTest(path, standin)
        finally:
            await standin.aclose()
        return
    datadir = short_dir / "data"
    datadir.mkdir()
    proc = spawn(
        [
            binary,
            "-regtest",
            f"-datadir={datadir}",
            f"-ipcbind=unix:{path}",
            "-listen=0",
            "-server=0",
            "-printtoconsole=0",
        ]
    )
    try:
        await wait_for_socket(path, 60.0, proc)
        mined = await _mine_on_real_node(path, NODE_BLOCKS)
        yield NodeUnderTest(path, None, mined)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def standin_process(sock_path: str) -> Iterator[StandinProcess]:
    proc = StandinProcess(sock_path)
    try:
        yield proc
    finally:
        with contextlib.suppress(Exception):
            proc.stop()
